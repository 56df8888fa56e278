"""The schema at start: missing tables created, and columns added since a database was created
added to that database. Safe when several processes start on one database at once.

`create_all` makes missing tables but never alters one that exists, so a database made by an
earlier version would lack a newer column. Until migrations arrive, the new columns are nullable
with no server default, which every SQL database can add in place: `ALTER TABLE ... ADD COLUMN`.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from widget.server.core.db import Base

log = logging.getLogger(__name__)


def create_schema(engine: Engine) -> None:
    """Create missing tables of every imported model, then add missing columns."""
    try:
        Base.metadata.create_all(engine)
    except OperationalError:
        # Another process created a table between our check and our CREATE; check again.
        Base.metadata.create_all(engine)
    add_missing_columns(engine)


def add_missing_columns(engine: Engine) -> list[str]:
    """Add every nullable model column its table lacks; return them as "table.column"."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    added = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            statement = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"
            try:
                with engine.begin() as connection:
                    connection.execute(text(statement))
            except (OperationalError, ProgrammingError):
                # Another process added it first ("duplicate column"); anything else shows below.
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise
                continue
            log.info("added column %s.%s", table.name, column.name)
            added.append(f"{table.name}.{column.name}")
    return added
