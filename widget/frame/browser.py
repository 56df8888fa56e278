"""The frame's glue to the browser: the only frame module that imports `js` and `pyodide`.

Kept thin on purpose, so that everything with logic in it runs under CPython (tests/frame):
- `BrowserShim`: the link to the host page's shim that frame-boot.js holds (it owns the
  MessagePort, live before Python is), as `window.widgetBridge`;
- `browser_fetch`: `ChatApi`'s transport, the browser's own `fetch` (not `pyodide.http`: importing
  it costs ~200 ms of the frame's start);
- `listen`, `later`, `document`, `local_storage`: DOM listeners, a task for after this one, and
  the objects the DOM adapters work on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_once_callable, create_proxy, to_js  # type: ignore[import-not-found]
from pyodide.ffi.wrappers import add_event_listener  # type: ignore[import-not-found]

from widget.contracts.protocol import FrameMessage
from widget.frame.interfaces import KeyValueStorage
from widget.frame.stream import StreamRefused


def plain(value: dict[str, Any]) -> Any:
    """A Python dict as a plain JS object (structured-cloneable, `Object.prototype`)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def _py(value: Any) -> object:
    return value.to_py() if hasattr(value, "to_py") else value


class BrowserShim:
    """`window.widgetBridge` (frame-boot.js) as a `Shim`."""

    def __init__(self) -> None:
        self._js = js.window.widgetBridge
        self._handler: Callable[[object], None] | None = None
        # One proxy for the page's whole life (frame-boot.js keeps calling it).
        self._proxy = create_proxy(self._receive)

    @property
    def storage_available(self) -> bool:
        return bool(self._js.storage)

    @property
    def agent_id(self) -> str:
        return str(self._js.agentId)

    @property
    def agent(self) -> dict[str, Any]:
        value = _py(self._js.agent)
        return value if isinstance(value, dict) else {}

    @property
    def locale(self) -> str:
        return str(self._js.locale)

    def connect(self, handler: Callable[[object], None]) -> None:
        self._handler = handler
        self._js.connect(self._proxy)

    def take_drafts(self) -> list[object]:
        items = _py(self._js.takeDrafts())
        return list(items) if isinstance(items, list) else []

    def post(self, message: FrameMessage) -> None:
        self._js.post(plain(cast(dict[str, Any], message)))

    def _receive(self, message: Any) -> None:
        if self._handler is not None:
            self._handler(_py(message))


async def browser_fetch(
    method: str, url: str, headers: dict[str, str], body: str | None
) -> tuple[int, str]:
    options: dict[str, object] = {"method": method, "headers": headers}
    if body is not None:
        options["body"] = body
    response = await js.fetch(url, to_js(options, dict_converter=js.Object.fromEntries))
    text = await response.text()
    return int(response.status), str(text)


async def open_stream(url: str, headers: dict[str, str]) -> AsyncIterator[bytes]:
    """`LiveStream`'s transport: `fetch` (the token goes in a header, which `EventSource` cannot
    send) and the body's `ReadableStream` reader, chunk by chunk. Awaiting its promises makes no
    proxy of ours; leaving the generator (the stream stopped, or the task cancelled) aborts it."""
    abort = js.AbortController.new()
    options = {"method": "GET", "headers": headers, "signal": abort.signal, "cache": "no-store"}
    try:
        response = await js.fetch(url, to_js(options, dict_converter=js.Object.fromEntries))
        kind = str(response.headers.get("content-type") or "")
        if int(response.status) != 200 or not kind.startswith("text/event-stream"):
            raise StreamRefused(int(response.status))
        reader = response.body.getReader()
        while True:
            result = await reader.read()
            if result.done:
                return
            yield bytes(result.value.to_bytes())
    finally:
        abort.abort()


def listen(target: Any, event: str, handler: Callable[[Any], None]) -> None:
    add_event_listener(target, event, handler)


def later(callback: Callable[[], None]) -> None:
    """Run `callback` in a task of its own, after the current one."""
    js.setTimeout(create_once_callable(callback), 0)


def document() -> Any:
    return js.document


def local_storage() -> KeyValueStorage | None:
    """The frame's `localStorage`, None where even reaching it throws (storage denied).

    Its calls may raise later too (quota, a policy change): `ConversationStore` copes.
    """
    try:
        return cast(KeyValueStorage, js.localStorage)
    except Exception:
        return None
