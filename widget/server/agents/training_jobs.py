"""The training worker: pending trainings, claimed from the database, chunked in a child process.

It runs wherever deliveries run: inside `python -m widget serve` (a service of the app) and in every
`python -m widget worker` process. Several of them share one database safely:

1. Claim: the oldest pending (or abandoned) training is leased with ONE conditional UPDATE
   (`claimed_by`, `claimed_until`; on PostgreSQL its row is picked `FOR UPDATE SKIP LOCKED`); a
   training another worker holds no longer matches, so one worker runs it. While it works, the
   worker renews its lease; a worker that dies (even by kill -9) stops renewing, the lease runs
   out and another worker takes the training, so a restart resumes.
2. Chunk: the documents (or the crawled website's pages) become chunks in a child process (a
   one-process pool kept for the worker's life), so this CPU work never competes with request
   handlers for the interpreter lock. The child reports files or pages done of total through a
   queue; the worker writes the latest to the Training row, for the dashboard.
3. Store: chunks, status and the `training.completed` / `training.failed` event are written in one
   transaction, only while the claim still holds: a training is stored, and announced, once.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import socket
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from multiprocessing.queues import Queue
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.agent.ingest import DEFAULT_TRAINING_LIMITS, TrainingLimits
from widget.server.agents.tables import Training
from widget.server.agents.training import fail_training, store_chunks
from widget.server.agents.training_chunks import (
    Chunked,
    CrawlLimits,
    Progress,
    chunk_training,
    crawl_training,
    start_child,
)
from widget.server.agents.training_wakeups import add_training_waker, remove_training_waker
from widget.server.core.config import Settings
from widget.server.core.db import DEFAULT_BUSY_TIMEOUT, transaction, utcnow, writer_turn
from widget.server.core.services import poll_until_stopped

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_CRAWL_LIMITS = CrawlLimits(max_pages=100, time_limit=120.0, allow_private=False)
# How often, at most, a running training's progress is written to its row.
PROGRESS_INTERVAL = 0.25
UNFINISHED = ("pending", "running")


class _ClaimLost(Exception):
    """Another worker holds the training now (our lease ran out); drop what we computed."""


def claim_next(
    sessions: sessionmaker[Session], token: str, lease: timedelta, busy_timeout: float
) -> int | None:
    """Lease the oldest training nobody holds; its id, or None when there is none."""
    now = utcnow()
    free = or_(Training.claimed_until.is_(None), Training.claimed_until < now)
    with writer_turn(busy_timeout, sessions=sessions), transaction(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Workers claiming at once skip each other's row instead of waiting for it.
            oldest = (
                select(Training.id)
                .where(Training.status.in_(UNFINISHED), free)
                .order_by(Training.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            return session.scalar(
                update(Training)
                .where(Training.id.in_(oldest))
                .values(status="running", claimed_by=token, claimed_until=now + lease)
                .returning(Training.id)
                .execution_options(synchronize_session=False)
            )
        candidates = session.scalars(
            select(Training.id)
            .where(Training.status.in_(UNFINISHED), free)
            .order_by(Training.id)
            .limit(5)
        ).all()
        for training_id in candidates:
            won = session.execute(
                update(Training)
                .where(Training.id == training_id, Training.status.in_(UNFINISHED), free)
                .values(status="running", claimed_by=token, claimed_until=now + lease)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                return training_id
    return None


def _hold(session: Session, training_id: int, token: str, lease: timedelta) -> None:
    """Extend our lease in the caller's transaction; _ClaimLost if it is no longer ours."""
    renewed = session.execute(
        update(Training)
        .where(Training.id == training_id, Training.claimed_by == token)
        .values(claimed_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        raise _ClaimLost


class TrainingWorker:
    """A service (`start()`/`stop()`): one thread that runs claimed trainings one at a time."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        poll_interval: float = 1.0,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        limits: TrainingLimits = DEFAULT_TRAINING_LIMITS,
        crawl_limits: CrawlLimits = DEFAULT_CRAWL_LIMITS,
    ) -> None:
        self.sessions = sessions
        self.limits = limits
        self.crawl_limits = crawl_limits
        self.worker_id = worker_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.poll_interval = poll_interval
        self.busy_timeout = busy_timeout
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._progress: Queue[Progress] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], *, worker_id: str | None = None
    ) -> TrainingWorker:
        """A worker with the operator's limits (training sizes, crawl pages, time, addresses)."""
        return cls(
            sessions,
            worker_id=worker_id,
            busy_timeout=settings.database_busy_timeout,
            limits=settings.training_limits(),
            crawl_limits=CrawlLimits(
                max_pages=settings.crawl_max_pages,
                time_limit=settings.crawl_time_limit,
                allow_private=settings.crawl_allow_private,
            ),
        )

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        add_training_waker(self.wake)
        self._thread = threading.Thread(target=self._loop, name="training-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        remove_training_waker(self.wake)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            # A training cut short here keeps its lease until it runs out; then it runs again.
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        poll_until_stopped(
            self.run_one,
            stopping=self._stopping,
            wake=self._wake,
            poll_interval=self.poll_interval,
            log=log,
            what=f"training worker {self.worker_id}",
        )

    def run_one(self) -> bool:
        """Claim and run the next training; False when there was none."""
        token = f"{self.worker_id}/{uuid.uuid4().hex}"
        training_id = claim_next(self.sessions, token, self.lease, self.busy_timeout)
        if training_id is None:
            return False
        try:
            self._run(training_id, token)
        except _ClaimLost:
            log.warning("training %s: lease lost; another worker runs it", training_id)
        return True

    def _run(self, training_id: int, token: str) -> None:
        with self.sessions() as session:
            training = session.get_one(Training, training_id)
            documents = list(training.documents or [])
            url = training.url
        renewing = threading.Event()
        helpers = [
            threading.Thread(target=self._renew, args=(training_id, token, renewing), daemon=True),
            threading.Thread(target=self._report, args=(training_id, token, renewing), daemon=True),
        ]
        for helper in helpers:
            helper.start()
        try:
            result = self._chunk(training_id, documents, url)
        finally:
            renewing.set()
            for helper in helpers:
                helper.join()
        with (
            writer_turn(self.busy_timeout, sessions=self.sessions),
            transaction(self.sessions) as session,
        ):
            _hold(session, training_id, token, self.lease)
            training = session.get_one(Training, training_id)
            if result.error is None:
                store_chunks(
                    session,
                    training,
                    result.chunks,
                    data_count=result.data_count,
                    skipped=result.skipped,
                )
                # The child's last report may still be on its way: the end is known here.
                training.progress_done = training.progress_total = result.processed
            else:
                fail_training(session, training, result.error)
            training.claimed_by = None
            training.claimed_until = None

    def _chunk(self, training_id: int, documents: list[dict[str, Any]], url: str | None) -> Chunked:
        try:
            pool = self._child()
            if url is not None:
                future = pool.submit(
                    crawl_training, training_id, url, self.limits, self.crawl_limits
                )
            else:
                future = pool.submit(chunk_training, training_id, documents, self.limits)
            return future.result()
        except BrokenProcessPool:
            self._pool = None
            raise  # the lease runs out and the training is tried again
        except Exception as exc:
            log.exception("training %s could not be processed", training_id)
            return Chunked(error=f"internal error while processing the documents: {exc}")

    def _child(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Spawned, not forked: this process has threads, whose locks a fork would copy held.
            context = multiprocessing.get_context("spawn")
            self._progress = context.Queue()
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=start_child, initargs=(self._progress,)
            )
        return self._pool

    def _report(self, training_id: int, token: str, done: threading.Event) -> None:
        """Write the child's latest progress report to the row, a few times a second at most."""
        while True:
            latest: tuple[int, int] | None = None
            finished = done.wait(PROGRESS_INTERVAL)
            while self._progress is not None:
                try:
                    reported_id, files_done, total = self._progress.get_nowait()
                except queue.Empty:
                    break
                if reported_id == training_id:
                    latest = (files_done, total)
            if latest is not None:
                try:
                    with (
                        writer_turn(self.busy_timeout, sessions=self.sessions),
                        transaction(self.sessions) as session,
                    ):
                        session.execute(
                            update(Training)
                            .where(Training.id == training_id, Training.claimed_by == token)
                            .values(progress_done=latest[0], progress_total=latest[1])
                            .execution_options(synchronize_session=False)
                        )
                except Exception:
                    log.exception("training %s: recording its progress failed", training_id)
            if finished:
                return

    def _renew(self, training_id: int, token: str, done: threading.Event) -> None:
        while not done.wait(self.lease.total_seconds() / 4):
            try:
                with (
                    writer_turn(self.busy_timeout, sessions=self.sessions),
                    transaction(self.sessions) as session,
                ):
                    _hold(session, training_id, token, self.lease)
            except _ClaimLost:
                return
            except Exception:
                log.exception("training %s: renewing the lease failed", training_id)
