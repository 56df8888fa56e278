"""A person can take a conversation over: its mode, the wait for a person, who wrote each
message, and the agent's handoff timeout.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mode", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("mode_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_conversations_waiting_since", ["waiting_since"], unique=False)
        batch_op.create_index("ix_conversations_changed_at", ["changed_at"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("author_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("handoff_offered", sa.Boolean(), nullable=True))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff_timeout_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("handoff_timeout_seconds")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("handoff_offered")
        batch_op.drop_column("author_name")
        batch_op.drop_column("author_kind")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_changed_at")
        batch_op.drop_index("ix_conversations_waiting_since")
        batch_op.drop_column("changed_at")
        batch_op.drop_column("language")
        batch_op.drop_column("waiting_since")
        batch_op.drop_column("mode_reason")
        batch_op.drop_column("mode")
