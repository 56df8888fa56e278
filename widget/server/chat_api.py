"""The public chat API, called by the frame from the widget server's own origin.

A conversation is created by `POST /v1/conversations`, which hands out a visitor token once; the
database keeps only its SHA-256. Every other call needs `Authorization: Bearer <visitorToken>`.

Webhook events are written to the outbox in the same transaction as the messages they describe,
in this order: `conversation.started` (with the first visitor message), `message.sent` (visitor),
`message.sent` (assistant), then `lead.captured` (once per conversation, when the agent first
returns a lead; later details update that lead). A conversation with no visitor message never raised
`conversation.started`, so ending it raises no `conversation.ended` either.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from widget.agent.core import Agent as ChatAgent
from widget.agent.core import AgentConfig, AgentError, AgentReply, Turn
from widget.agent.knowledge import KnowledgeIndex
from widget.agent.leads import LeadDetails, merge
from widget.events import (
    ConversationEndedData,
    ConversationStartedData,
    LeadCapturedData,
    MessageSentData,
    Timestamp,
)
from widget.server.config import Settings
from widget.server.db import transaction, writer_turn
from widget.server.deps import SessionsDep, SettingsDep, bearer_token
from widget.server.errors import COMMON_ERRORS, ApiError, error_responses
from widget.server.ids import new_id, new_token, token_hash
from widget.server.knowledge_cache import KnowledgeCache
from widget.server.models import Agent, Conversation, Lead, Message, utcnow
from widget.server.outbox import enqueue
from widget.server.rate_limits import Hit, RateLimit, count_hits
from widget.server.request_models import NOT_BLANK, RequestModel, is_blank

router = APIRouter(prefix="/v1", tags=["chat"])

MAX_MESSAGE_CHARS = 4000
# Turns of history the agent sees; older ones rarely matter and would only slow it down.
HISTORY_TURNS = 40


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class StartConversationIn(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)


class StartConversationOut(CamelModel):
    conversation_id: str
    visitor_token: str


class SendMessageIn(RequestModel):
    content: str = Field(json_schema_extra={"pattern": NOT_BLANK, "maxLength": MAX_MESSAGE_CHARS})
    client_message_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("content")
    @classmethod
    def _content_fits(cls, value: str) -> str:
        if is_blank(value):
            raise PydanticCustomError("blank", "must not be empty or blank")
        if len(value) > MAX_MESSAGE_CHARS:
            raise PydanticCustomError(
                "too_long",
                "is {length} characters long; a message may have at most 4,000 characters",
                {"length": len(value)},
            )
        return value


class ReplyOut(CamelModel):
    message_id: str
    content: str
    created_at: Timestamp


class LeadRef(CamelModel):
    lead_id: str


class SendMessageOut(CamelModel):
    reply: ReplyOut
    lead_captured: LeadRef | None


class MessageOut(CamelModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp


class TranscriptOut(CamelModel):
    conversation_id: str
    messages: list[MessageOut]
    ended: bool


class EndedOut(CamelModel):
    conversation_id: str
    ended_at: Timestamp


class PublicAgentOut(CamelModel):
    agent_id: str
    name: str
    welcome_message: str


def message_limit(settings: Settings) -> RateLimit:
    return RateLimit("messages a minute per conversation", settings.messages_per_conversation)


def conversation_limits(settings: Settings, address: str, agent_id: str) -> list[Hit]:
    return [
        Hit(
            f"conversations/address/{address}",
            RateLimit(
                "new conversations a minute from one address", settings.conversations_per_address
            ),
        ),
        Hit(
            f"conversations/agent/{agent_id}",
            RateLimit("new conversations a minute for one agent", settings.conversations_per_agent),
        ),
    ]


def _visitor_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send the conversation's visitor token: 'Authorization: Bearer <visitorToken>'.",
            {"WWW-Authenticate": "Bearer"},
        )
    return token


VisitorToken = Annotated[str, Depends(_visitor_token)]
ConversationIdPath = Annotated[str, Path(max_length=64)]
AgentIdPath = Annotated[str, Path(max_length=64)]


def _conversation_for(session: Session, conversation_id: str, token: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
    if not hmac.compare_digest(conversation.visitor_token_hash, token_hash(token)):
        raise ApiError(403, "forbidden", "This visitor token does not belong to this conversation.")
    return conversation


def _ended_error(conversation_id: str) -> ApiError:
    return ApiError(
        409,
        "conversation_ended",
        f"Conversation {conversation_id!r} has ended; start a new conversation to keep chatting.",
    )


@dataclass(frozen=True)
class _Stored:
    """A reply already stored for a clientMessageId."""

    response: SendMessageOut


@dataclass(frozen=True)
class _Ready:
    agent_id: str
    config: AgentConfig
    history: list[Turn]


def _stored_reply(session: Session, conversation_id: str, client_message_id: str) -> _Stored | None:
    user_message = session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.client_message_id == client_message_id,
        )
    )
    if user_message is None:
        return None
    reply = session.scalar(select(Message).where(Message.reply_to_id == user_message.id))
    if reply is None:  # both are written in one transaction; this means a broken database
        raise RuntimeError(f"message {user_message.id} has no stored reply")
    lead = LeadRef(lead_id=reply.captured_lead_id) if reply.captured_lead_id else None
    return _Stored(
        SendMessageOut(
            reply=ReplyOut(message_id=reply.id, content=reply.content, created_at=reply.created_at),
            lead_captured=lead,
        )
    )


def _role(value: str) -> Literal["user", "assistant"]:
    return "assistant" if value == "assistant" else "user"


def _prepare(
    sessions: sessionmaker[Session], conversation_id: str, token: str, body: SendMessageIn
) -> _Stored | _Ready:
    with sessions() as session:
        conversation = _conversation_for(session, conversation_id, token)
        if body.client_message_id is not None:
            stored = _stored_reply(session, conversation_id, body.client_message_id)
            if stored is not None:
                return stored
        if conversation.ended_at is not None:
            raise _ended_error(conversation_id)
        agent = session.get_one(Agent, conversation.agent_id)
        recent = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq.desc())
            .limit(HISTORY_TURNS)
        ).all()
        return _Ready(
            agent_id=agent.id,
            config=AgentConfig(
                agent_id=agent.id,
                name=agent.name,
                prompt=agent.prompt,
                welcome_message=agent.welcome_message,
            ),
            history=[Turn(role=_role(m.role), content=m.content) for m in reversed(recent)],
        )


def _lead_fields(details: LeadDetails) -> dict[str, Any]:
    return {
        "name": details.name,
        "email": details.email,
        "phone": details.phone,
        "company_name": details.company,
        "notes": "\n".join(details.notes) or None,
    }


def _lead_details(lead: Lead) -> LeadDetails:
    # The stored address is the one the agent settled on as the visitor's; the agent's later
    # reply holds every detail known since, so only a settled change of address replaces it.
    return LeadDetails(
        email=lead.email or "",
        name=lead.name,
        phone=lead.phone,
        company=lead.company_name,
        notes=tuple(lead.notes.split("\n")) if lead.notes else (),
        owner="visitor",
    )


def _record(
    session: Session,
    conversation_id: str,
    body: SendMessageIn,
    reply: AgentReply,
    received_at: datetime,
) -> SendMessageOut:
    now = utcnow()
    # Writing first takes the database's write lock before anything is read, and refuses a
    # conversation that ended while the agent was thinking.
    touched = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None))
        .values(last_activity_at=now)
    )
    if touched.rowcount != 1:  # type: ignore[attr-defined]
        raise _ended_error(conversation_id)
    conversation = session.get_one(Conversation, conversation_id)
    agent_id = conversation.agent_id

    if conversation.first_user_message is None:
        conversation.first_user_message = body.content
        enqueue(
            session,
            "conversation.started",
            ConversationStartedData(
                conversation_id=conversation_id,
                agent_id=agent_id,
                created_at=conversation.created_at,
            ),
        )
    user_message = Message(
        id=new_id("msg"),
        conversation_id=conversation_id,
        role="user",
        content=body.content,
        created_at=received_at,
        client_message_id=body.client_message_id,
    )
    assistant_message = Message(
        id=new_id("msg"),
        conversation_id=conversation_id,
        role="assistant",
        content=reply.content,
        created_at=now,
        reply_to_id=user_message.id,
    )
    session.add_all([user_message, assistant_message])
    for message in (user_message, assistant_message):
        enqueue(
            session,
            "message.sent",
            MessageSentData(
                message_id=message.id,
                conversation_id=conversation_id,
                agent_id=agent_id,
                role=_role(message.role),
                content=message.content,
                created_at=message.created_at,
            ),
        )

    captured: LeadRef | None = None
    if reply.lead is not None:
        lead = session.scalar(select(Lead).where(Lead.conversation_id == conversation_id))
        if lead is None:
            lead = Lead(
                id=new_id("lead"),
                agent_id=agent_id,
                conversation_id=conversation_id,
                message=conversation.first_user_message,
                created_at=now,
                updated_at=now,
                **_lead_fields(reply.lead),
            )
            session.add(lead)
            assistant_message.captured_lead_id = lead.id
            captured = LeadRef(lead_id=lead.id)
            enqueue(
                session,
                "lead.captured",
                LeadCapturedData(
                    lead_id=lead.id,
                    agent_id=agent_id,
                    name=lead.name,
                    email=reply.lead.email,
                    phone=lead.phone,
                    company_name=lead.company_name,
                    message=lead.message,
                    created_at=lead.created_at,
                ),
            )
        else:
            merged = _lead_fields(merge(_lead_details(lead), reply.lead))
            if any(getattr(lead, k) != v for k, v in merged.items()):
                for key, value in merged.items():
                    setattr(lead, key, value)
                lead.updated_at = now
    session.flush()
    return SendMessageOut(
        reply=ReplyOut(
            message_id=assistant_message.id,
            content=assistant_message.content,
            created_at=assistant_message.created_at,
        ),
        lead_captured=captured,
    )


def _commit(
    sessions: sessionmaker[Session],
    settings: Settings,
    conversation_id: str,
    body: SendMessageIn,
    reply: AgentReply,
    received_at: datetime,
) -> SendMessageOut:
    try:
        with writer_turn(settings.database_busy_timeout), transaction(sessions) as session:
            return _record(session, conversation_id, body, reply, received_at)
    except IntegrityError:
        # A concurrent retry with the same clientMessageId won; answer as it did.
        if body.client_message_id is None:
            raise
        with sessions() as session:
            stored = _stored_reply(session, conversation_id, body.client_message_id)
        if stored is None:
            raise
        return stored.response


def _client_address(request: Request) -> str:
    # uvicorn sets the client from X-Forwarded-For only for trusted proxies (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


def _count_message(
    sessions: sessionmaker[Session], settings: Settings, conversation_id: str
) -> None:
    with writer_turn(settings.database_busy_timeout), transaction(sessions) as session:
        count_hits(
            session,
            [Hit(f"messages/conversation/{conversation_id}", message_limit(settings))],
            time.time(),
        )


@router.post(
    "/conversations",
    status_code=201,
    response_model=StartConversationOut,
    responses=error_responses(*COMMON_ERRORS, 404, 429),
)
def start_conversation(
    body: StartConversationIn, request: Request, sessions: SessionsDep, settings: SettingsDep
) -> StartConversationOut:
    token = new_token()
    conversation_id = new_id("conv")
    hits = conversation_limits(settings, _client_address(request), body.agent_id)
    with writer_turn(settings.database_busy_timeout), transaction(sessions) as session:
        if session.get(Agent, body.agent_id) is None:
            raise ApiError(404, "not_found", f"No agent {body.agent_id!r}.")
        count_hits(session, hits, time.time())
        session.add(
            Conversation(
                id=conversation_id, agent_id=body.agent_id, visitor_token_hash=token_hash(token)
            )
        )
    return StartConversationOut(conversation_id=conversation_id, visitor_token=token)


VISITOR_ERRORS = (*COMMON_ERRORS, 401, 403, 404)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=SendMessageOut,
    responses=error_responses(*VISITOR_ERRORS, 409, 429, 502),
)
async def send_message(
    conversation_id: ConversationIdPath,
    body: SendMessageIn,
    token: VisitorToken,
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> SendMessageOut:
    received_at = utcnow()
    prepared = await run_in_threadpool(_prepare, sessions, conversation_id, token, body)
    if isinstance(prepared, _Stored):
        return prepared.response
    await run_in_threadpool(_count_message, sessions, settings, conversation_id)
    knowledge_cache: KnowledgeCache = request.app.state.knowledge
    knowledge: KnowledgeIndex = await run_in_threadpool(knowledge_cache.get, prepared.agent_id)
    agent: ChatAgent = request.app.state.agent
    try:
        reply = await agent.reply(prepared.config, prepared.history, body.content, knowledge)
    except AgentError as exc:
        raise ApiError(
            502, "agent_unavailable", f"The agent could not answer: {exc}. Please try again."
        ) from exc
    return await run_in_threadpool(
        _commit, sessions, settings, conversation_id, body, reply, received_at
    )


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=TranscriptOut,
    responses=error_responses(*VISITOR_ERRORS),
)
def transcript(
    conversation_id: ConversationIdPath, token: VisitorToken, sessions: SessionsDep
) -> TranscriptOut:
    with sessions() as session:
        conversation = _conversation_for(session, conversation_id, token)
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ).all()
        return TranscriptOut(
            conversation_id=conversation_id,
            messages=[
                MessageOut(message_id=m.id, role=m.role, content=m.content, created_at=m.created_at)
                for m in messages
            ],
            ended=conversation.ended_at is not None,
        )


def end_conversation_now(
    session: Session, conversation_id: str, when: datetime, *, idle_before: datetime | None = None
) -> bool:
    """End an open conversation in the caller's transaction; False if it had already ended.

    The conditional UPDATE makes the visitor's /end, a new message and the idle sweeper race
    safely: only one of them ends it, so `conversation.ended` is raised once. With `idle_before`,
    a conversation active since then stays open.
    """
    conditions = [Conversation.id == conversation_id, Conversation.ended_at.is_(None)]
    if idle_before is not None:
        conditions.append(Conversation.last_activity_at < idle_before)
    result = session.execute(update(Conversation).where(*conditions).values(ended_at=when))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    conversation = session.get_one(Conversation, conversation_id)
    session.refresh(conversation)
    if conversation.first_user_message is not None:
        enqueue(
            session,
            "conversation.ended",
            ConversationEndedData(
                conversation_id=conversation_id, agent_id=conversation.agent_id, ended_at=when
            ),
        )
    return True


@router.post(
    "/conversations/{conversation_id}/end",
    response_model=EndedOut,
    responses=error_responses(*VISITOR_ERRORS),
)
def end_conversation(
    conversation_id: ConversationIdPath,
    token: VisitorToken,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> EndedOut:
    with writer_turn(settings.database_busy_timeout), transaction(sessions) as session:
        conversation = _conversation_for(session, conversation_id, token)
        if conversation.ended_at is None:
            end_conversation_now(session, conversation_id, utcnow())
            session.refresh(conversation)
        assert conversation.ended_at is not None
        return EndedOut(conversation_id=conversation_id, ended_at=conversation.ended_at)


@router.get(
    "/agents/{agent_id}/public",
    response_model=PublicAgentOut,
    responses=error_responses(*COMMON_ERRORS, 404),
)
def public_agent(agent_id: AgentIdPath, sessions: SessionsDep) -> PublicAgentOut:
    """What the frame shows before the first message: the agent's name and welcome message."""
    with sessions() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        return PublicAgentOut(
            agent_id=agent.id, name=agent.name, welcome_message=agent.welcome_message
        )
