"""`python -m widget worker` (also `python -m widget.server.delivery`): a worker process beside
`serve`, on the same database.

It runs what `serve` runs in the background (`widget.server.workers`: webhook deliveries and CRM
actions, trainings, retention, and on PostgreSQL the listener that wakes them); any number of them,
on any number of machines, share the work safely.
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
from widget.server.core.config import Settings, SettingsError
from widget.server.core.db import make_engine, make_sessionmaker
from widget.server.core.migrate import upgrade_schema
from widget.server.webhooks.worker import DEFAULT_LEASE
from widget.server.workers import make_workers


def create_tables(engine: Engine) -> None:
    """Create (or upgrade) every table of the server: the newest migration, under its lock."""
    upgrade_schema(engine)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m widget worker",
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
        print(f"widget worker: {exc}", file=sys.stderr)
        return 2
    if args.database_url:
        settings = dataclasses.replace(settings, database_url=args.database_url)
    engine = make_engine(settings.database_url, busy_timeout=settings.database_busy_timeout)
    create_tables(engine)
    workers = make_workers(
        settings,
        engine,
        make_sessionmaker(engine),
        concurrency=args.concurrency,
        poll_interval=args.poll_interval,
        lease=timedelta(seconds=args.lease_seconds),
        worker_id=args.worker_id,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    services = workers.services()
    for service in services:
        service.start()
    print(f"delivery worker {workers.delivery.worker_id} running", flush=True)
    stop.wait()
    for service in reversed(services):
        service.stop()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
