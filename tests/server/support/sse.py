"""A Server-Sent Events client for the stream tests: httpx streaming in a thread, each event
parsed into (event, id, data) as a browser's EventSource would. Holds no tests of its own."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from tests.server.conftest import wait_until


@dataclass(frozen=True)
class Event:
    event: str
    id: str | None
    data: Any


class EventReader:
    """Reads a stream until closed; `events` holds what arrived, `comments` the comment lines."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self.events: list[Event] = []
        self.comments: list[str] = []
        self.retry: int | None = None
        self.status: int | None = None
        self.error: Any = None
        self._socket: socket.socket | None = None
        self.closed = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EventReader:
        self._thread.start()
        wait_until(lambda: self.status is not None or self.closed.is_set(), what="a response")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the connection, as a visitor's browser does when the network goes."""
        self._stop.set()
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reading thread at once
        self._thread.join(timeout=10)
        self._client.close()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                stream = response.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream is not None else None
                self.status = response.status_code
                if response.status_code != 200:
                    response.read()
                    self.error = response.json()
                    return
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if "data" in fields:
                            self.events.append(
                                Event(
                                    fields.get("event", "message"),
                                    fields.get("id"),
                                    json.loads(fields["data"]),
                                )
                            )
                        fields = {}
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "retry":
                            self.retry = int(value)
                        else:
                            fields[name] = value
        except Exception:
            pass  # closed by the test (from another thread), or by the server
        finally:
            self.closed.set()

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.event == name]

    def wait_for(self, name: str, count: int = 1, timeout: float = 15.0) -> list[Event]:
        wait_until(
            lambda: len(self.named(name)) >= count, timeout=timeout, what=f"{count} {name} events"
        )
        return self.named(name)
