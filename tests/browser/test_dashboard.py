"""The owner's dashboard in the browser: sign-in, webhooks, knowledge, leads, safety, keyboard use.

One widget server for this module, with a stand-in language model on loopback so that the real
lead-capture tool can store any name a visitor gives (the built-in agent only takes plain names),
and a webhook receiver on loopback that records every delivery. Set DASHBOARD_SCREENSHOTS to a
folder to keep screenshots of the pages.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Dialog, FilePayload, Locator, Page, expect
from standardwebhooks import Webhook

from tests.agent.samples import pdf_with_text
from tests.agent.test_crawl import Site, html
from tests.browser.conftest import (
    ADMIN_KEY,
    BUILD,
    WidgetServer,
    start_widget_server,
    stop_widget_server,
    within,
)
from tests.server.agents.test_training_website import GatedRoutes

NAV = ("Install", "Agent", "Knowledge", "Inbox", "Leads", "Conversations", "Webhooks")
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_COMPANY = "<b onmouseover=alert(2)>Evil</b> Corp"
RECEIVER_REPLY = b"ok from receiver"


# --- A webhook receiver and a stand-in language model, both on loopback -------------------------


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """Records every POST; answers 200 with a short body the delivery log shows."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._changed:
                    receiver.deliveries.append(Delivery(self.path, headers, body))
                    receiver._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(RECEIVER_REPLY)))
                self.end_headers()
                self.wfile.write(RECEIVER_REPLY)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(
        self, path: str, event: str, count: int = 1, timeout: float = 20
    ) -> list[Delivery]:
        def found() -> list[Delivery]:
            return [d for d in self.deliveries if d.path == path and d.json["event"] == event]

        with self._changed:
            if not self._changed.wait_for(lambda: len(found()) >= count, timeout):
                raise AssertionError(f"{count} x {event} never reached {path}: {found()}")
            return found()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def completion(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A model that calls capture_lead with the name and company exactly as the visitor typed
    them ("I'm X, I work at Y, …"), then thanks the visitor by that name."""
    last = messages[-1]
    if last["role"] == "tool":
        arguments = json.loads(messages[-2]["tool_calls"][0]["function"]["arguments"])
        return {"role": "assistant", "content": f"Thanks, {arguments.get('name', 'there')}!"}
    text = last["content"]
    email = _EMAIL.search(text)
    if email is None:
        return {"role": "assistant", "content": "Happy to help with that."}
    arguments = {"email": email.group()}
    if name := re.search(r"I'm (.+?), ", text):
        arguments["name"] = name.group(1)
    if company := re.search(r"work (?:at|for) (.+?), ", text):
        arguments["company"] = company.group(1)
    call = {"name": "capture_lead", "arguments": json.dumps(arguments)}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": call}],
    }


class FakeModel:
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps({"choices": [{"message": completion(request["messages"])}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetServer]:
    if not (BUILD / "dashboard" / "index.html").is_file():
        pytest.fail("build/dashboard is missing: run `make build` (make test does)")
    model = FakeModel()
    server = start_widget_server(
        tmp_path_factory.mktemp("dashboard"),
        WIDGET_LLM_BASE_URL=model.url,
        WIDGET_LLM_MODEL="stand-in",
        # The website test's site is on loopback.
        WIDGET_CRAWL_ALLOW_PRIVATE="1",
    )
    yield server
    stop_widget_server(server)
    model.close()


# --- Helpers ------------------------------------------------------------------------------------


def snap(page: Page, name: str) -> None:
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"dash-{name}.png"), full_page=True)


def sign_in(page: Page, server: WidgetServer, route: str = "install") -> None:
    page.goto(f"{server.url}/dashboard#/{route}")
    page.get_by_role("textbox", name="Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Dashboard")).to_be_visible()


def nav_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name=name, exact=True
    )


def add_endpoint(server: WidgetServer, url: str, events: list[str]) -> dict[str, Any]:
    with server.admin() as admin:
        response = admin.post("/v1/webhooks", json={"url": url, "events": events})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def chat(server: WidgetServer, *messages: str) -> str:
    """One conversation with the demo agent through the public API; returns its id."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        started = http.post("/v1/conversations", json={"agentId": "ag_demo"}).json()
        visitor = {"Authorization": f"Bearer {started['visitorToken']}"}
        for message in messages:
            response = http.post(
                f"/v1/conversations/{started['conversationId']}/messages",
                json={"content": message},
                headers=visitor,
            )
            assert response.status_code == 200, response.text
        conversation_id: str = started["conversationId"]
        return conversation_id


def verified(delivery: Delivery, secret: str) -> dict[str, Any]:
    """The delivery's payload, after checking its signature with `secret`."""
    payload: dict[str, Any] = Webhook(secret).verify(delivery.body, delivery.headers)
    return payload


def tab_to(page: Page, target: Locator, *, back: bool = False, limit: int = 40) -> None:
    """Press Tab (Shift+Tab with `back`) until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{'Shift+' if back else ''}Tab never reached {target}")


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page opens (there should be none)."""
    seen: list[str] = []

    def record(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    seen: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Trusted Type" in message.text:
            seen.append(message.text)

    page.on("console", record)
    return seen


# --- Tests --------------------------------------------------------------------------------------


def test_sign_in_refuses_a_wrong_key_and_keeps_the_right_one_in_the_tab(
    page: Page, dash: WidgetServer
) -> None:
    page.goto(f"{dash.url}/dashboard")
    key_box = page.get_by_role("textbox", name="Admin key")
    expect(key_box).to_be_focused()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Enter the admin key to sign in.")

    key_box.fill("not-the-admin-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That admin key is not valid.")
    snap(page, "wrong-key")
    expect(page.get_by_role("navigation")).to_have_count(0)
    expect(page.get_by_role("link")).to_have_count(0)
    assert "ag_demo" not in page.locator("body").inner_text()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0

    key_box.fill(ADMIN_KEY)
    key_box.press("Enter")
    for name in NAV:
        expect(nav_link(page, name)).to_be_visible()
    expect(page.get_by_role("heading", name="Install", level=1)).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('parley.adminKey')") == ADMIN_KEY
    assert page.evaluate("localStorage.length") == 0
    assert ADMIN_KEY not in page.url

    page.reload()  # the same tab stays signed in
    expect(page.get_by_role("heading", name="Install", level=1)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("textbox", name="Admin key")).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('parley.adminKey')") is None


def test_webhook_endpoint_from_secret_to_test_event_redelivery_and_rotation(
    page: Page, dash: WidgetServer, receiver: Receiver, dialogs: list[str]
) -> None:
    path = "/hooks/ui"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dash.url)
    sign_in(page, dash, "webhooks")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    for event in ("lead.captured", "training.failed", "ai-action.completed"):
        expect(page.get_by_role("checkbox", name=event, exact=True)).to_be_visible()
    expect(page.get_by_role("checkbox", name="lead.captured")).to_have_accessible_description(
        "Emitted when a lead is captured via the chat widget or API."
    )
    expect(page.get_by_role("checkbox")).to_have_count(9)

    page.get_by_role("textbox", name="Endpoint URL").fill(receiver.url(path))
    page.get_by_role("button", name="Clear events").click()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_have_text("events: choose at least one event.")
    page.get_by_role("checkbox", name="lead.captured", exact=True).check()
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.get_by_role("heading", name="Your signing secret")).to_be_visible()
    secret_box = page.get_by_role("textbox", name="Signing secret")
    secret = secret_box.input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy secret").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate(within("navigator.clipboard.readText()")) == secret
    page.get_by_role("button", name="Done").click()
    expect(secret_box).to_have_count(0)
    assert secret not in page.locator("body").inner_text()  # shown once, masked from now on

    # A test event arrives, signed with that secret, and shows in the log.
    expect(page.get_by_role("combobox", name="Test event")).to_have_value("lead.captured")
    page.get_by_role("button", name="Send test event").click()
    (first,) = receiver.wait_for(path, "lead.captured")
    assert verified(first, secret)["data"]["email"] == "jane@example.com"
    row = page.get_by_role("row").filter(has_text="lead.captured")
    expect(row).to_have_count(1)
    for text in ("Succeeded", "200", "ms", RECEIVER_REPLY.decode(), "test"):
        expect(row).to_contain_text(text)
    snap(page, "webhook-delivery")

    # Redeliver: the same delivery again, same webhook-id.
    row.get_by_role("button", name="Redeliver").click()
    first, again = receiver.wait_for(path, "lead.captured", count=2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    expect(row).to_contain_text("2 attempts")

    # Rotate: a new secret, shown once; the next delivery verifies with it.
    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("button", name="Rotate now").click()
    expect(page.get_by_role("heading", name="Your new signing secret")).to_be_visible()
    new_secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert new_secret.startswith("whsec_") and new_secret != secret
    expect(page.get_by_text("previous secret valid until")).to_be_visible()
    page.get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Send test event").click()
    latest = receiver.wait_for(path, "lead.captured", count=3)[-1]
    assert latest.headers["webhook-id"] != first.headers["webhook-id"]
    assert verified(latest, new_secret)["event"] == "lead.captured"
    expect(page.get_by_role("row").filter(has_text="lead.captured")).to_have_count(2)

    # Disable and enable again.
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    expect(page.get_by_text("Disabled", exact=True)).to_be_visible()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("Enabled", exact=True)).to_be_visible()

    # Delete, after an inline confirmation.
    page.get_by_role("button", name="Delete endpoint").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=receiver.url(path))).to_have_count(0)
    assert dialogs == []


