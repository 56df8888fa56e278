"""One attempt of a webhook delivery: sign the stored body and POST it once.

`webhook-id` is the delivery's id, `webhook-timestamp` the time of the attempt, and
`webhook-signature` holds one `v1,` signature per active secret of the endpoint. The client is
`guarded_client` (`widget.server.webhooks.ssrf`): the destination is checked and the connection
pinned to the checked address; redirects are not followed. Any 2xx is success.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from widget.server.core.db import utcnow
from widget.server.webhooks.retry_schedule import parse_retry_after
from widget.server.webhooks.signing import webhook_headers
from widget.server.webhooks.ssrf import UnsafeRequestError
from widget.server.webhooks.tables import RESPONSE_EXCERPT_BYTES, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    response_body: str | None
    latency_ms: int
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_webhook(
    client: httpx.Client, url: str, headers: dict[str, str], body: bytes
) -> AttemptResult:
    """POST `body` once and describe what happened; never raises for HTTP or network trouble."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            excerpt = bytearray()
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                    break
    except UnsafeRequestError as exc:
        return AttemptResult(None, f"not sent: {exc}", None, elapsed_ms())
    except httpx.TimeoutException:
        return AttemptResult(None, "no answer within the time limit", None, elapsed_ms())
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        return AttemptResult(None, f"network error: {detail}", None, elapsed_ms())
    code = response.status_code
    text = bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
    error: str | None = None
    if 300 <= code < 400:
        location = response.headers.get("location", "(no Location)")
        error = f"HTTP {code}: redirect to {location} not followed"
    elif not 200 <= code < 300:
        error = f"HTTP {code}"
    retry_after = parse_retry_after(response.headers.get("retry-after")) if error else None
    return AttemptResult(code, error, text, elapsed_ms(), retry_after)


def send_delivery(
    client: httpx.Client, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> tuple[datetime, AttemptResult]:
    now = utcnow()
    body = delivery.body.encode("utf-8")
    headers = webhook_headers(
        endpoint.signing_secrets(now), delivery.id, int(now.timestamp()), body
    )
    return now, post_webhook(client, endpoint.url, headers, body)
