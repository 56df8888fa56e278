"""Trainings run in the worker, off the request path: claimed from the database, so worker
processes sharing it run each training once, and a dead worker's training is resumed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.server.conftest import on_both_databases, wait_until
from tests.server.webhooks.test_delivery_processes import Processes, processes, start_worker
from widget.server.agents.tables import Agent, KnowledgeChunk, Training
from widget.server.agents.training_jobs import TrainingWorker
from widget.server.core.db import make_engine, make_sessionmaker, transaction, utcnow
from widget.server.delivery import create_tables
from widget.server.webhooks.outbox import OutboxEvent

__all__ = ["processes"]  # the fixture, shared with the delivery process tests
pytestmark = on_both_databases


def document(n: int) -> dict[str, str]:
    text = "\n\n".join(
        f"## Topic {n}.{i}\n\nThe answer to question {n}.{i} is in this paragraph, which is long "
        "enough to be a passage of its own for the knowledge index."
        for i in range(20)
    )
    return {"name": f"doc-{n}.md", "content": text}


def database(url: str) -> tuple[str, sessionmaker[Session]]:
    engine = make_engine(url)
    create_tables(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        session.add(Agent(id="ag_t", name="T", prompt="", welcome_message=""))
    return url, sessions


def add_training(sessions: sessionmaker[Session], source: str, **columns: object) -> int:
    with transaction(sessions) as session:
        training = Training(
            agent_id="ag_t",
            source=source,
            documents=[document(1)],
            **{"status": "pending", **columns},
        )
        session.add(training)
        session.flush()
        return training.id


def events(sessions: sessionmaker[Session]) -> Counter[tuple[str, int]]:
    with sessions() as session:
        rows = session.scalars(select(OutboxEvent)).all()
    return Counter((row.event, json.loads(row.data_json)["trainingId"]) for row in rows)


def finished(sessions: sessionmaker[Session], count: int) -> bool:
    with sessions() as session:
        done = session.scalar(
            select(func.count()).select_from(Training).where(Training.status == "completed")
        )
    return done == count


def test_two_worker_processes_run_each_training_once(
    processes: Processes, database_url: str
) -> None:
    url, sessions = database(database_url)
    ids = [add_training(sessions, f"source-{i}") for i in range(8)]
    start_worker(processes, url, "worker-a")
    start_worker(processes, url, "worker-b")
    wait_until(lambda: finished(sessions, 8), timeout=120, what="8 completed trainings")
    assert events(sessions) == Counter({("training.completed", i): 1 for i in ids})
    with sessions() as session:
        per_source = dict(
            session.execute(
                select(KnowledgeChunk.source, func.count()).group_by(KnowledgeChunk.source)
            ).all()
        )
        trainings = session.scalars(select(Training)).all()
    assert set(per_source) == {f"source-{i}" for i in range(8)}
    assert all(t.data_count == per_source[t.source] for t in trainings)
    assert all(t.claimed_by is None and t.documents is None for t in trainings)


def test_a_dead_workers_training_is_resumed_and_a_live_claim_is_left_alone(
    database_url: str,
) -> None:
    _url, sessions = database(database_url)
    now = utcnow()
    abandoned = add_training(
        sessions,
        "abandoned",
        status="running",
        claimed_by="dead-worker/1",
        claimed_until=now - timedelta(seconds=1),
    )
    held = add_training(
        sessions,
        "held",
        status="running",
        claimed_by="live-worker/1",
        claimed_until=now + timedelta(hours=1),
    )
    worker = TrainingWorker(sessions, worker_id="heir", poll_interval=0.05)
    worker.start()
    try:
        wait_until(lambda: finished(sessions, 1), what="the abandoned training")
        assert worker.run_one() is False  # the held one is not free to take
    finally:
        worker.stop()
    assert events(sessions) == Counter({("training.completed", abandoned): 1})
    with sessions() as session:
        still_held = session.get_one(Training, held)
        assert (still_held.status, still_held.claimed_by) == ("running", "live-worker/1")
