"""Alembic's environment: runs migrations on the connection `widget.server.core.migrate` hands it
(under its lock), never on one of its own."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.core.db import Base


def run() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters a table by copying it: let Alembic do that when a revision needs it.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
