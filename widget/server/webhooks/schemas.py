"""The webhook admin API's request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic.config import JsonDict

from widget.events import WEBHOOK_EVENTS
from widget.server.core.api_models import HTTP_URL, ApiModel, RequestModel, Timestamp
from widget.server.core.db import utcnow
from widget.server.webhooks.signing import mask_secret
from widget.server.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint

VALID_EVENTS = ", ".join(WEBHOOK_EVENTS)
MAX_URL_LENGTH = 2048


def _check_events(events: list[str]) -> list[str]:
    unknown = [name for name in events if name not in WEBHOOK_EVENTS]
    if unknown:
        raise ValueError(
            f"unknown event{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid events: {VALID_EVENTS}"
        )
    if not events:
        raise ValueError(f"subscribe to at least one event; valid events: {VALID_EVENTS}")
    return list(dict.fromkeys(events))  # drop repeats, keep the order given


# What the document promises of an event list; `_check_events` holds values to it.
EVENTS_SCHEMA: JsonDict = {"minItems": 1, "items": {"enum": list(WEBHOOK_EVENTS)}}
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        json_schema_extra={"pattern": HTTP_URL},
    ),
]


class EndpointCreate(RequestModel):
    url: Url
    events: list[str] = Field(json_schema_extra=EVENTS_SCHEMA)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        return _check_events(value)


class EndpointUpdate(RequestModel):
    url: Url | None = None
    events: list[str] | None = Field(default=None, json_schema_extra=EVENTS_SCHEMA)
    enabled: bool | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_events(value)


class TestEvent(RequestModel):
    event: str = Field(json_schema_extra={"enum": list(WEBHOOK_EVENTS)})

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        if value not in WEBHOOK_EVENTS:
            raise ValueError(f"unknown event {value!r}; valid events: {VALID_EVENTS}")
        return value


class _EndpointFields(ApiModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: Timestamp | None
    previous_secret_expires_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class EndpointOut(_EndpointFields):
    """An endpoint as listed and shown: its secret masked."""

    masked_secret: str


class EndpointWithSecret(_EndpointFields):
    """An endpoint as created or rotated: the only answers that show the secret in full."""

    secret: str


def _endpoint_fields(endpoint: WebhookEndpoint) -> dict[str, object]:
    overlap = endpoint.previous_secret_expires_at
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "previous_secret_expires_at": overlap if overlap and overlap > utcnow() else None,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut.model_validate(
        _endpoint_fields(endpoint) | {"masked_secret": mask_secret(endpoint.secret)}
    )


def endpoint_with_secret(endpoint: WebhookEndpoint) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate(
        _endpoint_fields(endpoint) | {"secret": endpoint.secret}
    )


class EndpointList(ApiModel):
    data: list[EndpointOut]


class AttemptOut(ApiModel):
    attempted_at: Timestamp
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    worker: str


class DeliveryOut(ApiModel):
    id: str
    # The `webhook-id` header of every attempt: the same as `id`, named as receivers see it.
    webhook_id: str
    endpoint_id: str
    event: str
    test: bool
    status: str
    attempt_count: int
    next_attempt_at: Timestamp | None
    last_error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
    # Why a `cancelled` delivery was not sent (its data was erased); None otherwise.
    cancel_reason: str | None = None
    attempts: list[AttemptOut]


class DeliveryDetail(DeliveryOut):
    """A delivery with the exact body every attempt sends and signs."""

    body: str


def _delivery_fields(
    delivery: WebhookDelivery, attempts: list[WebhookAttempt]
) -> dict[str, object]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event": delivery.event,
        "test": delivery.test,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
        "cancel_reason": delivery.cancel_reason,
        "attempts": [
            AttemptOut(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                error=a.error,
                response_body=a.response_body,
                worker=a.worker,
            )
            for a in attempts
        ],
    }


def delivery_out(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryOut:
    return DeliveryOut.model_validate(_delivery_fields(delivery, attempts))


def delivery_detail(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryDetail:
    return DeliveryDetail.model_validate(
        _delivery_fields(delivery, attempts) | {"body": delivery.body}
    )


class DeliveryList(ApiModel):
    data: list[DeliveryOut]


class WebhookEventOut(ApiModel):
    event: str
    description: str


class WebhookEventList(ApiModel):
    data: list[WebhookEventOut]
