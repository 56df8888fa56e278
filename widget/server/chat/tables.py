"""The chat tables: conversations and their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from widget.server.core.db import Base, BigId, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    # SHA-256 hex of the visitor token: a leaked database does not let anyone post as the visitor.
    visitor_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    # Set with the first visitor message, which is also when `conversation.started` is raised.
    first_user_message: Mapped[str | None] = mapped_column(Text, default=None)
    # The host page's user (widget.identify), verified; None for an anonymous visitor.
    user_id: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    # What identify() said of the user besides the id: {"email", "name", "attributes"}.
    user_profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Who answers (`widget.server.chat.modes`): None or "agent" (the AI), "waiting" (the visitor
    # asked for a person; the AI is silent), "person" (a person took it over; the AI is silent).
    mode: Mapped[str | None] = mapped_column(String(16), default=None)
    # Why the mode last changed ("requested", "takenOver", "handedBack", "unanswered"), for the
    # streams' `mode` events; None before any change.
    mode_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # Since when the visitor has waited for a person (mode "waiting"); None otherwise.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    # The language the agent last answered in (ISO 639-1), for the handoff notices' wording.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    # Raised by every change a stream shows (a message, the mode, the end): the inbox stream's
    # cursor, and what the SQLite poll looks for so that processes on one file converge.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)


class ConversationToken(Base):
    """A further visitor token of a conversation: an identified user's other device."""

    __tablename__ = "conversation_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_message_id"),)

    # An integer key keeps the transcript in insertion order even when two times are equal.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "user" | "assistant"
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The frame's id for a visitor message: a retry with the same id gets the stored reply.
    client_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # On an assistant message: the visitor message it answers, and the lead it first captured.
    reply_to_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    captured_lead_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # On an assistant message drawn from the agent's documents: [{"label", "url"?}], first
    # drawn on first. None for a reply that drew on none (and on messages stored before).
    sources: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    # Who wrote it: "visitor", "agent" (the AI), "person" (the owner's team, with its name), or
    # "system" (a notice no POST of the frame answered with, e.g. nobody-there; shown as the
    # agent). None on messages stored before: read from the role.
    author_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # On an AI reply that could not answer and offered a person: a retry answers it the same.
    handoff_offered: Mapped[bool | None] = mapped_column(Boolean, default=None)
