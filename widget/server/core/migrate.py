"""The schema's migrations (Alembic): `python -m widget migrate`, and every `serve` and `worker` at
start, bring the database to the newest revision, one process at a time.

The lock: on PostgreSQL a session advisory lock (`pg_advisory_lock`), which any machine sharing
the database waits on; on SQLite, whose file only processes of one machine share, an exclusive
`flock` on a file beside the database. The first process to start migrates; the others wait, then
find nothing to do.

A database made before migrations existed (tables, no `alembic_version`) is brought to the
baseline by the old path (`schema_upgrade.create_schema`: missing tables and nullable columns
added) and stamped at the baseline; from there the revisions run as for any other database.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from widget.server import tables as _tables  # noqa: F401  (registers every table)
from widget.server.core.db import Base
from widget.server.core.schema_upgrade import create_schema

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Any 64-bit number, the same in every process: the key of the migration's advisory lock.
ADVISORY_LOCK_KEY = 0x57494447_4D494752  # "WIDGMIGR"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the migration lock of this database (see the module's docstring)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield  # one connection's database, or a server whose own DDL locking must do
        return
    lock_file = Path(f"{database}.migrate-lock")
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision, under the lock; the revisions it was at
    (None: unversioned or empty) and is at."""
    with schema_lock(engine):
        before = current_revision(engine)
        tables = set(inspect(engine).get_table_names())
        ours = {table.name for table in Base.metadata.sorted_tables}
        unversioned = "alembic_version" not in tables and bool(tables & ours)
        if unversioned:
            # Made by `create_all` before migrations: bring it to today's tables, which are the
            # newest revision's (tests/server/core/test_migrations.py holds the two equal).
            create_schema(engine)
        with engine.begin() as connection:
            config = alembic_config(connection)
            if unversioned:
                command.stamp(config, "head")
                log.info("stamped a database made before migrations at the newest revision")
            command.upgrade(config, "head")
        after = current_revision(engine)
    assert after is not None
    return before, after
