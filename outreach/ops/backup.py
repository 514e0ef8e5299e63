"""Backups taken while the app runs, and restores into an empty store.

A backup is one file, of one of two kinds, told apart by its first bytes:

- From SQLite, a copy of the database file made with SQLite's online backup
  API. The copy is read in one read transaction, so it is the state at one
  instant even while the worker or the dashboard writes (WAL readers do not
  block writers).
- From PostgreSQL, a gzip'd JSON export that any backend can read back::

      {"format": "outreach-backup", "version": 1, "revision": "0002",
       "created_at": "2026-11-20T15:00:00+00:00",
       "tables": {"campaigns": {"columns": ["id", ...], "rows": [[1, ...], ...]}}}

  Every table is read in one REPEATABLE READ transaction, so all of them are
  seen at the same instant. Timestamps are ISO 8601 in UTC with the offset,
  dates ISO 8601, JSON columns and booleans plain JSON. Alembic's own table is
  left out: `revision` says where the schema stood.

A file is written under a temporary name in the target's folder and renamed
into place only when complete, so a failed backup never leaves a half-written
file, nor spoils an older backup of the same name.

`restore` reads the whole backup before it touches the target, then writes
every row in one transaction: a bad file, or any failure, writes no rows.
Either kind restores into either backend. A SQLite backup from an older
revision is upgraded on a temporary copy first; a JSON export must be at this
program's revision, because its rows are read against today's tables.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from outreach.clock import utcnow
from outreach.errors import BackupError
from outreach.store import make_engine, upgrade_to_head
from outreach.store.engine import sqlite_path
from outreach.store.migrate import current_revision, head_revision
from outreach.store.tables import UTCDateTime, metadata

FORMAT = "outreach-backup"
VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"
GZIP_HEADER = b"\x1f\x8b"
# Alembic's bookkeeping: never copied as rows; the revision travels on its own.
VERSION_TABLE = "alembic_version"

# Table name -> rows as {column name: Python value}, ready for `table.insert()`.
Rows = dict[str, list[dict[str, Any]]]




@dataclass(frozen=True)
class BackupInfo:
    """What `backup` wrote: the file, its kind ("sqlite" or "json"), revision and rows per table."""

    path: Path
    kind: str
    revision: str
    counts: dict[str, int]


@dataclass(frozen=True)
class RestoreInfo:
    """What `restore` did: the file read, its kind and revision, and rows written per table.

    `revision` is the restored database's (this program's newest); it differs
    from `source_revision` when an older SQLite backup was upgraded on the way.
    """

    path: Path
    kind: str
    source_revision: str
    revision: str
    counts: dict[str, int]


def backup(db: Engine, path: Path) -> BackupInfo:
    """Write a consistent snapshot of the store to `path`, replacing any file there.

    SQLite gives a copy of the database file, any other backend a JSON export.
    """
    path = Path(path)
    if db.dialect.name == "sqlite":
        return _backup_sqlite(db, path)
    return _export_json(db, path)


def restore(db: Engine, path: Path) -> RestoreInfo:
    """Restore the backup at `path` into `db`, which must hold no rows.

    A never-migrated target is migrated first. Refuses a target with data,
    naming the tables that hold rows, and any file it cannot read whole.
    """
    path = Path(path)
    kind = _backup_kind(path)
    if kind == "sqlite":
        source_revision, rows = _read_sqlite_backup(path)
    else:
        source_revision, rows = _read_json_backup(path)
    # Checked before migrating, so another program's database is never touched.
    with db.connect() as conn:
        _refuse_unless_empty(conn)
    _upgrade(db, "the database")
    filled = [table for table in metadata.sorted_tables if rows.get(table.name)]
    try:
        with db.begin() as conn:
            # Again inside the write: a worker may have written since the first look.
            _refuse_unless_empty(conn)
            for table in filled:
                conn.execute(table.insert(), rows[table.name])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, filled)
    except sa.exc.DBAPIError as exc:
        # Only the first line: PostgreSQL's DETAIL would echo a row, secrets and all.
        reason = str(exc.orig).splitlines()[0]
        raise BackupError(
            f"The rows of {path} could not be written ({reason}); nothing was restored."
        ) from exc
    return RestoreInfo(
        path=path,
        kind=kind,
        source_revision=source_revision,
        revision=head_revision(),
        counts={table.name: len(rows.get(table.name, ())) for table in metadata.sorted_tables},
    )


def _backup_sqlite(db: Engine, path: Path) -> BackupInfo:
    live = sqlite_path(db)
    if live is not None and live.resolve() == path.resolve():
        raise BackupError(f"{path} is the database itself; choose another file for the backup.")
    with _replacing(path) as partial:
        source = db.raw_connection()
        try:
            with closing(sqlite3.connect(partial)) as target:
                # One step (pages=-1) copies everything inside one read transaction.
                source.driver_connection.backup(target)
                # The copy inherits WAL mode; a backup must be one self-contained file.
                target.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite could not copy the database: {exc}") from exc
        finally:
            source.close()
        # A plain engine: make_engine would switch the copy back to WAL.
        copy = sa.create_engine(f"sqlite:///{partial}")
        try:
            with copy.connect() as conn:
                revision = _required_revision(conn)
                counts = _row_counts(conn)
        finally:
            copy.dispose()
    return BackupInfo(path=path, kind="sqlite", revision=revision, counts=counts)


def _export_json(db: Engine, path: Path) -> BackupInfo:
    with db.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            revision = _required_revision(conn)
            inspector = sa.inspect(conn)
            tables = {
                name: _read_table(conn, name, inspector)
                for name in inspector.get_table_names()
                if name != VERSION_TABLE
            }
    document = {
        "format": FORMAT,
        "version": VERSION,
        "revision": revision,
        "created_at": utcnow().isoformat(),
        "tables": tables,
    }
    with _replacing(path) as partial:
        partial.write_bytes(gzip.compress(json.dumps(document, default=_encode).encode()))
    counts = {name: len(table["rows"]) for name, table in tables.items()}
    return BackupInfo(path=path, kind="json", revision=revision, counts=counts)


def _read_table(conn: sa.Connection, name: str, inspector: sa.Inspector) -> dict[str, list]:
    """A table's columns and rows as the driver returns them (untyped columns: no conversion)."""
    columns = [column["name"] for column in inspector.get_columns(name)]
    query = sa.select(*map(sa.column, columns)).select_from(sa.table(name))
    return {"columns": columns, "rows": [list(row) for row in conn.execute(query)]}


