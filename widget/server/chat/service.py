"""The chat service: conversations, visitor messages and the agent's replies, stored with their
webhook events.

A conversation is created by `POST /v1/conversations`, which hands out a visitor token once; the
database keeps only its SHA-256. Every other call needs `Authorization: Bearer <visitorToken>`.

Webhook events are written to the outbox in the same transaction as the messages they describe,
in this order: `conversation.started` (with the first visitor message), `message.sent` (visitor),
`message.sent` (assistant), then `lead.captured` (once per conversation, when the agent first
returns a lead; later details update that lead). A conversation with no visitor message never raised
`conversation.started`, so ending it raises no `conversation.ended` either.
"""

from __future__ import annotations

import dataclasses
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.answers import Source
from widget.agent.core import AgentConfig, AgentReply, Turn
from widget.agent.handoff import handoff_notice
from widget.agent.leads import LeadDetails, merge, normalized, region_from_locale
from widget.events import (
    ConversationEndedData,
    ConversationStartedData,
    LeadCapturedData,
)
from widget.server.agents.tables import Agent
from widget.server.chat.identity import verified_user_id
from widget.server.chat.live import changed
from widget.server.chat.messages import (
    add_assistant_message,
    announce,
    message_out,
    mode_of,
    sources_out,
)
from widget.server.chat.modes import set_waiting
from widget.server.chat.rate_limits import Hit, RateLimit, count_hits
from widget.server.chat.schemas import (
    EndedOut,
    IdentityIn,
    LeadRef,
    Mode,
    PublicAgentOut,
    ReplyOut,
    SendMessageIn,
    SendMessageOut,
    StartConversationOut,
    TranscriptOut,
)
from widget.server.chat.tables import Conversation, ConversationToken, Message
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow, writer_turn
from widget.server.core.errors import ApiError
from widget.server.core.ids import new_id, new_token, token_hash
from widget.server.leads.tables import Lead
from widget.server.webhooks.outbox import enqueue

# Turns of history the agent sees; older ones rarely matter and would only slow it down.
HISTORY_TURNS = 40


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


def conversation_for(session: Session, conversation_id: str, token: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
    hashed = token_hash(token)
    if not hmac.compare_digest(conversation.visitor_token_hash, hashed):
        # An identified user's other device holds a token of its own.
        other = session.get(ConversationToken, hashed)
        if other is None or other.conversation_id != conversation_id:
            raise ApiError(
                403, "forbidden", "This visitor token does not belong to this conversation."
            )
    return conversation


def ended_error(conversation_id: str) -> ApiError:
    return ApiError(
        409,
        "conversation_ended",
        f"Conversation {conversation_id!r} has ended; start a new conversation to keep chatting.",
    )


@dataclass(frozen=True)
class Stored:
    """A reply already stored for a clientMessageId."""

    response: SendMessageOut


@dataclass(frozen=True)
class Ready:
    agent_id: str
    config: AgentConfig
    history: list[Turn]


@dataclass(frozen=True)
class Silent:
    """A person is asked for or handles the conversation: store the message, ask no AI."""

    mode: Mode


def stored_reply(session: Session, conversation_id: str, client_message_id: str) -> Stored | None:
    user_message = session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.client_message_id == client_message_id,
        )
    )
    if user_message is None:
        return None
    conversation = session.get_one(Conversation, conversation_id)
    reply = session.scalar(select(Message).where(Message.reply_to_id == user_message.id))
    if reply is None:  # stored while a person was asked for or handled it: no AI reply
        return Stored(SendMessageOut(reply=None, lead_captured=None, mode=mode_of(conversation)))
    lead = LeadRef(lead_id=reply.captured_lead_id) if reply.captured_lead_id else None
    return Stored(
        SendMessageOut(
            reply=ReplyOut(
                message_id=reply.id,
                content=reply.content,
                created_at=reply.created_at,
                sources=sources_out(reply),
            ),
            lead_captured=lead,
            mode=mode_of(conversation),
            handoff_offered=bool(reply.handoff_offered),
        )
    )


def stored_sources(sources: Sequence[Source]) -> list[dict[str, str]] | None:
    """A reply's sources as its message keeps them: [{"label", "url"?}], or None for none."""
    stored = [
        {"label": source.label, **({"url": source.url} if source.url else {})} for source in sources
    ]
    return stored or None


def _role(value: str) -> Literal["user", "assistant"]:
    return "assistant" if value == "assistant" else "user"


