"""The visitor's conversation: sending in order, retrying without duplicates, surviving reloads.

Each message gets a client id when the visitor sends it; every retry reuses it, and the server
answers a repeated id with the reply it already stored, so a lost response never sends twice.
Browser events are emitted once the server holds the message, each exactly once:
`conversation_started` (first visitor message) -> `message_sent` -> `message_received`, and
`lead_captured` once per conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from widget.bus import EventBus
from widget.contracts.chat import Identity, SendMessageResponse, Transcript
from widget.contracts.client_events import ClientEventName
from widget.contracts.protocol import Draft
from widget.frame.api import ApiError, ChatApi, ServerUnreachable
from widget.frame.interfaces import TranscriptView
from widget.frame.live_text import author_label
from widget.frame.store import ConversationStore, SavedConversation
from widget.frame.stream import latest_event_id

UNREACHABLE = "Can't reach the chat server. Your message is kept: retry when you're back online."
# A refused token or a conversation the server no longer has: start a new one for the message.
GONE = (401, 403, 404, 409)


class ChatListener(Protocol):
    """What happens to the conversation, for the live stream (`widget.frame.live`)."""

    def conversation_ready(self, last_event_id: str | None, mode: str) -> None:
        """The conversation exists (new, or its history is shown up to `last_event_id`)."""
        ...

    def conversation_gone(self) -> None: ...

    def mode_changed(self, mode: str) -> None: ...

    def handoff_offered(self, after: Any) -> None:
        """The agent could not answer and offers a person, in its reply `after`."""
        ...


class _NoListener:
    def conversation_ready(self, last_event_id: str | None, mode: str) -> None:
        pass

    def conversation_gone(self) -> None:
        pass

    def mode_changed(self, mode: str) -> None:
        pass

    def handoff_offered(self, after: Any) -> None:
        pass


@dataclass
class Outgoing:
    client_id: str
    content: str
    bubble: Any = None


class Chat:
    def __init__(
        self,
        bus: EventBus[ClientEventName],
        api: ChatApi,
        store: ConversationStore,
        transcript: TranscriptView,
        agent_id: str,
        welcome: str,
        on_change: Callable[[], None],
        report: Callable[[str], None] = lambda _text: None,
    ) -> None:
        """`report(text)` tells the host page's developer (console.error) what went wrong."""
        self.bus = bus
        self.api = api
        self.store = store
        self.transcript = transcript
        self.agent_id = agent_id
        self.welcome = welcome
        self.on_change = on_change
        self.report = report
        # widget.identify(): the identity to start conversations with, and the conversation's user.
        self.identity: Identity | None = None
        self.user_id: str | None = None
        self._restored = False
        self.conversation_id: str | None = None
        self.token: str | None = None
        self.started = False
        self.lead_emitted = False
        self.queue: list[Outgoing] = []
        self.busy = False
        self.history_loaded = True
        self._restoring = False
        self._tasks: set[asyncio.Task[None]] = set()
        # The ids of the messages shown: a message that comes twice (the stream, a poll, a POST's
        # answer) is shown, and fires `message_received`, once.
        self.seen: set[str] = set()
        self.listener: ChatListener = _NoListener()

    @property
    def has_conversation(self) -> bool:
        return self.conversation_id is not None or bool(self.queue)

    # -- lifecycle ---------------------------------------------------------------------------

    def restore(self, drafts: Sequence[Draft] = ()) -> None:
        """Show the saved conversation, then send what is pending, `drafts` last.

        `drafts` are what the visitor sent before Python ran (frame-boot.js kept them).
        """
        saved = self.store.load()
        self._restored = True
        if self.identity is not None and (
            saved is None or saved["userId"] != self.identity["userId"]
        ):
            # No conversation of this user's here: find theirs (another device's), keeping only
            # what is unsent of another user's (or an anonymous) one.
            pending = saved["pending"] if saved is not None else []
            self.queue = [Outgoing(p["clientId"], p["content"]) for p in pending]
            self.queue += [Outgoing(d["clientId"], d["content"]) for d in drafts]
            self._switch_user()
            return
        self.transcript.clear()
        if self.welcome:
            self.transcript.message("assistant", self.welcome, welcome=True)
        if saved is None and not drafts:
            self.on_change()
            return
        if saved is not None:
            self.conversation_id = saved["conversationId"]
            self.token = saved["visitorToken"]
            self.started = saved["started"]
            self.lead_emitted = saved["leadCaptured"]
            self.user_id = saved["userId"]
            self.queue = [Outgoing(p["clientId"], p["content"]) for p in saved["pending"]]
        known = {out.client_id for out in self.queue}
        self.queue += [
            Outgoing(d["clientId"], d["content"]) for d in drafts if d["clientId"] not in known
        ]
        if self.conversation_id is None:
            self._show_pending()
        else:
            self.history_loaded = False
            self._spawn(self._load_history())

    def _show_pending(self) -> None:
        for out in self.queue:
            out.bubble = self.transcript.message("user", out.content, pending=True)
        self._save()
        self.on_change()
        if self.queue:
            self._kick()

    async def _load_history(self) -> None:
        conversation_id, token = self.conversation_id, self.token
        if conversation_id is None or token is None:
            return
        self._restoring = True
        try:
            data = await self.api.history(conversation_id, token)
        except ServerUnreachable:
            self.transcript.show_error(
                "Can't reach the chat server to load your conversation.", retry=True
            )
            return
        except ApiError:
            self._forget_conversation()
            data = Transcript(
                conversationId=conversation_id, messages=[], ended=False, mode="agent"
            )
        finally:
            self._restoring = False
        self.history_loaded = True
        self.transcript.clear_error()
        messages = data.get("messages", [])
        for message in messages:
            self.seen.add(message.get("messageId", ""))
            self.transcript.message(
                message.get("role", "assistant"),
                message.get("content", ""),
                sources=message.get("sources") or [],
                author=author_label(message.get("author")),
            )
        if any(m.get("role") == "user" for m in messages):
            self.started = True
        if data.get("ended"):
            self.transcript.notice(
                "This conversation has ended. Your next message starts a new one."
            )
            self._forget_conversation()
        else:
            self.listener.conversation_ready(
                latest_event_id(messages), str(data.get("mode") or "agent")
            )
        self._show_pending()

    async def start_over(self) -> None:
        """The visible "New conversation" action: end this one on the server and begin afresh."""
        conversation_id, token = self.conversation_id, self.token
        self.queue.clear()
        self._forget_conversation()
        self.store.clear()
        self.transcript.clear()
        if self.welcome:
            self.transcript.message("assistant", self.welcome, welcome=True)
        self.on_change()
        if conversation_id and token:
            # Unreachable now? The server ends idle conversations itself.
            with contextlib.suppress(ServerUnreachable, ApiError):
                await self.api.end(conversation_id, token)

    # -- identity (widget.identify) ------------------------------------------------------------

    def identify(self, identity: Identity) -> None:
        """The host page identified its user: their open conversation (from any device) replaces
        one that is not theirs; later conversations are started as theirs."""
        self.identity = identity
        if self._restored and identity["userId"] != self.user_id:
            self._switch_user()

    def _switch_user(self) -> None:
        self._forget_conversation()
        self.transcript.clear()
        if self.welcome:
            self.transcript.message("assistant", self.welcome, welcome=True)
        self.history_loaded = False
        self._save()
        self._spawn(self._resume())

    async def _resume(self) -> None:
        identity = self.identity
        if identity is None:
            return
        try:
            created = await self.api.create_conversation(self.agent_id, identity)
        except ServerUnreachable:
            self.transcript.show_error(
                "Can't reach the chat server to load your conversation.", retry=True
            )
            return
        except ApiError as exc:
            # A refused identity: say so to the page's developer and go on anonymously.
            self.identity = None
            self.report(f"widget.identify() was refused: {exc}")
            self.history_loaded = True
            self._show_pending()
            return
        self.conversation_id = created["conversationId"]
        self.token = created["visitorToken"]
        self.user_id = identity["userId"]
        self._save()
        if not created.get("resumed"):
            self.listener.conversation_ready("0", "agent")
        if created.get("resumed"):
            await self._load_history()
        else:
            self.history_loaded = True
            self._show_pending()

    # -- sending -----------------------------------------------------------------------------

    def submit(self, text: str) -> bool:
        if not text.strip() or not self.history_loaded:
            return False
        # Not uuid: its import costs ~50 ms of the frame's start.
        out = Outgoing(os.urandom(16).hex(), text)
        out.bubble = self.transcript.message("user", text, pending=True)
        self.queue.append(out)
        self._save()
        self.on_change()
        self._kick()
        return True

    def send(self, text: str) -> None:
        """The host page's `widget.send(text)`: as if the visitor sent it. While the history
        loads it waits in the queue, shown and sent once the history is in; blank sends nothing."""
        if self.history_loaded:
            self.submit(text)
        elif text.strip():
            self.queue.append(Outgoing(os.urandom(16).hex(), text))
            self._save()

    def retry(self) -> None:
        self.transcript.clear_error()
        if self._restoring:
            return
        if not self.history_loaded:
            resuming = self.conversation_id is None and self.identity is not None
            self._spawn(self._resume() if resuming else self._load_history())
            return
        for out in self.queue:
            self.transcript.set_state(out.bubble, "pending")
        self._kick()

    def _kick(self) -> None:
        if not self.busy:
            self._spawn(self._drain())

    async def _drain(self) -> None:
        self.busy = True
        try:
            while self.queue:
                if not await self._deliver(self.queue[0]):
                    return
                self.queue.pop(0)
                self._save()
        finally:
            self.busy = False
            self.on_change()

    async def _deliver(self, out: Outgoing) -> bool:
        """True when the message is done with (sent, or refused for good); False to wait."""
        self.transcript.show_typing(after=out.bubble)
        try:
            response = await self._post(out)
        except ServerUnreachable:
            self.transcript.hide_typing()
            self.transcript.set_state(out.bubble, "failed")
            self.transcript.show_error(UNREACHABLE, retry=True)
            return False
        except ApiError as exc:
            self.transcript.hide_typing()
            self.transcript.set_state(out.bubble, "failed")
            self.transcript.show_error(f"Not sent: {exc}", retry=False)
            return True
        self.transcript.hide_typing()
        self.transcript.clear_error()
        self.transcript.set_state(out.bubble, "sent")
        self._emit_sent(out, response)
        return True

    async def ensure_conversation(self) -> tuple[str, str]:
        """The conversation's id and token, a new conversation's when there is none yet."""
        if self.conversation_id is None or self.token is None:
            created = await self.api.create_conversation(self.agent_id, self.identity)
            self.conversation_id = created["conversationId"]
            self.token = created["visitorToken"]
            self.user_id = None if self.identity is None else self.identity["userId"]
            self.started = False
            self.lead_emitted = False
            self._save()
            self.on_change()
            # From its start: whatever is written to it is after event id 0.
            self.listener.conversation_ready("0", "agent")
        return self.conversation_id, self.token

    async def _post(self, out: Outgoing) -> SendMessageResponse:
        for attempt in range(2):
            await self.ensure_conversation()
            assert self.conversation_id is not None and self.token is not None
            try:
                return await self.api.send_message(
                    self.conversation_id, self.token, out.content, out.client_id
                )
            except ApiError as exc:
                if exc.status not in GONE or attempt:
                    raise
                self._forget_conversation()
        raise AssertionError("unreachable")

    def _emit_sent(self, out: Outgoing, response: SendMessageResponse) -> None:
        conversation_id = self.conversation_id or ""
        if not self.started:
            self.started = True
            self._save()
            self._emit("conversation_started", conversationId=conversation_id)
        self._emit("message_sent", message=out.content, conversationId=conversation_id)
        reply = response.get("reply")
        # No reply while a person is asked for or answers (their answer comes on the stream); a
        # reply the stream brought first is shown already.
        if isinstance(reply, dict) and reply.get("messageId") not in self.seen:
            self.seen.add(str(reply.get("messageId", "")))
            content = str(reply.get("content", ""))
            bubble = self.transcript.message(
                "assistant", content, after=out.bubble, sources=reply.get("sources") or []
            )
            self.received(content)
            if response.get("handoffOffered"):
                self.listener.handoff_offered(after=bubble)
        mode = response.get("mode")
        if isinstance(mode, str):
            self.listener.mode_changed(mode)
        if response.get("leadCaptured") and not self.lead_emitted:
            self.lead_emitted = True
            self._save()
            self._emit("lead_captured", conversationId=conversation_id)

    def received(self, content: str) -> None:
        """An answer is shown: `message_received`."""
        self._emit("message_received", message=content, conversationId=self.conversation_id or "")

    def ended_elsewhere(self, notice: str) -> None:
        """The conversation was ended on the server (the owner closed it): say so; the visitor's
        next message starts a new one."""
        self.transcript.notice(notice)
        self._forget_conversation()
        self._save()
        self.on_change()

    def _emit(self, name: ClientEventName, **fields: Any) -> None:
        # The event models load after the widget is ready (see `FrameController.start`).
        from widget.events import client_event_payload

        self.bus.emit(name, client_event_payload(name, **fields))

    # -- state -------------------------------------------------------------------------------

    def _forget_conversation(self) -> None:
        if self.conversation_id is not None:
            self.listener.conversation_gone()
        self.conversation_id = None
        self.token = None
        self.user_id = None
        self.started = False
        self.lead_emitted = False

    def _save(self) -> None:
        pending = [Draft(clientId=o.client_id, content=o.content) for o in self.queue]
        if self.conversation_id is None and not pending:
            self.store.clear()
            return
        self.store.save(
            SavedConversation(
                conversationId=self.conversation_id,
                visitorToken=self.token,
                started=self.started,
                leadCaptured=self.lead_emitted,
                pending=pending,
                userId=self.user_id,
            )
        )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
