"""Shared fixtures: a store on SQLite and PostgreSQL, a fixed clock, a network guard."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from support.services import POSTGRES_URL, missing_service

from outreach.store import make_engine, upgrade_to_head


# Under CI a missing service is a failure, never a skip.
def _is_loopback(host) -> bool:
    if host in (None, "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class OutsideNetwork(RuntimeError):
    """Raised when a test reaches for anything beyond 127.0.0.1."""


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Fail any test that opens a socket to, or looks up, a host outside loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OutsideNetwork(f"test tried to connect to {address!r}, outside 127.0.0.1")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            raise OutsideNetwork(f"test tried to look up {host!r}, outside 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    yield
    socket.socket.connect = real_connect
    socket.socket.connect_ex = real_connect_ex
    socket.getaddrinfo = real_getaddrinfo


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for code that takes the time as a parameter."""
    return datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def pg_database_url():
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    if not POSTGRES_URL:
        missing_service("PostgreSQL (OUTREACH_TEST_POSTGRES_URL)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty store's URL: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outreach.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def db(store_url):
    """A migrated, empty store on each backend."""
    engine = make_engine(store_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path):
    """A migrated, empty SQLite store, for tests about one process's UI or CLI."""
    engine = make_engine(f"sqlite:///{tmp_path / 'outreach.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Point Settings at a fresh data dir in tmp_path, away from any .env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OUTREACH_DATABASE_URL", raising=False)
    return tmp_path / "data"


# The local Bluesky PDS (tests/support/pds.py) and the whole network with an app view
# (tests/support/bsky_network.py), each started once per test session for every module that asks.
from support.bsky_network import bsky_network_fixture  # noqa: E402,F401
from support.desk import x_server  # noqa: E402,F401
from support.pages import demo_store, store, store_template  # noqa: E402,F401
from support.pds import pds_fixture  # noqa: E402,F401
from support.web import site  # noqa: E402,F401
