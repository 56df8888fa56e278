from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from widget.receiver import Receiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), SECRET, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def post(receiver: Receiver, msg_id: str, body: bytes, secret: str = SECRET) -> int:
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, now, body.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    url = f"http://127.0.0.1:{receiver.server_address[1]}/"
    return httpx.post(url, content=body, headers=headers).status_code


def test_verified_deliveries_are_kept_once_and_forgeries_refused(receiver: Receiver) -> None:
    body = b'{"event":"conversation.started","timestamp":"2026-02-24T12:00:00.000Z","data":{}}'
    assert post(receiver, "msg_1", body) == 200
    assert post(receiver, "msg_1", body) == 200
    assert post(receiver, "msg_2", body, secret="whsec_" + "a" * 32) == 401
    assert [e["event"] for e in receiver.received] == ["conversation.started"]
