"""The store migrates to head on SQLite and PostgreSQL and matches the table definitions."""

import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from outreach.ops import backup
from outreach.store import make_engine, upgrade_to_head
from outreach.store.migrate import MIGRATIONS_DIR, current_revision, head_revision
from outreach.store.tables import campaigns, metadata, outlets, press_hits


def test_migrations_create_every_table(db):
    names = set(sa.inspect(db).get_table_names())
    assert set(metadata.tables) <= names
    with db.connect() as conn:
        assert current_revision(conn) == head_revision()


def _same_text_type_on_sqlite(context, inspected_column, metadata_column, inspected_type,
                              metadata_type):
    """SQLite keeps a VARCHAR's declared length but never enforces it, so migrations widen
    a text column on PostgreSQL only (rebuilding a SQLite table would cascade its deletes):
    there, lengths are not compared. None: compare as Alembic does."""
    if context.dialect.name == "sqlite" and isinstance(inspected_type, sa.String) \
            and isinstance(metadata_type, sa.String):
        return False
    return None


def test_migrated_schema_matches_table_definitions(db):
    with db.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": _same_text_type_on_sqlite})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_second_upgrade_applies_nothing(db):
    assert upgrade_to_head(db) == []


def test_concurrent_starts_migrate_once(store_url):
    engines = [make_engine(store_url) for _ in range(3)]
    results, errors = [], []

    def start(engine):
        try:
            results.append(upgrade_to_head(engine))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    first, *others = sorted(results, key=len, reverse=True)
    assert first[-1] == head_revision() and others == [[], []]
    for engine in engines:
        engine.dispose()


def test_times_come_back_aware_in_utc(db, now):
    madrid = timezone(timedelta(hours=1))
    local = now.astimezone(madrid)
    with db.begin() as conn:
        conn.execute(campaigns.insert().values(
            name="c", timezone="UTC", keywords=[], created_at=local))
    with db.connect() as conn:
        stored = conn.execute(sa.select(campaigns.c.created_at)).scalar_one()
    assert stored == now and stored.tzinfo == UTC


def test_naive_times_are_refused(db):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), db.begin() as conn:
        conn.execute(campaigns.insert().values(
            name="c", timezone="UTC", keywords=[], created_at=datetime(2026, 1, 1)))


def test_sqlite_uses_wal_and_enforces_foreign_keys(sqlite_db):
    with sqlite_db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_folder_is_created(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'outreach.db'}")
    upgrade_to_head(engine)
    assert (tmp_path / "new" / "dir" / "outreach.db").is_file()
    engine.dispose()


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_only_the_owner_can_read_the_store_and_its_backups(tmp_path):
    """The store holds the protected names: its folder, file, WAL and backups are the
    owner's alone, even under a permissive umask, and a looser old file is tightened."""
    old_umask = os.umask(0o002)
    try:
        folder = tmp_path / "data"
        engine = make_engine(f"sqlite:///{folder / 'outreach.db'}")
        upgrade_to_head(engine)
        with engine.begin() as conn:  # a write leaves the WAL and shared-memory files
            conn.execute(campaigns.insert().values(name="C", timezone="UTC", keywords=[],
                                                   created_at=datetime.now(UTC)))
            written = [folder / "outreach.db-wal", folder / "outreach.db-shm"]
            assert all(p.exists() for p in written)
            assert [mode(p) for p in written] == [0o600, 0o600]
        backup.backup(engine, folder / "backup.db")
        engine.dispose()
        assert (mode(folder), mode(folder / "outreach.db"), mode(folder / "backup.db")) == (
            0o700, 0o600, 0o600)
        (folder / "outreach.db").chmod(0o644)
        make_engine(f"sqlite:///{folder / 'outreach.db'}").dispose()
        assert mode(folder / "outreach.db") == 0o600
    finally:
        os.umask(old_umask)


def test_outlets_take_their_domain_from_their_feed_or_their_stories(store_url, now):
    engine = make_engine(store_url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, "0011")
    named = [("Fed", "", "https://www.feed.example/rss"), ("Typed", "typed.example", ""),
             ("One site", "", ""), ("Two sites", "", ""), ("Nothing", "", "")]
    links = {"One site": ["https://news.one.example/a", "https://news.google.com/rss/1",
                          "https://m.one.example/b"],
             "Two sites": ["https://two.example/a", "https://other.example/b"]}
    with engine.begin() as conn:
        ids = {name: conn.execute(outlets.insert().values(
            name=name, domain=domain, feed_url=feed, created_at=now)).inserted_primary_key[0]
            for name, domain, feed in named}
        campaign = conn.execute(campaigns.insert().values(
            name="C", timezone="UTC", keywords=[], created_at=now)).inserted_primary_key[0]
        conn.execute(press_hits.insert(), [
            {"campaign_id": campaign, "outlet_id": ids[name], "title": url, "url": url,
             "found_at": now} for name, urls in links.items() for url in urls])
    assert upgrade_to_head(engine)[0] == "0012"
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(outlets.c.name, outlets.c.domain)).all()) == {
            "Fed": "feed.example", "Typed": "typed.example", "One site": "one.example",
            "Two sites": "", "Nothing": ""}
    engine.dispose()
