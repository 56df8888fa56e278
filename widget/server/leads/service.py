"""Finding leads and conversations for the owner: the queries behind the leads admin API and its
CSV export."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from widget.server.chat.messages import author_out, mode_of
from widget.server.chat.tables import Conversation, Message
from widget.server.leads.schemas import (
    ConversationDetail,
    ConversationSummary,
    LeadOut,
    TranscriptMessage,
)
from widget.server.leads.tables import Lead


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        lead_id=lead.id,
        agent_id=lead.agent_id,
        conversation_id=lead.conversation_id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        company_name=lead.company_name,
        message=lead.message,
        notes=lead.notes,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )


def _contains(column: InstrumentedAttribute[str | None], text: str) -> ColumnElement[bool]:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def find_leads(
    sessions: sessionmaker[Session],
    *,
    agent_id: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> list[LeadOut]:
    """Newest first; `q` matches name, email, phone, company or message (case-insensitive)."""
    query = select(Lead)
    if agent_id:
        query = query.where(Lead.agent_id == agent_id)
    if q and q.strip():
        term = q.strip()
        columns = (Lead.name, Lead.email, Lead.phone, Lead.company_name, Lead.message)
        query = query.where(or_(*(_contains(column, term) for column in columns)))
    with sessions() as session:
        leads = session.scalars(
            query.order_by(Lead.created_at.desc(), Lead.id).limit(limit).offset(offset)
        ).all()
        return [lead_out(lead) for lead in leads]


def _summaries(rows: list[tuple[Conversation, int, str | None]]) -> list[ConversationSummary]:
    return [
        ConversationSummary(
            conversation_id=c.id,
            agent_id=c.agent_id,
            created_at=c.created_at,
            last_activity_at=c.last_activity_at,
            ended_at=c.ended_at,
            first_user_message=c.first_user_message,
            message_count=count,
            lead_id=lead_id,
            mode=mode_of(c),
        )
        for c, count, lead_id in rows
    ]


def _summary_query() -> Select[Conversation, int, str | None]:
    message_count = (
        select(func.count(Message.seq))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    lead_id = (
        select(Lead.id)
        .where(Lead.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    return select(Conversation, message_count, lead_id)


def find_conversations(
    sessions: sessionmaker[Session], *, agent_id: str | None, limit: int, offset: int
) -> list[ConversationSummary]:
    """Newest activity first."""
    query = _summary_query()
    if agent_id:
        query = query.where(Conversation.agent_id == agent_id)
    query = query.order_by(Conversation.last_activity_at.desc(), Conversation.id)
    with sessions() as session:
        rows = session.execute(query.limit(limit).offset(offset)).all()
        return _summaries([(c, n, lead) for c, n, lead in rows])


def conversation_detail(
    sessions: sessionmaker[Session], conversation_id: str
) -> ConversationDetail | None:
    """The conversation with its transcript and lead, or None when there is no such conversation."""
    with sessions() as session:
        row = session.execute(
            _summary_query().where(Conversation.id == conversation_id)
        ).one_or_none()
        if row is None:
            return None
        (summary,) = _summaries([(row[0], row[1], row[2])])
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ).all()
        lead = session.scalar(select(Lead).where(Lead.conversation_id == conversation_id))
        return ConversationDetail(
            **summary.model_dump(),
            messages=[
                TranscriptMessage(
                    message_id=m.id,
                    role=m.role,
                    content=m.content,
                    created_at=m.created_at,
                    author=author_out(m),
                    event_id=str(m.seq),
                )
                for m in messages
            ],
            lead=lead_out(lead) if lead else None,
        )
