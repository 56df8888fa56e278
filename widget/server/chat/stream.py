"""The visitor's stream (`GET /v1/conversations/{id}/stream`): the messages the frame did not ask
for, the mode's changes, and the end, as Server-Sent Events.

- `event: message`, `id: <seq>`, `data: <transcript message>`: each message a person or the
  system wrote (`widget.server.chat.messages.PUSHED_KINDS`), in order. Resuming with a
  Last-Event-ID sends every such message after it first; without one the stream starts at the
  conversation's current end.
- `event: mode`, `data: {"mode", "reason"?}`: the current mode once on connect (no reason), then
  each change (with its reason: requested, takenOver, handedBack, unanswered). No id: the ids
  are the messages' own, so a resume is lossless for messages.
- `event: ended`, `data: {"conversationId", "endedAt"}`, then the stream closes.
- `: ping` comments every heartbeat; `retry: 3000` first.

Each wake (`widget.server.chat.live`) re-reads from the database after the last event sent, so
nothing is lost or doubled whichever way, or however often, the news arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from widget.server.chat.live import Broadcaster
from widget.server.chat.messages import PUSHED_KINDS, message_out, mode_of
from widget.server.chat.schemas import EndedOut, MessageOut, Mode
from widget.server.chat.tables import Conversation, Message
from widget.server.core import sse

# Messages sent per database read; a longer backlog is read again at once.
BATCH = 100


@dataclass(frozen=True)
class Snapshot:
    mode: Mode
    reason: str | None
    ended_at: datetime | None
    messages: list[MessageOut]


def current_end(sessions: sessionmaker[Session], conversation_id: str) -> int:
    """The conversation's last event id: a stream without Last-Event-ID starts after it."""
    with sessions() as session:
        last = session.scalar(
            select(func.max(Message.seq)).where(Message.conversation_id == conversation_id)
        )
        return int(last or 0)


def read_after(
    sessions: sessionmaker[Session], conversation_id: str, after: int
) -> Snapshot | None:
    """The conversation's state and its pushed messages after event id `after`; None when the
    conversation is gone (deleted)."""
    with sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        messages = session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.seq > after,
                Message.author_kind.in_(PUSHED_KINDS),
            )
            .order_by(Message.seq)
            .limit(BATCH)
        ).all()
        return Snapshot(
            mode=mode_of(conversation),
            reason=conversation.mode_reason,
            ended_at=conversation.ended_at,
            messages=[message_out(m) for m in messages],
        )


async def visitor_events(
    broadcaster: Broadcaster,
    sessions: sessionmaker[Session],
    conversation_id: str,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncIterator[bytes]:
    yield sse.retry()
    # Subscribed before the first read: a change committed meanwhile wakes the loop again.
    with broadcaster.subscribe(conversation_id) as wake:
        cursor = (
            last_event_id
            if last_event_id is not None
            else await run_in_threadpool(current_end, sessions, conversation_id)
        )
        sent_mode: tuple[Mode, str | None] | None = None
        while not broadcaster.closing:
            wake.clear()
            snapshot = await run_in_threadpool(read_after, sessions, conversation_id, cursor)
            if snapshot is None:
                yield sse.frame("ended", {"conversationId": conversation_id, "endedAt": None})
                return
            for message in snapshot.messages:
                yield sse.frame("message", message, message.event_id)
                cursor = int(message.event_id)
            state = (snapshot.mode, snapshot.reason)
            if state != sent_mode:
                data: dict[str, str] = {"mode": snapshot.mode}
                if sent_mode is not None and snapshot.reason:
                    data["reason"] = snapshot.reason
                yield sse.frame("mode", data)
                sent_mode = state
            if snapshot.ended_at is not None:
                yield sse.frame(
                    "ended", EndedOut(conversation_id=conversation_id, ended_at=snapshot.ended_at)
                )
                return
            if len(snapshot.messages) == BATCH:
                continue  # more waiting after this batch
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except TimeoutError:
                yield sse.comment("ping")
