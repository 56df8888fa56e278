"""The delivery worker: outbox rows become signed webhook deliveries and CRM actions, then sent.

Everything a worker knows is in the database, so any number of workers (threads of the server, or
extra processes started with `python -m widget.server.delivery --database-url URL`) can share the
work, and a crash or kill -9 loses nothing:

1. Fan-out: each outbox row not yet fanned out is marked by ONE worker (a conditional UPDATE whose
   row count says who won) and, in that same transaction, becomes one delivery per enabled endpoint
   subscribed to its event, plus the CRM actions of a `lead.captured`.
2. Claims: due deliveries and CRM actions are leased atomically (`widget.server.claims`); a lease
   that its worker cannot finish (it died) runs out and the row is taken again.
3. Attempt: `webhook-id` is the delivery's id, `webhook-timestamp` the time of the attempt, and
   `webhook-signature` holds one `v1,` signature per active secret of the endpoint. The destination
   is checked against the SSRF rules and the connection pinned to the checked address; redirects
   are not followed. Any 2xx is success.
4. Outcome: every attempt is logged; failures are retried on the WIDGET_WEBHOOK_RETRY_DELAYS
   schedule (see `widget.server.retry_schedule`); a 410 disables the endpoint, and so does an
   endpoint whose attempts have all failed for `disable_after` (5 days).

Throughput (`make bench`): a worker loads the deliveries it claims in the claiming transaction,
sends them on one pooled client per destination (kept alive between sends), and records the
outcomes of all sends that finished meanwhile in one transaction (a group commit): the database's
single writer is taken once per batch, not twice per delivery.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import queue
import random
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.server import crm
from widget.server.claims import claim_due, new_claim_token, still_claimed
from widget.server.config import Settings, SettingsError
from widget.server.crm_store import CrmAction
from widget.server.db import make_engine, make_sessionmaker, transaction
from widget.server.ids import new_id
from widget.server.models import utcnow
from widget.server.outbox import OutboxEvent, add_waker, remove_waker
from widget.server.retry_schedule import delay_after_failure, first_delay, parse_retry_after
from widget.server.schema_upgrade import create_schema
from widget.server.signing import webhook_headers
from widget.server.ssrf import (
    SEND_TIMEOUT_SECONDS,
    Resolver,
    UnsafeRequestError,
    guarded_client,
    system_resolver,
)
from widget.server.training_jobs import TrainingWorker
from widget.server.webhook_store import (
    FAILED,
    RESPONSE_EXCERPT_BYTES,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DISABLE_AFTER = timedelta(days=5)
FAN_OUT_BATCH = 200
# Claimed deliveries a worker holds at once, per parallel send: one claim takes many. A queued
# delivery whose lease would run out during its send is not sent (see `_send_job`).
QUEUED_PER_SENDER = 8
# The recorder waits this long after a first outcome for others to join its transaction.
RECORD_GATHER_SECONDS = 0.005
# Destinations whose pooled clients a worker keeps; past that, a send gets a client of its own.
MAX_POOLED_DESTINATIONS = 64


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    response_body: str | None
    latency_ms: int
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_webhook(
    client: httpx.Client, url: str, headers: dict[str, str], body: bytes
) -> AttemptResult:
    """POST `body` once and describe what happened; never raises for HTTP or network trouble."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            excerpt = bytearray()
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                    break
    except UnsafeRequestError as exc:
        return AttemptResult(None, f"not sent: {exc}", None, elapsed_ms())
    except httpx.TimeoutException:
        return AttemptResult(None, "no answer within the time limit", None, elapsed_ms())
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        return AttemptResult(None, f"network error: {detail}", None, elapsed_ms())
    code = response.status_code
    text = bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
    error: str | None = None
    if 300 <= code < 400:
        location = response.headers.get("location", "(no Location)")
        error = f"HTTP {code}: redirect to {location} not followed"
    elif not 200 <= code < 300:
        error = f"HTTP {code}"
    retry_after = parse_retry_after(response.headers.get("retry-after")) if error else None
    return AttemptResult(code, error, text, elapsed_ms(), retry_after)


