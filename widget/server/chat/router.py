"""The public chat API, called by the frame from the widget server's own origin.

A conversation is created by `POST /v1/conversations`, which hands out a visitor token once; the
database keeps only its SHA-256. Every other call needs `Authorization: Bearer <visitorToken>`.
What each call stores, and which webhook events it raises, is `widget.server.chat.service`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from widget.agent.core import Agent as ChatAgent
from widget.agent.core import AgentError
from widget.agent.knowledge import KnowledgeIndex
from widget.server.agents.knowledge_cache import KnowledgeCache
from widget.server.chat import service
from widget.server.chat.schemas import (
    EndedOut,
    PublicAgentOut,
    SendMessageIn,
    SendMessageOut,
    StartConversationIn,
    StartConversationOut,
    TranscriptOut,
)
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
