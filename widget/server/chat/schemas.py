"""The chat API's request and response models (the contract the frame speaks).

Kept in one file so that the frame and the server can share one definition of it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from widget.events import Timestamp
from widget.server.core.api_models import NOT_BLANK, RequestModel, is_blank

MAX_MESSAGE_CHARS = 4000


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class StartConversationIn(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)


class StartConversationOut(CamelModel):
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


class ReplyOut(CamelModel):
    message_id: str
    content: str
    created_at: Timestamp


class LeadRef(CamelModel):
    lead_id: str


class SendMessageOut(CamelModel):
    reply: ReplyOut
    lead_captured: LeadRef | None


class MessageOut(CamelModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp


class TranscriptOut(CamelModel):
    conversation_id: str
    messages: list[MessageOut]
    ended: bool


class EndedOut(CamelModel):
    conversation_id: str
    ended_at: Timestamp


class PublicAgentOut(CamelModel):
    agent_id: str
    name: str
    welcome_message: str
