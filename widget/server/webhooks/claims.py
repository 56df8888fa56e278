"""Atomic claims on due work (webhook deliveries, CRM actions), safe across worker processes.

A worker marks due rows with a token unique to this claim in ONE conditional UPDATE; a row that
another worker claimed first no longer matches the WHERE clause, so exactly one worker holds it.
On PostgreSQL the UPDATE picks its rows with `FOR UPDATE SKIP LOCKED`: workers claiming at the
same moment take different rows instead of queueing behind each other's row locks. A claim is a
lease: if its worker dies (even by kill -9), the lease runs out and another worker
takes the row. Results are written back only while the claim still holds (`still_claimed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from widget.server.crm.tables import CrmAction
from widget.server.webhooks.tables import PENDING, WebhookDelivery

Claimable = type[WebhookDelivery] | type[CrmAction]


def new_claim_token(worker_id: str) -> str:
    return f"{worker_id}/{uuid.uuid4().hex}"


def _claimable(model: Claimable, now: datetime) -> ColumnElement[bool]:
    return (
        (model.status == PENDING)
        & (model.next_attempt_at <= now)
        & or_(model.claimed_until.is_(None), model.claimed_until < now)
    )


def claim_due(
    session: Session,
    model: Claimable,
    *,
    token: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> Sequence[Any]:
    """Claim up to `limit` due rows of `model` for `token`; return the ids claimed."""
    if limit <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        due = (
            select(model.id)
            .where(_claimable(model, now))
            .order_by(model.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return session.scalars(
            update(model)
            .where(model.id.in_(due))
            .values(claimed_by=token, claimed_until=now + lease)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        ).all()
    candidates = session.scalars(
        select(model.id).where(_claimable(model, now)).order_by(model.next_attempt_at).limit(limit)
    ).all()
    if not candidates:
        return []
    session.execute(
        update(model)
        .where(model.id.in_(candidates) & _claimable(model, now))
        .values(claimed_by=token, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(
        select(model.id).where(model.id.in_(candidates), model.claimed_by == token)
    ).all()


def still_claimed(model: Claimable, row_id: Any, token: str) -> ColumnElement[bool]:
    """WHERE clause for writing a result: the row, while `token` still holds it."""
    clause: ColumnElement[bool] = (model.id == row_id) & (model.claimed_by == token)
    return clause
