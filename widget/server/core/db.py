"""The SQL store's declarative base, engine and sessions (SQLAlchemy 2).

Times are stored and returned as timezone-aware UTC (`UTCDateTime`), whatever the database does
with time zones.

SQLite is the embedded default; any database SQLAlchemy supports can follow through
`WIDGET_DATABASE_URL`, so models use only portable column types.

A writer waits at most `busy_timeout` seconds for a database another writer holds (SQLite's busy
timeout), then fails with OperationalError, which the API answers with 503 and Retry-After: a
request never hangs for long, and nothing is half-written. `writer_turn` orders this process's own
writers (see its docstring) under the same bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """The one metadata of every table: `create_schema` creates and upgrades them all."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite drops the zone on the way back; normalise to aware UTC both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DatabaseBusyError(Exception):
    """This process's writers did not get a turn within the busy timeout."""


DEFAULT_BUSY_TIMEOUT = 5.0


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # The worker threads and the request handlers share one file: wait for locks, but not
        # for ever (a writer holding the file for long is answered with 503).
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory.begin() as session:
        yield session


_WRITER = threading.Lock()


@contextmanager
def writer_turn(timeout: float = DEFAULT_BUSY_TIMEOUT) -> Iterator[None]:
    """Hold this process's turn at writing, waiting at most `timeout` seconds for it.

    SQLite has one writer, and a writer that finds it busy sleeps in steps of milliseconds, far
    longer than a commit takes (`make bench`: p99 at 50 concurrent conversations); request
    handlers that write take turns here instead. The bound keeps a database locked from outside
    from queueing requests behind each other: each waits once, then gets its 503.
    """
    if not _WRITER.acquire(timeout=timeout):
        raise DatabaseBusyError(f"no turn at writing within {timeout} s")
    try:
        yield
    finally:
        _WRITER.release()
