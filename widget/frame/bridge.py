"""The link between the frame's Python and the host page's shim.

`frame-boot.js` owns the MessagePort (it is live before Python is); this module hands it one stored
handler proxy and forwards every client event from the bus, already validated by its model.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

from widget.bus import EventBus


def plain(value: dict[str, Any]) -> Any:
    """A Python dict as a plain JS object (structured-cloneable, `Object.prototype`)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


class Bridge:
    def __init__(self, bus: EventBus) -> None:
        self._js = js.window.widgetBridge
        self._handler: Callable[[dict[str, Any]], None] | None = None
        # One proxy for the bridge's whole life; destroyed in close().
        self._proxy = create_proxy(self._receive)
        self._bus = bus
        self._unsubscribe: list[Callable[[], None]] = []

    def forward_client_events(self) -> None:
        """Forward every client event from the bus from now on; calling it again does nothing.

        It imports the event models, and so pydantic: the app calls it just after it is ready, or
        at its first event if that comes sooner (see `WidgetApp.start`).
        """
        if self._unsubscribe:
            return
        from widget.events import CLIENT_EVENTS

        self._unsubscribe = [
            self._bus.on(name, partial(self._forward, name)) for name in CLIENT_EVENTS
        ]

    @property
    def storage_available(self) -> bool:
        return bool(self._js.storage)

    @property
    def agent_id(self) -> str:
        return str(self._js.agentId)

    @property
    def agent_config(self) -> dict[str, Any]:
        """The agent's public settings the server put in the frame (name, welcome message)."""
        config = self._js.agent
        value = config.to_py() if hasattr(config, "to_py") else {}
        return value if isinstance(value, dict) else {}

    def connect(self, handler: Callable[[dict[str, Any]], None]) -> None:
        """Start receiving the shim's messages; those that came while Python loaded come first."""
        self._handler = handler
        self._js.connect(self._proxy)

    def take_drafts(self) -> list[tuple[str, str]]:
        """(client id, text) of each message the visitor sent before Python ran, in order.

        From this call on the Python chat controller alone sends; `frame-boot.js` forgets them.
        """
        raw = self._js.takeDrafts()
        items = raw.to_py() if hasattr(raw, "to_py") else []
        return [
            (str(item["clientId"]), str(item["content"]))
            for item in items
            if isinstance(item, dict)
            and item.get("clientId")
            and isinstance(item.get("content"), str)
            and item["content"].strip()
        ]

    def post(self, message: dict[str, Any]) -> None:
        self._js.post(plain(message))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._proxy.destroy()

    def _receive(self, message: Any) -> None:
        data = message.to_py() if hasattr(message, "to_py") else message
        if self._handler is not None and isinstance(data, dict):
            self._handler(data)

    def _forward(self, name: str, payload: dict[str, Any]) -> None:
        self.post({"type": "event", "name": name, "data": payload})
