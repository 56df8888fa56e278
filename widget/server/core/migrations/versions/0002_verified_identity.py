"""Verified identity: the identity secret and switch on agents, userId on conversations and
leads, further visitor tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 02:05:45.994322
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("conversation_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_tokens_conversation_id"), ["conversation_id"], unique=False
        )

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_secret", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("allow_unverified_identity", sa.Boolean(), nullable=True))

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("user_profile", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_conversations_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_user_id"))
        batch_op.drop_column("user_id")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_user_id"))
        batch_op.drop_column("user_profile")
        batch_op.drop_column("user_id")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("allow_unverified_identity")
        batch_op.drop_column("identity_secret")

    with op.batch_alter_table("conversation_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_tokens_conversation_id"))

    op.drop_table("conversation_tokens")