def prepare_reply(
    sessions: sessionmaker[Session], conversation_id: str, token: str, body: SendMessageIn
) -> Stored | Ready | Silent:
    with sessions() as session:
        conversation = conversation_for(session, conversation_id, token)
        if body.client_message_id is not None:
            stored = stored_reply(session, conversation_id, body.client_message_id)
            if stored is not None:
                return stored
        if conversation.ended_at is not None:
            raise ended_error(conversation_id)
        if mode_of(conversation) != "agent":
            return Silent(mode_of(conversation))
        agent = session.get_one(Agent, conversation.agent_id)
        recent = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq.desc())
            .limit(HISTORY_TURNS)
        ).all()
        return Ready(
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


def store_visitor_message(
    session: Session, conversation_id: str, body: SendMessageIn, received_at: datetime
) -> tuple[Conversation, Message]:
    """The visitor's message, with `conversation.started` for the first one and its
    `message.sent`; refused (409) when the conversation has ended."""
    # Writing first takes the database's write lock before anything is read, and refuses a
    # conversation that ended while the agent was thinking.
    touched = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None))
        .values(last_activity_at=utcnow())
    )
    if touched.rowcount != 1:  # type: ignore[attr-defined]
        raise ended_error(conversation_id)
    conversation = session.get_one(Conversation, conversation_id)
    session.refresh(conversation)
    if conversation.first_user_message is None:
        conversation.first_user_message = body.content
        enqueue(
            session,
            "conversation.started",
            ConversationStartedData(
                conversation_id=conversation_id,
                agent_id=conversation.agent_id,
                created_at=conversation.created_at,
                user_id=conversation.user_id,
            ),
        )
    user_message = Message(
        id=new_id("msg"),
        conversation_id=conversation_id,
        role="user",
        content=body.content,
        created_at=received_at,
        client_message_id=body.client_message_id,
        author_kind="visitor",
    )
    session.add(user_message)
    session.flush()
    announce(session, user_message, conversation.agent_id)
    changed(session, conversation_id)
    return conversation, user_message


def record_silent(
    session: Session, conversation_id: str, body: SendMessageIn, received_at: datetime
) -> SendMessageOut:
    """A visitor message while a person is asked for or handles the conversation: stored and
    announced as always, with no AI reply."""
    conversation, _ = store_visitor_message(session, conversation_id, body, received_at)
    return SendMessageOut(reply=None, lead_captured=None, mode=mode_of(conversation))


def record_handoff_request(
    session: Session,
    conversation_id: str,
    body: SendMessageIn,
    received_at: datetime,
    language: str,
) -> SendMessageOut:
    """A visitor message that asks for a person: stored, answered with the handoff notice (in
    the visitor's language), and the conversation waits for a person."""
    conversation, user_message = store_visitor_message(session, conversation_id, body, received_at)
    conversation.language = language
    notice = add_assistant_message(
        session,
        conversation,
        handoff_notice(language),
        "agent",
        reply_to_id=user_message.id,
    )
    if mode_of(conversation) == "agent":
        set_waiting(conversation, notice.created_at)
    return SendMessageOut(
        reply=ReplyOut(
            message_id=notice.id,
            content=notice.content,
            created_at=notice.created_at,
            sources=[],
        ),
        lead_captured=None,
        mode=mode_of(conversation),
    )


def record_reply(
    session: Session,
    conversation_id: str,
    body: SendMessageIn,
    reply: AgentReply,
    received_at: datetime,
) -> SendMessageOut:
    conversation, user_message = store_visitor_message(session, conversation_id, body, received_at)
    agent_id = conversation.agent_id
    now = utcnow()
    conversation.language = reply.language
    assistant_message = Message(
        id=new_id("msg"),
        conversation_id=conversation_id,
        role="assistant",
        content=reply.content,
        created_at=now,
        reply_to_id=user_message.id,
        sources=stored_sources(reply.sources),
        author_kind="agent",
        handoff_offered=reply.handoff_offered or None,
    )
    session.add(assistant_message)
    session.flush()
    announce(session, assistant_message, agent_id)

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
                user_id=conversation.user_id,
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
                    user_id=lead.user_id,
                ),
                conversation_id=conversation_id,
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
            sources=sources_out(assistant_message),
        ),
        lead_captured=captured,
        mode=mode_of(conversation),
        handoff_offered=reply.handoff_offered,
    )


def agent_phone_region(sessions: sessionmaker[Session], conversation_id: str) -> str | None:
    """The phone country of the agent a conversation belongs to, if it has one."""
    with sessions() as session:
        region: str | None = session.scalar(
            select(Agent.phone_region)
            .join(Conversation, Conversation.agent_id == Agent.id)
            .where(Conversation.id == conversation_id)
        )
        return region


def commit_reply(
    sessions: sessionmaker[Session],
    settings: Settings,
    conversation_id: str,
    body: SendMessageIn,
    reply: AgentReply,
    received_at: datetime,
    visitor_locale: str | None = None,
) -> SendMessageOut:
    """Store the exchange. A captured lead is stored (and so announced and sent to CRMs)
    normalised: e-mail as email-validator writes it, the phone in E.164, read in the country of
    the visitor's locale (their browser's Accept-Language), else the agent's `phoneRegion`, else
    WIDGET_PHONE_DEFAULT_REGION."""
    if reply.lead is not None:
        region = (
            region_from_locale(visitor_locale)
            or agent_phone_region(sessions, conversation_id)
            or settings.phone_default_region
        )
        reply = dataclasses.replace(reply, lead=normalized(reply.lead, region))
    return commit_visitor_message(
        sessions,
        settings,
        conversation_id,
        body,
        lambda session: record_reply(session, conversation_id, body, reply, received_at),
    )


