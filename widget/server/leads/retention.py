"""Retention: conversations (with their messages and leads) are removed once they have been idle
for longer than their agent's `retentionDays`; agents without the setting keep everything.

`RetentionWorker` is a service (`start()`/`stop()`): one thread that sweeps at start and then
every `interval_seconds` (an hour). It runs under `serve` and in every extra worker process; two
sweepers racing only find less to remove. Each batch of conversations is erased in its own
transaction, as an owner's delete would be (`widget.server.leads.erasure`): the webhook
deliveries of their events not yet sent are cancelled, and the reason names the retention.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from widget.server.agents.tables import Agent
from widget.server.chat.tables import Conversation
from widget.server.core.db import DEFAULT_BUSY_TIMEOUT, transaction, utcnow, writer_turn
from widget.server.leads.erasure import BATCH, Erased, erase_conversations

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 3600.0


def sweep(
    sessions: sessionmaker[Session],
    now: datetime | None = None,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> Erased:
    """Remove every conversation idle past its agent's retention; return what went."""
    now = now or utcnow()
    erased = Erased()
    with sessions() as session:
        agents = session.execute(
            select(Agent.id, Agent.retention_days).where(Agent.retention_days.is_not(None))
        ).all()
    for agent_id, days in agents:
        assert days is not None  # selected so
        cutoff = now - timedelta(days=days)
        reason = f"erased: older than the agent's retention of {days} days"
        while True:
            with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
                expired = list(
                    session.scalars(
                        select(Conversation.id)
                        .where(
                            Conversation.agent_id == agent_id,
                            Conversation.last_activity_at < cutoff,
                        )
                        .limit(BATCH)
                    )
                )
                if expired:
                    erased += erase_conversations(session, expired, reason)
            if len(expired) < BATCH:
                break
    return erased


class RetentionWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.sessions = sessions
        self.interval = interval_seconds
        self.busy_timeout = busy_timeout
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="retention-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                erased = sweep(self.sessions, busy_timeout=self.busy_timeout)
                if erased.conversations:
                    log.info("retention removed %d conversation(s)", erased.conversations)
            except Exception:
                # A locked or briefly unreachable database: the next sweep tries again.
                log.exception("retention sweep failed")
            self._stopping.wait(self.interval)