def fan_out(
    sessions: sessionmaker[Session],
    delays: Sequence[float],
    *,
    limit: int = FAN_OUT_BATCH,
    rng: random.Random | None = None,
) -> int:
    """Turn up to `limit` new outbox rows into deliveries and CRM actions; return rows taken."""
    return _fan_out(sessions, delays, limit=limit, rng=rng)[0]


def _fan_out(
    sessions: sessionmaker[Session],
    delays: Sequence[float],
    *,
    limit: int = FAN_OUT_BATCH,
    rng: random.Random | None = None,
) -> tuple[int, int]:
    """`fan_out`, returning (rows taken, deliveries and CRM actions created)."""
    with transaction(sessions) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.fanned_out.is_(False))
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
        if not rows:
            return 0, 0
        endpoints = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
        ).all()
        won = _mark_fanned_out(session, [row.id for row in rows])
        deliveries: list[dict[str, Any]] = []
        created = 0
        for row in rows:
            if row.id not in won:
                continue  # another worker fanned this row out
            now = utcnow()
            for endpoint in endpoints:
                if row.event in endpoint.events:
                    deliveries.append(
                        {
                            "id": new_id("msg"),
                            "endpoint_id": endpoint.id,
                            "outbox_event_id": row.id,
                            "event": row.event,
                            "body": row.body,
                            "next_attempt_at": now + timedelta(seconds=first_delay(delays, rng)),
                        }
                    )
            if row.event == "lead.captured":
                first = now + timedelta(seconds=first_delay(delays, rng))
                created += len(crm.create_actions(session, row, first))
        if deliveries:
            session.execute(insert(WebhookDelivery), deliveries)
        return len(won), created + len(deliveries)


