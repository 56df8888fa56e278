"""A database made before newer columns existed gets them at start, and keeps its data."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from widget.server.agents.tables import Agent, Training
from widget.server.app import create_app
from widget.server.core.config import Settings
from widget.server.core.db import Base, make_engine


def test_columns_added_since_a_database_was_made_are_added_in_place(settings: Settings) -> None:
    path = settings.sqlite_path()
    assert path is not None
    path.parent.mkdir(parents=True)
    Base.metadata.create_all(make_engine(settings.database_url))
    with sqlite3.connect(path) as old:
        for table, column in [("trainings", "claimed_by"), ("trainings", "claimed_until")]:
            old.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        old.execute(
            "INSERT INTO agents (id, name, prompt, welcome_message, allowed_origins,"
            " created_at, updated_at) VALUES ('ag_old', 'Old', '', '', '[]',"
            " '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
        )
        old.execute(
            "INSERT INTO trainings (agent_id, source, status, created_at)"
            " VALUES ('ag_old', 'docs', 'completed', '2025-01-01 00:00:00')"
        )

    app = create_app(settings)
    with app.state.sessions() as session:
        training = session.scalars(select(Training).where(Training.agent_id == "ag_old")).one()
        assert (training.source, training.claimed_by, training.claimed_until) == (
            "docs",
            None,
            None,
        )


def test_the_data_control_columns_are_added_to_an_old_database(settings: Settings) -> None:
    path = settings.sqlite_path()
    assert path is not None
    path.parent.mkdir(parents=True)
    Base.metadata.create_all(make_engine(settings.database_url))
    added = [
        ("agents", "retention_days"),
        ("agents", "knowledge_generation"),
        ("webhook_deliveries", "cancel_reason"),
        ("outbox_events", "agent_id"),
        ("outbox_events", "conversation_id"),
        ("outbox_events", "lead_id"),
    ]
    with sqlite3.connect(path) as old:
        for table, column in added:
            old.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}")
            old.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        old.execute("DROP TABLE seed_records")

    app = create_app(settings)
    with sqlite3.connect(path) as upgraded:
        for table, column in added:
            columns = {row[1] for row in upgraded.execute(f"PRAGMA table_info({table})")}
            assert column in columns, (table, column)
    with app.state.sessions() as session:
        demo = session.get(Agent, "ag_demo")
        assert demo is not None
        assert (demo.retention_days, demo.knowledge_generation) == (None, 1)
