"""The chat API's request and response models (the contract the frame speaks).

Kept in one file so that the frame and the server can share one definition of it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from widget.server.core.api_models import NOT_BLANK, ApiModel, RequestModel, Timestamp, is_blank

MAX_MESSAGE_CHARS = 4000


class IdentityIn(RequestModel):
    """`widget.identify()`: `userHash` is hex HMAC-SHA256(identity secret, userId)."""

    user_id: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK})
    user_hash: str | None = Field(default=None, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] | None = Field(default=None, max_length=50)

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str) -> str:
        if is_blank(value):
            raise PydanticCustomError("blank", "must not be empty or blank")
        return value


class StartConversationIn(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)
    # With an identity, the user's latest open conversation is resumed (another device).
    identity: IdentityIn | None = None


class StartConversationOut(ApiModel):
    conversation_id: str
    visitor_token: str
    # True when an identified user's open conversation was resumed: load its transcript.
    resumed: bool = False


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


class SourceOut(ApiModel):
    """A document a reply drew on: what to show (a page's title, else the file's name) and, for a
    web page, its URL (null for an uploaded file)."""

    label: str
    url: str | None


class ReplyOut(ApiModel):
    message_id: str
    content: str
    created_at: Timestamp
    # Added: the documents the reply drew on, first drawn on first; empty when none.
    sources: list[SourceOut]


class LeadRef(ApiModel):
    lead_id: str


# Who answers a conversation: the AI, nobody yet (a person was asked for), or a person.
Mode = Literal["agent", "waiting", "person"]


class SendMessageOut(ApiModel):
    # Null while a person is asked for or handles the conversation: the AI stays silent, and a
    # person's reply comes on the conversation's stream.
    reply: ReplyOut | None
    lead_captured: LeadRef | None
    mode: Mode = "agent"
    # True when the agent could not answer and its reply offers a person (POST .../handoff).
    handoff_offered: bool = False


class AuthorOut(ApiModel):
    """Who wrote a message: the visitor, the AI agent, or a person of the owner's team."""

    kind: Literal["agent", "person", "visitor"]
    name: str | None


class MessageOut(ApiModel):
    message_id: str
    role: str
    content: str
    created_at: Timestamp
    # Added: an assistant message's sources (as in `ReplyOut`); empty for the visitor's.
    sources: list[SourceOut]
    author: AuthorOut
    # The message's id on the conversation's stream (its `seq`, as a decimal string): give the
    # last one seen as Last-Event-ID to resume after it.
    event_id: str


class TranscriptOut(ApiModel):
    conversation_id: str
    messages: list[MessageOut]
    ended: bool
    mode: Mode = "agent"


class HandoffOut(ApiModel):
    """`POST .../handoff`: the mode now, and the notice stored for the visitor (null when a
    person had already been asked for or had taken over)."""

    mode: Mode
    message: MessageOut | None


class ModeOut(ApiModel):
    mode: Mode


class EndedOut(ApiModel):
    conversation_id: str
    ended_at: Timestamp


class PublicAgentOut(ApiModel):
    agent_id: str
    name: str
    welcome_message: str
    # The welcome per locale; welcome_message for a locale it lacks.
    welcome_messages: dict[str, str]
