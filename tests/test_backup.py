"""Backups: a consistent snapshot while the store is in use, restored whole into an empty store."""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
from contextlib import closing
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from support.services import POSTGRES_URL, missing_service

import outreach.ops.backup
from outreach.ops.backup import BackupError, backup, restore
from outreach.ops.demo import load_demo
from outreach.store import make_engine, upgrade_to_head
from outreach.store.engine import sqlite_path
from outreach.store.migrate import MIGRATIONS_DIR, current_revision, head_revision
from outreach.store.tables import (
    audit_log,
    campaigns,
    deleted_records,
    journalist_outlets,
    journalists,
    metadata,
    pitch_batches,
    pitch_messages,
    post_images,
    post_metrics,
    protected_names,
    release_templates,
    saved_views,
    secrets,
    sign_in_failures,
    user_sessions,
    users,
    votes,
    watch_items,
    worker_heartbeats,
)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def new_store(tmp_path):
    """Factory: an engine on a new, never-migrated store on the backend named.

    The `db` fixture already holds this test's PostgreSQL database, so a second
    one is created here, and dropped afterwards.
    """
    engines: list[Engine] = []
    databases: list[str] = []
    admin = None

    def make(backend: str) -> Engine:
        nonlocal admin
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'store{len(engines)}.db'}"
        else:
            if not POSTGRES_URL:
                missing_service("PostgreSQL (OUTREACH_TEST_POSTGRES_URL)")
            admin = admin or sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            name = f"t_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            databases.append(name)
            url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(
                hide_password=False
            )
        engines.append(make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            for name in databases:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _fill_every_table(db: Engine, now) -> None:
    """The demo, plus rows for the tables it leaves empty and values it never uses."""
    load_demo(db, now)
    odd = now + timedelta(microseconds=123_456)
    with db.begin() as conn:
        conn.execute(campaigns.insert().values(
            name="Ñandú Café — “organizing” 🙂", timezone="Europe/Madrid", start_date=None,
            keywords=["huelga", {"nested": [1, 2.5, None, True, "ü"]}], created_at=odd,
        ))
        conn.execute(journalists.update().where(journalists.c.id == 1).values(
            do_not_contact=True, notes="line one\nline two", updated_at=odd,
        ))
        conn.execute(users.insert().values(
            name="ana", email="ana@example.test", role="admin", password_hash="x$y",
            disabled=True, last_login_at=odd,
            created_at=now, updated_at=odd,
        ))
        conn.execute(audit_log.insert().values(
            at=odd, actor="ana", entity="campaign", entity_id="1", action="create",
        ))
        conn.execute(secrets.insert().values(
            name="bluesky", ciphertext="gAAAA…", updated_at=odd, updated_by="ana",
        ))
        conn.execute(journalist_outlets.insert().values(journalist_id=1, outlet_id=2))
        conn.execute(post_images.insert().values(
            part_id=1, position=0, data=b"\x89PNG\r\n\x1a\n\x00\xff", mime="image/png",
            alt="Pickets at Gate 3",
        ))
        conn.execute(post_metrics.insert().values(
            part_id=1, taken_at=odd, likes=12, reposts=3, replies=1, quotes=0, impressions=None,
        ))
        conn.execute(votes.insert().values(
            subject="release", subject_id=1, version=1, voter="ana", decision="reject",
            comment="¿Quién habló?", cast_at=odd, voided_at=odd,
        ))
        conn.execute(release_templates.insert().values(
            name="custom.en", source="+++\nname = 'custom.en'\n+++\nHi", created_by="ana",
            created_at=now, updated_at=odd,
        ))
        conn.execute(protected_names.insert().values(
            name="Fictional Person", aliases=["Fi", "F. Person"], created_by="ana",
            created_at=odd,
        ))
        batch = conn.execute(pitch_batches.insert().values(
            release_id=1, subject="Strike vote", created_by="ana", created_at=now,
        )).inserted_primary_key[0]
        conn.execute(pitch_messages.insert().values(
            batch_id=batch, journalist_id=1, name="Ana", email="ana@news.test",
            message_id="<pitch-1-1@example.org>", status="sent", attempted_at=odd,
            sent_at=odd,
        ))
        conn.execute(saved_views.insert().values(
            name="labor, stale", filters={"beat": "labor", "not_contacted_in_days": 30},
            created_by="ana", created_at=odd,
        ))
        conn.execute(sign_in_failures.insert().values(
            kind="client", subject="2001:db8::7", failures=6, last_failure_at=odd,
            wait_until=odd + timedelta(seconds=5),
        ))
        conn.execute(watch_items.insert().values(
            campaign_id=1, feed_id=None, title="8-K - Current report", form="8-K",
            link="https://www.sec.gov/Archives/edgar/data/1/0001-index.htm",
            published_at=odd, found_at=now,
        ))
        conn.execute(worker_heartbeats.insert().values(
            worker_id="host:1", started_at=now, beat_at=odd, interval_s=27.5, passes=4,
            last_summary="nothing due", stopped_at=None,
            settings={"OUTREACH_TIMEZONE": "America/Chicago"},
        ))
        ana = conn.execute(sa.select(users.c.id).where(users.c.name == "ana")).scalar_one()
        conn.execute(user_sessions.insert().values(
            user_id=ana, token_hash="ab" * 32, created_at=now, last_seen_at=odd,
            expires_at=odd + timedelta(days=7), revoked_at=odd, revoked_reason="¡Adiós!",
        ))
        conn.execute(deleted_records.insert().values(
            entity="journalist", entity_id="41", label="Zoë Example (journalist)",
            snapshot={"journalists": [{"id": 41, "name": "Zoë Example"}], "lists": []},
            deleted_by="ana", deleted_at=odd, restored_at=None,
        ))
    empty = [name for name, rows in _dump(db).items() if not rows]
    assert empty == [], f"extend _fill_every_table: no rows in {empty}"


def _dump(db: Engine) -> dict[str, list[dict]]:
    """Every table's rows, typed and in primary-key order, for exact comparison."""
    with db.connect() as conn:
        return {
            table.name: [
                dict(row._mapping)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in metadata.sorted_tables
        }


def _row_total(db: Engine) -> int:
    return sum(len(rows) for rows in _dump(db).values())


def _add_campaign(db: Engine, name: str, now) -> int:
    with db.begin() as conn:
        return conn.execute(campaigns.insert().values(
            name=name, timezone="UTC", keywords=[], created_at=now,
        )).inserted_primary_key[0]


def test_round_trip_loses_nothing(db, new_store, now, tmp_path):
    _fill_every_table(db, now)
    before = _dump(db)
    path = tmp_path / "outreach.ops.backup"

    taken = backup(db, path)
    assert taken.revision == head_revision()
    assert taken.kind == ("sqlite" if db.dialect.name == "sqlite" else "json")
    assert taken.counts == {name: len(rows) for name, rows in before.items()}

    target = new_store(db.dialect.name)
    restored = restore(target, path)
    assert restored.counts == taken.counts
    assert (restored.source_revision, restored.revision) == (head_revision(), head_revision())
    assert _dump(target) == before

    # New rows get new ids: on PostgreSQL, only if the sequences were moved on.
    assert _add_campaign(target, "After the restore", now) > max(
        row["id"] for row in before["campaigns"]
    )
    with target.begin() as conn:
        conn.execute(audit_log.insert().values(
            at=now, actor="ana", entity="backup", action="restore",
        ))


@pytest.mark.parametrize(("source", "target"), [BACKENDS, BACKENDS[::-1]])
def test_a_backup_restores_into_the_other_backend(new_store, now, tmp_path, source, target):
    source_db = new_store(source)
    upgrade_to_head(source_db)
    _fill_every_table(source_db, now)
    path = tmp_path / "cross.backup"
    backup(source_db, path)

    target_db = new_store(target)  # never migrated: restore migrates it first
    restore(target_db, path)
    assert _dump(target_db) == _dump(source_db)
    _add_campaign(target_db, "After the restore", now)


def test_postgresql_export_is_portable_json(new_store, now, tmp_path):
    db = new_store("postgresql")
    upgrade_to_head(db)
    _fill_every_table(db, now)
    path = tmp_path / "export.json.gz"
    backup(db, path)

    document = json.loads(gzip.decompress(path.read_bytes()))
    assert (document["format"], document["version"]) == ("outreach-backup", 1)
    assert document["revision"] == head_revision()
    assert "alembic_version" not in document["tables"]
    table = document["tables"]["users"]
    user = dict(zip(table["columns"], table["rows"][0], strict=True))
    assert user["disabled"] is True
    assert user["last_login_at"] == "2026-11-20T15:00:00.123456+00:00"
    table = document["tables"]["campaigns"]
    demo = dict(zip(table["columns"], table["rows"][0], strict=True))
    assert isinstance(demo["keywords"], list)
    assert date.fromisoformat(demo["start_date"]) < now.date()


def test_backup_during_an_open_write_transaction_is_consistent(db, new_store, now, tmp_path):
    load_demo(db, now)
    committed = _dump(db)
    path = tmp_path / "busy.backup"
    with db.connect() as writer:
        writer.begin()
        writer.execute(campaigns.insert().values(
            name="Uncommitted", timezone="UTC", keywords=[], created_at=now,
        ))
        taken = backup(db, path)
        writer.commit()
    assert taken.counts["campaigns"] == len(committed["campaigns"])

    target = new_store(db.dialect.name)
    restore(target, path)
    assert _dump(target) == committed
    assert len(_dump(db)["campaigns"]) == len(committed["campaigns"]) + 1


def test_postgresql_export_reads_every_table_at_one_instant(new_store, now, tmp_path,
                                                          monkeypatch):
    db = new_store("postgresql")
    upgrade_to_head(db)
    load_demo(db, now)
    committed = _dump(db)
    read_table = outreach.ops.backup._read_table

    def commit_a_campaign_first(*args):
        if not commit_a_campaign_first.done:
            commit_a_campaign_first.done = True
            _add_campaign(db, "Committed while the export runs", now)
        return read_table(*args)

    commit_a_campaign_first.done = False
    monkeypatch.setattr(outreach.ops.backup, "_read_table", commit_a_campaign_first)
    path = tmp_path / "export.json.gz"
    backup(db, path)
    assert commit_a_campaign_first.done

    target = new_store("postgresql")
    restore(target, path)
    assert _dump(target) == committed


def test_sqlite_backup_is_one_self_contained_file(sqlite_db, now, tmp_path):
    load_demo(sqlite_db, now)
    folder = tmp_path / "backups"
    folder.mkdir()
    backup(sqlite_db, folder / "outreach.ops.backup")
    assert [p.name for p in folder.iterdir()] == ["outreach.ops.backup"]
    header = (folder / "outreach.ops.backup").read_bytes()[:20]
    assert header[18:20] == b"\x01\x01"  # rollback journal, not WAL: no -wal file needed


def test_backup_never_overwrites_the_live_database(sqlite_db):
    with pytest.raises(BackupError, match="is the database itself"):
        backup(sqlite_db, sqlite_path(sqlite_db))
    with sqlite_db.connect() as conn:
        assert current_revision(conn) == head_revision()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_never_migrated_database_is_not_backed_up(new_store, tmp_path, backend):
    folder = tmp_path / "backups"
    folder.mkdir()
    with pytest.raises(BackupError, match="never been migrated"):
        backup(new_store(backend), folder / "empty.backup")
    assert list(folder.iterdir()) == []


def test_a_failed_backup_leaves_no_partial_file(db, now, tmp_path):
    load_demo(db, now)
    folder = tmp_path / "backups"
    (folder / "taken").mkdir(parents=True)
    (folder / "taken" / "keep").write_text("an older file")
    with pytest.raises(BackupError, match="Cannot write the backup"):
        backup(db, folder / "taken")  # a folder: the final rename fails
    assert [p.name for p in folder.iterdir()] == ["taken"]
    assert (folder / "taken" / "keep").read_text() == "an older file"


def test_restore_refuses_a_database_with_data(db, new_store, now, tmp_path):
    load_demo(db, now)
    path = tmp_path / "outreach.ops.backup"
    backup(db, path)
    before = _dump(db)
    with pytest.raises(BackupError, match=r"not empty: .*campaigns \(1 rows\).*nothing was"):
        restore(db, path)
    assert _dump(db) == before

    one_row = new_store(db.dialect.name)
    upgrade_to_head(one_row)
    with one_row.begin() as conn:
        conn.execute(worker_heartbeats.insert().values(
            worker_id="w", started_at=now, beat_at=now, interval_s=30, passes=0,
        ))
    with pytest.raises(BackupError, match=r"not empty: worker_heartbeats \(1 rows\)\."):
        restore(one_row, path)
    assert _row_total(one_row) == 1


def test_restore_refuses_a_database_of_another_program(new_store, now, tmp_path):
    source = new_store("sqlite")
    upgrade_to_head(source)
    path = tmp_path / "outreach.ops.backup"
    backup(source, path)
    other = new_store("sqlite")
    with other.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE ledger (amount INTEGER)")
        conn.exec_driver_sql("INSERT INTO ledger VALUES (5)")
    with pytest.raises(BackupError, match=r"not empty: ledger \(1 rows\)"):
        restore(other, path)
    assert sa.inspect(other).get_table_names() == ["ledger"]  # not migrated either


def _export(**changes) -> bytes:
    document = {
        "format": "outreach-backup", "version": 1, "revision": head_revision(),
        "created_at": "2026-11-20T15:00:00+00:00",
        "tables": {"campaigns": {
            "columns": ["id", "name", "timezone", "keywords", "created_at"],
            "rows": [[1, "Drive", "UTC", [], "2026-11-20T15:00:00+00:00"]],
        }},
    }
    document.update(changes)
    return gzip.compress(json.dumps(document).encode())


def _foreign_sqlite(tmp_path) -> bytes:
    with closing(sqlite3.connect(tmp_path / "foreign.db")) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    return (tmp_path / "foreign.db").read_bytes()


def _columns(columns, row) -> dict:
    return {"campaigns": {"columns": columns, "rows": [row]}}


BAD_FILES = {
    "empty": (lambda _: b"", "not an outreach backup"),
    "text": (lambda _: b"name,email\nAna,ana@example.test\n", "not an outreach backup"),
    "sqlite header, then garbage": (
        lambda _: b"SQLite format 3\x00" + bytes(range(256)) * 40, "not a readable SQLite"
    ),
    "sqlite, not ours": (_foreign_sqlite, "not an outreach backup"),
    "gzip header, then garbage": (lambda _: b"\x1f\x8b" + b"garbage" * 10, "not a readable"),
    "truncated export": (lambda _: _export()[:-12], "not a readable"),
    "gzip'd text": (lambda _: gzip.compress(b"hello"), "not a readable"),
    "other json": (lambda _: gzip.compress(b'{"format": "x"}'), "not an outreach backup"),
    "newer version": (lambda _: _export(version=2), "version 2 export"),
    "no tables": (lambda _: _export(tables=[]), "holds no tables"),
    "unknown table": (lambda _: _export(tables={"ledger": {}}), "does not know: ledger"),
    "unknown column": (
        lambda _: _export(tables=_columns(["id", "colour"], [1, "red"])),
        "campaigns is damaged",
    ),
    "short row": (lambda _: _export(tables=_columns(["id", "name"], [1])), "campaigns is damaged"),
    "bad timestamp": (
        lambda _: _export(tables=_columns(["created_at"], ["yesterday"])), "campaigns is damaged"
    ),
    "naive timestamp": (
        lambda _: _export(tables=_columns(["created_at"], ["2026-11-20T15:00:00"])),
        "without a UTC offset",
    ),
    "missing required value": (
        lambda _: _export(tables=_columns(["id", "name"], [1, "Drive"])), "could not be written"
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_and_nothing_is_written(new_store, tmp_path, kind):
    content, message = BAD_FILES[kind]
    path = tmp_path / "bad.backup"
    path.write_bytes(content(tmp_path))
    target = new_store("sqlite")
    upgrade_to_head(target)
    with pytest.raises(BackupError, match=message):
        restore(target, path)
    assert _row_total(target) == 0


def test_a_bad_file_does_not_even_migrate_the_target(new_store, tmp_path):
    path = tmp_path / "bad.backup"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 2000)
    target = new_store("sqlite")
    with pytest.raises(BackupError):
        restore(target, path)
    assert sa.inspect(target).get_table_names() == []


def test_a_gzip_bomb_is_refused_without_unpacking_it(new_store, tmp_path):
    """A few hundred kilobytes that unpack to gigabytes would fill the machine's memory;
    unpacking stops at what a real export of that size could hold."""
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb", compresslevel=9) as packed:
        chunk = b" " * (1 << 20)
        for _ in range(80):  # 80 MB of spaces: about 80 KB packed
            packed.write(chunk)
    assert path.stat().st_size < 1 << 20
    target = new_store("sqlite")
    with pytest.raises(BackupError, match="unpacks to more than 64 MB"):
        restore(target, path)
    assert sa.inspect(target).get_table_names() == []


def test_a_missing_file_is_refused(sqlite_db, tmp_path):
    with pytest.raises(BackupError, match="Cannot read the backup"):
        restore(sqlite_db, tmp_path / "nowhere.backup")


def test_an_export_at_another_revision_is_refused(sqlite_db, tmp_path):
    path = tmp_path / "old.json.gz"
    path.write_bytes(_export(revision="0001"))
    with pytest.raises(BackupError, match=f"revision 0001, but .* revision {head_revision()}"):
        restore(sqlite_db, path)
    assert _row_total(sqlite_db) == 0


def test_an_older_sqlite_backup_is_upgraded_on_a_copy(db, new_store, now, tmp_path):
    old = new_store("sqlite")
    with old.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    _add_campaign(old, "Before users existed", now)
    path = tmp_path / "old.backup"
    assert backup(old, path).revision == "0001"

    restored = restore(db, path)
    assert (restored.source_revision, restored.revision) == ("0001", head_revision())
    assert [row["name"] for row in _dump(db)["campaigns"]] == ["Before users existed"]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]


def test_a_backup_from_a_newer_program_is_refused(sqlite_db, new_store, tmp_path):
    newer = new_store("sqlite")
    upgrade_to_head(newer)
    with newer.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    path = tmp_path / "newer.backup"
    assert backup(newer, path).revision == "9999"
    with pytest.raises(BackupError, match="may come from a newer version"):
        restore(sqlite_db, path)
    assert _row_total(sqlite_db) == 0