def _encode(value: object) -> str:
    """JSON for what the json module cannot write itself: timestamps, dates, bytes."""
    if isinstance(value, datetime):
        # The store keeps naive UTC; a value that carries a zone is converted.
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"a {type(value).__name__} value cannot be exported")


def _backup_kind(path: Path) -> str:
    """Which kind of backup `path` is, "sqlite" or "json", from its first bytes."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"Cannot read the backup {path}: {exc.strerror}.") from exc
    if header == SQLITE_HEADER:
        return "sqlite"
    if header.startswith(GZIP_HEADER):
        return "json"
    raise BackupError(
        f"{path} is not an outreach backup: it is neither an SQLite file nor a gzip'd export."
    )


def _read_sqlite_backup(path: Path) -> tuple[str, Rows]:
    """The backup's revision and every row, read from a copy upgraded to this program's tables."""
    with tempfile.TemporaryDirectory(prefix="outreach-restore-") as folder:
        copy = Path(folder) / "backup.db"
        shutil.copyfile(path, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                if conn.exec_driver_sql("PRAGMA quick_check").scalar() != "ok":
                    raise BackupError(f"{path} is a damaged SQLite file; nothing was restored.")
                revision = current_revision(conn)
            if revision is None:
                raise BackupError(f"{path} is an SQLite file but not an outreach backup.")
            _upgrade(engine, f"the backup {path}")
            with engine.connect() as conn:
                rows = {
                    table.name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
                    for table in metadata.sorted_tables
                }
        except sa.exc.DBAPIError as exc:
            raise BackupError(f"{path} is not a readable SQLite backup: {exc.orig}") from exc
        finally:
            engine.dispose()
    return revision, rows


# An export of JSON rows packs at most a few tens to one; a file that unpacks to far more
# than that is built to fill memory (a "gzip bomb"), so unpacking stops at the limit.
MAX_UNPACKED_RATIO = 100
MIN_UNPACKED_LIMIT = 64 << 20
MAX_UNPACKED_BYTES = 2 << 30


def _unpacked(path: Path) -> bytes:
    """The export's JSON, unpacked no further than its size makes plausible."""
    limit = min(MAX_UNPACKED_BYTES,
                max(MIN_UNPACKED_LIMIT, path.stat().st_size * MAX_UNPACKED_RATIO))
    with gzip.open(path, "rb") as packed:
        data = packed.read(limit + 1)
    if len(data) > limit:
        raise BackupError(f"{path} unpacks to more than {limit >> 20} MB, far more than an "
                          "export of this size holds; it is not a backup this program wrote.")
    return data


