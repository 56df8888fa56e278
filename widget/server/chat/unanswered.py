"""Nobody there: a visitor who waited for a person longer than the agent's
`handoffTimeoutSeconds` with no person's reply gets the nobody-there notice (in their language),
and the conversation goes back to the AI (mode "agent", reason "unanswered"), whose lead flow
takes the email address from the next message. Once per wait: the change from "waiting" is a
conditional UPDATE on the wait's start, so two workers (two processes) write the notice once.

`UnansweredWorker` is a service like the retention worker: one thread, a look every
`poll_interval` seconds (waiting conversations are few, and each look is one indexed query).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.handoff import nobody_available
from widget.server.agents.tables import Agent
from widget.server.chat.live import changed
from widget.server.chat.messages import add_assistant_message
from widget.server.chat.modes import UNANSWERED, conversation_language, handoff_timeout
from widget.server.chat.tables import Conversation
from widget.server.core.db import DEFAULT_BUSY_TIMEOUT, transaction, utcnow, writer_turn
from widget.server.core.services import poll_until_stopped

log = logging.getLogger(__name__)


def overdue(sessions: sessionmaker[Session], now: datetime) -> list[tuple[str, datetime]]:
    """Waiting conversations past their agent's timeout: (id, waiting since)."""
    with sessions() as session:
        rows = session.execute(
            select(Conversation.id, Conversation.waiting_since, Agent)
            .join(Agent, Agent.id == Conversation.agent_id)
            .where(
                Conversation.mode == "waiting",
                Conversation.ended_at.is_(None),
                Conversation.waiting_since.is_not(None),
            )
        ).all()
        return [
            (cid, since)
            for cid, since, agent in rows
            if since is not None and since + timedelta(seconds=handoff_timeout(agent)) <= now
        ]


def give_up_waiting(
    sessions: sessionmaker[Session],
    conversation_id: str,
    waiting_since: datetime,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> bool:
    """The notice and mode "agent", if the conversation still waits the wait that began at
    `waiting_since`; True if this call wrote it."""
    with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
        result = session.execute(
            update(Conversation)
            .where(
                Conversation.id == conversation_id,
                Conversation.mode == "waiting",
                Conversation.waiting_since == waiting_since,
                Conversation.ended_at.is_(None),
            )
            .values(mode="agent", mode_reason=UNANSWERED, waiting_since=None)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        conversation = session.get_one(Conversation, conversation_id)
        session.refresh(conversation)
        language = conversation_language(session, conversation)
        add_assistant_message(session, conversation, nobody_available(language), "system")
        changed(session, conversation_id)
        return True


def sweep(sessions: sessionmaker[Session], busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> int:
    """Answer every overdue wait; how many were answered."""
    return sum(
        give_up_waiting(sessions, cid, since, busy_timeout)
        for cid, since in overdue(sessions, utcnow())
    )


class UnansweredWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        poll_interval: float,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.sessions = sessions
        self.poll_interval = poll_interval
        self.busy_timeout = busy_timeout
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="unanswered-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        def step() -> bool:
            sweep(self.sessions, self.busy_timeout)
            return False  # each sweep answers every overdue wait; look again after the pause

        poll_until_stopped(
            step,
            stopping=self._stopping,
            wake=self._wake,
            poll_interval=self.poll_interval,
            log=log,
            what="nobody-there worker",
        )
