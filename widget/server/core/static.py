"""The browser bundle, served from `Settings.bundle_dir` (what `make build` produces).

- `/` is `demo.html`; `/widget.js`, `/frame.html`, `/snippet.html` and every other file under
  the bundle dir are served by their path. Paths with empty, `.`, `..` or dot-file segments are
  refused, so nothing outside the bundle dir is reachable.
- `/frame.html?agent=<agentId>&locale=<locale>` gets the agent's public settings (agentId, name,
  welcomeMessage, welcomeMessages, theme) as JSON in place of `{{AGENT}}`, its words in that
  locale (`widget.server.core.frame_locale`), and `Content-Security-Policy: frame-ancestors
  <origins>` from the agent's allowed origins, so only those sites can embed the chat. An agent
  allowing `*` (the demo) gets no frame-ancestors restriction at all: CSP's own `*` would still
  refuse `file:` pages.
  The same header holds the frame's own strict policy (`frame_policy`): scripts and styles from
  this origin or inline by their hash, connections to this origin only, no plugins, no forms.
  An unknown agent gets a 404 HTML page, a missing `agent` parameter a 400 one.
- Caching: a file is immutable (`max-age=31536000, immutable`) when any segment of its path contains
  `@` (`pyodide@314.0.7/`) or a `-<8+ hex digits>` content hash (`app-1a2b3c4d5e6f/`), or it is a
  wheel (`.whl`: its name carries its version). Everything else is `no-cache` with an ETag, so a
  browser revalidates and gets 304 while the file is unchanged.
- A `<file>.br` or `<file>.gz` beside a file is served instead when the request accepts that
  encoding (brotli preferred), with `Content-Encoding` and `Vary: Accept-Encoding`. The frame,
  filled in per request, is compressed as it is sent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import mimetypes
import os
import re
from pathlib import Path
from typing import Annotated

import brotli  # type: ignore[import-untyped]
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from widget.frame.strings import frame_locale
from widget.server.agents.tables import Agent
from widget.server.agents.theme import Theme, merged_theme, theme_css
from widget.server.core.allowed_methods import allowed_methods
from widget.server.core.deps import SessionsDep, SettingsDep
from widget.server.core.errors import error_response
from widget.server.core.frame_locale import localized_frame

router = APIRouter(include_in_schema=False)

AGENT_PLACEHOLDER = "{{AGENT}}"
THEME_PLACEHOLDER = "{{THEME}}"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED_SEGMENT = re.compile(r"-[0-9a-fA-F]{8,}(?:\.|$)")
_MEDIA_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".toml": "text/plain; charset=utf-8",
    # TypeScript has no registered type, and the system table may say Qt Linguist or MPEG-TS.
    ".ts": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Preference order when a request accepts several.
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
# Compressing a few KB at these levels takes well under a millisecond.
_LIVE_COMPRESSORS = {
    "br": lambda data: bytes(brotli.compress(data, quality=5)),
    "gzip": lambda data: gzip.compress(data, compresslevel=6, mtime=0),
}


def is_immutable(relative_path: str) -> bool:
    segments = relative_path.split("/")
    if segments[-1].endswith(".whl"):
        return True
    return any("@" in s or _HASHED_SEGMENT.search(s) for s in segments)


def media_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _MEDIA_TYPES:
        return _MEDIA_TYPES[suffix]
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def accepted_encodings(header: str) -> set[str]:
    """Content codings the client accepts (q > 0) from an Accept-Encoding header."""
    accepted: set[str] = set()
    refused: set[str] = set()
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        (accepted if q > 0 else refused).add(coding)
    if "*" in accepted:
        accepted |= {c for c, _ in _ENCODINGS} - refused
    return accepted - refused


def resolve(bundle_dir: Path, relative_path: str) -> Path | None:
    """The file for a URL path inside the bundle dir, or None; never anything outside it."""
    segments = relative_path.split("/")
    for s in segments:
        if s in ("", ".", "..") or "\\" in s or "\0" in s or s.startswith("."):
            return None
    candidate = bundle_dir.joinpath(*segments)
    return candidate if candidate.is_file() else None


def _etag(stat: os.stat_result, encoding: str | None) -> str:
    base = f"{stat.st_mtime_ns}-{stat.st_size}-{encoding or 'identity'}"
    return '"' + hashlib.sha256(base.encode()).hexdigest()[:32] + '"'


def _etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    # Weak comparison, as RFC 9110 asks for If-None-Match.
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in tags


def file_response(
    request: Request,
    path: Path,
    relative_path: str,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    headers = {"X-Content-Type-Options": "nosniff", **(extra_headers or {})}
    headers["Cache-Control"] = IMMUTABLE if is_immutable(relative_path) else REVALIDATE
    served, encoding = path, None
    variants = [(c, path.with_name(path.name + s)) for c, s in _ENCODINGS]
    existing = [(c, p) for c, p in variants if p.is_file()]
    if existing:
        headers["Vary"] = "Accept-Encoding"
        accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
        for coding, variant in existing:
            if coding in accepted:
                served, encoding = variant, coding
                headers["Content-Encoding"] = coding
                break
    stat = served.stat()
    etag = _etag(stat, encoding)
    headers["ETag"] = etag
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        headers.pop("Content-Encoding", None)
        return Response(status_code=304, headers=headers)
    return FileResponse(served, headers=headers, media_type=media_type(path.name), stat_result=stat)


def not_found_page(message: str, status: int = 404) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>"
        f"<p>{html.escape(message)}</p></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def frame_ancestors(allowed_origins: list[str]) -> str | None:
    """The CSP for the frame, or None when any site may embed it."""
    if "*" in allowed_origins:
        return None
    return "frame-ancestors " + (" ".join(allowed_origins) if allowed_origins else "'none'")


# The frame's inline <script> and <style> elements, found to allow each by its hash: a strict policy
# with no 'unsafe-inline'. Data blocks (JSON, PyScript's Python) are not run by the browser.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL)
_INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
_SCRIPT_TYPE = re.compile(r"""\btype=["']?([^"'\s>]+)""")
_RUN_TYPES = {"module", "text/javascript", "application/javascript"}


def _hash_source(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def frame_policy(document: str, ancestors: str | None) -> str:
    """The frame's Content-Security-Policy: nothing but its own origin and its own inline code.

    'wasm-unsafe-eval' lets Pyodide compile its WebAssembly. 'unsafe-eval' is there because
    PyScript builds its start hooks with `Function()`; the frame runs only the widget's own code,
    from its own origin, and holds nothing of the host page.
    """
    scripts = []
    for attributes, source in _INLINE_SCRIPT.findall(document):
        kind = _SCRIPT_TYPE.search(attributes)
        if kind is None or kind.group(1).lower() in _RUN_TYPES:
            scripts.append(_hash_source(source))
    styles = [_hash_source(source) for source in _INLINE_STYLE.findall(document)]
    directives = [
        "default-src 'none'",
        " ".join(["script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'", *dict.fromkeys(scripts)]),
        " ".join(["style-src 'self'", *dict.fromkeys(styles)]),
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if ancestors:
        directives.append(ancestors)
    return "; ".join(directives)


def _bundle_file(request: Request, bundle_dir: Path, name: str) -> Response:
    path = resolve(bundle_dir, name)
    if path is None:
        return not_found_page(f"{name} is not in the bundle; run `make build`.")
    return file_response(request, path, name)


@router.api_route("/", methods=["GET", "HEAD"])
def demo_page(request: Request, settings: SettingsDep) -> Response:
    return _bundle_file(request, settings.bundle_dir, "demo.html")


def agent_json_for_script(agent: Agent, theme: Theme | None = None) -> str:
    """The agent's public settings as JSON that is safe inside a `<script>` element."""
    public = {
        "agentId": agent.id,
        "name": agent.name,
        "welcomeMessage": agent.welcome_message,
        "welcomeMessages": dict(agent.welcome_messages or {}),
        "theme": theme or merged_theme(agent.theme, {}),
    }
    text = json.dumps(public, ensure_ascii=False)
    # "</script>" or "<!--" in a name must not end the element; JSON reads the escapes back.
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@router.api_route("/frame.html", methods=["GET", "HEAD"])
async def frame_page(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    color: Annotated[str | None, Query(max_length=16)] = None,
    side: Annotated[str | None, Query(max_length=16)] = None,
    scheme: Annotated[str | None, Query(max_length=16)] = None,
    locale: Annotated[str | None, Query(max_length=35)] = None,
) -> Response:
    """The frame with the agent's public settings filled in (`{{AGENT}}`), its theme's CSS
    (`{{THEME}}`: the tag's data-color, data-side and data-scheme, passed by the shim in the query,
    over the agent's theme; invalid ones are ignored, the shim reports them), its strings in the
    shim's `locale` (`frame_locale`: English for one not supported) and its CSP."""
    if not agent:
        return not_found_page("The frame needs ?agent=<agentId>.", status=400)
    agent_id = agent
    overrides = {k: v for k, v in (("color", color), ("side", side), ("scheme", scheme)) if v}

    def load() -> tuple[list[str], str, str] | None:
        with sessions() as session:
            row = session.get(Agent, agent_id)
            if row is None:
                return None
            theme = merged_theme(row.theme, overrides)
            return list(row.allowed_origins), agent_json_for_script(row, theme), theme_css(theme)

    found = await run_in_threadpool(load)
    if found is None:
        return not_found_page(f"No agent {agent_id!r} on this server.")
    origins, agent_json, css = found
    path = resolve(settings.bundle_dir, "frame.html")
    if path is None:
        return not_found_page("frame.html is not in the bundle; run `make build`.")
    template = await run_in_threadpool(path.read_text, "utf-8")
    document = template.replace(AGENT_PLACEHOLDER, agent_json).replace(THEME_PLACEHOLDER, css)
    document = localized_frame(document, frame_locale(locale))
    body = document.encode()
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    encoding = next((c for c, _ in _ENCODINGS if c in accepted), None)
    etag = '"' + hashlib.sha256(body + (encoding or "").encode()).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": REVALIDATE,
        "ETag": etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    headers["Content-Security-Policy"] = frame_policy(document, frame_ancestors(origins))
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if encoding is not None:
        body = _LIVE_COMPRESSORS[encoding](body)
        headers["Content-Encoding"] = encoding
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


@router.api_route("/{file_path:path}", methods=["GET", "HEAD"])
def bundle_file(file_path: str, request: Request, settings: SettingsDep) -> Response:
    if file_path.startswith("v1/"):
        # An API resource without GET (POST /v1/visitors/erase) is a 405 that names its methods;
        # an unknown API path answers in the API's JSON shape, not with an HTML page.
        if allowed_methods(request):
            raise StarletteHTTPException(status_code=405)
        return error_response(404, "not_found", f"No API endpoint at /{file_path}.")
    path = resolve(settings.bundle_dir, file_path)
    if path is None:
        return not_found_page(f"/{file_path} is not here.")
    return file_response(request, path, file_path)
