"""The widget frame's application: panel state, composer, keyboard, and the host page's commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_once_callable  # type: ignore[import-not-found]
from pyodide.ffi.wrappers import add_event_listener  # type: ignore[import-not-found]

from widget.bus import EventBus
from widget.frame.api import ChatApi
from widget.frame.bridge import Bridge
from widget.frame.chat import Chat
from widget.frame.store import ConversationStore
from widget.frame.transport import browser_fetch
from widget.frame.view import Transcript

DEFAULT_WELCOME = "Hi! How can we help you today?"


class _FrameBus(EventBus):
    """The frame's bus: its first event runs `before_first_emit` (see `WidgetApp.start`)."""

    def __init__(self) -> None:
        super().__init__()
        self.before_first_emit: Callable[[], None] | None = None

    def emit(self, event: str, payload: Any) -> None:
        hook, self.before_first_emit = self.before_first_emit, None
        if hook is not None:
            hook()
        super().emit(event, payload)


class WidgetApp:
    def __init__(self) -> None:
        self.bus = _FrameBus()
        self.bridge = Bridge(self.bus)
        self.bus.before_first_emit = self.bridge.forward_client_events
        self.document = js.document
        self.is_open = False
        self.last_seq = 0
        self._tasks: set[asyncio.Future[Any]] = set()
        element = self.document.getElementById
        self.panel = element("panel")
        self.textbox = element("message")
        self.new_button = element("new-conversation")
        agent = self.bridge.agent_config
        self.chat = Chat(
            self.bus,
            ChatApi(browser_fetch),
            ConversationStore(self.bridge.agent_id, self.bridge.storage_available),
            Transcript(element("transcript")),
            self.bridge.agent_id,
            str(agent.get("welcomeMessage") or DEFAULT_WELCOME),
            on_change=self._on_chat_change,
        )
        add_event_listener(element("close"), "click", self._on_close_click)
        add_event_listener(self.new_button, "click", self._on_new_click)
        add_event_listener(element("composer"), "submit", self._on_submit)
        add_event_listener(self.textbox, "keydown", self._on_textbox_keydown)
        add_event_listener(self.textbox, "input", self._on_input)
        add_event_listener(element("transcript"), "click", self._on_transcript_click)
        add_event_listener(self.document, "keydown", self._on_keydown)

    def start(self) -> None:
        # One task from here to connect(): no visitor input can slip between the two senders.
        drafts = self.bridge.take_drafts()
        self.bridge.connect(self.handle)
        self.chat.restore(drafts)
        self._set_loaded()
        self.bridge.post({"type": "ready"})
        # pydantic and the event models load just after ready, not before: a quarter of a second
        # of the frame's start (`make bench`). An event that comes first loads them itself.
        js.setTimeout(create_once_callable(self.bridge.forward_client_events), 0)

    # -- commands from the host page ----------------------------------------------------------

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
            self._emit("widget_opened")
            self._spawn(self._focus_when_shown())
        else:
            self._emit("widget_closed")

    async def _focus_when_shown(self) -> None:
        # The host page un-hides this frame in its own process; until that reaches ours the
        # textbox cannot take focus, so try again for a few frames.
        for _ in range(25):
            if not self.is_open:
                return
            self.textbox.focus()
            if self.document.activeElement == self.textbox:
                return
            await asyncio.sleep(0.02)

    def _spawn(self, coroutine: Any) -> None:
        future = asyncio.ensure_future(coroutine)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def _emit(self, name: str) -> None:
        # The event models load after the widget is ready (see `start`).
        from widget.events import client_event_payload

        self.bus.emit(name, client_event_payload(name))

    def _post_state(self) -> None:
        self.bridge.post({"type": "state", "open": self.is_open, "ack": self.last_seq})

    def _close_from_frame(self) -> None:
        if self.is_open:
            self.set_open(False)
            self._post_state()

    # -- DOM events --------------------------------------------------------------------------

    def _on_close_click(self, _event: Any) -> None:
        self._close_from_frame()

    def _on_keydown(self, event: Any) -> None:
        if event.key == "Escape":
            event.preventDefault()
            self._close_from_frame()

    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        if self.chat.submit(str(self.textbox.value)):
            self.textbox.value = ""
            self._on_input(None)
        self.textbox.focus()

    def _on_textbox_keydown(self, event: Any) -> None:
        # Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            self.document.getElementById("composer").requestSubmit()

    def _on_input(self, _event: Any) -> None:
        self.textbox.style.height = "auto"
        self.textbox.style.height = f"{min(int(self.textbox.scrollHeight) + 2, 120)}px"

    def _on_transcript_click(self, event: Any) -> None:
        target = event.target
        if target.closest and target.closest(".retry"):
            self.chat.retry()

    def _on_new_click(self, _event: Any) -> None:
        self._spawn(self.chat.start_over())
        self.textbox.focus()

    def _on_chat_change(self) -> None:
        self.new_button.hidden = not self.chat.has_conversation

    def _set_loaded(self) -> None:
        self.document.getElementById("status").hidden = True
        if self.document.activeElement == self.panel:
            self.textbox.focus()


_app: WidgetApp | None = None


def start() -> WidgetApp:
    global _app
    # Held here so the app and its listeners live as long as the page.
    _app = WidgetApp()
    _app.start()
    return _app
