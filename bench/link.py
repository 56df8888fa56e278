"""A visitor's connection on loopback: one shared, rate-limited link in front of several origins.

Each origin gets a TCP relay on its own loopback port; every relay draws the bytes it passes on
from ONE token bucket, so the host page's downloads and the widget's compete for the same
bandwidth, as they do on a visitor's line. Bytes, not latency, are modelled: the goal rows are
about what the widget's downloads cost the page's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

CHUNK = 16 * 1024


class TokenBucket:
    """`rate` bytes a second, at most `burst` at once; waiters are served in arrival order."""

    def __init__(self, rate: float, burst: int = CHUNK) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self, amount: int) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= amount:
                    self._tokens -= amount
                    return
                await asyncio.sleep((amount - self._tokens) / self.rate)


class SharedLink:
    """Relays on loopback that share one bucket; `relay(port)` gives the port to use instead."""

    def __init__(self, megabits_per_second: float) -> None:
        self.rate = megabits_per_second * 1_000_000 / 8
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="link", daemon=True)
        self._servers: list[asyncio.Server] = []
        self._bucket: TokenBucket | None = None
        self._thread.start()
        self._bucket = self._call(self._make_bucket())

    async def _make_bucket(self) -> TokenBucket:
        return TokenBucket(self.rate)

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(30)

    def relay(self, target_port: int) -> int:
        """A loopback port whose connections reach `127.0.0.1:target_port` through the link."""
        port: int = self._call(self._listen(target_port))
        return port

    async def _listen(self, target_port: int) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(
                self._pipe(reader, up_writer, throttled=False),
                self._pipe(up_reader, writer, throttled=True),
            )

        server = await asyncio.start_server(handle, "127.0.0.1", 0, family=socket.AF_INET)
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, throttled: bool
    ) -> None:
        assert self._bucket is not None
        try:
            while data := await reader.read(CHUNK):
                if throttled:
                    await self._bucket.take(len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                writer.close()

    def close(self) -> None:
        async def stop() -> None:
            for server in self._servers:
                server.close()

        with contextlib.suppress(Exception):
            self._call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def shared_link(megabits_per_second: float) -> Iterator[SharedLink]:
    link = SharedLink(megabits_per_second)
    try:
        yield link
    finally:
        link.close()
