"""Data control: retention and the knowledge generation on agents, what each outbox event is
about (to cancel an erased visitor's deliveries), why a delivery was cancelled, seed records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 02:20:47.397568
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seed_records",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("knowledge_generation", sa.Integer(), nullable=True))

    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("conversation_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lead_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_events_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_events_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_events_lead_id"), ["lead_id"], unique=False)

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")

    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_lead_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_events_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_events_agent_id"))
        batch_op.drop_column("lead_id")
        batch_op.drop_column("conversation_id")
        batch_op.drop_column("agent_id")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("knowledge_generation")
        batch_op.drop_column("retention_days")

    op.drop_table("seed_records")
