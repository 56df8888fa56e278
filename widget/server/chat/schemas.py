"""The chat API's request and response models (the contract the frame speaks).

Kept in one file so that the frame and the server can share one definition of it.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from widget.server.core.api_models import NOT_BLANK, ApiModel, RequestModel, Timestamp, is_blank

MAX_MESSAGE_CHARS = 4000


class StartConversationIn(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)


class StartConversationOut(ApiModel):
    conversation_id: str
    visitor_token: str


class SendMessageIn(RequestModel):
    content: str = Field(json_schema_extra={"pattern": NOT_BLANK, "maxLength": MAX_MESSAGE_CHARS})
    client_message_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("content")
    @classmethod
    def _content_fits(cls, value: str) -> str:
        if is_blank(value):
            raise PydanticCustomError("blank", "must not be empty or blank")
        if len(value) > MAX_MESSAGE_CHARS:
            raise PydanticCustomError(
                "too_long",
                "is {length} characters long; a message may have at most 4,000 characters",
                {"length": len(value)},
            )
        return value


class ReplyOut(ApiModel):
    message_id: str
    content: str
    created_at: Timestamp


class LeadRef(ApiModel):
    lead_id: str


class SendMessageOut(ApiModel):
    reply: ReplyOut
    lead_captured: LeadRef | None


class MessageOut(ApiModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp


class TranscriptOut(ApiModel):
    conversation_id: str
    messages: list[MessageOut]
    ended: bool


class EndedOut(ApiModel):
    conversation_id: str
    ended_at: Timestamp


class PublicAgentOut(ApiModel):
    agent_id: str
    name: str
    welcome_message: str
