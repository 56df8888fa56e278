"""`python -m widget receive`: a local webhook receiver that verifies and prints every delivery.

For trying webhooks on one machine: register `http://127.0.0.1:PORT/` as an endpoint (the server
needs `WIDGET_WEBHOOK_ALLOW_PRIVATE=1` for a loopback destination), give this command the endpoint's
`whsec_...` secret, and watch the story arrive. A delivery whose signature does not verify gets 401,
so the server retries it; a repeated `webhook-id` is printed as a duplicate and acknowledged.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], secret: str, quiet: bool = False) -> None:
        super().__init__(address, _Handler)
        self.webhook = Webhook(secret)
        self.quiet = quiet
        self.seen: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            self.server.webhook.verify(body, headers)
        except WebhookVerificationError as exc:
            self._answer(401, f"signature rejected: {exc}")
            print(f"REJECTED {headers.get('webhook-id', '?')}: {exc}", flush=True)
            return
        event = json.loads(body)
        msg_id = headers["webhook-id"]
        with self.server.lock:
            duplicate = msg_id in self.server.seen
            self.server.seen.add(msg_id)
            if not duplicate:
                self.server.received.append(event)
        self._answer(200, "ok")
        label = "duplicate" if duplicate else "verified"
        print(f"{event['timestamp']}  {event['event']:<22} {msg_id}  ({label})", flush=True)
        if not self.server.quiet:
            print("    " + json.dumps(event["data"], ensure_ascii=False), flush=True)

    def _answer(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m widget receive", description=__doc__)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (9000)")
    parser.add_argument("--quiet", action="store_true", help="print one line per event, no data")
    args = parser.parse_args(argv)
    try:
        server = Receiver((args.host, args.port), args.secret, args.quiet)
    except Exception as exc:  # a malformed secret or a port in use: say which, don't trace
        print(f"receive: {exc}", file=sys.stderr)
        return 2
    print(f"Listening on http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