def _read_json_backup(path: Path) -> tuple[str, Rows]:
    """The export's revision and every row, decoded against this program's tables."""
    try:
        document = json.loads(_unpacked(path))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise BackupError(f"{path} is not a readable backup: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is gzip'd but not an outreach backup.")
    if document.get("version") != VERSION:
        raise BackupError(
            f"{path} is a version {document.get('version')} export; "
            f"this program reads version {VERSION}."
        )
    head = head_revision()
    if document.get("revision") != head:
        raise BackupError(
            f"{path} was exported at revision {document.get('revision')}, but this program's "
            f"database is at revision {head}. Restore it with the version of the program "
            "that made it, then upgrade."
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise BackupError(f"{path} holds no tables.")
    rows: Rows = {}
    for name, content in tables.items():
        if name == VERSION_TABLE:
            continue
        if name not in metadata.tables:
            raise BackupError(f"{path} holds a table this program does not know: {name}.")
        rows[name] = _decode_rows(path, metadata.tables[name], content)
    return head, rows


def _decode_rows(path: Path, table: sa.Table, content: Any) -> list[dict[str, Any]]:
    try:
        columns = [table.c[name] for name in content["columns"]]
        return [
            {column.name: _decode(column, v) for column, v in zip(columns, row, strict=True)}
            for row in content["rows"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{path}: the table {table.name} is damaged ({exc!r}).") from exc


def _decode(column: sa.Column, value: Any) -> Any:
    """The Python value `column` binds, from what `_encode` (or json) wrote."""
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"timestamp without a UTC offset: {value}")
        return moment
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column.type, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def _required_revision(conn: sa.Connection) -> str:
    revision = current_revision(conn)
    if revision is None:
        raise BackupError("The database has never been migrated; there is nothing to back up.")
    return revision


def _row_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows in every table of the database, Alembic's own table aside."""
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        for name in sa.inspect(conn).get_table_names()
        if name != VERSION_TABLE
    }


def _refuse_unless_empty(conn: sa.Connection) -> None:
    holding = sorted((name, n) for name, n in _row_counts(conn).items() if n)
    if holding:
        listed = ", ".join(f"{name} ({n} rows)" for name, n in holding)
        raise BackupError(
            f"The database is not empty: {listed}. A backup restores only into an "
            "empty database; nothing was changed."
        )


def _upgrade(engine: Engine, what: str) -> None:
    try:
        upgrade_to_head(engine)
    except CommandError as exc:
        raise BackupError(
            f"Cannot bring {what} to revision {head_revision()} ({exc}); "
            "it may come from a newer version of this program."
        ) from exc


def _reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Move each id sequence past the restored ids, so that new rows do not collide."""
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = sa.func.pg_get_serial_sequence(
            conn.dialect.identifier_preparer.format_table(table), column.name
        )
        conn.execute(sa.select(sa.func.setval(sequence, sa.func.max(column))))


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path next to `path`, renamed over it only if the block succeeds."""
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BackupError(f"Cannot write the backup to {path}: {exc.strerror}.") from exc
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        _fsync(partial)
        os.replace(partial, path)
        _fsync(path.parent)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup to {path}: {exc.strerror}.") from exc
    finally:
        partial.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk before trusting it."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
