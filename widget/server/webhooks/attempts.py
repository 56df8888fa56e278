"""Claimed deliveries and the outcomes of their attempts, written back while the claim holds.

Every attempt is logged; failures are retried on the WIDGET_WEBHOOK_RETRY_DELAYS schedule (see
`widget.server.webhooks.retry_schedule`); a 410 disables the endpoint, and so does an endpoint
whose attempts have all failed for `disable_after` (5 days).

`record_attempts` writes many outcomes with one statement per kind of change (the worker's group
commit); when some claim moved meanwhile it writes nothing, and the caller records each outcome
with `record_attempt`, which tells the cases apart. Both compute the same values
(`_attempt_values`), so they cannot drift.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.events import format_timestamp
from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow
from widget.server.webhooks.claims import still_claimed
from widget.server.webhooks.retry_schedule import delay_after_failure
from widget.server.webhooks.sending import AttemptResult
from widget.server.webhooks.tables import (
    FAILED,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

DISABLE_AFTER = timedelta(days=5)


@dataclass
class Job:
    """A claimed delivery with its endpoint (None once deleted), detached from any session."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint | None
    claim: str


@dataclass
class Outcome:
    job: Job
    attempted_at: datetime
    result: AttemptResult


def load_jobs(session: Session, delivery_ids: Sequence[str], claim: str) -> list[Job]:
    deliveries = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids))
    ).all()
    endpoint_ids = {d.endpoint_id for d in deliveries}
    endpoints = {
        e.id: e
        for e in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
        ).all()
    }
    session.expunge_all()
    return [Job(d, endpoints.get(d.endpoint_id), claim) for d in deliveries]


def finish_unsent(
    sessions: sessionmaker[Session],
    delivery: WebhookDelivery,
    claim: str,
    endpoint: WebhookEndpoint,
) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(WebhookDelivery)
            .where(still_claimed(WebhookDelivery, delivery.id, claim))
            .values(
                status=FAILED,
                claimed_by=None,
                claimed_until=None,
                finished_at=utcnow(),
                last_error=f"not sent: the endpoint is disabled ({endpoint.disabled_reason})",
            )
            .execution_options(synchronize_session=False)
        )


def record_attempt(
    session: Session,
    settings: Settings,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    claim: str,
    attempted_at: datetime,
    result: AttemptResult,
    worker_id: str,
    disable_after: timedelta,
    rng: random.Random | None,
) -> None:
    """Record one attempt in the caller's transaction."""
    values, disable_reason, now = _attempt_values(
        settings, delivery, endpoint, attempted_at, result, disable_after, rng
    )
    written = session.execute(
        update(WebhookDelivery)
        .where(still_claimed(WebhookDelivery, delivery.id, claim))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    claimed = written.rowcount == 1  # type: ignore[attr-defined]
    if claimed or session.get(WebhookDelivery, delivery.id) is not None:
        # The attempt happened whoever holds the claim now, so it is logged either way.
        session.add(WebhookAttempt(**_attempt_row(delivery, attempted_at, result, worker_id)))
    if not claimed:
        log.warning("delivery %s: claim lost before the attempt was recorded", delivery.id)
        return
    _apply_to_endpoint(
        session.get(WebhookEndpoint, endpoint.id), result, attempted_at, disable_reason, now
    )


def record_attempts(
    session: Session,
    settings: Settings,
    outcomes: Sequence[Outcome],
    worker_id: str,
    disable_after: timedelta,
) -> bool:
    """Record many attempts in the caller's transaction with one statement per kind of change.

    False, having written nothing that counts, when some claim no longer holds: the caller rolls
    back and records one attempt at a time, which tells each case apart.
    """
    connection = session.connection()
    if not connection.dialect.supports_sane_multi_rowcount:
        return False
    table = WebhookDelivery.__table__
    plans = []
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for outcome in outcomes:
        job = outcome.job
        assert job.endpoint is not None
        values, disable_reason, now = _attempt_values(
            settings,
            job.delivery,
            job.endpoint,
            outcome.attempted_at,
            outcome.result,
            disable_after,
            None,
        )
        plans.append((outcome, disable_reason, now))
        row = {f"v_{k}": v for k, v in values.items()}
        row |= {"b_id": job.delivery.id, "b_claim": job.claim}
        groups.setdefault(tuple(sorted(values)), []).append(row)
    written = 0
    for keys, rows in groups.items():
        statement = (
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == bindparam("b_id"), table.c.claimed_by == bindparam("b_claim"))
            .values({k: bindparam(f"v_{k}") for k in keys})
        )
        written += connection.execute(statement, rows).rowcount
    if written != len(outcomes):
        return False
    session.execute(
        insert(WebhookAttempt),
        [_attempt_row(o.job.delivery, o.attempted_at, o.result, worker_id) for o in outcomes],
    )
    stored: dict[str, WebhookEndpoint | None] = {}
    for outcome, disable_reason, now in plans:
        assert outcome.job.endpoint is not None
        endpoint_id = outcome.job.endpoint.id
        if endpoint_id not in stored:
            stored[endpoint_id] = session.get(WebhookEndpoint, endpoint_id)
        _apply_to_endpoint(
            stored[endpoint_id], outcome.result, outcome.attempted_at, disable_reason, now
        )
    return True


