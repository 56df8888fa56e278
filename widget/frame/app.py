"""The widget frame's application: panel state, keyboard, and the commands from the host page."""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi.wrappers import add_event_listener  # type: ignore[import-not-found]

from widget.bus import EventBus
from widget.events import client_event_payload
from widget.frame.bridge import Bridge


class WidgetApp:
    def __init__(self) -> None:
        self.bus = EventBus()
        self.bridge = Bridge(self.bus)
        self.document = js.document
        self.is_open = False
        self.last_seq = 0
        self.panel = self.document.getElementById("panel")
        self.textbox = self.document.getElementById("message")
        self.send_button = self.document.getElementById("send")
        add_event_listener(self.document.getElementById("close"), "click", self._on_close_click)
        add_event_listener(self.document, "keydown", self._on_keydown)

    def start(self) -> None:
        self._set_loaded()
        self.bridge.connect(self.handle)
        self.bridge.post({"type": "ready"})

    def handle(self, message: dict[str, Any]) -> None:
        if message.get("type") != "command":
            return
        seq = message.get("seq")
        if isinstance(seq, int):
            self.last_seq = seq
        name = message.get("name")
        if name in ("open", "close"):
            self.set_open(name == "open")
            self._post_state()

    def set_open(self, value: bool) -> None:
        if value == self.is_open:
            return
        self.is_open = value
        if value:
            self.bus.emit("widget_opened", client_event_payload("widget_opened"))
            self.focus_composer()
        else:
            self.bus.emit("widget_closed", client_event_payload("widget_closed"))

    def focus_composer(self) -> None:
        target = self.textbox if not self.textbox.disabled else self.panel
        target.focus()

    def _post_state(self) -> None:
        self.bridge.post({"type": "state", "open": self.is_open, "ack": self.last_seq})

    def _close_from_frame(self) -> None:
        if self.is_open:
            self.set_open(False)
            self._post_state()

    def _on_close_click(self, _event: Any) -> None:
        self._close_from_frame()

    def _on_keydown(self, event: Any) -> None:
        if event.key == "Escape":
            event.preventDefault()
            self._close_from_frame()

    def _set_loaded(self) -> None:
        self.document.getElementById("status").hidden = True
        self.document.getElementById("composer").setAttribute("aria-busy", "false")
        self.textbox.disabled = False
        self.textbox.placeholder = "Type your message…"
        self.send_button.disabled = False


_app: WidgetApp | None = None


def start() -> WidgetApp:
    global _app
    # Held here so the app and its listeners live as long as the page.
    _app = WidgetApp()
    _app.start()
    return _app
