"""Alembic's environment: runs migrations on the connection `widget.server.core.migrate` hands it
(under its lock), never on one of its own."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.core.db import Base, UTCDateTime


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """New revisions name plain SQLAlchemy types: a revision must not import the app's code."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters a table by copying it: let Alembic do that when a revision needs it.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