def commit_visitor_message(
    sessions: sessionmaker[Session],
    settings: Settings,
    conversation_id: str,
    body: SendMessageIn,
    record: Callable[[Session], SendMessageOut],
) -> SendMessageOut:
    """Run `record` (`record_reply`, `record_silent`, `record_handoff_request`) in a writer's
    transaction; a concurrent retry with the same clientMessageId that won is answered as it was."""
    try:
        with (
            writer_turn(settings.database_busy_timeout, sessions=sessions),
            transaction(sessions) as session,
        ):
            return record(session)
    except IntegrityError:
        if body.client_message_id is None:
            raise
        with sessions() as session:
            stored = stored_reply(session, conversation_id, body.client_message_id)
        if stored is None:
            raise
        return stored.response


def count_message(
    sessions: sessionmaker[Session], settings: Settings, conversation_id: str
) -> None:
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        count_hits(
            session,
            [Hit(f"messages/conversation/{conversation_id}", message_limit(settings))],
            time.time(),
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
    changed(session, conversation_id)  # its streams say `ended` and close
    if conversation.first_user_message is not None:
        enqueue(
            session,
            "conversation.ended",
            ConversationEndedData(
                conversation_id=conversation_id,
                agent_id=conversation.agent_id,
                ended_at=when,
                user_id=conversation.user_id,
            ),
        )
    return True


def start_conversation(
    sessions: sessionmaker[Session],
    settings: Settings,
    agent_id: str,
    address: str,
    identity: IdentityIn | None = None,
) -> StartConversationOut:
    """A new conversation of `agent_id`, counted against the rate limits of `address`; its visitor
    token is handed out here, once (only its SHA-256 is stored).

    With a verified `identity`, the user's latest open conversation with this agent is resumed
    instead, under a new token of its own (the user's other device), and new conversations are
    linked to the user."""
    token = new_token()
    conversation_id = new_id("conv")
    hits = conversation_limits(settings, address, agent_id)
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        user_id = None if identity is None else verified_user_id(agent, identity)
        count_hits(session, hits, time.time())
        if user_id is not None:
            assert identity is not None
            profile = identity.model_dump(include={"email", "name", "attributes"})
            latest = session.scalar(
                select(Conversation)
                .where(
                    Conversation.agent_id == agent_id,
                    Conversation.user_id == user_id,
                    Conversation.ended_at.is_(None),
                )
                .order_by(Conversation.last_activity_at.desc())
                .limit(1)
            )
            if latest is not None:
                latest.user_profile = profile
                session.add(
                    ConversationToken(token_hash=token_hash(token), conversation_id=latest.id)
                )
                return StartConversationOut(
                    conversation_id=latest.id, visitor_token=token, resumed=True
                )
        session.add(
            Conversation(
                id=conversation_id,
                agent_id=agent_id,
                visitor_token_hash=token_hash(token),
                user_id=user_id,
                user_profile=None if user_id is None else profile,
            )
        )
    return StartConversationOut(conversation_id=conversation_id, visitor_token=token)


def transcript(sessions: sessionmaker[Session], conversation_id: str, token: str) -> TranscriptOut:
    with sessions() as session:
        conversation = conversation_for(session, conversation_id, token)
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        ).all()
        return TranscriptOut(
            conversation_id=conversation_id,
            messages=[message_out(m) for m in messages],
            ended=conversation.ended_at is not None,
            mode=mode_of(conversation),
        )


def end_by_visitor(
    sessions: sessionmaker[Session], settings: Settings, conversation_id: str, token: str
) -> EndedOut:
    """The visitor's /end: ends the conversation if it is open; either way, says when it ended."""
    with (
        writer_turn(settings.database_busy_timeout, sessions=sessions),
        transaction(sessions) as session,
    ):
        conversation = conversation_for(session, conversation_id, token)
        if conversation.ended_at is None:
            end_conversation_now(session, conversation_id, utcnow())
            session.refresh(conversation)
        assert conversation.ended_at is not None
        return EndedOut(conversation_id=conversation_id, ended_at=conversation.ended_at)


def public_agent(sessions: sessionmaker[Session], agent_id: str) -> PublicAgentOut:
    with sessions() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise ApiError(404, "not_found", f"No agent {agent_id!r}.")
        return PublicAgentOut(
            agent_id=agent.id,
            name=agent.name,
            welcome_message=agent.welcome_message,
            welcome_messages=dict(agent.welcome_messages or {}),
        )
