from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from widget.receiver import WebhookReceiver, running

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    with running(SECRET) as started:
        yield started


def post(
    receiver: tuple[WebhookReceiver, str], msg_id: str, body: bytes, secret: str = SECRET
) -> int:
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, now, body.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    return httpx.post(receiver[1], content=body, headers=headers).status_code


def test_verified_deliveries_are_kept_once_and_forgeries_refused(
    receiver: tuple[WebhookReceiver, str],
) -> None:
    body = b'{"event":"conversation.started","timestamp":"2026-02-24T12:00:00.000Z","data":{}}'
    assert post(receiver, "msg_1", body) == 200
    assert post(receiver, "msg_1", body) == 200
    assert post(receiver, "msg_2", body, secret="whsec_" + "a" * 32) == 401
    app, url = receiver
    assert [e["event"] for e in app.received] == ["conversation.started"]
    stats = httpx.get(url + "stats").json()
    assert (stats["verified"], stats["duplicates"], stats["rejected"]) == (1, 1, 1)
