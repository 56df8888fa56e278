"""The public chat API, called by the frame from the widget server's own origin.

A conversation is created by `POST /v1/conversations`, which hands out a visitor token once; the
database keeps only its SHA-256. Every other call needs `Authorization: Bearer <visitorToken>`.
What each call stores, and which webhook events it raises, is `widget.server.chat.service`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from widget.agent.core import Agent as ChatAgent
from widget.agent.core import AgentError, visitor_language
from widget.agent.handoff import asks_for_person
from widget.agent.knowledge import KnowledgeIndex
from widget.server.agents.knowledge_cache import KnowledgeCache
from widget.server.chat import service
from widget.server.chat.live import broadcaster_for
from widget.server.chat.modes import request_handoff
from widget.server.chat.schemas import (
    EndedOut,
    HandoffOut,
    PublicAgentOut,
    SendMessageIn,
    SendMessageOut,
    StartConversationIn,
    StartConversationOut,
    TranscriptOut,
)
from widget.server.chat.stream import visitor_events
from widget.server.core import sse
from widget.server.core.db import utcnow
from widget.server.core.deps import SessionsDep, SettingsDep, VisitorTokenHeader, bearer_token
from widget.server.core.errors import COMMON_ERRORS, ApiError, error_responses

router = APIRouter(prefix="/v1", tags=["chat"])


def _visitor_token(request: Request, _: VisitorTokenHeader) -> str:
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
VISITOR_ERRORS = (*COMMON_ERRORS, 401, 403, 404)


def _client_address(request: Request) -> str:
    # uvicorn sets the client from X-Forwarded-For only for trusted proxies (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


@router.post(
    "/conversations",
    status_code=201,
    response_model=StartConversationOut,
    responses=error_responses(*COMMON_ERRORS, 403, 404, 429),
)
def start_conversation(
    body: StartConversationIn, request: Request, sessions: SessionsDep, settings: SettingsDep
) -> StartConversationOut:
    """Start a conversation; with a verified `identity`, resume the user's open one."""
    return service.start_conversation(
        sessions, settings, body.agent_id, _client_address(request), body.identity
    )


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
    prepared = await run_in_threadpool(
        service.prepare_reply, sessions, conversation_id, token, body
    )
    if isinstance(prepared, service.Stored):
        return prepared.response
    await run_in_threadpool(service.count_message, sessions, settings, conversation_id)
    if isinstance(prepared, service.Silent):
        # A person is asked for or has the conversation: the AI is not asked.
        return await run_in_threadpool(
            service.commit_visitor_message,
            sessions,
            settings,
            conversation_id,
            body,
            lambda session: service.record_silent(session, conversation_id, body, received_at),
        )
    if asks_for_person(body.content):
        language = visitor_language(body.content, prepared.history)
        return await run_in_threadpool(
            service.commit_visitor_message,
            sessions,
            settings,
            conversation_id,
            body,
            lambda session: service.record_handoff_request(
                session, conversation_id, body, received_at, language
            ),
        )
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
        service.commit_reply,
        sessions,
        settings,
        conversation_id,
        body,
        reply,
        received_at,
        request.headers.get("accept-language"),
    )


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=TranscriptOut,
    responses=error_responses(*VISITOR_ERRORS),
)
def transcript(
    conversation_id: ConversationIdPath, token: VisitorToken, sessions: SessionsDep
) -> TranscriptOut:
    return service.transcript(sessions, conversation_id, token)


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
    return service.end_by_visitor(sessions, settings, conversation_id, token)


@router.get(
    "/agents/{agent_id}/public",
    response_model=PublicAgentOut,
    responses=error_responses(*COMMON_ERRORS, 404),
)
def public_agent(agent_id: AgentIdPath, sessions: SessionsDep) -> PublicAgentOut:
    """What the frame shows before the first message: the agent's name and welcome message."""
    return service.public_agent(sessions, agent_id)


@router.post(
    "/conversations/{conversation_id}/handoff",
    response_model=HandoffOut,
    responses=error_responses(*VISITOR_ERRORS, 409),
)
def handoff(
    conversation_id: ConversationIdPath,
    token: VisitorToken,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> HandoffOut:
    """The visitor asks for a person: the AI goes silent and the owner's inbox shows the
    conversation as waiting. Asking again changes nothing (`message` is null)."""
    with sessions() as session:
        conversation = service.conversation_for(session, conversation_id, token)
    return request_handoff(sessions, settings, conversation)


def _stream_token(
    request: Request,
    _: VisitorTokenHeader,
    token: Annotated[
        str | None,
        Query(
            max_length=256,
            description="The visitor token, for a plain EventSource, which cannot send headers; "
            "the Authorization header is preferred (a URL may end up in logs).",
        ),
    ] = None,
) -> str:
    return bearer_token(request) or token or _visitor_token(request, _)


def _last_event_id(
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20, include_in_schema=False)
    ] = None,
    query_last_event_id: Annotated[
        int | None,
        Query(
            alias="lastEventId",
            ge=0,
            le=2**63 - 1,
            description="Resume after this event id (as the Last-Event-ID header does).",
        ),
    ] = None,
) -> int | None:
    from_header = sse.last_event_id(last_event_id)
    if from_header is not None:
        return from_header
    return query_last_event_id


@router.get(
    "/conversations/{conversation_id}/stream",
    response_class=StreamingResponse,
    responses={
        **sse.openapi_stream(
            "Server-Sent Events: `message` (id: the message's event id), `mode`, `ended`"
        ),
        **error_responses(*VISITOR_ERRORS),
    },
)
def stream(
    conversation_id: ConversationIdPath,
    token: Annotated[str, Depends(_stream_token)],
    after: Annotated[int | None, Depends(_last_event_id)],
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> StreamingResponse:
    """What the frame did not ask for, live: a person's replies, the system's notices, the
    mode's changes and the end. Resume with `Last-Event-ID`: nothing lost, nothing twice."""
    with sessions() as session:
        service.conversation_for(session, conversation_id, token)
    return sse.event_stream(
        visitor_events(
            broadcaster_for(request.app.state.engine),
            sessions,
            conversation_id,
            after,
            settings.stream_heartbeat_seconds,
        )
    )
