"""Wake this process's training workers when a training is submitted, instead of at their next
poll (workers in other processes find it at their poll)."""

from __future__ import annotations

import threading
from collections.abc import Callable

_wakers: set[Callable[[], None]] = set()
_lock = threading.Lock()


def add_training_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.add(wake)


def remove_training_waker(wake: Callable[[], None]) -> None:
    with _lock:
        _wakers.discard(wake)


def wake_training_workers() -> None:
    with _lock:
        wakers = list(_wakers)
    for wake in wakers:
        wake()
