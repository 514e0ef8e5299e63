"""Run Alembic migrations from code, so the app, the worker and the CLI share one path."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from outreach.store.engine import sqlite_path

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed number: PostgreSQL advisory lock held while one process migrates.
_PG_MIGRATION_LOCK = 7_310_402


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _sqlite_file_lock(engine: Engine):
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    with open(path.with_name(path.name + ".migrate.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade_to_head(engine: Engine) -> list[str]:
    """Upgrade the database to the newest revision; return the revisions applied.

    Safe when several processes start at once: they take a lock in turn.
    """
    with _sqlite_file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        before = current_revision(conn)
        command.upgrade(_alembic_config(conn), "head")
        script = ScriptDirectory(str(MIGRATIONS_DIR))
        applied = [
            rev.revision
            for rev in script.iterate_revisions("head", before or "base")
            if rev.revision != before
        ]
    return list(reversed(applied))


def current_revision(conn: sa.Connection) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of the program."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
