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
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
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
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from widget.server import crm
from widget.server.claims import claim_due, new_claim_token, still_claimed
from widget.server.config import Settings, SettingsError
from widget.server.crm_store import CrmAction
from widget.server.db import Base, make_engine, make_sessionmaker, transaction
from widget.server.ids import new_id
from widget.server.models import utcnow
from widget.server.outbox import OutboxEvent, add_waker, remove_waker
from widget.server.retry_schedule import delay_after_failure, first_delay, parse_retry_after
from widget.server.signing import webhook_headers
from widget.server.ssrf import Resolver, UnsafeRequestError, guarded_client, system_resolver
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
    with transaction(sessions) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.fanned_out.is_(False))
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
        if not rows:
            return 0
        endpoints = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
        ).all()
        taken = 0
        for row in rows:
            won = session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == row.id, OutboxEvent.fanned_out.is_(False))
                .values(fanned_out=True)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker fanned this row out
            taken += 1
            now = utcnow()
            for endpoint in endpoints:
                if row.event in endpoint.events:
                    session.add(
                        WebhookDelivery(
                            id=new_id("msg"),
                            endpoint_id=endpoint.id,
                            outbox_event_id=row.id,
                            event=row.event,
                            body=row.body,
                            next_attempt_at=now + timedelta(seconds=first_delay(delays, rng)),
                        )
                    )
            if row.event == "lead.captured":
                first = now + timedelta(seconds=first_delay(delays, rng))
                crm.create_actions(session, row, first)
        return taken


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
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        session.expunge_all()
    if delivery is None or endpoint is None:
        return  # the endpoint was deleted, and its deliveries with it
    if not endpoint.enabled:
        _finish_unsent(sessions, delivery, claim, endpoint)
        return
    now = utcnow()
    timestamp = int(now.timestamp())
    body = delivery.body.encode("utf-8")
    headers = webhook_headers(endpoint.signing_secrets(now), delivery.id, timestamp, body)
    with guarded_client(allow_private=settings.webhook_allow_private, resolver=resolver) as client:
        result = post_webhook(client, endpoint.url, headers, body)
    _record_attempt(
        settings, sessions, delivery, endpoint, claim, now, result, worker_id, disable_after, rng
    )


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
    with transaction(sessions) as session:
        written = session.execute(
            update(WebhookDelivery)
            .where(still_claimed(WebhookDelivery, delivery.id, claim))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        claimed = written.rowcount == 1  # type: ignore[attr-defined]
        if claimed or session.get(WebhookDelivery, delivery.id) is not None:
            # The attempt happened whoever holds the claim now, so it is logged either way.
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempted_at=attempted_at,
                    status_code=result.status_code,
                    latency_ms=result.latency_ms,
                    error=result.error,
                    response_body=result.response_body,
                    worker=worker_id,
                )
            )
        if not claimed:
            log.warning("delivery %s: claim lost before the attempt was recorded", delivery.id)
            return
        stored = session.get(WebhookEndpoint, endpoint.id)
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
                log.warning("webhook endpoint %s disabled: %s", endpoint.id, disable_reason)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


class DeliveryWorker:
    """Fans out the outbox and runs due deliveries and CRM actions, `concurrency` at a time.

    A service of the app (`start()`/`stop()`); `wake()` makes it look for work at once (every commit
    that enqueues an outbox event calls it, see `widget.server.outbox.add_waker`).
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
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook-send")
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
        fanned = fan_out(self.sessions, self.settings.webhook_retry_delays)
        with self._lock:
            free = self.concurrency - self._in_flight
        if free <= 0:
            return False  # a finishing job wakes the loop
        claim = new_claim_token(self.worker_id)
        now = utcnow()
        with transaction(self.sessions) as session:
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
        for delivery_id in deliveries:
            self._submit(self._deliver, delivery_id, claim)
        for action_id in actions:
            self._submit(self._run_action, action_id, claim)
        return fanned > 0 or bool(deliveries) or bool(actions)

    def _deliver(self, delivery_id: str, claim: str) -> None:
        deliver(
            self.settings,
            self.sessions,
            delivery_id,
            claim,
            worker_id=self.worker_id,
            resolver=self.resolver,
            disable_after=self.disable_after,
        )

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
            with self._lock:
                self._in_flight -= 1
            self._wake.set()


def install(app: FastAPI) -> None:
    """Run a delivery worker for as long as `app` lives (see `widget.server.app.EXTENSIONS`)."""
    worker = DeliveryWorker(app.state.settings, app.state.sessions)
    app.state.delivery_worker = worker
    app.state.services.append(worker)


def create_tables(engine: Engine) -> None:
    # Importing the modules registers every table the worker touches (and those they refer to).
    from widget.server import crm_store, models, outbox, webhook_store  # noqa: F401

    try:
        Base.metadata.create_all(engine)
    except OperationalError:
        # Another process created the same tables between our check and our CREATE; check again.
        Base.metadata.create_all(engine)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m widget.server.delivery",
        description="Run an extra webhook delivery worker against the server's database.",
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
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"widget.server.delivery: {exc}", file=sys.stderr)
        return 2
    if args.database_url:
        settings = dataclasses.replace(settings, database_url=args.database_url)
    engine = make_engine(settings.database_url)
    create_tables(engine)
    worker = DeliveryWorker(
        settings,
        make_sessionmaker(engine),
        concurrency=args.concurrency,
        poll_interval=args.poll_interval,
        lease=timedelta(seconds=args.lease_seconds),
        worker_id=args.worker_id,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    print(f"delivery worker {worker.worker_id} running", flush=True)
    stop.wait()
    worker.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
