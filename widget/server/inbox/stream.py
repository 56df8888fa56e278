"""The inbox stream (`GET /v1/inbox/stream`): `event: conversation`, `data: InboxItem`, each time
a conversation's messages or mode change or it ends, in any process.

Event ids are the conversation's `changed_at` in microseconds since 1970: resuming with
Last-Event-ID sends every conversation changed after it. Changes are read with an overlap of a
few seconds (a transaction may commit after a later one), and each (conversation, change) is
sent once. After a long disconnect, refetch `GET /v1/inbox`: a conversation changed twice while
away is announced once, as it is now.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from widget.server.chat.live import INBOX, Broadcaster
from widget.server.core import sse
from widget.server.core.db import utcnow
from widget.server.inbox.listing import changed_since

OVERLAP = timedelta(seconds=5)


def event_id(at: datetime) -> str:
    return str(round(at.timestamp() * 1_000_000))


def event_time(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


async def inbox_events(
    broadcaster: Broadcaster,
    sessions: sessionmaker[Session],
    agent_id: str | None,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncIterator[bytes]:
    yield sse.retry()
    with broadcaster.subscribe(INBOX) as wake:
        cursor = event_time(last_event_id) if last_event_id is not None else utcnow()
        start = cursor
        sent: dict[str, datetime] = {}
        while not broadcaster.closing:
            wake.clear()
            rows = await run_in_threadpool(changed_since, sessions, cursor - OVERLAP, agent_id)
            for item, at in rows:
                if sent.get(item.conversation_id) == at:
                    continue
                sent[item.conversation_id] = at
                cursor = max(cursor, at)
                if at > start:
                    yield sse.frame("conversation", item, event_id(at))
            horizon = cursor - OVERLAP
            sent = {cid: at for cid, at in sent.items() if at >= horizon}
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except TimeoutError:
                yield sse.comment("ping")
