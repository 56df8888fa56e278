"""The inbox API's bodies."""

from __future__ import annotations

from pydantic import Field, field_validator

from widget.server.chat.schemas import MAX_MESSAGE_CHARS, Mode
from widget.server.core.api_models import NOT_BLANK, ApiModel, RequestModel, Timestamp, is_blank


class LastMessage(ApiModel):
    content: str
    role: str
    created_at: Timestamp


class InboxLead(ApiModel):
    lead_id: str
    name: str | None
    email: str | None


class InboxItem(ApiModel):
    """One conversation as the inbox lists it (and its stream announces it)."""

    conversation_id: str
    agent_id: str
    mode: Mode
    # Since when the visitor has waited for a person; null unless mode is "waiting".
    waiting_since: Timestamp | None
    last_message: LastMessage | None
    message_count: int
    last_activity_at: Timestamp
    # Set once the conversation ended (the inbox stream announces a close with it).
    ended_at: Timestamp | None
    user_id: str | None
    # The visitor's email address, from their lead or their identify() profile, if known.
    visitor_email: str | None
    lead: InboxLead | None


class InboxList(ApiModel):
    data: list[InboxItem]


class PersonReplyIn(RequestModel):
    content: str = Field(json_schema_extra={"pattern": NOT_BLANK, "maxLength": MAX_MESSAGE_CHARS})
    # Shown to the visitor beside the reply ("Ada from Support"); null: no name.
    author_name: str | None = Field(default=None, max_length=200)

    @field_validator("content")
    @classmethod
    def _content_fits(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be empty or blank")
        if len(value) > MAX_MESSAGE_CHARS:
            raise ValueError(
                f"is {len(value)} characters long; a message may have at most 4,000 characters"
            )
        return value

    @field_validator("author_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or is_blank(value):
            return None
        return value.strip()


class ClosedOut(ApiModel):
    conversation_id: str
    ended_at: Timestamp
