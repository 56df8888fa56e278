"""Admin API of the live inbox (Bearer admin key): the inbox and its stream, a person's reply,
hand back, close. See `widget.server.inbox` and `widget.server.chat.modes`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from widget.server.chat.live import broadcaster_for
from widget.server.chat.schemas import MessageOut, ModeOut
from widget.server.core import sse
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, error_responses
from widget.server.core.params import Limit, Offset
from widget.server.inbox import actions
from widget.server.inbox.listing import find_inbox
from widget.server.inbox.schemas import ClosedOut, InboxList, PersonReplyIn
from widget.server.inbox.stream import inbox_events

router = APIRouter(
    prefix="/v1", tags=["inbox"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)
ConversationIdPath = Annotated[str, Path(max_length=64)]
AgentFilter = Annotated[str | None, Query(alias="agentId", max_length=64)]


@router.get("/inbox", response_model=InboxList)
def inbox(
    sessions: SessionsDep, agent_id: AgentFilter = None, limit: Limit = 100, offset: Offset = 0
) -> InboxList:
    """Open conversations: waiting for a person first (the longest wait first), then those a
    person handles, then the rest, each by last activity."""
    return InboxList(data=find_inbox(sessions, agent_id=agent_id, limit=limit, offset=offset))


def _last_event_id(
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20, include_in_schema=False)
    ] = None,
) -> int | None:
    return sse.last_event_id(last_event_id)


@router.get(
    "/inbox/stream",
    response_class=StreamingResponse,
    responses=sse.openapi_stream(
        "Server-Sent Events: `conversation` (data: an inbox item) on every change"
    ),
)
def inbox_stream(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    after: Annotated[int | None, Depends(_last_event_id)],
    agent_id: AgentFilter = None,
) -> StreamingResponse:
    """Every change to a conversation (a message, a handoff, a reply, hand back, close), live,
    from every server process."""
    return sse.event_stream(
        inbox_events(
            broadcaster_for(request.app.state.engine),
            sessions,
            agent_id,
            after,
            settings.stream_heartbeat_seconds,
        )
    )


@router.post(
    "/conversations/{conversation_id}/replies",
    status_code=201,
    response_model=MessageOut,
    responses=error_responses(409),
)
def reply(
    conversation_id: ConversationIdPath,
    body: PersonReplyIn,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> MessageOut:
    """A person's reply to the visitor; the person takes the conversation over (the AI is
    silent until handed back). 409 on an ended conversation."""
    return actions.person_reply(sessions, settings, conversation_id, body)


@router.post(
    "/conversations/{conversation_id}/handback",
    response_model=ModeOut,
    responses=error_responses(409),
)
def handback(
    conversation_id: ConversationIdPath, sessions: SessionsDep, settings: SettingsDep
) -> ModeOut:
    """The AI answers the conversation again."""
    return actions.hand_back(sessions, settings, conversation_id)


@router.post("/conversations/{conversation_id}/close", response_model=ClosedOut)
def close(
    conversation_id: ConversationIdPath, sessions: SessionsDep, settings: SettingsDep
) -> ClosedOut:
    """End the conversation (`conversation.ended`); the visitor's stream says `ended`."""
    return actions.close(sessions, settings, conversation_id)
