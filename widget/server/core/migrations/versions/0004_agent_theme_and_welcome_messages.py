"""The widget's look and its welcome text per locale on agents: `theme`, `welcome_messages`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 02:14:58.490033
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("welcome_messages", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("welcome_messages")
        batch_op.drop_column("theme")
