"""The pieces under the worker: retry schedule, Retry-After, signatures, and the outbox contract."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from widget.events import AgentUpdatedData
from widget.server.core.config import parse_retry_delays
from widget.server.core.db import make_engine, make_sessionmaker, transaction
from widget.server.delivery import create_tables
from widget.server.webhooks.outbox import OutboxEvent, enqueue
from widget.server.webhooks.retry_schedule import (
    MAX_RETRY_AFTER,
    delay_after_failure,
    first_delay,
    parse_retry_after,
)
from widget.server.webhooks.signing import new_secret, signature_header, webhook_headers

DEFAULT = parse_retry_delays("0,5,300,1800,7200,18000,36000,50400,72000,86400")


def test_schedule_has_one_attempt_per_delay() -> None:
    rng = random.Random(1)
    assert first_delay(DEFAULT, rng) == 0
    waits = [delay_after_failure(DEFAULT, made, rng=rng) for made in range(1, len(DEFAULT) + 1)]
    assert waits[-1] is None  # ten attempts made: give up
    for wait, nominal in zip(waits[:-1], DEFAULT[1:], strict=True):
        assert wait is not None
        assert nominal * 0.8 <= wait <= nominal * 1.2


def test_jitter_spreads_retries() -> None:
    rng = random.Random(7)
    waits = {delay_after_failure(DEFAULT, 2, rng=rng) for _ in range(20)}
    assert len(waits) > 1


def test_retry_after_is_a_minimum_and_is_capped() -> None:
    assert delay_after_failure((0, 0.2, 0.2), 1, retry_after=30) == 30
    later = delay_after_failure((0, 600), 1, retry_after=1)
    assert later is not None and later >= 480
    assert delay_after_failure((0, 1), 1, retry_after=10**9) == MAX_RETRY_AFTER
    assert delay_after_failure((0, 1), 2, retry_after=5) is None


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 2, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 7 ") == 7
    http_date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(http_date, now) == 90
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past, now) == 0
    for junk in (None, "", "soon", "-5", "1.5e3"):
        assert parse_retry_after(junk, now) is None


def test_signatures_verify_with_each_active_secret() -> None:
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_") and old != new
    body = '{"event":"agent.updated","data":{"name":"Zoë"}}'.encode()
    now = int(datetime.now(UTC).timestamp())
    headers = webhook_headers([new, old], "msg_1", now, body)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(now)
    assert headers["content-type"] == "application/json"
    signatures = headers["webhook-signature"].split(" ")
    expected = Webhook(new).sign("msg_1", datetime.fromtimestamp(now, UTC), body.decode())
    assert len(signatures) == 2 and signatures[0] == expected
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    with pytest.raises(ValueError, match="at least one secret"):
        signature_header([], "msg_1", now, body)


def test_enqueue_refuses_mismatched_data_and_keeps_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    create_tables(engine)
    sessions = make_sessionmaker(engine)
    data = AgentUpdatedData(agent_id="ag_1", updated_at=datetime.now(UTC), changes=["name"])
    with pytest.raises(ValueError, match="LeadCapturedData"), transaction(sessions) as session:
        enqueue(session, "lead.captured", data)
    with pytest.raises(ValueError, match="event"), transaction(sessions) as session:
        enqueue(session, "agent.renamed", data)
    with transaction(sessions) as session:
        enqueue(session, "agent.updated", data)
    with sessions() as session:
        rows = session.scalars(select(OutboxEvent)).all()
    assert [(r.event, r.fanned_out) for r in rows] == [("agent.updated", False)]
    assert rows[0].body.startswith('{"event":"agent.updated","timestamp":"')
