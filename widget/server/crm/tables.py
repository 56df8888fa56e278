"""The CRM tables: an agent's configured integrations, and one action per (lead event, CRM).

Actions are created by the outbox fan-out in the same transaction that marks the `lead.captured`
event as fanned out, so each lead reaches each configured CRM through exactly one action row, which
workers claim, run and retry like webhook deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.server.core.db import Base, BigId, UTCDateTime, utcnow

HUBSPOT = "hubspot"
PIPEDRIVE = "pipedrive"
PROVIDERS = (HUBSPOT, PIPEDRIVE)


class CrmIntegration(Base):
    __tablename__ = "crm_integrations"
    __table_args__ = (UniqueConstraint("agent_id", "provider"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    # Write-only through the API: shown masked, used only to call the vendor.
    api_token: Mapped[str] = mapped_column(Text)
    base_url: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrmAction(Base):
    __tablename__ = "crm_actions"
    __table_args__ = (
        UniqueConstraint("outbox_event_id", "provider"),
        Index("ix_crm_actions_due", "status", "next_attempt_at"),
    )

    # "action_..." : the `actionId` of the ai-action.* event that reports the outcome.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    outbox_event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    lead_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The lead.captured data (camelCase JSON) as it was when the event was raised.
    lead: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
