"""Background services that live as long as the app: started and stopped by its lifespan.

A service is any object with `start()` and `stop()`; each may be a plain method or a coroutine
function. `start()` must return promptly (start a thread or an asyncio task, don't run the loop in
it). Services start in list order and stop in reverse order.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol


class Service(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


async def call_maybe_async(method: Any) -> None:
    result = method()
    if inspect.isawaitable(result):
        await result


def poll_until_stopped(
    step: Callable[[], bool],
    *,
    stopping: threading.Event,
    wake: threading.Event,
    poll_interval: float,
    log: logging.Logger,
    what: str,
) -> None:
    """Run `step` until `stopping` is set: again at once while it finds work (True), else after
    `poll_interval` seconds or as soon as `wake` is set."""
    while not stopping.is_set():
        busy = False
        try:
            busy = step()
        except Exception:
            # A locked or briefly unreachable database: log it and try again at the next poll.
            log.exception("%s: looking for work failed", what)
        if not busy:
            wake.wait(poll_interval)
            wake.clear()
