"""Rate limits counted in the database, so they hold across every server process sharing it.

Fixed windows (as GitHub's API counts): one row per (bucket, window start) holds the hits of that
window; a hit is one upsert that adds 1 and returns the new count, atomic in SQLite and PostgreSQL
alike (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`). Over the limit, the caller answers 429
with `Retry-After` = the seconds left in the window, and rolls its transaction back, so a refused
request does not count. Old windows are deleted now and then by the process that hits.

Buckets: `conversations/address/<client address>`, `conversations/agent/<agentId>` and
`messages/conversation/<conversationId>`.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from widget.server.core.db import Base
from widget.server.core.errors import ApiError

# Every this many hits, a process deletes the windows that have ended.
_SWEEP_EVERY = 500
_hits_seen = itertools.count()
_sweep_lock = threading.Lock()


class RateWindow(Base):
    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Unix seconds at which the window began; windows are aligned to multiples of their length.
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[int] = mapped_column(BigInteger, index=True)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per `window_seconds` in each bucket; `limit` 0 turns it off."""

    what: str  # "conversations a minute from one address", for the 429's message
    limit: int
    window_seconds: int = 60


@dataclass(frozen=True)
class Hit:
    bucket: str
    rule: RateLimit


def _count_hit(session: Session, bucket: str, window_start: int, ends_at: int) -> int:
    """Add one hit to the window's row (creating it) and return the window's hits."""
    values = {"bucket": bucket, "window_start": window_start, "hits": 1, "ends_at": ends_at}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        make_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = (
            make_insert(RateWindow)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["bucket", "window_start"], set_={"hits": RateWindow.hits + 1}
            )
            .returning(RateWindow.hits)
        )
        return int(session.execute(statement).scalar_one())
    # Any other SQL database: update, else insert (a racing insert retries the update).
    where = (RateWindow.bucket == bucket) & (RateWindow.window_start == window_start)
    bumped = session.execute(update(RateWindow).where(where).values(hits=RateWindow.hits + 1))
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(RateWindow).values(**values))
    return int(session.execute(select(RateWindow.hits).where(where)).scalar_one())


def _sweep(session: Session, now: float) -> None:
    if next(_hits_seen) % _SWEEP_EVERY != 0 or not _sweep_lock.acquire(blocking=False):
        return
    try:
        session.execute(delete(RateWindow).where(RateWindow.ends_at <= math.floor(now)))
    finally:
        _sweep_lock.release()


def count_hits(session: Session, hits: Sequence[Hit], now: float) -> None:
    """Count one hit in each bucket, in the caller's transaction.

    Raises a 429 ApiError (with Retry-After) when any bucket is over its limit; the caller's
    transaction then rolls back, so the refused request counts nowhere.
    """
    _sweep(session, now)
    waits: list[tuple[float, RateLimit]] = []
    for hit in hits:
        rule = hit.rule
        if rule.limit <= 0:
            continue
        start = math.floor(now / rule.window_seconds) * rule.window_seconds
        ends_at = start + rule.window_seconds
        if _count_hit(session, hit.bucket, start, ends_at) > rule.limit:
            waits.append((ends_at - now, rule))
    if waits:
        wait, rule = max(waits, key=lambda item: item[0])
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests: at most {rule.limit} {rule.what}. Try again in {seconds} s.",
            {"Retry-After": str(seconds)},
        )
