"""A person in the conversation: the live stream's messages in the transcript, the conversation's
mode in the panel, and the visitor's "Talk to a person".

`Chat` tells this what happens to its conversation (`ChatListener`); this starts the stream once a
conversation exists and the frame has booted, and stops it when the conversation goes (ended,
"New conversation", another user). Each message is shown once, whether it came on the stream, in
a poll or in a POST's answer: they share `Chat.seen`, and whoever shows a message first adds it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from widget.contracts.chat import TranscriptMessage
from widget.frame.api import ApiError, ChatApi, ServerUnreachable
from widget.frame.chat import Chat
from widget.frame.interfaces import Panel, TranscriptView
from widget.frame.live_text import STRINGS, author_label
from widget.frame.stream import LiveStream, OpenStream


class Live:
    def __init__(
        self,
        chat: Chat,
        api: ChatApi,
        panel: Panel,
        transcript: TranscriptView,
        open_stream: OpenStream | None,
        *,
        stream_delay: float | None = None,
    ) -> None:
        """`open_stream` None: no stream (the transcript is polled instead)."""
        self.chat = chat
        self.api = api
        self.panel = panel
        self.transcript = transcript
        self.open_stream = open_stream
        self.stream_delay = stream_delay
        self.stream: LiveStream | None = None
        self.mode = "agent"
        self.booted = False
        self._ready: tuple[str | None, str] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        chat.listener = self

    def boot(self) -> None:
        """The frame has booted: the stream may start (the conversation may exist already)."""
        self.booted = True
        self.panel.show_mode(self.mode)
        if self._ready is not None:
            self._connect(*self._ready)

    # -- what the chat reports (ChatListener) ----------------------------------------------------

    def conversation_ready(self, last_event_id: str | None, mode: str) -> None:
        self._ready = (last_event_id, mode)
        self._set_mode(mode)
        if self.booted:
            self._connect(last_event_id, mode)

    def conversation_gone(self) -> None:
        self._ready = None
        self._disconnect()
        self._set_mode("agent")

    def mode_changed(self, mode: str) -> None:
        if self.stream is not None:
            self.stream.mode = mode
        self._set_mode(mode)

    def handoff_offered(self, after: Any) -> None:
        self.transcript.offer_handoff(STRINGS["talk_to_person"], after=after)

    # -- the visitor asks for a person -----------------------------------------------------------

    def ask_for_person(self) -> None:
        """The "Talk to a person" button (the panel's, or the offer in the transcript)."""
        if self.mode == "agent":
            self._spawn(self._ask())

    async def _ask(self) -> None:
        chat = self.chat
        self._set_mode("waiting")  # at once: the button goes, the status line says what is next
        try:
            conversation_id, token = await chat.ensure_conversation()
            self._set_mode("waiting")  # a conversation just started says "agent" meanwhile
            answer = await self.api.handoff(conversation_id, token)
        except (ServerUnreachable, ApiError):
            self._set_mode("agent")
            self.transcript.show_error(STRINGS["handoff_failed"], retry=False)
            return
        message = answer.get("message")
        if message:
            self.show(message)
        self.mode_changed(answer.get("mode") or "waiting")

    # -- what the stream brings --------------------------------------------------------------------

    def show(self, message: TranscriptMessage) -> None:
        """A message the frame did not ask for, shown like a reply, with who wrote it; once."""
        message_id = message.get("messageId")
        if message_id in self.chat.seen and message_id is not None:
            return
        if message_id:
            self.chat.seen.add(message_id)
        self._show(message)

    def _show(self, message: TranscriptMessage) -> None:
        content = message.get("content", "")
        self.transcript.message(
            "assistant",
            content,
            sources=message.get("sources") or [],
            author=author_label(message.get("author")),
        )
        self.chat.received(content)

    def _on_mode(self, mode: str, _reason: str | None) -> None:
        self._set_mode(mode)

    def _on_ended(self) -> None:
        self.stream = None
        self.chat.ended_elsewhere(STRINGS["ended"])

    # -- internals ---------------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        if self.booted:
            self.panel.show_mode(mode)

    def _connect(self, last_event_id: str | None, mode: str) -> None:
        chat = self.chat
        if chat.conversation_id is None or chat.token is None:
            return
        if self.stream is not None and self.stream.conversation_id == chat.conversation_id:
            return
        self._disconnect()
        if self.open_stream is None:
            return
        self.stream = LiveStream(
            self.open_stream,
            self.api,
            chat.conversation_id,
            chat.token,
            seen=chat.seen,
            last_event_id=last_event_id,
            mode=mode,
            on_message=self._show,
            on_mode=self._on_mode,
            on_ended=self._on_ended,
            delay=self.stream_delay,
        )
        self.stream.start()

    def _disconnect(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            self._spawn(stream.stop())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.ensure_future(coroutine)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
