"""When to try again: the retry schedule shared by webhook deliveries and CRM actions.

`delays` (WIDGET_WEBHOOK_RETRY_DELAYS) lists, for each attempt, the seconds to wait before it: the
first entry before the first attempt (normally 0), each later one after the previous attempt failed.
Its length is the number of attempts. Delays get +/-20% jitter so that endpoints failing together do
not retry in lockstep, and a receiver's `Retry-After` (seconds or an HTTP date) is honoured as a
minimum wait.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

JITTER = 0.2
# A Retry-After further out than this is treated as this: one bad header must not park work forever.
MAX_RETRY_AFTER = 86400.0


def first_delay(delays: Sequence[float], rng: random.Random | None = None) -> float:
    return jittered(delays[0] if delays else 0.0, rng)


def delay_after_failure(
    delays: Sequence[float],
    attempts_made: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts failed; None = give up."""
    if attempts_made >= max(len(delays), 1):
        return None
    delay = jittered(delays[attempts_made], rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def jittered(delay: float, rng: random.Random | None = None) -> float:
    if delay <= 0:
        return 0.0
    spread = (rng or random).uniform(-JITTER, JITTER)
    return delay * (1 + spread)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` as seconds from now."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(seconds, 0.0)
