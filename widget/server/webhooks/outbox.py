"""The transactional outbox: webhook events are written in the same transaction as the change.

A caller that changes state calls `enqueue(session, event, data)` before committing; the event
exists if and only if the change commits. The body is built (and so validated) here, at the source,
so a mistake fails the caller's transaction instead of a delivery hours later. The delivery worker
(`widget.server.delivery`) fans rows out to subscribed endpoints and CRM actions.

Committing a session that enqueued something wakes the delivery workers of this process, and on
PostgreSQL those of every process (`widget.server.core.notify`), so a delivery starts at once
instead of at the next poll.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Boolean, String, Text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from widget.events import webhook_body
from widget.server.core.db import Base, BigId, UTCDateTime
from widget.server.core.notify import OUTBOX_CHANNEL, notify
from widget.server.core.wakeups import Wakers


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    # The data model's JSON (camelCase), for readers such as the CRM actions.
    data_json: Mapped[str] = mapped_column(Text)
    # The exact webhook body every delivery of this event sends and signs.
    body: Mapped[str] = mapped_column(Text)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Whose data the event carries, so an erasure finds its events (and their deliveries).
    agent_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    lead_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)


_WAKERS = Wakers()
_HOOKED = "widget.outbox.wake_on_commit"
# Call `wake()` after every commit that enqueued an event (a worker's `wake`).
add_waker = _WAKERS.add
remove_waker = _WAKERS.remove
wake_workers = _WAKERS.wake_all


def _wake_after_commit(_session: Session) -> None:
    wake_workers()


def enqueue(
    session: Session, event: str, data: BaseModel, *, conversation_id: str | None = None
) -> OutboxEvent:
    """Record webhook `event` with its `data` model in the caller's transaction.

    Raises ValueError (pydantic's ValidationError) when `event` is not one of the nine webhook
    events or `data` is not that event's model. `conversation_id` names the conversation of an
    event whose data does not (`lead.captured`).
    """
    now = datetime.now(UTC)
    row = OutboxEvent(
        event=event,
        timestamp=now,
        data_json=data.model_dump_json(by_alias=True),
        body=webhook_body(event, data, now).decode("utf-8"),
        agent_id=getattr(data, "agent_id", None),
        conversation_id=getattr(data, "conversation_id", None) or conversation_id,
        lead_id=getattr(data, "lead_id", None),
    )
    session.add(row)
    notify(session, OUTBOX_CHANNEL)  # the delivery workers of every process, at commit
    if not session.info.get(_HOOKED):
        # Sessions are short-lived; one listener per session, kept for its life (a wake is cheap).
        session.info[_HOOKED] = True
        sa_event.listen(session, "after_commit", _wake_after_commit)
    return row
