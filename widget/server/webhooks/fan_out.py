"""Fan-out: outbox rows become one delivery per subscribed endpoint, plus a lead's CRM actions.

Each outbox row not yet fanned out is marked by ONE worker (a conditional UPDATE whose row count
says who won) and, in that same transaction, becomes one delivery per enabled endpoint subscribed
to its event, plus the CRM actions of a `lead.captured`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from widget.server.core.db import transaction, utcnow
from widget.server.core.ids import new_id
from widget.server.crm import actions as crm
from widget.server.webhooks.outbox import OutboxEvent
from widget.server.webhooks.retry_schedule import first_delay
from widget.server.webhooks.tables import WebhookDelivery, WebhookEndpoint

FAN_OUT_BATCH = 200


def fan_out(
    sessions: sessionmaker[Session],
    delays: Sequence[float],
    *,
    limit: int = FAN_OUT_BATCH,
    rng: random.Random | None = None,
) -> tuple[int, int]:
    """Turn up to `limit` new outbox rows into deliveries and CRM actions.

    Returns (rows taken, deliveries and CRM actions created).
    """
    with transaction(sessions) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.fanned_out.is_(False))
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
        if not rows:
            return 0, 0
        endpoints = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
        ).all()
        won = _mark_fanned_out(session, [row.id for row in rows])
        deliveries: list[dict[str, Any]] = []
        created = 0
        for row in rows:
            if row.id not in won:
                continue  # another worker fanned this row out
            now = utcnow()
            for endpoint in endpoints:
                if row.event in endpoint.events:
                    deliveries.append(
                        {
                            "id": new_id("msg"),
                            "endpoint_id": endpoint.id,
                            "outbox_event_id": row.id,
                            "event": row.event,
                            "body": row.body,
                            "next_attempt_at": now + timedelta(seconds=first_delay(delays, rng)),
                        }
                    )
            if row.event == "lead.captured":
                first = now + timedelta(seconds=first_delay(delays, rng))
                created += len(crm.create_actions(session, row, first))
        if deliveries:
            session.execute(insert(WebhookDelivery), deliveries)
        return len(won), created + len(deliveries)


def _mark_fanned_out(session: Session, ids: Sequence[int]) -> set[int]:
    """Mark outbox rows fanned out; return the ids this transaction won (conditional UPDATE)."""
    mark = update(OutboxEvent).values(fanned_out=True).execution_options(synchronize_session=False)
    if session.get_bind().dialect.update_returning:
        returned = session.execute(
            mark.where(OutboxEvent.id.in_(ids), OutboxEvent.fanned_out.is_(False)).returning(
                OutboxEvent.id
            )
        )
        return set(returned.scalars())
    won = set()
    for row_id in ids:
        result = session.execute(
            mark.where(OutboxEvent.id == row_id, OutboxEvent.fanned_out.is_(False))
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            won.add(row_id)
    return won
