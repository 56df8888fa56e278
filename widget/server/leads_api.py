"""Admin API for what visitors left behind: leads, and conversations with their transcripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from widget.events import Timestamp
from widget.server.deps import SessionsDep, require_admin
from widget.server.errors import ADMIN_ERRORS, ApiError
from widget.server.models import Conversation, Lead, Message
from widget.server.params import Limit, Offset

router = APIRouter(
    prefix="/v1", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)
AgentFilter = Annotated[str | None, Query(alias="agentId", max_length=64)]


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class LeadOut(_CamelModel):
    lead_id: str
    agent_id: str
    conversation_id: str
    name: str | None
    email: str | None
    phone: str | None
    company_name: str | None
    message: str | None
    # Details the visitor gave that are someone else's, or not surely theirs; one a line.
    notes: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class LeadList(_CamelModel):
    leads: list[LeadOut]


class ConversationSummary(_CamelModel):
    conversation_id: str
    agent_id: str
    created_at: Timestamp
    last_activity_at: Timestamp
    ended_at: Timestamp | None
    first_user_message: str | None
    message_count: int
    lead_id: str | None


class ConversationList(_CamelModel):
    conversations: list[ConversationSummary]


class TranscriptMessage(_CamelModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp


class ConversationDetail(ConversationSummary):
    messages: list[TranscriptMessage]
    lead: LeadOut | None


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


@router.get("/leads", response_model=LeadList)
def list_leads(
    sessions: SessionsDep,
    agent_id: AgentFilter = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> LeadList:
    """Newest first; `q` matches name, email, phone, company or message (case-insensitive)."""
    query = select(Lead)
    if agent_id:
        query = query.where(Lead.agent_id == agent_id)
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                *(
                    _contains(column, term)
                    for column in (
                        Lead.name,
                        Lead.email,
                        Lead.phone,
                        Lead.company_name,
                        Lead.message,
                    )
                )
            )
        )
    with sessions() as session:
        leads = session.scalars(
            query.order_by(Lead.created_at.desc(), Lead.id).limit(limit).offset(offset)
        ).all()
        return LeadList(leads=[lead_out(lead) for lead in leads])


def _summaries(
    rows: list[tuple[Conversation, int, str | None]],
) -> list[ConversationSummary]:
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


@router.get("/conversations", response_model=ConversationList)
def list_conversations(
    sessions: SessionsDep,
    agent_id: AgentFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ConversationList:
    """Newest activity first."""
    query = _summary_query()
    if agent_id:
        query = query.where(Conversation.agent_id == agent_id)
    query = query.order_by(Conversation.last_activity_at.desc(), Conversation.id)
    with sessions() as session:
        rows = session.execute(query.limit(limit).offset(offset)).all()
        return ConversationList(conversations=_summaries([(c, n, lead) for c, n, lead in rows]))


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: Annotated[str, Path(max_length=64)], sessions: SessionsDep
) -> ConversationDetail:
    with sessions() as session:
        row = session.execute(
            _summary_query().where(Conversation.id == conversation_id)
        ).one_or_none()
        if row is None:
            raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
        (summary,) = _summaries([(row[0], row[1], row[2])])
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ).all()
        lead = session.scalar(select(Lead).where(Lead.conversation_id == conversation_id))
        return ConversationDetail(
            **summary.model_dump(),
            messages=[
                TranscriptMessage(
                    message_id=m.id, role=m.role, content=m.content, created_at=m.created_at
                )
                for m in messages
            ],
            lead=lead_out(lead) if lead else None,
        )
