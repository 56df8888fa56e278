"""Server-Sent Events: the wire format, and the response every stream route answers with.

A stream is an async iterator of ready frames (`frame(...)`, `comment(...)`); the response
adds the headers that keep proxies from buffering it (`X-Accel-Buffering: no`) or caching it.
Starlette stops iterating when the client goes away, so an abandoned stream ends at once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from widget.server.core.errors import ApiError

MEDIA_TYPE = "text/event-stream"
# What the browser's EventSource waits before it reconnects, in milliseconds.
RETRY_MILLISECONDS = 3000


def last_event_id(header: str | None) -> int | None:
    """The `Last-Event-ID` a reconnecting client sent: an event id of ours (digits), or None when
    it sent none; anything else is a 422 that says what was expected."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if not value.isdigit():
        raise ApiError(
            422,
            "invalid_request",
            f"Last-Event-ID must be an event id from this stream (digits), got {value!r}.",
        )
    return int(value)


def frame(event: str, data: BaseModel | dict[str, Any], event_id: str | None = None) -> bytes:
    """One event: `event:`, optional `id:`, and the data as one line of compact JSON."""
    body = (
        data.model_dump_json(by_alias=True)
        if isinstance(data, BaseModel)
        else json.dumps(data, separators=(",", ":"))
    )
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {body}")
    return ("\n".join(lines) + "\n\n").encode()


def comment(text: str) -> bytes:
    """A comment line: ignored by clients, keeps the connection busy for proxies."""
    return f": {text}\n\n".encode()


def retry() -> bytes:
    return f"retry: {RETRY_MILLISECONDS}\n\n".encode()


class EventStreamResponse(StreamingResponse):
    """A streaming response that stops its stream as soon as the client goes away, whatever
    the server's ASGI version (Starlette only listens for it below ASGI 2.4, and otherwise would
    notice at the next write: a heartbeat later, for an idle stream)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def stream_then_stop() -> None:
                with contextlib.suppress(OSError):  # the client went away mid-write
                    await self.stream_response(send)
                group.cancel_scope.cancel()

            group.start_soon(stream_then_stop)
            await self.listen_for_disconnect(receive)
            group.cancel_scope.cancel()


def event_stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    return EventStreamResponse(
        events,
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def openapi_stream(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry of a stream route's 200."""
    return {
        200: {
            "description": description,
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    }
