"""Admin API for what visitors left behind: leads (also as CSV), and conversations with their
transcripts; and the owner's control of it: delete a lead or a conversation, erase or export
everything of one visitor (`widget.server.leads.erasure`, `widget.server.leads.visitor_export`).

A delete of something already gone is a 404; an erasure of a visitor with nothing left answers
200 with every count zero, so repeating it is harmless."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError
from widget.server.core.params import Limit, Offset
from widget.server.leads import erasure
from widget.server.leads.csv_export import csv_lines
from widget.server.leads.schemas import (
    ConversationDetail,
    ConversationList,
    ErasedOut,
    LeadList,
    VisitorExport,
    VisitorIn,
)
from widget.server.leads.service import conversation_detail, find_conversations, find_leads
from widget.server.leads.visitor_export import export_visitor

router = APIRouter(
    prefix="/v1", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)
ConversationIdPath = Annotated[str, Path(max_length=64)]
LeadIdPath = Annotated[str, Path(max_length=64)]
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
    conversation_id: ConversationIdPath, sessions: SessionsDep
) -> ConversationDetail:
    detail = conversation_detail(sessions, conversation_id)
    if detail is None:
        raise ApiError(404, "not_found", f"No conversation {conversation_id!r}.")
    return detail


@router.delete("/leads/{lead_id}", response_model=ErasedOut)
def delete_lead(lead_id: LeadIdPath, sessions: SessionsDep, settings: SettingsDep) -> ErasedOut:
    """Delete one lead (its conversation stays); its CRM actions and unsent deliveries go too."""
    erased = erasure.delete_lead(sessions, settings.database_busy_timeout, lead_id)
    if erased is None:
        raise ApiError(404, "not_found", f"No lead {lead_id!r}: it never existed or is deleted.")
    return erased


@router.delete("/conversations/{conversation_id}", response_model=ErasedOut)
def delete_conversation(
    conversation_id: ConversationIdPath, sessions: SessionsDep, settings: SettingsDep
) -> ErasedOut:
    """Delete one conversation: its messages, its lead, their CRM actions; its visitor token
    stops working; deliveries not yet sent are cancelled."""
    erased = erasure.delete_conversation(sessions, settings.database_busy_timeout, conversation_id)
    if erased is None:
        raise ApiError(
            404,
            "not_found",
            f"No conversation {conversation_id!r}: it never existed or is deleted.",
        )
    return erased


@router.post("/visitors/erase", response_model=ErasedOut)
def erase_visitor(body: VisitorIn, sessions: SessionsDep, settings: SettingsDep) -> ErasedOut:
    """Erase everything of one visitor: by `email`, every conversation whose lead has that
    address; by `conversationId`, that conversation. Counts are zero when nothing was left."""
    return erasure.erase_visitor(
        sessions,
        settings.database_busy_timeout,
        email=body.email,
        conversation_id=body.conversation_id,
    )


@router.get("/visitors/export", response_model=VisitorExport)
def export(
    sessions: SessionsDep,
    email: Annotated[str | None, Query(min_length=1, max_length=320)] = None,
    conversation_id: Annotated[
        str | None, Query(alias="conversationId", min_length=1, max_length=64)
    ] = None,
) -> VisitorExport:
    """Everything stored about one visitor, named by exactly one of `email` or `conversationId`."""
    if (email is None) == (conversation_id is None):
        raise ApiError(
            422,
            "invalid_request",
            "Give exactly one of the query parameters email or conversationId.",
        )
    return export_visitor(sessions, email=email, conversation_id=conversation_id)
