"""Erasure: conversations and leads removed for good, with everything that hangs on them.

Erasing a conversation removes its messages, its lead, the lead's CRM actions (pending ones are
thereby cancelled: the lead never reaches the CRM), its rate-limit counter, and the conversation
itself, so its visitor token opens nothing any more (the chat API answers 404). The webhook
deliveries of its events not yet sent are cancelled, and the bodies the outbox and the delivery
log kept of them are erased (`widget.server.webhooks.cancellation`). Erasing a lead alone keeps
its conversation.

Everything runs in the caller's transaction, so an erasure happens whole or not at all. A reason
names why (never whose data: it is shown in the delivery log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.server.chat.rate_limits import RateWindow
from widget.server.chat.tables import Conversation, Message
from widget.server.core.db import transaction, writer_turn
from widget.server.crm.tables import CrmAction
from widget.server.leads.schemas import ErasedOut
from widget.server.leads.tables import Lead
from widget.server.webhooks.cancellation import cancel_events
from widget.server.webhooks.outbox import OutboxEvent

# Ids per statement: well under every database's limit on bound parameters.
BATCH = 500


@dataclass
class Erased:
    """How many of each were removed (deliveries: cancelled)."""

    conversations: int = 0
    messages: int = 0
    leads: int = 0
    crm_actions: int = 0
    deliveries_cancelled: int = 0

    def __iadd__(self, other: Erased) -> Erased:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self


def _count(result: object) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


def erase_conversations(session: Session, conversation_ids: Sequence[str], reason: str) -> Erased:
    """Erase these conversations and all that hangs on them; unknown ids are skipped."""
    erased = Erased()
    ids = list(dict.fromkeys(conversation_ids))
    for start in range(0, len(ids), BATCH):
        erased += _erase_batch(session, ids[start : start + BATCH], reason)
    return erased


def _erase_batch(session: Session, ids: list[str], reason: str) -> Erased:
    lead_ids = list(session.scalars(select(Lead.id).where(Lead.conversation_id.in_(ids))))
    erased = Erased()
    erased.deliveries_cancelled = cancel_events(
        session,
        or_(OutboxEvent.conversation_id.in_(ids), OutboxEvent.lead_id.in_(lead_ids)),
        reason,
        erase_bodies=True,
    )
    erased.crm_actions = _count(
        session.execute(
            delete(CrmAction).where(
                or_(CrmAction.conversation_id.in_(ids), CrmAction.lead_id.in_(lead_ids))
            )
        )
    )
    erased.messages = _count(
        session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
    )
    erased.leads = _count(session.execute(delete(Lead).where(Lead.conversation_id.in_(ids))))
    session.execute(
        delete(RateWindow).where(RateWindow.bucket.in_([f"messages/conversation/{i}" for i in ids]))
    )
    erased.conversations = _count(
        session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    )
    return erased


def erase_leads(session: Session, lead_ids: Sequence[str], reason: str) -> Erased:
    """Erase these leads (not their conversations); unknown ids are skipped."""
    ids = list(dict.fromkeys(lead_ids))
    erased = Erased()
    if not ids:
        return erased
    erased.deliveries_cancelled = cancel_events(
        session, OutboxEvent.lead_id.in_(ids), reason, erase_bodies=True
    )
    erased.crm_actions = _count(
        session.execute(delete(CrmAction).where(CrmAction.lead_id.in_(ids)))
    )
    session.execute(
        update(Message)
        .where(Message.captured_lead_id.in_(ids))
        .values(captured_lead_id=None)
        .execution_options(synchronize_session=False)
    )
    erased.leads = _count(session.execute(delete(Lead).where(Lead.id.in_(ids))))
    return erased


def visitor_conversations(
    session: Session, *, email: str | None = None, conversation_id: str | None = None
) -> list[str]:
    """The conversations of one visitor: the one named, or every one whose lead has `email`
    (compared without regard to case or surrounding spaces)."""
    if conversation_id is not None:
        found = session.get(Conversation, conversation_id)
        return [found.id] if found is not None else []
    assert email is not None
    address = email.strip().lower()
    return list(
        session.scalars(
            select(Lead.conversation_id)
            .where(func.lower(func.trim(Lead.email)) == address)
            .order_by(Lead.created_at)
        )
    )


def erased_out(erased: Erased) -> ErasedOut:
    return ErasedOut(**{field.name: getattr(erased, field.name) for field in fields(erased)})


def delete_conversation(
    sessions: sessionmaker[Session], busy_timeout: float, conversation_id: str
) -> ErasedOut | None:
    """The owner's delete of one conversation; None when there is no such conversation."""
    with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
        if session.get(Conversation, conversation_id) is None:
            return None
        reason = f"erased: the owner deleted conversation {conversation_id}"
        return erased_out(erase_conversations(session, [conversation_id], reason))


def delete_lead(
    sessions: sessionmaker[Session], busy_timeout: float, lead_id: str
) -> ErasedOut | None:
    """The owner's delete of one lead; None when there is no such lead."""
    with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
        if session.get(Lead, lead_id) is None:
            return None
        return erased_out(
            erase_leads(session, [lead_id], f"erased: the owner deleted lead {lead_id}")
        )


def erase_visitor(
    sessions: sessionmaker[Session],
    busy_timeout: float,
    *,
    email: str | None,
    conversation_id: str | None,
) -> ErasedOut:
    """Everything of one visitor (see `visitor_conversations`); zero counts when nothing is left."""
    with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
        found = visitor_conversations(session, email=email, conversation_id=conversation_id)
        # The reason is shown in the delivery log: it names no address.
        return erased_out(
            erase_conversations(session, found, "erased: a visitor's erasure request")
        )
