"""`python -m widget receive`: a local webhook receiver that verifies every delivery.

For trying webhooks on one machine: register `http://127.0.0.1:PORT/` as an endpoint (the server
needs `WIDGET_WEBHOOK_ALLOW_PRIVATE=1` for a loopback destination), give this command the endpoint's
`whsec_...` secret, and watch the story arrive. A delivery whose signature does not verify gets 401,
so the server retries it; a repeated `webhook-id` is reported as a duplicate and acknowledged.
`GET /stats` answers `{"verified", "duplicates", "rejected", "first", "last"}` (the times of the
first and last verified delivery, `time.monotonic()`, one clock for every process of the machine).

The one receiver of the project: the CLI prints what arrives, the bench counts at full speed
(`--silent`; an ASGI app on uvicorn, so the receiver is not what limits deliveries per second), and
the tests run it in a thread (`running`) and read `received`.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# What one arrival was: the label printed beside it.
VERIFIED, DUPLICATE = "verified", "duplicate"


class WebhookReceiver:
    """An ASGI app that verifies Standard Webhooks deliveries and keeps each `webhook-id` once.

    `out` gets a line per delivery (and its data unless `quiet`); None prints nothing. `keep`
    holds every verified event in `received`, in arrival order.
    """

    def __init__(
        self, secret: str, *, out: TextIO | None = None, quiet: bool = False, keep: bool = True
    ) -> None:
        self.webhook = Webhook(secret)
        self.out = out
        self.quiet = quiet
        self.keep = keep
        self.received: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        self.rejected = 0
        self.first: float | None = None
        self.last: float | None = None
        self._lock = threading.Lock()

    def use_secret(self, secret: str) -> None:
        """Verify with `secret` from now on (an endpoint's, known once it is registered)."""
        self.webhook = Webhook(secret)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "verified": len(self.seen),
                "duplicates": self.duplicates,
                "rejected": self.rejected,
                "first": self.first,
                "last": self.last,
            }

    def accept(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """Verify one delivery and record it: (status to answer, text)."""
        try:
            self.webhook.verify(body, headers)
        except WebhookVerificationError as exc:
            with self._lock:
                self.rejected += 1
            self._print(f"REJECTED {headers.get('webhook-id', '?')}: {exc}")
            return 401, f"signature rejected: {exc}"
        msg_id = headers["webhook-id"]
        now = time.monotonic()
        event: dict[str, Any] = json.loads(body) if self.keep or self.out else {}
        with self._lock:
            duplicate = msg_id in self.seen
            if duplicate:
                self.duplicates += 1
            else:
                self.seen.add(msg_id)
                self.first = now if self.first is None else self.first
                self.last = now
                if self.keep:
                    self.received.append(event)
        if self.out is not None:
            label = DUPLICATE if duplicate else VERIFIED
            self._print(f"{event['timestamp']}  {event['event']:<22} {msg_id}  ({label})")
            if not self.quiet:
                self._print("    " + json.dumps(event["data"], ensure_ascii=False))
        return 200, "ok"

    def _print(self, line: str) -> None:
        if self.out is not None:
            print(line, file=self.out, flush=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":
            await _answer(send, 200, json.dumps(self.stats()).encode(), "application/json")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status, text = self.accept(body, headers)
        await _answer(send, status, text.encode(), "text/plain; charset=utf-8")


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _server(app: WebhookReceiver, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    return uvicorn.Server(config)


@contextmanager
def running(
    secret: str, port: int = 0, *, deadline: float = 10.0
) -> Iterator[tuple[WebhookReceiver, str]]:
    """A receiver on 127.0.0.1 in a thread of this process, and its URL; stopped on exit."""
    app = WebhookReceiver(secret)
    server = _server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    until = time.monotonic() + deadline
    while not server.started:
        if not thread.is_alive() or time.monotonic() > until:
            raise RuntimeError(f"the webhook receiver did not start on port {port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield app, f"http://127.0.0.1:{bound}/"
    finally:
        server.should_exit = True
        thread.join(deadline)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m widget receive", description=__doc__)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (9000)")
    parser.add_argument("--quiet", action="store_true", help="print one line per event, no data")
    parser.add_argument(
        "--silent", action="store_true", help="print nothing; count only (GET /stats)"
    )
    args = parser.parse_args(argv)
    try:
        app = WebhookReceiver(
            args.secret, out=None if args.silent else sys.stdout, quiet=args.quiet, keep=False
        )
    except Exception as exc:  # a malformed secret: say which, don't trace
        print(f"receive: {exc}", file=sys.stderr)
        return 2
    server = _server(app, args.host, args.port)
    print(f"Listening on http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    server.run()
    # uvicorn logs a port already in use and returns without serving.
    return 0 if server.started else 2
