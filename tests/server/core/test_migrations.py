"""The schema's migrations: the revisions make exactly the models' tables, a database made by the
schema of before migrations is stamped and keeps every row, and processes starting at once on one
database migrate it once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from tests.server.conftest import ADMIN_KEY, LoopbackServer, on_both_databases
from widget.events import MessageSentData
from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.app import create_app
from widget.server.chat.tables import Conversation, Message
from widget.server.core.config import Settings
from widget.server.core.db import Base, make_engine, make_sessionmaker, transaction
from widget.server.core.migrate import BASELINE, current_revision, head_revision, upgrade_schema
from widget.server.leads.tables import Lead
from widget.server.webhooks.outbox import OutboxEvent, enqueue

pytestmark = on_both_databases
REPO = Path(__file__).resolve().parents[3]
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def test_the_migrations_make_exactly_the_models_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    assert upgrade_schema(engine) == (None, head_revision())
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert differences == []


def fill_with_data(database_url: str) -> None:
    """A database as `create_all` made it before migrations, with a little of everything."""
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        session.add(Agent(id="ag_old", name="Old agent", prompt="Be kind", welcome_message="Hi"))
        session.flush()
        session.add(Conversation(id="conv_old", agent_id="ag_old", visitor_token_hash="0" * 64))
        session.flush()
        session.add(
            Message(
                id="msg_old", conversation_id="conv_old", role="user", content="Hello from before"
            )
        )
        session.add(
            Lead(
                id="lead_old",
                agent_id="ag_old",
                conversation_id="conv_old",
                name="Ada",
                email="ada@example.com",
                created_at=now,
            )
        )
        training = Training(agent_id="ag_old", source="docs", status="completed")
        session.add(training)
        session.flush()
        session.add(
            KnowledgeChunk(
                training_id=training.id,
                agent_id="ag_old",
                source="docs",
                document="faq.md",
                text="We refund within 30 days.",
            )
        )
        enqueue(
            session,
            "message.sent",
            MessageSentData(
                message_id="msg_old",
                conversation_id="conv_old",
                agent_id="ag_old",
                role="user",
                content="Hello from before",
                created_at=now,
            ),
        )
    engine.dispose()


def counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        found = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Agent, Conversation, Message, Lead, Training, KnowledgeChunk, OutboxEvent)
        }
    engine.dispose()
    return found


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_data(
    settings: Settings,
) -> None:
    fill_with_data(settings.database_url)
    before = counts(settings.database_url)
    assert current_revision(make_engine(settings.database_url)) is None

    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    migrated = subprocess.run(
        [sys.executable, "-m", "widget", "migrate"],
        cwd=REPO,
        env=env | {"WIDGET_DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert f"database at revision {head_revision()}" in migrated.stdout
    assert "was unversioned" in migrated.stdout
    assert counts(settings.database_url) == before

    # The server starts on it as usual and serves the old rows.
    with LoopbackServer(create_app(settings)) as server:
        agent = httpx.get(f"{server.url}/v1/agents/ag_old", headers=ADMIN)
        assert agent.status_code == 200, agent.text
        assert agent.json()["name"] == "Old agent"
        leads = httpx.get(f"{server.url}/v1/leads", headers=ADMIN).json()["data"]
        assert [lead["email"] for lead in leads] == ["ada@example.com"]
    after = counts(settings.database_url)
    # Nothing lost; the start added only the demo agent and its knowledge.
    assert {k: after[k] for k in ("conversations", "messages", "leads", "outbox_events")} == {
        k: before[k] for k in ("conversations", "messages", "leads", "outbox_events")
    }
    assert after["agents"] == before["agents"] + 1
    assert after["trainings"] == before["trainings"] + 1
    assert after["knowledge_chunks"] > before["knowledge_chunks"]
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert [row[0] for row in versions] == [head_revision()]
    assert head_revision() >= BASELINE


def test_processes_starting_at_once_migrate_the_database_once(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_")}
    env["WIDGET_DATABASE_URL"] = database_url
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "widget", "migrate"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in started]
    assert [process.returncode for process in started] == [0, 0, 0], outputs
    # One of them found the database empty; the others waited for its lock and found it done.
    assert sum("was unversioned" in out for out, _ in outputs) == 1, outputs
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
