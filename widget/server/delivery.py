"""`python -m widget.server.delivery`: an extra worker process beside `serve`, on the same database.

It runs what `serve` runs in the background (webhook deliveries and CRM actions,
`widget.server.webhooks.worker`; trainings, `widget.server.agents.training_jobs`; retention,
`widget.server.leads.retention`); any number of them share the work safely.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine

from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.agents.training_jobs import TrainingWorker
from widget.server.core.config import Settings, SettingsError
from widget.server.core.db import make_engine, make_sessionmaker
from widget.server.core.schema_upgrade import create_schema
from widget.server.leads.retention import RetentionWorker
from widget.server.webhooks.worker import DEFAULT_LEASE, DeliveryWorker


def create_tables(engine: Engine) -> None:
    """Create (or upgrade) every table of the server."""
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
    retention = RetentionWorker(worker.sessions, busy_timeout=settings.database_busy_timeout)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    trainer.start()
    retention.start()
    print(f"delivery worker {worker.worker_id} running", flush=True)
    stop.wait()
    retention.stop()
    trainer.stop()
    worker.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
