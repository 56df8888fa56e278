"""Access: everything stored about one visitor, as JSON in the fields the rest of the API uses
(`GET /v1/conversations/{id}` for each conversation, `GET /v1/leads` for each lead)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from widget.server.leads.erasure import visitor_conversations
from widget.server.leads.schemas import VisitorExport
from widget.server.leads.service import conversation_detail


def export_visitor(
    sessions: sessionmaker[Session], *, email: str | None, conversation_id: str | None
) -> VisitorExport:
    """The visitor's conversations (each with its messages and lead) and their leads."""
    with sessions() as session:
        found = visitor_conversations(session, email=email, conversation_id=conversation_id)
    details = [d for d in (conversation_detail(sessions, c) for c in found) if d is not None]
    return VisitorExport(
        conversations=details, leads=[d.lead for d in details if d.lead is not None]
    )