def _mark_fanned_out(session: Session, ids: Sequence[int]) -> set[int]:
    """Mark outbox rows fanned out; return the ids this transaction won (conditional UPDATE)."""
    mark = update(OutboxEvent).values(fanned_out=True).execution_options(synchronize_session=False)
    if session.get_bind().dialect.update_returning:
        returned = session.execute(
            mark.where(OutboxEvent.id.in_(ids), OutboxEvent.fanned_out.is_(False)).returning(
                OutboxEvent.id
            )
        )
        return set(returned.scalars())
    won = set()
    for row_id in ids:
        result = session.execute(
            mark.where(OutboxEvent.id == row_id, OutboxEvent.fanned_out.is_(False))
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            won.add(row_id)
    return won


def deliver(
    settings: Settings,
    sessions: sessionmaker[Session],
    delivery_id: str,
    claim: str,
    *,
    worker_id: str = "worker",
    resolver: Resolver = system_resolver,
    disable_after: timedelta = DISABLE_AFTER,
    rng: random.Random | None = None,
) -> None:
    """Make one attempt of a claimed delivery and record it."""
    with transaction(sessions) as session:
        (job,) = _load_jobs(session, [delivery_id], claim)
    if job.endpoint is None:
        return  # the endpoint was deleted, and its deliveries with it
    if not job.endpoint.enabled:
        _finish_unsent(sessions, job.delivery, claim, job.endpoint)
        return
    with guarded_client(allow_private=settings.webhook_allow_private, resolver=resolver) as client:
        attempted_at, result = _send(client, job.delivery, job.endpoint)
    _record_attempt(
        settings,
        sessions,
        job.delivery,
        job.endpoint,
        claim,
        attempted_at,
        result,
        worker_id,
        disable_after,
        rng,
    )


class _ClaimsMoved(Exception):
    """Some claim of a batch no longer holds: roll back and record one attempt at a time."""


@dataclass
class _Job:
    """A claimed delivery with its endpoint (None once deleted), detached from any session."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint | None
    claim: str


@dataclass
class _Outcome:
    job: _Job
    attempted_at: datetime
    result: AttemptResult


def _load_jobs(session: Session, delivery_ids: Sequence[str], claim: str) -> list[_Job]:
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
    return [_Job(d, endpoints.get(d.endpoint_id), claim) for d in deliveries]


def _send(
    client: httpx.Client, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> tuple[datetime, AttemptResult]:
    now = utcnow()
    body = delivery.body.encode("utf-8")
    headers = webhook_headers(
        endpoint.signing_secrets(now), delivery.id, int(now.timestamp()), body
    )
    return now, post_webhook(client, endpoint.url, headers, body)


def _finish_unsent(
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


def _record_attempt(
    settings: Settings,
    sessions: sessionmaker[Session],
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    claim: str,
    attempted_at: datetime,
    result: AttemptResult,
    worker_id: str,
    disable_after: timedelta,
    rng: random.Random | None,
) -> None:
    with transaction(sessions) as session:
        _record_attempt_in(
            session,
            settings,
            delivery,
            endpoint,
            claim,
            attempted_at,
            result,
            worker_id,
            disable_after,
            rng,
        )


def _record_attempt_in(
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
    _update_endpoint(session, endpoint.id, result, attempted_at, disable_reason, now)


def _record_batch(
    session: Session,
    settings: Settings,
    outcomes: Sequence[_Outcome],
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


def _update_endpoint(
    session: Session,
    endpoint_id: str,
    result: AttemptResult,
    attempted_at: datetime,
    disable_reason: str | None,
    now: datetime,
) -> None:
    _apply_to_endpoint(
        session.get(WebhookEndpoint, endpoint_id), result, attempted_at, disable_reason, now
    )


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
            disable_reason = f"the receiver answered 410 Gone on {_iso(attempted_at)}"
        elif now - failing_since >= disable_after:
            disable_reason = (
                f"every attempt failed from {_iso(failing_since)} to {_iso(now)} "
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


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


class DeliveryWorker:
    """Fans out the outbox and runs due deliveries and CRM actions, `concurrency` at a time.

    A service of the app (`start()`/`stop()`); `wake()` makes it look for work at once (every commit
    that enqueues an outbox event calls it, see `widget.server.outbox.add_waker`).

    Threads: the loop fans out and claims; `concurrency` senders send; one recorder writes the
    outcomes of every send that finished meanwhile in one transaction.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        concurrency: int = 8,
        poll_interval: float = 0.2,
        lease: timedelta = DEFAULT_LEASE,
        disable_after: timedelta = DISABLE_AFTER,
        resolver: Resolver = system_resolver,
        worker_id: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.settings = settings
        self.sessions = sessions
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease
        self.disable_after = disable_after
        self.resolver = resolver
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        # The loop and the recorder take turns at writing: SQLite has one writer, and a writer
        # that finds it busy sleeps in steps of milliseconds, far longer than a turn lasts.
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._recorder: threading.Thread | None = None
        self._outcomes: queue.SimpleQueue[_Outcome | None] = queue.SimpleQueue()
        self._clients: dict[tuple[str, str, int], httpx.Client] = {}
        # Claim again at once only when the last claim may have left due work behind.
        self._claim_soon = True
        self._next_claim = 0.0
        # A short lease (tests use one second) must still leave fresh claims sendable.
        self._send_margin = min(timedelta(seconds=SEND_TIMEOUT_SECONDS + 5), lease / 2)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook-send")
        self._recorder = threading.Thread(
            target=self._record_loop, name="delivery-recorder", daemon=True
        )
        self._recorder.start()
        self._thread = threading.Thread(target=self._loop, name="delivery-worker", daemon=True)
        add_waker(self.wake)
        self._thread.start()

    def stop(self) -> None:
        remove_waker(self.wake)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            # Sends under way finish (each is bounded by the 15 s timeout) and record their outcome.
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._recorder is not None:
            self._outcomes.put(None)
            self._recorder.join()
            self._recorder = None
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            busy = False
            try:
                busy = self._tick()
            except Exception:
                # A locked or briefly unreachable database: log it and try again at the next poll.
                log.exception("delivery worker %s: looking for work failed", self.worker_id)
            if not busy:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def _tick(self) -> bool:
        with self._writing:
            taken, created = _fan_out(self.sessions, self.settings.webhook_retry_delays)
        more_outbox = taken >= FAN_OUT_BATCH
        with self._lock:
            free = self.concurrency * QUEUED_PER_SENDER - self._in_flight
        if free <= 0:
            return more_outbox  # a finishing job wakes the loop
        # A wake that new outbox rows explain, and that made no work, needs no claim: chat
        # messages with no subscriber would otherwise cost a claim query each.
        explained = taken > 0 and created == 0
        if explained and not self._claim_soon and time.monotonic() < self._next_claim:
            return more_outbox
        claim = new_claim_token(self.worker_id)
        now = utcnow()
        with self._writing, transaction(self.sessions) as session:
            deliveries = claim_due(
                session, WebhookDelivery, token=claim, now=now, lease=self.lease, limit=free
            )
            actions = claim_due(
                session,
                CrmAction,
                token=claim,
                now=now,
                lease=self.lease,
                limit=free - len(deliveries),
            )
            jobs = _load_jobs(session, deliveries, claim) if deliveries else []
        self._next_claim = time.monotonic() + self.poll_interval
        self._claim_soon = len(deliveries) + len(actions) >= free
        for job in jobs:
            self._submit_send(job)
        for action_id in actions:
            self._submit(self._run_action, action_id, claim)
        return more_outbox or bool(deliveries) or bool(actions)

    # -- webhook deliveries: send in the pool, record in the recorder --------------------------

    def _submit_send(self, job: _Job) -> None:
        assert self._pool is not None
        with self._lock:
            self._in_flight += 1
        self._pool.submit(self._send_job, job)

    def _send_job(self, job: _Job) -> None:
        try:
            endpoint = job.endpoint
            if endpoint is None:  # the endpoint was deleted, and its deliveries with it
                self._done(1)
                return
            if not endpoint.enabled:
                _finish_unsent(self.sessions, job.delivery, job.claim, endpoint)
                self._done(1)
                return
            claimed_until = job.delivery.claimed_until
            if claimed_until is not None and claimed_until - utcnow() < self._send_margin:
                # It waited too long for a sender: its lease could run out mid-send, and another
                # worker would send it too. Leave it; when the lease ends it is claimed again.
                self._done(1)
                return
            client = self._client_for(endpoint.url)
            if client is None:
                with guarded_client(
                    allow_private=self.settings.webhook_allow_private, resolver=self.resolver
                ) as own:
                    attempted_at, result = _send(own, job.delivery, endpoint)
            else:
                attempted_at, result = _send(client, job.delivery, endpoint)
        except Exception:
            # The claim stays until its lease ends; then another attempt is made.
            log.exception("delivery worker %s: delivery %s failed", self.worker_id, job.delivery.id)
            self._done(1)
            return
        self._outcomes.put(_Outcome(job, attempted_at, result))

    def _client_for(self, url: str) -> httpx.Client | None:
        """The pooled client for the URL's destination; one per host name, as `PinnedTransport`
        asks. None when too many destinations are pooled already."""
        parsed = httpx.URL(url)
        key = (parsed.scheme, parsed.host, parsed.port or 0)
        with self._lock:
            client = self._clients.get(key)
            if client is None and len(self._clients) < MAX_POOLED_DESTINATIONS:
                client = guarded_client(
                    allow_private=self.settings.webhook_allow_private, resolver=self.resolver
                )
                self._clients[key] = client
            return client

    def _record_loop(self) -> None:
        while True:
            first = self._outcomes.get()
            if first is not None:
                time.sleep(RECORD_GATHER_SECONDS)
            batch = [first]
            while True:
                try:
                    batch.append(self._outcomes.get_nowait())
                except queue.Empty:
                    break
            outcomes = [o for o in batch if o is not None]
            if outcomes:
                self._record(outcomes)
                self._done(len(outcomes))
            if None in batch:
                return

    def _record(self, outcomes: list[_Outcome]) -> None:
        try:
            with self._writing, transaction(self.sessions) as session:
                if not _record_batch(
                    session, self.settings, outcomes, self.worker_id, self.disable_after
                ):
                    raise _ClaimsMoved
            return
        except _ClaimsMoved:
            pass
        except Exception:
            log.exception("delivery worker %s: recording a batch failed", self.worker_id)
        # One at a time, so that one bad row does not lose the others' outcomes.
        for outcome in outcomes:
            try:
                with self._writing, transaction(self.sessions) as session:
                    self._record_one(session, outcome)
            except Exception:
                # The claim stays until its lease ends; then another attempt is made.
                log.exception(
                    "delivery worker %s: recording delivery %s failed",
                    self.worker_id,
                    outcome.job.delivery.id,
                )

    def _record_one(self, session: Session, outcome: _Outcome) -> None:
        job = outcome.job
        assert job.endpoint is not None
        _record_attempt_in(
            session,
            self.settings,
            job.delivery,
            job.endpoint,
            job.claim,
            outcome.attempted_at,
            outcome.result,
            self.worker_id,
            self.disable_after,
            None,
        )

    def _done(self, count: int) -> None:
        with self._lock:
            self._in_flight -= count
        self._wake.set()

    # -- CRM actions ---------------------------------------------------------------------------

    def _run_action(self, action_id: str, claim: str) -> None:
        crm.run_action(self.settings, self.sessions, action_id, claim, resolver=self.resolver)

    def _submit(self, job: Callable[[str, str], None], row_id: str, claim: str) -> None:
        assert self._pool is not None
        with self._lock:
            self._in_flight += 1
        self._pool.submit(self._run_job, job, row_id, claim)

    def _run_job(self, job: Callable[[str, str], None], row_id: str, claim: str) -> None:
        try:
            job(row_id, claim)
        except Exception:
            # The claim stays until its lease ends; then another attempt is made.
            log.exception("delivery worker %s: job %s failed", self.worker_id, row_id)
        finally:
            self._done(1)


def install(app: FastAPI) -> None:
    """Run a delivery worker and a training worker for as long as `app` lives (see
    `widget.server.app.EXTENSIONS`)."""
    settings: Settings = app.state.settings
    worker = DeliveryWorker(settings, app.state.sessions)
    app.state.delivery_worker = worker
    app.state.services.append(worker)
    trainer = TrainingWorker(
        app.state.sessions, worker_id=worker.worker_id, busy_timeout=settings.database_busy_timeout
    )
    app.state.training_worker = trainer
    app.state.services.append(trainer)


def create_tables(engine: Engine) -> None:
    # Importing the modules registers every table the worker touches (and those they refer to).
    from widget.server import crm_store, models, outbox, rate_limits, webhook_store  # noqa: F401

    create_schema(engine)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m widget.server.delivery",
        description="Run an extra worker (webhook deliveries, CRM actions, trainings) against the "
        "server's database.",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: WIDGET_DATABASE_URL)")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel sends (8)")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds (0.2)")
    parser.add_argument(
        "--lease-seconds",
        type=float,
        default=DEFAULT_LEASE.total_seconds(),
        help="how long a claim lasts before another worker may retake it (60)",
    )
    parser.add_argument("--worker-id", help="name in the delivery log (host:random)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # httpx logs every request at INFO: a line per delivery would cost more than the delivery.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"widget.server.delivery: {exc}", file=sys.stderr)
        return 2
    if args.database_url:
        settings = dataclasses.replace(settings, database_url=args.database_url)
    engine = make_engine(settings.database_url, busy_timeout=settings.database_busy_timeout)
    create_tables(engine)
    worker = DeliveryWorker(
        settings,
        make_sessionmaker(engine),
        concurrency=args.concurrency,
        poll_interval=args.poll_interval,
        lease=timedelta(seconds=args.lease_seconds),
        worker_id=args.worker_id,
    )
    trainer = TrainingWorker(
        worker.sessions, worker_id=worker.worker_id, busy_timeout=settings.database_busy_timeout
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    trainer.start()
    print(f"delivery worker {worker.worker_id} running", flush=True)
    stop.wait()
    trainer.stop()
    worker.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
