"""The background workers of one process: webhook deliveries and CRM actions, trainings, retention
(conversations and leads past their agent's `retentionDays`), the nobody-there notices
(`widget.server.chat.unanswered`), and on PostgreSQL the listener that
wakes them when another process commits work.

`serve` runs them inside the app (unless `--api-only` / `WIDGET_BACKGROUND_WORKERS=0`), and
`python -m widget worker` runs them alone; any number of processes on one database share the work
through claims in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from widget.server.agents.training_jobs import TrainingWorker
from widget.server.agents.training_wakeups import wake_training_workers
from widget.server.chat.unanswered import UnansweredWorker
from widget.server.core.config import Settings
from widget.server.core.notify import OUTBOX_CHANNEL, TRAINING_CHANNEL, NotificationListener
from widget.server.core.services import Service
from widget.server.leads.retention import RetentionWorker
from widget.server.webhooks.outbox import wake_workers
from widget.server.webhooks.worker import DEFAULT_LEASE, DeliveryWorker


@dataclass
class Workers:
    delivery: DeliveryWorker
    training: TrainingWorker
    retention: RetentionWorker
    unanswered: UnansweredWorker
    listener: NotificationListener | None

    def services(self) -> list[Service]:
        """In start order: the listener last, so that its first wake finds the workers running."""
        services: list[Service] = [self.delivery, self.training, self.retention, self.unanswered]
        if self.listener is not None:
            services.append(self.listener)
        return services


def make_workers(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    *,
    concurrency: int = 8,
    poll_interval: float = 0.2,
    lease: timedelta = DEFAULT_LEASE,
    worker_id: str | None = None,
) -> Workers:
    delivery = DeliveryWorker(
        settings,
        sessions,
        concurrency=concurrency,
        poll_interval=poll_interval,
        lease=lease,
        worker_id=worker_id,
    )
    training = TrainingWorker.from_settings(settings, sessions, worker_id=delivery.worker_id)
    retention = RetentionWorker(sessions, busy_timeout=settings.database_busy_timeout)
    unanswered = UnansweredWorker(
        sessions,
        poll_interval=settings.unanswered_poll_seconds,
        busy_timeout=settings.database_busy_timeout,
    )
    listener = None
    if engine.dialect.name == "postgresql":
        listener = NotificationListener(
            engine, {OUTBOX_CHANNEL: wake_workers, TRAINING_CHANNEL: wake_training_workers}
        )
    return Workers(delivery, training, retention, unanswered, listener)
