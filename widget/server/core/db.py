"""The SQL store's declarative base, engine and sessions (SQLAlchemy 2).

Times are stored and returned as timezone-aware UTC (`UTCDateTime`), whatever the database does
with time zones.

SQLite is the embedded default; PostgreSQL (psycopg 3) serves several processes and machines on
one database. `WIDGET_DATABASE_URL` picks it; models use only portable column types.

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

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    Integer,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """The one metadata of every table; the migrations (`core/migrations`) create and alter them."""


# Row ids that count up: 64-bit everywhere. On SQLite only INTEGER PRIMARY KEY is the row id that
# counts by itself (and is 64-bit already); PostgreSQL's INTEGER would stop at 2^31.
BigId = BigInteger().with_variant(Integer(), "sqlite")


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


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` (as hosting services print them) mean psycopg 3, the
    driver the server ships with; SQLAlchemy would otherwise look for psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_postgresql(url: str) -> bool:
    return normalise_url(url).startswith("postgresql")


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # The worker threads and the request handlers share one file: wait for locks, but not
        # for ever (a writer holding the file for long is answered with 503).
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
    elif url.startswith("postgresql"):
        lock_ms = max(1, round(busy_timeout * 1000))
        kwargs.update(
            # A server restarted or a connection cut while idle: find out before using it, so
            # the first request after an outage does not fail on a dead connection.
            pool_pre_ping=True,
            # Request threads, senders and the recorder share the pool; beyond it they wait,
            # at most the busy timeout, then the request answers 503.
            pool_size=10,
            max_overflow=20,
            pool_timeout=busy_timeout,
            connect_args={
                # An unreachable server is a quick 503, not a hang (libpq counts whole seconds).
                "connect_timeout": max(2, round(busy_timeout)),
                # A row another writer holds is waited for as long as SQLite's busy timeout.
                "options": f"-c lock_timeout={lock_ms}",
            },
        )
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
def writer_turn(
    timeout: float = DEFAULT_BUSY_TIMEOUT, *, sessions: sessionmaker[Session] | None = None
) -> Iterator[None]:
    """Hold this process's turn at writing, waiting at most `timeout` seconds for it.

    Only SQLite needs turns: on a database with row locks (PostgreSQL, the `sessions` given are
    bound to it) writers go on side by side, and this returns at once.

    SQLite has one writer, and a writer that finds it busy sleeps in steps of milliseconds, far
    longer than a commit takes (`make bench`: p99 at 50 concurrent conversations); request
    handlers that write take turns here instead. The bound keeps a database locked from outside
    from queueing requests behind each other: each waits once, then gets its 503.
    """
    bind = sessions.kw.get("bind") if sessions is not None else None
    if isinstance(bind, Engine) and bind.dialect.name != "sqlite":
        yield
        return
    if not _WRITER.acquire(timeout=timeout):
        raise DatabaseBusyError(f"no turn at writing within {timeout} s")
    try:
        yield
    finally:
        _WRITER.release()
