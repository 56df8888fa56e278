"""A database made before newer columns existed gets them at start, and keeps its data."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from tests.server.conftest import on_both_databases
from widget.server.agents.tables import Agent, Training
from widget.server.app import create_app
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
