"""The frame's application: panel state, the host page's commands, the chat, and the events.

Pure Python over the interfaces of `widget.frame.interfaces` (the browser's are wired in
`widget.frame.app`), so it runs under CPython in tests/frame.

- The bus knows the client event names (`widget.contracts.client_events`), so a misspelt event
  fails at once; every event on it is forwarded to the shim, payload validated by its model.
- Commands from the shim carry a `seq`; each `state` the frame posts acknowledges the last one, so
  the shim applies it only when no newer command of its own is in flight.
- `widget_opened` / `widget_closed` only on a real change of state, never twice in a row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from widget.bus import EventBus
from widget.contracts.chat import Identity
from widget.contracts.client_events import CLIENT_EVENT_NAMES, ClientEventName
from widget.contracts.protocol import (
    Draft,
    EventMessage,
    Ready,
    Report,
    State,
    as_command,
    as_compose,
    as_identity,
    as_locale,
)
from widget.frame.api import ChatApi
from widget.frame.chat import Chat
from widget.frame.interfaces import KeyValueStorage, Panel, Shim, TranscriptView
from widget.frame.live import Live
from widget.frame.store import ConversationStore
from widget.frame.stream import OpenStream
from widget.frame.strings import frame_locale, welcome_for

# The host page un-hides the frame in its own process; until that reaches ours the textbox cannot
# take focus, so the frame tries again, this many times, this far apart (seconds).
FOCUS_TRIES = 25
FOCUS_PAUSE = 0.02


class FrameController:
    def __init__(
        self,
        shim: Shim,
        panel: Panel,
        transcript: TranscriptView,
        api: ChatApi,
        storage: KeyValueStorage | None,
        later: Callable[[Callable[[], None]], None],
        open_stream: OpenStream | None = None,
        *,
        stream_delay: float | None = None,
    ) -> None:
        """`storage` is None where the frame has none; `later(f)` runs `f` after this task;
        `open_stream` None: no live stream (a person's replies show on the next reload)."""
        self.bus: EventBus[ClientEventName] = EventBus(CLIENT_EVENT_NAMES)
        self.shim = shim
        self.panel = panel
        self.later = later
        self.is_open = False
        self.last_seq = 0
        # Agent replies shown while the panel was closed (the launcher's badge); opening clears it.
        self.unread = 0
        self._tasks: set[asyncio.Future[Any]] = set()
        for name in CLIENT_EVENT_NAMES:
            self.bus.on(name, partial(self._forward, name))
        agent_id = shim.agent_id
        self.chat = Chat(
            self.bus,
            api,
            ConversationStore(agent_id, storage),
            transcript,
            agent_id,
            welcome_for(shim.agent, frame_locale(shim.locale)),
            on_change=self._on_chat_change,
            report=lambda text: self.shim.post(Report(type="report", text=text)),
        )
        self.live = Live(self.chat, api, panel, transcript, open_stream, stream_delay=stream_delay)

    def start(self) -> None:
        # One task from here to connect(): no visitor input can slip between the two senders.
        drafts = self._take_drafts()
        self.shim.connect(self.handle)
        self.chat.restore(drafts)
        self.panel.show_loaded()
        self.live.boot()
        self.shim.post(Ready(type="ready"))
        # pydantic and the event models load just after ready, not before: a quarter of a second
        # of the frame's start (`make bench`). An event that comes first loads them itself.
        self.later(_load_event_models)

    # -- commands from the host page ----------------------------------------------------------

    def handle(self, message: object) -> None:
        compose = as_compose(message)
        if compose is not None:
            self._compose(compose["action"], compose["text"])
            return
        locale = as_locale(message)
        if locale is not None:
            # frame-boot.js has re-worded the panel, the welcome included; what comes next too.
            self.chat.welcome = welcome_for(self.shim.agent, locale)
            return
        identity = as_identity(message)
        if identity is not None:
            self.chat.identify(Identity(**identity))  # type: ignore[typeddict-item]
            return
        command = as_command(message)
        if command is None:
            return
        self.last_seq = command["seq"]
        self.set_open(command["name"] == "open")
        self._post_state()

    def set_open(self, value: bool) -> None:
        if value == self.is_open:
            return
        self.is_open = value
        if value:
            self._emit("widget_opened")
            if self.unread:
                self.unread = 0
                self._emit_unread()
            self._spawn(self._focus_when_shown())
        else:
            self._emit("widget_closed")

    def _compose(self, action: str, text: str) -> None:
        """`widget.send(text)`: sent as the visitor; `widget.prefill(text)`: in the composer.
        The shim opened the panel for a send already."""
        if action == "send":
            self.chat.send(text)
        else:
            self.panel.set_composer_text(text)
            self.panel.focus_composer()

    # -- the visitor, in the panel -------------------------------------------------------------

    def close_from_frame(self) -> None:
        """The close button, or Escape."""
        if self.is_open:
            self.set_open(False)
            self._post_state()

    def submit(self) -> None:
        """The composer was submitted (Send, or Enter)."""
        if self.chat.submit(self.panel.composer_text()):
            self.panel.clear_composer()
        self.panel.focus_composer()

    def retry(self) -> None:
        self.chat.retry()

    def ask_for_person(self) -> None:
        """ "Talk to a person" (the panel's button, or the offer in the transcript)."""
        self.live.ask_for_person()

    def start_over(self) -> None:
        """The visible "New conversation" action."""
        self._spawn(self.chat.start_over())
        self.panel.focus_composer()

    # -- internals -----------------------------------------------------------------------------

    def _take_drafts(self) -> list[Draft]:
        """What the visitor sent before Python ran, as drafts; anything malformed is dropped."""
        return [
            Draft(clientId=item["clientId"], content=item["content"])
            for item in self.shim.take_drafts()
            if isinstance(item, dict)
            and isinstance(item.get("clientId"), str)
            and item["clientId"]
            and isinstance(item.get("content"), str)
            and item["content"].strip()
        ]

    async def _focus_when_shown(self) -> None:
        for _ in range(FOCUS_TRIES):
            if not self.is_open or self.panel.focus_composer():
                return
            await asyncio.sleep(FOCUS_PAUSE)

    def _emit(self, name: ClientEventName) -> None:
        # The event models load after the widget is ready (see `start`).
        from widget.events import client_event_payload

        self.bus.emit(name, client_event_payload(name))

    def _emit_unread(self) -> None:
        from widget.events import client_event_payload

        self.bus.emit(
            "unread_count_changed", client_event_payload("unread_count_changed", count=self.unread)
        )

    def _forward(self, name: ClientEventName, payload: dict[str, Any]) -> None:
        self.shim.post(EventMessage(type="event", name=name, data=payload))
        if name == "message_received" and not self.is_open:
            self.unread += 1
            self._emit_unread()

    def _post_state(self) -> None:
        self.shim.post(State(type="state", open=self.is_open, ack=self.last_seq))

    def _on_chat_change(self) -> None:
        self.panel.show_new_conversation(self.chat.has_conversation)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.ensure_future(coroutine)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)


def _load_event_models() -> None:
    import widget.events  # noqa: F401
