"""Admin API for webhook endpoints (Bearer admin key): register, list, show, update, delete, rotate
the secret, read the delivery log, redeliver, and send a test event.

A secret is shown in full only in the answers of `POST /v1/webhooks` and of the rotation;
elsewhere it is masked. After a rotation the previous secret keeps signing beside the new one for
24 hours.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from widget.events import WEBHOOK_EVENT_DESCRIPTIONS, sample_data, webhook_body
from widget.server.core.db import transaction, utcnow
from widget.server.core.deps import SessionsDep, SettingsDep, require_admin
from widget.server.core.errors import ADMIN_ERRORS, ApiError, error_responses
from widget.server.core.ids import new_id
from widget.server.webhooks.cancellation import ERASED_BODY
from widget.server.webhooks.outbox import wake_workers
from widget.server.webhooks.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryOut,
    EndpointCreate,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    TestEvent,
    WebhookEventList,
    WebhookEventOut,
    delivery_detail,
    delivery_out,
    endpoint_out,
    endpoint_with_secret,
)
from widget.server.webhooks.signing import new_secret
from widget.server.webhooks.ssrf import (
    Resolver,
    ResolverDep,
    UnsafeDestinationError,
    check_destination,
)
from widget.server.webhooks.tables import (
    CANCELLED,
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


@router.post("", status_code=201, response_model=EndpointWithSecret)
def create_endpoint(
    body: EndpointCreate, settings: SettingsDep, sessions: SessionsDep, resolver: ResolverDep
) -> EndpointWithSecret:
    url = _checked_url(body.url, settings.webhook_allow_private, resolver)
    with transaction(sessions) as session:
        endpoint = WebhookEndpoint(
            id=new_id("wh"), url=url, events=body.events, secret=new_secret(), enabled=True
        )
        session.add(endpoint)
        session.flush()
        return endpoint_with_secret(endpoint)


@router.get("", response_model=EndpointList)
def list_endpoints(sessions: SessionsDep) -> EndpointList:
    with transaction(sessions) as session:
        rows = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))
        return EndpointList(data=[endpoint_out(e) for e in rows])


@router.get("/{endpoint_id}", response_model=EndpointOut)
def show_endpoint(endpoint_id: str, sessions: SessionsDep) -> EndpointOut:
    with transaction(sessions) as session:
        return endpoint_out(_endpoint(session, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut)
def update_endpoint(
    endpoint_id: str,
    body: EndpointUpdate,
    settings: SettingsDep,
    sessions: SessionsDep,
    resolver: ResolverDep,
) -> EndpointOut:
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
        return endpoint_out(endpoint)


@router.delete("/{endpoint_id}", status_code=204)
def delete_endpoint(endpoint_id: str, sessions: SessionsDep) -> Response:
    with transaction(sessions) as session:
        session.delete(_endpoint(session, endpoint_id))
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
def rotate_secret(endpoint_id: str, sessions: SessionsDep) -> EndpointWithSecret:
    with transaction(sessions) as session:
        endpoint = _endpoint(session, endpoint_id)
        now = utcnow()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret = new_secret()
        endpoint.updated_at = now
        return endpoint_with_secret(endpoint)


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList)
def list_deliveries(
    endpoint_id: str,
    sessions: SessionsDep,
    status: Annotated[str | None, Query(pattern="^(pending|succeeded|failed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,  # bounded: see widget.server.core.params
) -> DeliveryList:
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
        return DeliveryList(data=[delivery_out(d, attempts[d.id]) for d in rows])


@router.get("/{endpoint_id}/deliveries/{delivery_id}", response_model=DeliveryDetail)
def show_delivery(endpoint_id: str, delivery_id: str, sessions: SessionsDep) -> DeliveryDetail:
    with transaction(sessions) as session:
        delivery = _delivery(session, endpoint_id, delivery_id)
        return delivery_detail(delivery, _attempts_of(session, [delivery.id])[delivery.id])


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    responses=error_responses(409),
)
def redeliver(endpoint_id: str, delivery_id: str, sessions: SessionsDep) -> DeliveryOut:
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
        current = _delivery(session, endpoint_id, delivery_id)
        if current.status == CANCELLED or current.body == ERASED_BODY:
            raise ApiError(
                409,
                "conflict",
                f"Delivery {delivery_id!r} cannot be sent again: the data it carried was erased"
                f" ({current.cancel_reason or 'its body is gone'}).",
            )
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
        shown = delivery_out(delivery, _attempts_of(session, [delivery.id])[delivery.id])
    wake_workers()
    return shown


@router.post("/{endpoint_id}/test", status_code=202, response_model=DeliveryOut)
def send_test(endpoint_id: str, body: TestEvent, sessions: SessionsDep) -> DeliveryOut:
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
        shown = delivery_out(delivery, [])
    wake_workers()
    return shown


@events_router.get("/webhook-events", response_model=WebhookEventList)
def webhook_events() -> WebhookEventList:
    """The events an endpoint can subscribe to, in the specification's order."""
    return WebhookEventList(
        data=[
            WebhookEventOut(event=name, description=description)
            for name, description in WEBHOOK_EVENT_DESCRIPTIONS.items()
        ]
    )
