"""Admin API for what visitors left behind: leads (also as CSV), and conversations with their
transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from widget.server.core.deps import SessionsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.core.params import Limit, Offset
from widget.server.leads.csv_export import csv_lines
from widget.server.leads.schemas import ConversationDetail, ConversationList, LeadList
from widget.server.leads.service import conversation_detail, find_conversations, find_leads

router = APIRouter(
    prefix="/v1", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)
AgentFilter = Annotated[str | None, Query(alias="agentId", max_length=64)]
SearchText = Annotated[str | None, Query(max_length=200)]


@router.get("/leads", response_model=LeadList)
def list_leads(
    sessions: SessionsDep,
    agent_id: AgentFilter = None,
    q: SearchText = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> LeadList:
    """Newest first; `q` matches name, email, phone, company or message (case-insensitive)."""
    return LeadList(data=find_leads(sessions, agent_id=agent_id, q=q, limit=limit, offset=offset))


@router.get(
    "/leads.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The leads as CSV (UTF-8 with a byte order mark), one row a lead",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def leads_csv(
    sessions: SessionsDep, agent_id: AgentFilter = None, q: SearchText = None
) -> StreamingResponse:
    """The leads `GET /v1/leads` finds for the same `q` and `agentId`, all of them, newest first."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return StreamingResponse(
        csv_lines(sessions, agent_id or None, q),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="leads-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/conversations", response_model=ConversationList)
def list_conversations(
    sessions: SessionsDep,
    agent_id: AgentFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ConversationList:
    """Newest activity first."""
    return ConversationList(
        data=find_conversations(sessions, agent_id=agent_id, limit=limit, offset=offset)
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: Annotated[str, Path(max_length=64)], sessions: SessionsDep
) -> ConversationDetail:
    detail = conversation_detail(sessions, conversation_id)
    if detail is None:
        raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
    return detail
