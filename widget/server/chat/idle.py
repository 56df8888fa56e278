"""Ends conversations nobody has written in for `WIDGET_CONVERSATION_IDLE_MINUTES`.

A background asyncio task sweeps every so often (a quarter of the idle time, between 1 s and 60 s);
each conversation ends in its own transaction, through the same conditional update as the
visitor's `/end`, so `conversation.ended` is raised once however the two race.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from widget.server.chat.service import end_conversation_now
from widget.server.chat.tables import Conversation
from widget.server.core.db import transaction, utcnow

log = logging.getLogger(__name__)


class IdleSweeper:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        idle_minutes: float,
        interval_seconds: float | None = None,
    ) -> None:
        self._sessions = sessions
        self.idle = timedelta(minutes=idle_minutes)
        self.interval = (
            interval_seconds
            if interval_seconds is not None
            else min(60.0, max(1.0, self.idle.total_seconds() / 4))
        )
        self._task: asyncio.Task[None] | None = None

    def sweep(self, now: datetime | None = None) -> list[str]:
        """End every open conversation idle since before `now - idle`; return their ids."""
        now = now or utcnow()
        cutoff = now - self.idle
        with self._sessions() as session:
            idle_ids = session.scalars(
                select(Conversation.id).where(
                    Conversation.ended_at.is_(None), Conversation.last_activity_at < cutoff
                )
            ).all()
        ended = []
        for conversation_id in idle_ids:
            with transaction(self._sessions) as session:
                if end_conversation_now(session, conversation_id, now, idle_before=cutoff):
                    ended.append(conversation_id)
        return ended

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:
                # A database hiccup must not stop future sweeps.
                log.exception("idle conversation sweep failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="idle-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
