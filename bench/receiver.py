"""`python -m bench.receiver --port P --secret whsec_...`: the bench's loopback webhook receiver.

Verifies every delivery's Standard Webhooks signature (a bad one gets 401, so it is not counted)
and counts distinct `webhook-id`s; `GET /stats` answers `{"verified", "rejected", "first", "last"}`
(times of the first and last verified delivery, `time.monotonic()` of this process). A plain ASGI
app on uvicorn, so that the receiver is not what limits the deliveries per second.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Counter:
    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.seen: set[str] = set()
        self.rejected = 0
        self.first: float | None = None
        self.last: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":
            stats = {
                "verified": len(self.seen),
                "rejected": self.rejected,
                "first": self.first,
                "last": self.last,
            }
            await _answer(send, 200, json.dumps(stats).encode(), "application/json")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            self.webhook.verify(body, headers)
        except WebhookVerificationError:
            self.rejected += 1
            await _answer(send, 401, b"bad signature", "text/plain")
            return
        now = time.monotonic()
        self.first = self.first if self.first is not None else now
        self.last = now
        self.seen.add(headers["webhook-id"])
        await _answer(send, 204, b"", "text/plain")


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        Counter(args.secret),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
