"""A database made before newer columns existed gets them at start, and keeps its data."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from tests.server.conftest import on_both_databases
from widget.server.agents.tables import Agent, Training
from widget.server.agents.training_router import training_out
from widget.server.app import create_app
from widget.server.chat.tables import Message
from widget.server.core.config import Settings
from widget.server.core.db import Base, make_engine

pytestmark = on_both_databases


def test_columns_added_since_a_database_was_made_are_added_in_place(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    with engine.begin() as old:
        for table, column in [("trainings", "claimed_by"), ("trainings", "claimed_until")]:
            old.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        old.execute(
            text(
                "INSERT INTO agents (id, name, prompt, welcome_message, allowed_origins,"
                " created_at, updated_at) VALUES ('ag_old', 'Old', '', '', '[]',"
                " '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
        old.execute(
            text(
                "INSERT INTO trainings (agent_id, source, status, created_at)"
                " VALUES ('ag_old', 'docs', 'completed', '2025-01-01 00:00:00')"
            )
        )
    engine.dispose()

    app = create_app(settings)
    with app.state.sessions() as session:
        training = session.scalars(select(Training).where(Training.agent_id == "ag_old")).one()
        assert (training.source, training.claimed_by, training.claimed_until) == (
            "docs",
            None,
            None,
        )


def test_the_data_control_columns_are_added_to_an_old_database(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    added = [
        ("agents", "retention_days"),
        ("agents", "knowledge_generation"),
        ("webhook_deliveries", "cancel_reason"),
        ("outbox_events", "agent_id"),
        ("outbox_events", "conversation_id"),
        ("outbox_events", "lead_id"),
    ]
    with engine.begin() as old:
        for table, column in added:
            old.execute(text(f"DROP INDEX IF EXISTS ix_{table}_{column}"))
            old.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        old.execute(text("DROP TABLE seed_records"))
    engine.dispose()

    app = create_app(settings)
    upgraded = inspect(app.state.engine)
    for table, column in added:
        assert column in {c["name"] for c in upgraded.get_columns(table)}, (table, column)
    with app.state.sessions() as session:
        demo = session.get(Agent, "ag_demo")
        assert demo is not None
        assert (demo.retention_days, demo.knowledge_generation) == (None, 1)


NEW_COLUMNS = [
    ("knowledge_chunks", "language"),
    ("knowledge_chunks", "url"),
    ("knowledge_chunks", "title"),
    ("messages", "sources"),
    ("trainings", "url"),
    ("trainings", "progress_done"),
    ("trainings", "progress_total"),
    ("trainings", "skipped"),
]


def test_a_database_from_before_sources_and_websites_keeps_working(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    with engine.begin() as old:
        for table, column in NEW_COLUMNS:
            old.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        for statement in [
            "INSERT INTO agents (id, name, prompt, welcome_message, allowed_origins, created_at,"
            " updated_at) VALUES ('ag_old', 'Old', '', '', '[]', '2025-01-01 00:00:00',"
            " '2025-01-01 00:00:00')",
            "INSERT INTO trainings (id, agent_id, source, status, data_count, created_at)"
            " VALUES (7, 'ag_old', 'docs', 'completed', 1, '2025-01-01 00:00:00')",
            "INSERT INTO knowledge_chunks (agent_id, training_id, source, document, text)"
            " VALUES ('ag_old', 7, 'docs', 'garden.md',"
            " '# Garden\n\nHedge trimming costs 40 euros an hour.')",
            "INSERT INTO conversations (id, agent_id, visitor_token_hash, created_at,"
            " last_activity_at) VALUES ('conv_old', 'ag_old', 'x', '2025-01-01 00:00:00',"
            " '2025-01-01 00:00:00')",
            "INSERT INTO messages (id, conversation_id, role, content, created_at)"
            " VALUES ('msg_old', 'conv_old', 'assistant', 'Hello', '2025-01-01 00:00:00')",
        ]:
            old.execute(text(statement))
    engine.dispose()

    app = create_app(settings)
    upgraded = inspect(app.state.engine)
    for table, column in NEW_COLUMNS:
        assert column in {c["name"] for c in upgraded.get_columns(table)}, (table, column)
    (chunk,) = app.state.knowledge.get("ag_old").chunks
    assert (chunk.document, chunk.language, chunk.url, chunk.title) == (
        "garden.md",
        None,
        None,
        None,
    )
    with app.state.sessions() as session:
        message = session.scalars(select(Message).where(Message.id == "msg_old")).one()
        assert message.sources is None
        training = training_out(session.get_one(Training, 7))
    # What the training API answers for it: no website, no progress recorded, nothing skipped.
    assert (training.url, training.progress, training.skipped) == (None, None, [])
