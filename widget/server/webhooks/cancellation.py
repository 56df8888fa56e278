"""Cancelling the webhook deliveries of erased data, and erasing what the outbox kept of it.

When the owner erases a conversation, a lead or an agent, the events raised about it must not go
out afterwards: every delivery of them not yet sent is marked `cancelled` with a reason that the
delivery log shows, and an event not yet fanned out is fanned out here, its deliveries born
cancelled (and no CRM action made from it). With `erase_bodies`, the stored bodies of those
events and of every delivery of them (sent ones included) are replaced by `ERASED_BODY`, and the
events no longer name the conversation or lead, so the personal data they carried is gone from the
database too; such a delivery cannot be redelivered.

A delivery that a worker is sending at this very moment may still arrive: its attempt is logged,
and its outcome no longer changes the cancelled delivery (the worker's claim is gone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from widget.server.core.db import utcnow
from widget.server.core.ids import new_id
from widget.server.webhooks.outbox import OutboxEvent
from widget.server.webhooks.tables import CANCELLED, PENDING, WebhookDelivery, WebhookEndpoint

# What an erased event's body (and data) reads afterwards.
ERASED_BODY = '{"erased":true}'


def cancel_events(
    session: Session, matches: ColumnElement[bool], reason: str, *, erase_bodies: bool
) -> int:
    """Cancel every unsent delivery of the outbox events `matches` selects, in the caller's
    transaction; return how many deliveries were cancelled."""
    now = utcnow()
    event_ids = list(session.scalars(select(OutboxEvent.id).where(matches)))
    if not event_ids:
        return 0
    cancelled = _fan_out_cancelled(session, event_ids, reason)
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.outbox_event_id.in_(event_ids), WebhookDelivery.status == PENDING)
        .values(
            status=CANCELLED,
            cancel_reason=reason,
            next_attempt_at=None,
            claimed_by=None,
            claimed_until=None,
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    cancelled += int(result.rowcount)  # type: ignore[attr-defined]
    if erase_bodies:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(event_ids))
            .values(body=ERASED_BODY, data_json=ERASED_BODY, conversation_id=None, lead_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.outbox_event_id.in_(event_ids))
            .values(body=ERASED_BODY)
            .execution_options(synchronize_session=False)
        )
    return cancelled


def _fan_out_cancelled(session: Session, event_ids: list[int], reason: str) -> int:
    """Fan out the events no worker has fanned out yet, as cancelled deliveries only."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.id.in_(event_ids), OutboxEvent.fanned_out.is_(False))
    ).all()
    if not rows:
        return 0
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
    ).all()
    now = utcnow()
    deliveries: list[dict[str, Any]] = []
    for row in rows:
        # The same conditional update as the worker's fan-out: one of the two wins each row.
        won = session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == row.id, OutboxEvent.fanned_out.is_(False))
            .values(fanned_out=True)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue  # a worker fanned it out meanwhile: its deliveries are cancelled below
        deliveries.extend(
            {
                "id": new_id("msg"),
                "endpoint_id": endpoint.id,
                "outbox_event_id": row.id,
                "event": row.event,
                "body": row.body,
                "status": CANCELLED,
                "cancel_reason": reason,
                "finished_at": now,
            }
            for endpoint in endpoints
            if row.event in endpoint.events
        )
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)
    return len(deliveries)