def test_uploaded_documents_train_and_show_the_count_training_completed_reports(
    page: Page, dash: WidgetServer, receiver: Receiver
) -> None:
    path = "/hooks/training"
    endpoint = add_endpoint(dash, receiver.url(path), ["training.completed"])
    sign_in(page, dash, "knowledge")
    text = "\n\n".join(
        f"## Returns {n}\n\nItems can be returned within {n} days of delivery for a full refund "
        "when they are unused and in their original packaging."
        for n in range(10, 40)
    )
    document: FilePayload = {
        "name": "returns.md",
        "mimeType": "text/markdown",
        "buffer": text.encode(),
    }
    page.get_by_label("Documents", exact=True).set_input_files(files=[document])
    expect(page.get_by_role("textbox", name="Source")).to_have_value("returns.md")
    page.get_by_role("button", name="Upload and train").click()

    (done,) = receiver.wait_for(path, "training.completed")
    data = verified(done, endpoint["secret"])["data"]
    assert data["source"] == "returns.md"
    row = page.get_by_role("row").filter(has_text="returns.md")
    expect(row).to_contain_text("Completed")
    expect(row.get_by_role("cell").nth(3)).to_have_text(str(data["dataCount"]))

    # Drag and drop does the same.
    drop = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(
                ["<h1>Shipping</h1><p>We ship worldwide within two business days.</p>"],
                "shipping.html", { type: "text/html" }));
            return data;
        }"""
    )
    page.locator(".drop").dispatch_event("drop", {"dataTransfer": drop})
    expect(page.get_by_role("textbox", name="Source")).to_have_value("shipping.html")
    page.get_by_role("button", name="Upload and train").click()
    receiver.wait_for(path, "training.completed", count=2)
    expect(page.get_by_role("row").filter(has_text="shipping.html")).to_contain_text("Completed")
    snap(page, "knowledge")


def test_a_pdf_and_a_website_train_with_progress_shown_while_crawling(
    page: Page, dash: WidgetServer
) -> None:
    sign_in(page, dash, "knowledge")
    pdf: FilePayload = {
        "name": "prices.pdf",
        "mimeType": "application/pdf",
        "buffer": pdf_with_text([["Hedge trimming costs 40 euros an hour."]]),
    }
    page.get_by_label("Documents", exact=True).set_input_files(files=[pdf])
    page.get_by_role("button", name="Upload and train").click()
    expect(page.get_by_role("row").filter(has_text="prices.pdf")).to_contain_text("Completed")

    with Site() as site:
        site.routes = GatedRoutes(
            {
                "/": html("Shop", '<main><p>We sell garden tools.</p><a href="/ship">S</a></main>'),
                "/ship": html("Shipping", "<main><p>Orders ship in two days.</p></main>"),
            },
            "/ship",
        )
        page.get_by_role("textbox", name="Website URL").fill(f"{site.url}/")
        expect(page.get_by_role("textbox", name="Website name")).to_have_value(
            site.url.removeprefix("http://")
        )
        page.get_by_role("button", name="Crawl and train").click()
        row = page.get_by_role("row").filter(has_text=f"{site.url}/")
        expect(row).to_contain_text("Running")
        expect(row).to_contain_text("1 of 2 pages")
        site.routes.opened.set()
        expect(row).to_contain_text("Completed")
        expect(row.get_by_role("cell").nth(3)).to_have_text("2")
    snap(page, "knowledge-website")


def test_leads_search_export_and_a_hostile_lead_shown_as_text(
    page: Page, dash: WidgetServer, dialogs: list[str], csp_violations: list[str]
) -> None:
    chat(dash, "I'm Jane Doe, I work at Acme Inc, mail me at jane@acme.example")
    hostile_message = f"I'm {HOSTILE_NAME}, I work at {HOSTILE_COMPANY}, mail me at x@example.com"
    chat(dash, hostile_message)
    sign_in(page, dash, "leads")

    table = page.get_by_role("table")
    expect(table.get_by_role("cell", name=HOSTILE_NAME, exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name=HOSTILE_COMPANY, exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name=hostile_message, exact=True)).to_be_visible()
    expect(page.locator("#page img, #page b")).to_have_count(0)
    snap(page, "leads")

    page.get_by_role("searchbox", name="Search leads").fill("jane")
    expect(page.locator("#page").get_by_role("status")).to_have_text("1 lead matching “jane”.")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("jane@acme.example")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"leads-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    assert [(r["Name"], r["Email"], r["Company"]) for r in rows] == [
        ("Jane Doe", "jane@acme.example", "Acme Inc")
    ]

    # The transcript of the hostile conversation: the same characters, as text.
    page.get_by_role("searchbox", name="Search leads").fill("x@example.com")
    expect(page.locator("#page").get_by_role("status")).to_have_text(
        "1 lead matching “x@example.com”."
    )
    page.get_by_role("link", name="Transcript").click()
    expect(page.get_by_role("heading", name="Conversation", level=1)).to_be_visible()
    transcript = page.get_by_role("list", name="Transcript")
    expect(transcript).to_contain_text(hostile_message)
    expect(transcript).to_contain_text(f"Thanks, {HOSTILE_NAME}!")
    expect(page.get_by_role("definition").filter(has_text=HOSTILE_NAME)).to_have_count(1)
    expect(page.locator("#page img, #page b")).to_have_count(0)
    assert dialogs == []
    assert csp_violations == []


def test_forms_work_with_the_keyboard_alone(
    page: Page, dash: WidgetServer, receiver: Receiver
) -> None:
    hooks = "/hooks/keyboard"
    endpoint = add_endpoint(dash, receiver.url(hooks), ["agent.updated"])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dash.url)
    page.goto(f"{dash.url}/dashboard#/leads")
    expect(page.get_by_role("textbox", name="Admin key")).to_be_focused()
    page.keyboard.type(ADMIN_KEY)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_focused()

    # Agent: rename, save; agent.updated names exactly the field that changed.
    tab_to(page, nav_link(page, "Agent"), back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Agent", level=1)).to_be_focused()
    name_box = page.get_by_role("textbox", name="Name", exact=True)
    expect(name_box).to_have_value("Parley")
    tab_to(page, name_box)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Parley Support")
    tab_to(page, page.get_by_role("button", name="Save changes"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Saved. Changed: name.")).to_be_visible()
    (updated,) = receiver.wait_for(hooks, "agent.updated")
    assert verified(updated, endpoint["secret"])["data"]["changes"] == ["name"]
    expect(page.get_by_role("combobox", name="Current agent")).to_contain_text("Parley Support")

    # The wait for a person: out of range is refused in place, then saved.
    wait_box = page.get_by_role("spinbutton", name="Wait for a person (seconds)")
    expect(wait_box).to_have_value("120")
    tab_to(page, wait_box, back=True)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("from 10 to 86400")
    expect(wait_box).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("300")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Saved. Changed: wait for a person.")).to_be_visible()
    with dash.admin() as admin:
        agent = admin.get("/v1/agents/ag_demo").json()
    assert agent["handoffTimeoutSeconds"] == 300

    # Webhooks: add an endpoint with one event, copy its secret.
    tab_to(page, nav_link(page, "Webhooks"), back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_focused()
    tab_to(page, page.get_by_role("textbox", name="Endpoint URL"))
    page.keyboard.type(receiver.url("/hooks/keyboard-added"))
    tab_to(page, page.get_by_role("button", name="Clear events"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("checkbox", name="conversation.started"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Add endpoint"))
    page.keyboard.press("Enter")
    secret_box = page.get_by_role("textbox", name="Signing secret")
    expect(secret_box).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Copy secret"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate(within("navigator.clipboard.readText()")) == secret_box.input_value()
    subscribed = page.get_by_role("region", name="Endpoint").get_by_role("definition").nth(2)
    expect(subscribed).to_have_text("conversation.started")

    # On a fresh load the first Tab reaches the skip link, and it leads to the content.
    page.reload()
    expect(page.get_by_role("heading", name="Webhook endpoint", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_install_page_gives_the_snippet_and_a_live_preview(
    page: Page, dash: WidgetServer, csp_violations: list[str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dash.url)
    sign_in(page, dash)
    snippet = page.get_by_label("Snippet to paste")
    expect(snippet).to_contain_text(f'src="{dash.url}/widget.js" data-agent-id="ag_demo"')
    expect(snippet).not_to_contain_text("{{")
    page.get_by_role("button", name="Copy snippet").click()
    expect(page.get_by_role("status")).to_have_text("Snippet copied to the clipboard.")
    copied: str = page.evaluate(within("navigator.clipboard.readText()"))
    assert copied == snippet.inner_text().strip()

    page.get_by_title("Widget preview").scroll_into_view_if_needed()
    preview = page.frame_locator("iframe[title='Widget preview']")
    launcher = preview.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    launcher.click()
    chat_frame = preview.frame_locator("iframe[title='Chat']")
    expect(chat_frame.get_by_role("dialog")).to_be_visible()
    snap(page, "install")
    assert csp_violations == []


def test_deleting_a_lead_asks_first_and_a_cancel_keeps_it(
    page: Page, dash: WidgetServer, dialogs: list[str], csp_violations: list[str]
) -> None:
    chat(dash, "I'm Ada Lovelace, I work at Engines Ltd, mail me at ada@engines.example")
    sign_in(page, dash, "leads")
    page.get_by_role("searchbox", name="Search leads").fill("ada@engines.example")
    status = page.locator("#page").get_by_role("status")
    expect(status).to_have_text("1 lead matching “ada@engines.example”.")
    delete = page.get_by_role("button", name="Delete lead Ada Lovelace <ada@engines.example>")

    # Keyboard: the dialog names the lead, Cancel has the focus, Escape cancels.
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete lead Ada Lovelace <ada@engines.example>?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The conversation stays.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    expect(page.locator("tbody tr")).to_have_count(1)

    delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Delete lead").click()
    expect(status).to_have_text("No lead matches “ada@engines.example”.")
    with dash.admin() as admin:
        leads = admin.get("/v1/leads", params={"q": "ada@engines.example"}).json()["data"]
        assert leads == []
    assert dialogs == []
    assert csp_violations == []


def test_agent_page_shows_reveals_copies_and_rotates_the_identity_secret(
    page: Page, dash: WidgetServer, dialogs: list[str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=dash.url)
    with dash.admin() as admin:
        first = admin.get("/v1/agents/ag_demo/identity-secret").json()["identitySecret"]
    sign_in(page, dash, "agent")
    identity = page.get_by_role("region", name="Identity")
    secret = identity.get_by_role("textbox", name="Identity secret")
    expect(secret).not_to_have_value(first, timeout=10_000)  # masked until revealed
    identity.get_by_role("button", name="Reveal secret").click()
    expect(secret).to_have_value(first, timeout=5_000)
    identity.get_by_role("button", name="Copy secret").click()
    expect(identity.get_by_role("status")).to_have_text("Identity secret copied.", timeout=5_000)
    assert page.evaluate(within("navigator.clipboard.readText()")) == first

    # Rotating asks first; cancelling keeps the secret.
    identity.get_by_role("button", name="Rotate secret").click()
    identity.get_by_role("group", name="Confirm").get_by_role("button", name="Cancel").click()
    expect(secret).to_have_value(first, timeout=5_000)
    identity.get_by_role("button", name="Rotate secret").click()
    identity.get_by_role("button", name="Rotate now").click()
    expect(secret).not_to_have_value(first, timeout=5_000)
    with dash.admin() as admin:
        now = admin.get("/v1/agents/ag_demo/identity-secret").json()["identitySecret"]
    assert now != first
    expect(secret).to_have_value(now, timeout=5_000)

    allow = identity.get_by_role("switch", name="Accept identities without a userHash")
    expect(allow).not_to_be_checked(timeout=5_000)
    allow.check()
    expect(identity.get_by_role("status")).to_contain_text("now accepted", timeout=5_000)
    with dash.admin() as admin:
        assert admin.get("/v1/agents/ag_demo").json()["allowUnverifiedIdentity"] is True
        admin.patch("/v1/agents/ag_demo", json={"allowUnverifiedIdentity": False})

    # The appearance: saved through the API, and the Install page's snippet carries it on the tag.
    appearance = page.get_by_role("form", name="Appearance")
    appearance.get_by_label("Side").select_option("left")
    appearance.get_by_label("Launcher label").fill('Say "hi"')
    appearance.get_by_role("button", name="Save appearance").click()
    expect(appearance.get_by_role("status")).to_have_text("Appearance saved.", timeout=5_000)
    nav_link(page, "Install").click()
    expect(page.get_by_label("Snippet to paste")).to_contain_text(
        'data-agent-id="ag_demo" data-side="left" data-launcher-label="Say &quot;hi&quot;"',
        timeout=5_000,
    )
    with dash.admin() as admin:
        admin.patch("/v1/agents/ag_demo", json={"theme": {"side": "right", "launcherLabel": ""}})
    assert dialogs == []
