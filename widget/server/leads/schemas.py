"""The leads admin API's response models."""

from __future__ import annotations

from widget.server.core.api_models import ApiModel, Timestamp


class LeadOut(ApiModel):
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


class LeadList(ApiModel):
    data: list[LeadOut]


class ConversationSummary(ApiModel):
    conversation_id: str
    agent_id: str
    created_at: Timestamp
    last_activity_at: Timestamp
    ended_at: Timestamp | None
    first_user_message: str | None
    message_count: int
    lead_id: str | None


class ConversationList(ApiModel):
    data: list[ConversationSummary]


class TranscriptMessage(ApiModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp


class ConversationDetail(ConversationSummary):
    messages: list[TranscriptMessage]
    lead: LeadOut | None
