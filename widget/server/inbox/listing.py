"""The inbox's queries: open conversations in the order a person should look at them, and the
conversations changed since a moment (what the inbox stream announces)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from widget.server.chat.messages import mode_of
from widget.server.chat.tables import Conversation, Message
from widget.server.inbox.schemas import InboxItem, InboxLead, LastMessage
from widget.server.leads.tables import Lead


def inbox_items(session: Session, conversations: Sequence[Conversation]) -> list[InboxItem]:
    """Each conversation with its last message, message count and lead, in the given order."""
    ids = [c.id for c in conversations]
    if not ids:
        return []
    stats = {
        cid: (count, last)
        for cid, count, last in session.execute(
            select(Message.conversation_id, func.count(Message.seq), func.max(Message.seq))
            .where(Message.conversation_id.in_(ids))
            .group_by(Message.conversation_id)
        )
    }
    last_seqs = [last for _, last in stats.values()]
    last_messages = {
        m.conversation_id: m
        for m in session.scalars(select(Message).where(Message.seq.in_(last_seqs)))
    }
    leads = {
        lead.conversation_id: lead
        for lead in session.scalars(select(Lead).where(Lead.conversation_id.in_(ids)))
    }
    items = []
    for c in conversations:
        last = last_messages.get(c.id)
        lead = leads.get(c.id)
        profile_email = (c.user_profile or {}).get("email")
        items.append(
            InboxItem(
                conversation_id=c.id,
                agent_id=c.agent_id,
                mode=mode_of(c),
                waiting_since=c.waiting_since if mode_of(c) == "waiting" else None,
                last_message=(
                    LastMessage(content=last.content, role=last.role, created_at=last.created_at)
                    if last is not None
                    else None
                ),
                message_count=stats.get(c.id, (0, 0))[0],
                last_activity_at=c.last_activity_at,
                ended_at=c.ended_at,
                user_id=c.user_id,
                visitor_email=(lead.email if lead is not None else None)
                or (profile_email if isinstance(profile_email, str) else None),
                lead=(
                    InboxLead(lead_id=lead.id, name=lead.name, email=lead.email)
                    if lead is not None
                    else None
                ),
            )
        )
    return items


def find_inbox(
    sessions: sessionmaker[Session], *, agent_id: str | None, limit: int, offset: int
) -> list[InboxItem]:
    """Open conversations with something in them: waiting for a person first (the longest
    wait first), then those a person handles, then the rest; each group by last activity."""
    rank = case((Conversation.mode == "waiting", 0), (Conversation.mode == "person", 1), else_=2)
    query = select(Conversation).where(
        Conversation.ended_at.is_(None),
        or_(
            Conversation.first_user_message.is_not(None),
            Conversation.mode.in_(("waiting", "person")),
        ),
    )
    if agent_id:
        query = query.where(Conversation.agent_id == agent_id)
    query = query.order_by(
        rank,
        Conversation.waiting_since.asc(),
        Conversation.last_activity_at.desc(),
        Conversation.id,
    )
    with sessions() as session:
        conversations = session.scalars(query.limit(limit).offset(offset)).all()
        return inbox_items(session, conversations)


def changed_since(
    sessions: sessionmaker[Session], since: datetime, agent_id: str | None, limit: int = 200
) -> list[tuple[InboxItem, datetime]]:
    """Conversations whose `changed_at` is at or after `since`, oldest change first, each with
    its `changed_at`."""
    query = select(Conversation).where(Conversation.changed_at >= since)
    if agent_id:
        query = query.where(Conversation.agent_id == agent_id)
    with sessions() as session:
        conversations = session.scalars(
            query.order_by(Conversation.changed_at, Conversation.id).limit(limit)
        ).all()
        items = inbox_items(session, conversations)
        return [
            (item, c.changed_at)
            for item, c in zip(items, conversations, strict=True)
            if c.changed_at is not None
        ]
