"""The leads admin API's response models."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from widget.server.chat.schemas import AuthorOut, Mode
from widget.server.core.api_models import (
    NOT_BLANK,
    ApiModel,
    RequestModel,
    Timestamp,
    is_blank,
    not_null,
)


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
    # Who answers it: "agent" (the AI), "waiting" (a person was asked for), "person".
    mode: Mode = "agent"


class ConversationList(ApiModel):
    data: list[ConversationSummary]


class TranscriptMessage(ApiModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp
    author: AuthorOut
    event_id: str


class ConversationDetail(ConversationSummary):
    messages: list[TranscriptMessage]
    lead: LeadOut | None


class ErasedOut(ApiModel):
    """What an erasure removed: counts (all zero when there was nothing left to remove)."""

    conversations: int
    messages: int
    leads: int
    crm_actions: int
    deliveries_cancelled: int


class VisitorExport(ApiModel):
    """Everything stored about one visitor, in the fields the rest of the API uses."""

    conversations: list[ConversationDetail]
    leads: list[LeadOut]


def _visible_text(schema: JsonDict) -> None:
    not_null(schema)
    schema["pattern"] = NOT_BLANK


class VisitorIn(RequestModel):
    """One visitor, named by exactly one of: the email address of their leads, or one
    conversation id."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["email"]}, {"required": ["conversationId"]}]}
    )

    email: str | None = Field(
        default=None,
        min_length=1,
        max_length=320,
        json_schema_extra=_visible_text,
    )
    conversation_id: str | None = Field(
        default=None, min_length=1, max_length=64, json_schema_extra=not_null
    )

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, value: Any) -> Any:
        if isinstance(value, dict):
            given = [k for k in ("email", "conversationId") if value.get(k) is not None]
            if len(given) != 1:
                raise ValueError(
                    "give exactly one of email or conversationId"
                    + (f" (got {' and '.join(given)})" if given else "")
                )
        return value

    @field_validator("email")
    @classmethod
    def _email_not_blank(cls, value: str | None) -> str | None:
        if value is not None and is_blank(value):
            raise ValueError("must not be blank")
        return value
