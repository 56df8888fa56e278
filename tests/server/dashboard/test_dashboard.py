"""The dashboard's pages and its admin endpoints: CSP, files, webhook events, the leads CSV."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from widget.events import WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENTS
from widget.server.leads import csv_export
from widget.server.leads.csv_export import csv_cell

SITE_DASHBOARD = Path(__file__).resolve().parents[3] / "site" / "dashboard"
Start = Callable[..., tuple[str, dict[str, str]]]


@pytest.fixture
def with_dashboard(bundle_dir: Path) -> Path:
    """The real dashboard files, laid out as `make build` does."""
    shutil.copytree(SITE_DASHBOARD, bundle_dir / "dashboard")
    return bundle_dir / "dashboard"


def csp(response: httpx.Response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def lead(client: httpx.Client, start: Start, text: str) -> None:
    conversation_id, auth = start()
    response = client.post(
        f"/v1/conversations/{conversation_id}/messages", json={"content": text}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["leadCaptured"] is not None


def test_the_dashboard_page_comes_with_a_strict_csp(
    client: httpx.Client, with_dashboard: Path
) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.content == (with_dashboard / "index.html").read_bytes()
    assert response.headers["content-type"].startswith("text/html")
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-src"] == ["'self'"]  # the live preview
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["require-trusted-types-for"] == ["'script'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"


def test_one_address_for_the_page(client: httpx.Client, with_dashboard: Path) -> None:
    for path in ("/dashboard/", "/dashboard/index.html"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 308
        assert response.headers["location"] == "/dashboard"


def test_the_preview_may_be_framed_by_this_origin_only(
    client: httpx.Client, with_dashboard: Path
) -> None:
    response = client.get("/dashboard/preview.html?agent=ag_demo")
    assert response.status_code == 200
    policy = csp(response)
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    # The shim draws its launcher with a <style> in a shadow root.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_scripts_and_styles_are_served_from_the_dashboard_folder(
    client: httpx.Client, with_dashboard: Path
) -> None:
    script = client.get("/dashboard/pages/webhooks.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" not in script.headers
    assert client.get("/dashboard/dashboard.css").headers["content-type"].startswith("text/css")
    assert client.get("/dashboard/.secret").status_code == 404
    assert client.get("/dashboard/missing.js").status_code == 404


def test_without_a_build_the_page_says_what_to_run(client: httpx.Client) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 404
    assert "make build" in response.text


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.problems.append("an inline <script>")
        self.problems += [f"{tag} has {name}" for name in names if name.startswith("on")]
        if "style" in names or tag == "style":
            self.problems.append(f"inline style on {tag}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script content")


@pytest.mark.parametrize("page", sorted(p.name for p in SITE_DASHBOARD.glob("*.html")))
def test_pages_hold_no_inline_script_or_style(page: str) -> None:
    parser = _Markup()
    parser.feed((SITE_DASHBOARD / page).read_text())
    assert parser.problems == []


HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function"
)


def test_the_scripts_never_build_html_from_strings() -> None:
    for script in sorted(SITE_DASHBOARD.rglob("*.js")):
        found = HTML_SINKS.findall(script.read_text())
        assert not found, f"{script.name} uses {found}: build nodes with dom.h() instead"


def test_webhook_events_lists_the_nine_with_their_descriptions(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    assert client.get("/v1/webhook-events").status_code == 401
    response = client.get("/v1/webhook-events", headers=admin)
    assert response.status_code == 200
    data = response.json()["data"]
    assert [e["event"] for e in data] == list(WEBHOOK_EVENTS)
    assert {e["event"]: e["description"] for e in data} == WEBHOOK_EVENT_DESCRIPTIONS


def test_leads_csv_needs_the_admin_key(client: httpx.Client) -> None:
    assert client.get("/v1/leads.csv").status_code == 401
    refused = client.get("/v1/leads.csv", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


def test_leads_csv_holds_what_the_search_finds(
    client: httpx.Client, admin: dict[str, str], start: Start
) -> None:
    lead(client, start, "I'm Jane Doe from Acme Inc, jane@acme.example, +1 415 555 0100")
    lead(client, start, "Hi, bob@example.com here")

    response = client.get("/v1/leads.csv", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["content-disposition"] == f'attachment; filename="leads-{day}.csv"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Email"] for r in rows] == ["bob@example.com", "jane@acme.example"]  # newest first
    jane = rows[1]
    assert (jane["Name"], jane["Phone"], jane["Company"]) == (
        "Jane Doe",
        "+14155550100",  # stored in E.164
        "Acme Inc",
    )
    assert jane["Agent ID"] == "ag_demo"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", jane["Created at"])

    found = client.get("/v1/leads.csv", params={"q": "ACME"}, headers=admin)
    assert [r["Email"] for r in csv.DictReader(io.StringIO(found.text.lstrip("\ufeff")))] == [
        "jane@acme.example"
    ]
    other_agent = client.get("/v1/leads.csv", params={"agentId": "ag_other"}, headers=admin)
    assert other_agent.text.lstrip("\ufeff").splitlines() == [
        "Lead ID,Name,Email,Phone,Company,Message,Agent ID,Conversation ID,Created at,Updated at"
    ]


def test_leads_csv_has_every_lead_however_many_batches(
    client: httpx.Client, admin: dict[str, str], start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_export, "_CSV_BATCH", 2)
    for n in range(5):
        lead(client, start, f"Please write to visitor{n}@example.com")
    response = client.get("/v1/leads.csv", headers=admin)
    emails = [r["Email"] for r in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))]
    assert sorted(emails) == [f"visitor{n}@example.com" for n in range(5)]


def test_a_visitor_formula_stays_text_in_the_csv(
    client: httpx.Client, admin: dict[str, str], start: Start
) -> None:
    lead(client, start, '=HYPERLINK("http://evil.example","x") mail me at eve@example.com')
    response = client.get("/v1/leads.csv", headers=admin)
    (row,) = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    assert row["Message"].startswith("'=HYPERLINK(")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        ("Jane Doe", "Jane Doe"),
        ("=1+2", "'=1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+cmd", "'+cmd"),
        ("\t=1", "'\t=1"),
        ("+1 415 555 0100", "+1 415 555 0100"),
        ("-5", "-5"),
        ("(555) 010-0199", "(555) 010-0199"),
        (datetime(2026, 2, 24, 13, 0, 5, 123000, tzinfo=UTC), "2026-02-24T13:00:05Z"),
        (
            datetime(2026, 2, 24, 14, 0, 5, tzinfo=timezone(timedelta(hours=1))),
            "2026-02-24T13:00:05Z",
        ),
    ],
)
def test_csv_cells(value: object, cell: str) -> None:
    assert csv_cell(value) == cell
