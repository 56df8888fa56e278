"""The delivery worker: fans out the outbox, claims due work, sends, and records the outcomes.

Everything a worker knows is in the database, so any number of workers (threads of the server, or
extra processes started with `python -m widget worker --database-url URL`) can share the
work, and a crash or kill -9 loses nothing: fan-out (`fan_out`), claims (`claims`: a lease that
its worker cannot finish runs out and the row is taken again), one attempt per claimed delivery
(`sending`), outcomes (`attempts`), and the CRM actions of a lead (`widget.server.crm.actions`).

Throughput (`make bench`): a worker loads the deliveries it claims in the claiming transaction,
sends them on one pooled client per destination (kept alive between sends), and records the
outcomes of all sends that finished meanwhile in one transaction (a group commit): the database's
single writer is taken once per batch, not twice per delivery.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from widget.server.core.config import Settings
from widget.server.core.db import transaction, utcnow
from widget.server.core.services import poll_until_stopped
from widget.server.crm import actions as crm
from widget.server.crm.tables import CrmAction
from widget.server.webhooks.attempts import (
    DISABLE_AFTER,
    Job,
    Outcome,
    finish_unsent,
    load_jobs,
    record_attempt,
    record_attempts,
)
from widget.server.webhooks.claims import claim_due, new_claim_token
from widget.server.webhooks.fan_out import FAN_OUT_BATCH, fan_out
from widget.server.webhooks.outbox import add_waker, remove_waker
from widget.server.webhooks.sending import send_delivery
from widget.server.webhooks.ssrf import (
    SEND_TIMEOUT_SECONDS,
    Resolver,
    guarded_client,
    system_resolver,
)
from widget.server.webhooks.tables import WebhookDelivery

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
# Claimed deliveries a worker holds at once, per parallel send: one claim takes many. A queued
# delivery whose lease would run out during its send is not sent (see `_send_job`).
QUEUED_PER_SENDER = 8
# The recorder waits this long after a first outcome for others to join its transaction.
RECORD_GATHER_SECONDS = 0.005
# Destinations whose pooled clients a worker keeps; past that, a send gets a client of its own.
MAX_POOLED_DESTINATIONS = 64


class _ClaimsMoved(Exception):
    """Some claim of a batch no longer holds: roll back and record one attempt at a time."""


class DeliveryWorker:
    """Fans out the outbox and runs due deliveries and CRM actions, `concurrency` at a time.

    A service of the app (`start()`/`stop()`); `wake()` makes it look for work at once (every commit
    that enqueues an outbox event calls it, see `widget.server.webhooks.outbox.add_waker`).

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
        self._outcomes: queue.SimpleQueue[Outcome | None] = queue.SimpleQueue()
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
        poll_until_stopped(
            self._tick,
            stopping=self._stopping,
            wake=self._wake,
            poll_interval=self.poll_interval,
            log=log,
            what=f"delivery worker {self.worker_id}",
        )

    def _tick(self) -> bool:
        with self._writing:
            taken, created = fan_out(self.sessions, self.settings.webhook_retry_delays)
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
            jobs = load_jobs(session, deliveries, claim) if deliveries else []
        self._next_claim = time.monotonic() + self.poll_interval
        self._claim_soon = len(deliveries) + len(actions) >= free
        for job in jobs:
            self._submit_send(job)
        for action_id in actions:
            self._submit(self._run_action, action_id, claim)
        return more_outbox or bool(deliveries) or bool(actions)

    # -- webhook deliveries: send in the pool, record in the recorder --------------------------

    def _submit_send(self, job: Job) -> None:
        assert self._pool is not None
        with self._lock:
            self._in_flight += 1
        self._pool.submit(self._send_job, job)

    def _send_job(self, job: Job) -> None:
        try:
            endpoint = job.endpoint
            if endpoint is None:  # the endpoint was deleted, and its deliveries with it
                self._done(1)
                return
            if not endpoint.enabled:
                finish_unsent(self.sessions, job.delivery, job.claim, endpoint)
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
                    attempted_at, result = send_delivery(own, job.delivery, endpoint)
            else:
                attempted_at, result = send_delivery(client, job.delivery, endpoint)
        except Exception:
            # The claim stays until its lease ends; then another attempt is made.
            log.exception("delivery worker %s: delivery %s failed", self.worker_id, job.delivery.id)
            self._done(1)
            return
        self._outcomes.put(Outcome(job, attempted_at, result))

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

    def _record(self, outcomes: list[Outcome]) -> None:
        try:
            with self._writing, transaction(self.sessions) as session:
                if not record_attempts(
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

    def _record_one(self, session: Session, outcome: Outcome) -> None:
        job = outcome.job
        assert job.endpoint is not None
        record_attempt(
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
