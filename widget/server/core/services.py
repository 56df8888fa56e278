"""Background services that live as long as the app: started and stopped by its lifespan.

A service is any object with `start()` and `stop()`; each may be a plain method or a coroutine
function. `start()` must return promptly (start a thread or an asyncio task, don't run the loop in
it). Services start in list order and stop in reverse order.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol


class Service(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


async def call_maybe_async(method: Any) -> None:
    result = method()
    if inspect.isawaitable(result):
        await result
