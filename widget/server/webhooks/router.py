"""Admin API for webhook endpoints (Bearer admin key): register, list, show, update, delete, rotate
the secret, read the delivery log, redeliver, and send a test event.

A secret is shown in full only in the answers of `POST /v1/webhooks` and of the rotation;
elsewhere it is masked. After a rotation the previous secret keeps signing beside the new one for
24 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, field_validator
from pydantic.config import JsonDict
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from widget.events import WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENTS, webhook_body
from widget.server.core.api_models import HTTP_URL, RequestModel
from widget.server.core.db import transaction, utcnow
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError, error_responses
from widget.server.core.ids import new_id
from widget.server.webhooks.outbox import wake_workers
from widget.server.webhooks.signing import mask_secret, new_secret
from widget.server.webhooks.ssrf import (
    Resolver,
    ResolverDep,
    UnsafeDestinationError,
    check_destination,
)
from widget.server.webhooks.tables import (
    PENDING,
    ROTATION_OVERLAP,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_admin)],
    responses=ADMIN_ERRORS,
)

# The event catalogue the dashboard offers: its own path, outside /v1/webhooks.
events_router = APIRouter(
    prefix="/v1", tags=["webhooks"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS
)

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


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def endpoint_json(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    now = utcnow()
    overlap = endpoint.previous_secret_expires_at
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "disabledReason": endpoint.disabled_reason,
        "failingSince": iso(endpoint.failing_since),
        "secret" if secret else "maskedSecret": (
            endpoint.secret if secret else mask_secret(endpoint.secret)
        ),
        "previousSecretExpiresAt": iso(overlap) if overlap and overlap > now else None,
        "createdAt": iso(endpoint.created_at),
        "updatedAt": iso(endpoint.updated_at),
    }


def attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attemptedAt": iso(attempt.attempted_at),
        "statusCode": attempt.status_code,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
        "responseBody": attempt.response_body,
        "worker": attempt.worker,
    }


def delivery_json(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhookId": delivery.id,
        "endpointId": delivery.endpoint_id,
        "event": delivery.event,
        "test": delivery.test,
        "status": delivery.status,
        "attemptCount": delivery.attempt_count,
        "nextAttemptAt": iso(delivery.next_attempt_at),
        "lastError": delivery.last_error,
        "createdAt": iso(delivery.created_at),
        "finishedAt": iso(delivery.finished_at),
        "attempts": [attempt_json(a) for a in attempts],
    }


def _attempts_of(session: Session, delivery_ids: list[str]) -> dict[str, list[WebhookAttempt]]:
    found: dict[str, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        for attempt in rows:
            found[attempt.delivery_id].append(attempt)
    return found


def _endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise ApiError(404, "not_found", f"No webhook endpoint has the id {endpoint_id!r}.")
    return endpoint


def _delivery(session: Session, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise ApiError(
            404,
            "not_found",
            f"Webhook endpoint {endpoint_id!r} has no delivery with the id {delivery_id!r}.",
        )
    return delivery


def _checked_url(url: str, allow_private: bool, resolver: Resolver) -> str:
    try:
        check_destination(url.strip(), allow_private=allow_private, resolver=resolver)
    except UnsafeDestinationError as exc:
        raise ApiError(422, "invalid_request", f"url: {exc}") from exc
    return url.strip()


@router.post("", status_code=201)
def create_endpoint(
    body: EndpointCreate, settings: SettingsDep, sessions: SessionsDep, resolver: ResolverDep
) -> dict[str, Any]:
    url = _checked_url(body.url, settings.webhook_allow_private, resolver)
    with transaction(sessions) as session:
        endpoint = WebhookEndpoint(
            id=new_id("wh"), url=url, events=body.events, secret=new_secret(), enabled=True
        )
        session.add(endpoint)
        session.flush()
        return endpoint_json(endpoint, secret=True)


@router.get("")
def list_endpoints(sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        rows = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))
        return {"data": [endpoint_json(e) for e in rows]}


@router.get("/{endpoint_id}")
def show_endpoint(endpoint_id: str, sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        return endpoint_json(_endpoint(session, endpoint_id))


@router.patch("/{endpoint_id}")
def update_endpoint(
    endpoint_id: str,
    body: EndpointUpdate,
    settings: SettingsDep,
    sessions: SessionsDep,
    resolver: ResolverDep,
) -> dict[str, Any]:
    url = (
        None
        if body.url is None
        else _checked_url(body.url, settings.webhook_allow_private, resolver)
    )
    with transaction(sessions) as session:
        endpoint = _endpoint(session, endpoint_id)
        if url is not None:
            endpoint.url = url
        if body.events is not None:
            endpoint.events = body.events
        if body.enabled is not None:
            endpoint.enabled = body.enabled
            if body.enabled:
                # Re-enabled by hand: the old failure streak no longer counts against it.
                endpoint.disabled_reason = None
                endpoint.failing_since = None
            else:
                endpoint.disabled_reason = "disabled through the API"
        endpoint.updated_at = utcnow()
        return endpoint_json(endpoint)


@router.delete("/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, sessions: SessionsDep) -> Response:
    with transaction(sessions) as session:
        session.delete(_endpoint(session, endpoint_id))
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        endpoint = _endpoint(session, endpoint_id)
        now = utcnow()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret = new_secret()
        endpoint.updated_at = now
        return endpoint_json(endpoint, secret=True)


@router.get("/{endpoint_id}/deliveries")
def list_deliveries(
    endpoint_id: str,
    sessions: SessionsDep,
    status: Annotated[str | None, Query(pattern="^(pending|succeeded|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,  # bounded: see widget.server.core.params
) -> dict[str, Any]:
    """Newest first, each with every attempt (time, status, latency, error, response excerpt)."""
    with transaction(sessions) as session:
        _endpoint(session, endpoint_id)
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        rows = list(
            session.scalars(
                query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
            )
        )
        attempts = _attempts_of(session, [d.id for d in rows])
        return {"data": [delivery_json(d, attempts[d.id]) for d in rows]}


@router.get("/{endpoint_id}/deliveries/{delivery_id}")
def show_delivery(endpoint_id: str, delivery_id: str, sessions: SessionsDep) -> dict[str, Any]:
    with transaction(sessions) as session:
        delivery = _delivery(session, endpoint_id, delivery_id)
        shown = delivery_json(delivery, _attempts_of(session, [delivery.id])[delivery.id])
        shown["body"] = delivery.body
        return shown


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=error_responses(409),
)
def redeliver(endpoint_id: str, delivery_id: str, sessions: SessionsDep) -> dict[str, Any]:
    """Send the delivery again, same `webhook-id` and body, with a fresh retry schedule."""
    with transaction(sessions) as session:
        endpoint = _endpoint(session, endpoint_id)
        if not endpoint.enabled:
            raise ApiError(
                409,
                "conflict",
                f"Webhook endpoint {endpoint_id!r} is disabled ({endpoint.disabled_reason}); "
                'enable it with PATCH {"enabled": true} first.',
            )
        _delivery(session, endpoint_id, delivery_id)
        now = utcnow()
        reset = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .values(
                status=PENDING,
                schedule_step=0,
                next_attempt_at=now,
                finished_at=None,
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        if reset.rowcount != 1:  # type: ignore[attr-defined]
            raise ApiError(
                409,
                "conflict",
                f"Delivery {delivery_id!r} is being sent right now; redeliver it once it finishes.",
            )
        session.expire_all()
        delivery = _delivery(session, endpoint_id, delivery_id)
        shown = delivery_json(delivery, _attempts_of(session, [delivery.id])[delivery.id])
    wake_workers()
    return shown


@router.post("/{endpoint_id}/test", status_code=202)
def send_test(endpoint_id: str, body: TestEvent, sessions: SessionsDep) -> dict[str, Any]:
    """Queue one delivery of `event` with sample data to this endpoint only (logged as a test)."""
    now = utcnow()
    data = sample_data(body.event, now)
    with transaction(sessions) as session:
        _endpoint(session, endpoint_id)
        delivery = WebhookDelivery(
            id=new_id("msg"),
            endpoint_id=endpoint_id,
            event=body.event,
            body=webhook_body(body.event, data, now).decode("utf-8"),
            test=True,
            next_attempt_at=now,
        )
        session.add(delivery)
        session.flush()
        shown = delivery_json(delivery, [])
    wake_workers()
    return shown


# The specification's example payloads, validated by the event models (so they stay in step).
_SAMPLES: dict[str, dict[str, Any]] = {
    "lead.captured": {
        "leadId": "lead_123",
        "agentId": "ag_123",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+1234567890",
        "companyName": "Acme Inc",
        "message": "Initial message",
        "createdAt": "{now}",
    },
    "conversation.started": {
        "conversationId": "conv_abc",
        "agentId": "ag_123",
        "createdAt": "{now}",
    },
    "conversation.ended": {"conversationId": "conv_abc", "agentId": "ag_123", "endedAt": "{now}"},
    "message.sent": {
        "messageId": "msg_123",
        "conversationId": "conv_abc",
        "agentId": "ag_123",
        "role": "user",
        "content": "Message text",
        "createdAt": "{now}",
    },
    "agent.updated": {"agentId": "ag_123", "updatedAt": "{now}", "changes": ["name", "prompt"]},
    "ai-action.completed": {
        "actionId": "action_123",
        "actionType": "hubspot",
        "agentId": "ag_123",
        "conversationId": "conv_abc",
        "result": {},
        "completedAt": "{now}",
    },
    "ai-action.failed": {
        "actionId": "action_123",
        "actionType": "hubspot",
        "agentId": "ag_123",
        "error": "Error message",
        "failedAt": "{now}",
    },
    "training.completed": {
        "trainingId": 1,
        "agentId": "ag_123",
        "source": "product-docs",
        "status": "completed",
        "dataCount": 150,
        "completedAt": "{now}",
    },
    "training.failed": {
        "trainingId": 1,
        "agentId": "ag_123",
        "source": "product-docs",
        "error": "Error message",
        "failedAt": "{now}",
    },
}


def sample_data(event: str, now: datetime) -> BaseModel:
    """The example data of `event` from the specification, times set to `now`, as its model."""
    fields = {key: now if value == "{now}" else value for key, value in _SAMPLES[event].items()}
    return WEBHOOK_EVENTS[event].model_validate(fields)


@events_router.get("/webhook-events")
def webhook_events() -> dict[str, Any]:
    """The events an endpoint can subscribe to, in the specification's order."""
    return {
        "data": [
            {"event": name, "description": description}
            for name, description in WEBHOOK_EVENT_DESCRIPTIONS.items()
        ]
    }
