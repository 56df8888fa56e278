"""A set of wake-up callbacks: work committed in this process wakes its workers at once, instead
of at their next poll. Workers in other processes hear of it through PostgreSQL's NOTIFY
(`widget.server.core.notify`), or on SQLite at their poll."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Wakers:
    def __init__(self) -> None:
        self._wakers: set[Callable[[], None]] = set()
        self._lock = threading.Lock()

    def add(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.add(wake)

    def remove(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.discard(wake)

    def wake_all(self) -> None:
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()
