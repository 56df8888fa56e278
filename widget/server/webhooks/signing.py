"""Standard Webhooks signatures: secrets, and the three headers that let a receiver verify a body.

The signed content is `"{webhook-id}.{webhook-timestamp}.{body}"`, HMAC-SHA256 with the secret's
bytes, sent as `v1,<base64>`. Several active secrets (during a rotation) give several signatures,
separated by spaces; a receiver accepts the message when any one of them verifies.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def mask_secret(secret: str) -> str:
    """Enough of a secret to tell two apart in a listing, never enough to sign with."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def signature_header(
    signing_secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> str:
    if not signing_secrets:
        raise ValueError("at least one secret is needed to sign a webhook")
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    # The library signs text; the body is UTF-8 JSON, so decoding and its re-encoding are exact.
    text = body.decode("utf-8")
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=text)
        for secret in signing_secrets
    )


def webhook_headers(
    signing_secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(signing_secrets, msg_id, timestamp, body),
        "content-type": "application/json",
    }
