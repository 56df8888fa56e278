"""Real parts for the webhook, delivery and CRM tests: HTTP receivers on loopback, the app served by
uvicorn on loopback, and a wait that polls a condition. Holds no tests of its own."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from standardwebhooks import Webhook

from tests.server.conftest import wait_until
from widget.server.app import create_app
from widget.server.core.config import Settings

__all__ = ["wait_until"]  # re-exported: the delivery and SSRF tests take it from here

ADMIN_KEY = "test-admin-key-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
FAST_RETRIES = (0.0, 0.2, 0.2)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


Responder = Callable[[Received], Reply]


class _Server(ThreadingHTTPServer):
    # Many workers connect at once; the default backlog of 5 would refuse some of them.
    request_queue_size = 128


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers as told.

    `replies` are used in order, one per request; after them every request gets `default`, or what
    `responder` returns when it is set. Setting `hold` (a cleared Event) makes requests wait on it.
    """

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.responder: Responder | None = None
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = receiver._record(request)
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_POST = do_GET = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, request: Received) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.replies:
                return self.replies.pop(0)
        return self.responder(request) if self.responder else self.default

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        def enough() -> list[Received] | None:
            requests = self.received()
            return requests if len(requests) >= count else None

        found: list[Received] = wait_until(enough, timeout, f"{count} request(s) at {self.url}")
        return found

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    r = Receiver(port)
    try:
        yield r
    finally:
        r.close()


def verify(secret: str, request: Received) -> dict[str, Any]:
    """Check a delivery the way a receiver would, with the Standard Webhooks library."""
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


@contextmanager
def served(app: FastAPI) -> Iterator[httpx.Client]:
    """`app` on a real uvicorn server on loopback (lifespan and services running); an httpx
    client for it, with the admin key."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN, timeout=30) as c:
            yield c
    finally:
        server.should_exit = True
        thread.join()


def webhook_settings(settings: Settings, **changes: Any) -> Settings:
    """The test settings, with loopback receivers allowed and retries 0.2 s apart."""
    values: dict[str, Any] = {
        "admin_key": ADMIN_KEY,
        "webhook_allow_private": True,
        "webhook_retry_delays": FAST_RETRIES,
    }
    values.update(changes)
    return dataclasses.replace(settings, **values)


@contextmanager
def running_app(settings: Settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    app = create_app(settings)
    with served(app) as client:
        yield app, client
