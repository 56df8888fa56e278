"""The owner's dashboard: its pages.

- `GET /dashboard` (and `/dashboard/`): `dashboard/index.html` from the bundle dir, under a strict
  Content-Security-Policy: scripts, styles, fetches and frames from this origin only, no inline
  script, and Trusted Types required, so no string can ever reach `innerHTML` and run.
- `GET /dashboard/<file>`: the dashboard's other files. `preview.html` is the Install page's live
  preview, a plain host page that embeds the widget; its CSP lets the widget's shim draw its
  launcher (inline styles in a shadow root) and lets only this origin frame it.

The admin endpoints it calls live with their concepts: `GET /v1/webhook-events` in
`widget.server.webhooks.router`, `GET /v1/leads.csv` in `widget.server.leads.router`.

The admin key travels only in the `Authorization` header: pages never need it in a URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from widget.server.core.deps import SettingsDep
from widget.server.core.static import file_response, not_found_page, resolve

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

router = APIRouter(include_in_schema=False)


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


@router.api_route("/dashboard", methods=["GET", "HEAD"])
def dashboard(request: Request, settings: SettingsDep) -> Response:
    return _page(request, settings, "index.html")


@router.api_route("/dashboard/", methods=["GET", "HEAD"])
def dashboard_slash() -> Response:
    # One address for the page, so its relative links and the browser's history agree.
    return RedirectResponse("/dashboard", status_code=308)


@router.api_route("/dashboard/{file_path:path}", methods=["GET", "HEAD"])
def dashboard_file(file_path: str, request: Request, settings: SettingsDep) -> Response:
    if file_path == "index.html":
        return RedirectResponse("/dashboard", status_code=308)
    return _page(request, settings, file_path)
