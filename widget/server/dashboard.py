"""The owner's dashboard: its pages, and the few admin endpoints only it needs.

- `GET /dashboard` (and `/dashboard/`): `dashboard/index.html` from the bundle dir, under a strict
  Content-Security-Policy: scripts, styles, fetches and frames from this origin only, no inline
  script, and Trusted Types required, so no string can ever reach `innerHTML` and run.
- `GET /dashboard/<file>`: the dashboard's other files. `preview.html` is the Install page's live
  preview, a plain host page that embeds the widget; its CSP lets the widget's shim draw its
  launcher (inline styles in a shadow root) and lets only this origin frame it.
- `GET /v1/webhook-events` (admin): the webhook event names with their one-line descriptions,
  from `widget.events`, so the dashboard offers exactly the events the server knows.
- `GET /v1/leads.csv?q=&agentId=` (admin): every lead `GET /v1/leads` would match, as CSV.

The admin key travels only in the `Authorization` header: pages never need it in a URL.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from widget.events import WEBHOOK_EVENT_DESCRIPTIONS
from widget.server.deps import SessionsDep, SettingsDep, require_admin
from widget.server.errors import ADMIN_ERRORS
from widget.server.leads_api import LeadOut, list_leads
from widget.server.static import file_response, not_found_page, resolve

if TYPE_CHECKING:
    from fastapi import FastAPI

FOLDER = "dashboard"

_COMMON_CSP = (
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
)
# The dashboard itself: no inline anything; frames only from here (the live preview).
DASHBOARD_CSP = "; ".join(
    (
        *_COMMON_CSP,
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
# The preview is a host page: the shim writes its launcher's <style> into a shadow root.
PREVIEW_CSP = "; ".join(
    (
        *_COMMON_CSP,
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
        "frame-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    )
)
_PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

pages = APIRouter(include_in_schema=False)
admin = APIRouter(
    prefix="/v1", tags=["dashboard"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)


def _page(request: Request, settings: SettingsDep, name: str) -> Response:
    path = resolve(settings.bundle_dir / FOLDER, name)
    if path is None:
        return not_found_page(f"/{FOLDER}/{name} is not in the bundle; run `make build`.")
    headers = dict(_PAGE_HEADERS)
    if name.endswith(".html"):
        headers["Content-Security-Policy"] = (
            PREVIEW_CSP if name == "preview.html" else DASHBOARD_CSP
        )
        headers["X-Frame-Options"] = "SAMEORIGIN" if name == "preview.html" else "DENY"
    return file_response(request, path, f"{FOLDER}/{name}", headers)


@pages.api_route("/dashboard", methods=["GET", "HEAD"])
def dashboard(request: Request, settings: SettingsDep) -> Response:
    return _page(request, settings, "index.html")


@pages.api_route("/dashboard/", methods=["GET", "HEAD"])
def dashboard_slash() -> Response:
    # One address for the page, so its relative links and the browser's history agree.
    return RedirectResponse("/dashboard", status_code=308)


@pages.api_route("/dashboard/{file_path:path}", methods=["GET", "HEAD"])
def dashboard_file(file_path: str, request: Request, settings: SettingsDep) -> Response:
    if file_path == "index.html":
        return RedirectResponse("/dashboard", status_code=308)
    return _page(request, settings, file_path)


@admin.get("/webhook-events")
def webhook_events() -> dict[str, Any]:
    """The events an endpoint can subscribe to, in the specification's order."""
    return {
        "data": [
            {"event": name, "description": description}
            for name, description in WEBHOOK_EVENT_DESCRIPTIONS.items()
        ]
    }


CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Lead ID", "lead_id"),
    ("Name", "name"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("Company", "company_name"),
    ("Message", "message"),
    ("Agent ID", "agent_id"),
    ("Conversation ID", "conversation_id"),
    ("Created at", "created_at"),
    ("Updated at", "updated_at"),
)
_CSV_BATCH = 500
# A phone number ("+1 415 555 0100") starts like a formula but cannot call anything.
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s().\-/]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text: visitors choose what leads hold, and a cell like
    `=HYPERLINK(...)` would otherwise run as a formula when the owner opens the file."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(lead: LeadOut) -> list[str]:
    return [csv_cell(getattr(lead, attribute)) for _, attribute in CSV_COLUMNS]


def _csv_lines(sessions: SessionsDep, agent_id: str | None, q: str | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # A byte order mark, so spreadsheet programs read the file as UTF-8 and names keep accents.
    writer.writerow([name for name, _ in CSV_COLUMNS])
    yield "\ufeff" + flush()
    offset = 0
    while True:
        batch = list_leads(sessions, agent_id=agent_id, q=q, limit=_CSV_BATCH, offset=offset).leads
        writer.writerows(csv_row(lead) for lead in batch)
        yield flush()
        if len(batch) < _CSV_BATCH:
            return
        offset += len(batch)


@admin.get("/leads.csv", response_class=StreamingResponse)
def leads_csv(
    sessions: SessionsDep,
    agent_id: Annotated[str | None, Query(alias="agentId", max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> StreamingResponse:
    """The leads `GET /v1/leads` finds for the same `q` and `agentId`, all of them, newest first."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return StreamingResponse(
        _csv_lines(sessions, agent_id or None, q),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="leads-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


def install(app: FastAPI) -> None:
    """Mount the dashboard pages and its admin endpoints (see `widget.server.app.EXTENSIONS`)."""
    app.include_router(pages)
    app.include_router(admin)
