"""The agent tables: agents, their trainings and the knowledge chunks trainings produce.

Public ids are prefixed random strings (`widget.server.core.ids.new_id`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from widget.server.core.db import Base, BigId, UTCDateTime, utcnow


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    welcome_message: Mapped[str] = mapped_column(Text)
    # Origins allowed to embed the frame ("https://example.com", "http://localhost:3000"); "*": any.
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The host page's backend signs a visitor's userId with this (HMAC-SHA256) for identify();
    # made on first use, rotated in the dashboard. Nullable so that older databases gain it.
    identity_secret: Mapped[str | None] = mapped_column(String(128), default=None)
    # identify() without a userHash is refused unless this is true (None: false).
    allow_unverified_identity: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # The widget's look ({color, side, launcherLabel, scheme}, see `theme`); None: the defaults.
    theme: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    # The welcome text per locale ({"de": "Hallo!"}); welcome_message for any other locale.
    welcome_messages: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Conversations (and their leads) idle for longer than this many days are removed by the
    # retention worker; None keeps them (the default).
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    # The country for phone numbers written without +country code when the visitor's browser
    # names none ("DE"); None: the operator's WIDGET_PHONE_DEFAULT_REGION.
    phone_region: Mapped[str | None] = mapped_column(String(2), default=None)
    # Raised by every change to the agent's chunks, in the same transaction: each process's
    # knowledge cache compares it on use, so a deleted document stops answering everywhere at
    # once (chunk ids alone can repeat: SQLite reuses the highest freed rowid). None reads as 0.
    knowledge_generation: Mapped[int | None] = mapped_column(Integer, default=0)
    # Seconds a visitor waits for a person before the nobody-there notice; None: 120.
    handoff_timeout_seconds: Mapped[int | None] = mapped_column(Integer, default=None)


class SeedRecord(Base):
    """What the first start seeded, so a demo agent the owner deleted is not seeded again."""

    __tablename__ = "seed_records"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    data_count: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The uploaded documents until they are processed, so a restart resumes pending trainings:
    # {"name", "content" | "contentBase64", "language"?} each.
    documents: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    # A website source instead of documents: the page or sitemap URL the worker crawls.
    url: Mapped[str | None] = mapped_column(Text, default=None)
    # While it runs: files (or pages) done of the total known so far.
    progress_done: Mapped[int | None] = mapped_column(Integer, default=None)
    progress_total: Mapped[int | None] = mapped_column(Integer, default=None)
    # A completed website training: the pages left out, as [[url, why], ...].
    skipped: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The training worker's lease (see `widget.server.agents.training_jobs`): one worker at a time.
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class KnowledgeChunk(Base):
    __tablename__ = "knowledge_chunks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    # A new training of a document (same source, same name) replaces that document's chunks.
    source: Mapped[str] = mapped_column(String(200), index=True)
    document: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    # The document's ISO 639-1 language (declared or detected; None: too short to tell), and for
    # a web page its URL and title: what a reply's sources show.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    title: Mapped[str | None] = mapped_column(String(300), default=None)