def _attempt_row(
    delivery: WebhookDelivery, attempted_at: datetime, result: AttemptResult, worker_id: str
) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id,
        "attempted_at": attempted_at,
        "status_code": result.status_code,
        "latency_ms": result.latency_ms,
        "error": result.error,
        "response_body": result.response_body,
        "worker": worker_id,
    }


def _apply_to_endpoint(
    stored: WebhookEndpoint | None,
    result: AttemptResult,
    attempted_at: datetime,
    disable_reason: str | None,
    now: datetime,
) -> None:
    if stored is None:
        return
    if result.ok:
        stored.failing_since = None
    else:
        stored.failing_since = stored.failing_since or attempted_at
        if disable_reason and stored.enabled:
            stored.enabled = False
            stored.disabled_reason = disable_reason
            stored.updated_at = now
            log.warning("webhook endpoint %s disabled: %s", stored.id, disable_reason)


def _attempt_values(
    settings: Settings,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    attempted_at: datetime,
    result: AttemptResult,
    disable_after: timedelta,
    rng: random.Random | None,
) -> tuple[dict[str, Any], str | None, datetime]:
    """The delivery's new column values after an attempt, why its endpoint must be disabled (or
    None), and the time this was decided."""
    now = utcnow()
    made = delivery.schedule_step + 1
    values: dict[str, Any] = {
        "attempt_count": delivery.attempt_count + 1,
        "schedule_step": made,
        "claimed_by": None,
        "claimed_until": None,
        "last_error": result.error,
    }
    disable_reason: str | None = None
    if result.ok:
        values |= {"status": SUCCEEDED, "finished_at": now, "next_attempt_at": None}
    else:
        failing_since = endpoint.failing_since or attempted_at
        if result.status_code == 410:
            disable_reason = f"the receiver answered 410 Gone on {format_timestamp(attempted_at)}"
        elif now - failing_since >= disable_after:
            disable_reason = (
                f"every attempt failed from {format_timestamp(failing_since)} to "
                f"{format_timestamp(now)} "
                f"({disable_after.days} days or more); last error: {result.error}"
            )
        delay = (
            None
            if disable_reason
            else delay_after_failure(settings.webhook_retry_delays, made, result.retry_after, rng)
        )
        if delay is None:
            why = f"endpoint disabled: {disable_reason}" if disable_reason else "no retries left"
            values |= {
                "status": FAILED,
                "finished_at": now,
                "next_attempt_at": None,
                "last_error": f"{result.error} ({why}, after {made} attempts)",
            }
        else:
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
    return values, disable_reason, now
