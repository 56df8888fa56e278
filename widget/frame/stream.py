"""The conversation's live stream: messages the frame did not ask for (a person's replies, the
server's notices) and mode changes, pushed by `GET /v1/conversations/{id}/stream`.

- Resume: the last event id is kept and sent as `Last-Event-ID` on every reconnect, so the server
  sends what was written meanwhile first; a message is handed on once only, deduplicated by its
  `messageId` too (the same message may also come in a POST's answer or a transcript poll).
- Reconnect with backoff: the server's `retry:` to start with, doubling up to `MAX_DELAY`; a
  connection that delivered something starts the count afresh.
- Fallback: after `FAILURES_BEFORE_POLLING` failures in a row (the stream is blocked, or a proxy
  holds its bytes back: nothing within `FIRST_BYTE_TIMEOUT`), the transcript is polled instead,
  every `POLL_INTERVAL` seconds while a person is asked for or answers, `IDLE_POLL_INTERVAL`
  otherwise. The visitor is told nothing: messages still arrive, a few seconds later.

Pure Python: the HTTP stream is an `OpenStream` (the browser's `fetch` and a `ReadableStream`
reader in `widget.frame.browser`; httpx in tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, cast

from widget.contracts.chat import TranscriptMessage
from widget.frame.api import ApiError, ChatApi, ServerUnreachable
from widget.frame.sse import SseEvent, SseParser

# (url, headers) -> the body's chunks. Raises `StreamRefused` for an answer other than 200 with
# an event stream, anything else when the request failed; stopping the iteration closes it.
OpenStream = Callable[[str, dict[str, str]], AsyncIterator[bytes]]

FAILURES_BEFORE_POLLING = 3
FIRST_BYTE_TIMEOUT = 10.0
DEFAULT_DELAY = 1.0
MAX_DELAY = 30.0
POLL_INTERVAL = 3.0
IDLE_POLL_INTERVAL = 30.0
# The token was refused or the conversation is gone: reconnecting cannot help.
FINAL_STATUSES = (401, 403, 404, 409, 410)
# Modes in which a person is asked for or answers: the AI is silent, pushes are expected.
PERSON_MODES = ("waiting", "person")


class StreamRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"stream refused ({status})")
        self.status = status


def is_pushed(message: TranscriptMessage) -> bool:
    """An answer to the visitor; their own messages reach the frame by its own requests. An AI
    reply that a poll sees before its POST's answer arrives is shown once all the same: whoever
    shows a message first adds it to `seen`, and the other skips it."""
    return message.get("role") == "assistant"


def latest_event_id(messages: Sequence[TranscriptMessage], known: str | None = None) -> str | None:
    """The greatest event id of `messages` and `known` (decimal strings)."""
    ids = [m.get("eventId") for m in messages] + [known]
    numbers = [int(i) for i in ids if isinstance(i, str) and i.isdigit()]
    return str(max(numbers)) if numbers else known


class LiveStream:
    def __init__(
        self,
        open_stream: OpenStream,
        api: ChatApi,
        conversation_id: str,
        token: str,
        *,
        seen: set[str],
        last_event_id: str | None,
        mode: str,
        on_message: Callable[[TranscriptMessage], None],
        on_mode: Callable[[str, str | None], None],
        on_ended: Callable[[], None],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        delay: float | None = None,
    ) -> None:
        """`seen`: the ids of the messages the frame shows (shared with the chat, which adds its
        replies). `delay`: a fixed first reconnect delay in place of the server's `retry:`."""
        self.open_stream = open_stream
        self.api = api
        self.conversation_id = conversation_id
        self.token = token
        self.seen = seen
        self.last_event_id = last_event_id
        self.mode = mode
        self.on_message = on_message
        self.on_mode = on_mode
        self.on_ended = on_ended
        self.sleep = sleep
        self.fixed_delay = delay
        self.retry_ms: int | None = None
        self.failures = 0
        self.polling = False
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        return f"{self.api.base}/conversations/{self.conversation_id}/stream"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopped = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the loop ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopped:
            if self.polling:
                await self._poll()
                await self.sleep(POLL_INTERVAL if self.mode in PERSON_MODES else IDLE_POLL_INTERVAL)
                continue
            try:
                await self._listen()
            except StreamRefused as refused:
                if refused.status in FINAL_STATUSES:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:  # fetch rejects with a TypeError on any network failure
                pass
            finally:
                self.connected = False
            if self._stopped:
                return
            self.failures += 1
            if self.failures >= FAILURES_BEFORE_POLLING:
                self.polling = True
                continue
            await self.sleep(self._delay())

    def _delay(self) -> float:
        first = self.fixed_delay
        if first is None:
            first = self.retry_ms / 1000 if self.retry_ms is not None else DEFAULT_DELAY
        return float(min(MAX_DELAY, first * 2 ** (self.failures - 1)))

    async def _listen(self) -> None:
        headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {self.token}"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        parser = SseParser()
        chunks = self.open_stream(self.url, headers)
        try:
            first = True
            while True:
                try:
                    if first:
                        chunk = await asyncio.wait_for(chunks.__anext__(), FIRST_BYTE_TIMEOUT)
                    else:
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                if first:
                    first = False
                    self.connected = True
                    self.failures = 0
                events = parser.feed(chunk)
                if parser.retry_ms is not None:
                    self.retry_ms = parser.retry_ms
                for event in events:
                    if self._handle(event):
                        return
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    def _handle(self, event: SseEvent) -> bool:
        """Hand `event` on; True when the conversation ended (the stream is done with)."""
        if event.event == "ended":
            self._stopped = True
            self.on_ended()
            return True
        try:
            data = json.loads(event.data)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        if event.event == "message":
            if event.last_event_id:
                self.last_event_id = event.last_event_id
            self._take(cast(TranscriptMessage, data))
        elif event.event == "mode" and isinstance(data.get("mode"), str):
            self._set_mode(data["mode"], data.get("reason"))
        return False

    def _take(self, message: TranscriptMessage) -> None:
        message_id = message.get("messageId")
        if not isinstance(message_id, str) or message_id in self.seen or not is_pushed(message):
            return
        self.seen.add(message_id)
        self.on_message(message)

    def _set_mode(self, mode: str, reason: Any) -> None:
        if mode != self.mode:
            self.mode = mode
            self.on_mode(mode, reason if isinstance(reason, str) else None)

    async def _poll(self) -> None:
        try:
            transcript = await self.api.history(self.conversation_id, self.token)
        except ServerUnreachable:
            return
        except ApiError:
            self._stopped = True
            return
        messages = transcript.get("messages", [])
        self.last_event_id = latest_event_id(messages, self.last_event_id)
        for message in messages:
            self._take(message)
        mode = transcript.get("mode")
        if isinstance(mode, str):
            self._set_mode(mode, None)
        if transcript.get("ended"):
            self._stopped = True
            self.on_ended()
