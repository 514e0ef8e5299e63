"""A whole Bluesky network (PLC, PDS and the bsky app view) on 127.0.0.1, once per test session.

`tests/bluesky-network/network.mjs` runs `@atproto/dev-env`'s TestNetwork from the
npm project beside it (`sh scripts/test.sh` installs it). The app view keeps its
index in the test PostgreSQL (`OUTREACH_TEST_POSTGRES_URL`), in schemas of its own
dropped at the end, and is given the Redis at `OUTREACH_TEST_REDIS_HOST` (host:port);
scripts/test.sh starts both. tests/conftest.py registers the fixture; a test asks
for `bsky_network`:

    def test_followers(bsky_network):
        alice = bsky_network.create_account("alice.test", "a-password")
        bob = bsky_network.create_account("bob.test", "a-password")
        bsky_network.follow(bob, alice.did)
        bsky_network.wait_until(lambda: bsky_network.profile(alice.did)["followersCount"] == 1,
                                "the app view counts bob's follow")

Without Node, the installed project, PostgreSQL or Redis the tests skip, and fail
under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import string
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from support.node_service import wait_until_ready
from support.services import POSTGRES_URL, missing_service

NODE_PROJECT = Path(__file__).parents[1] / "bluesky-network"
START_SCRIPT = NODE_PROJECT / "network.mjs"
REDIS_HOST = os.environ.get("OUTREACH_TEST_REDIS_HOST", "")
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
# How long the app view may take to index a record the PDS has taken.
INDEX_TIMEOUT = 30.0
POLL_INTERVAL = 0.1
INSTALL_HINT = ("Bluesky network (run `sh scripts/test.sh` to install tests/bluesky-network "
                "and start PostgreSQL and Redis)")


@dataclass(frozen=True)
class NetworkAccount:
    """An account on the network's PDS, signed in."""

    did: str
    handle: str
    password: str
    access_jwt: str


@dataclass
class LocalBskyNetwork:
    """The running network: its addresses, and ways to make accounts, follows and likes."""

    pds_url: str
    appview_url: str
    plc_url: str

    def xrpc(self, method: str, *, appview: bool = False) -> str:
        """The URL of an XRPC method on the PDS (or, with `appview`, on the app view)."""
        return f"{self.appview_url if appview else self.pds_url}/xrpc/{method}"

    def create_account(self, handle: str, password: str) -> NetworkAccount:
        """Create `handle` (under `.test`) with `password`, signed in."""
        response = httpx.post(
            self.xrpc("com.atproto.server.createAccount"),
            json={"handle": handle, "email": f"{handle.split('.')[0]}@example.test",
                  "password": password},
            timeout=30,
        )
        response.raise_for_status()
        created = response.json()
        return NetworkAccount(did=created["did"], handle=created["handle"], password=password,
                              access_jwt=created["accessJwt"])

    def create_record(self, account: NetworkAccount, collection: str, record: dict) -> dict:
        """Create `record` in the account's repository; the PDS's answer (uri, cid)."""
        response = httpx.post(
            self.xrpc("com.atproto.repo.createRecord"),
            headers={"Authorization": f"Bearer {account.access_jwt}"},
            json={"repo": account.did, "collection": collection,
                  "record": {"$type": collection, **record, "createdAt": _now_iso()}},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def follow(self, account: NetworkAccount, subject_did: str) -> str:
        """Make `account` follow `subject_did`; the follow record's at:// URI."""
        return self.create_record(account, "app.bsky.graph.follow",
                                  {"subject": subject_did})["uri"]

    def like(self, account: NetworkAccount, uri: str, cid: str) -> str:
        """Make `account` like the post at `uri` (with its `cid`); the like record's URI."""
        return self.create_record(account, "app.bsky.feed.like",
                                  {"subject": {"uri": uri, "cid": cid}})["uri"]

    def profile(self, actor: str) -> dict:
        """The app view's profile of `actor` (DID or handle), as any reader sees it."""
        response = httpx.get(self.xrpc("app.bsky.actor.getProfile", appview=True),
                             params={"actor": actor}, timeout=30)
        response.raise_for_status()
        return response.json()

    def post(self, uri: str) -> dict | None:
        """The app view's view of the post at `uri`, or None when it has not indexed it."""
        response = httpx.get(self.xrpc("app.bsky.feed.getPosts", appview=True),
                             params={"uris": [uri]}, timeout=30)
        response.raise_for_status()
        posts = response.json()["posts"]
        return posts[0] if posts else None

    def wait_until(self, check: Callable[[], bool], what: str,
                   timeout: float = INDEX_TIMEOUT) -> None:
        """Poll `check` until it holds; fail the test naming `what` after `timeout` seconds.

        The app view indexes what the PDS takes a moment later, from its firehose.
        """
        deadline = time.monotonic() + timeout
        while not _holds(check):
            if time.monotonic() > deadline:
                pytest.fail(f"the app view did not show that {what} within {timeout:.0f} s")
            time.sleep(POLL_INTERVAL)


def _holds(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except httpx.HTTPStatusError:  # e.g. a profile the app view has not indexed yet
        return False


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _node_postgres_url() -> str:
    """The test PostgreSQL's URL as node-postgres reads it (no `+psycopg`)."""
    return sa.make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _drop_schemas(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        # When PostgreSQL itself is what failed, there is nothing to drop.
        with contextlib.suppress(sa.exc.OperationalError), engine.connect() as conn:
            for prefix in ("appview", "ozone"):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{prefix}_{schema}" CASCADE'))
    finally:
        engine.dispose()


def _stop(process: subprocess.Popen) -> None:
    if process.stdin:
        with contextlib.suppress(OSError):
            process.stdin.close()
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_network(tmp: Path) -> Iterator[LocalBskyNetwork]:
    """A Bluesky network on free 127.0.0.1 ports, its files in `tmp`, stopped on exit.

    Raises RuntimeError when a service it needs is missing or it does not come up.
    """
    node = shutil.which("node")
    if node is None or not (NODE_PROJECT / "node_modules" / "@atproto" / "dev-env").is_dir():
        raise RuntimeError("Node or tests/bluesky-network/node_modules (missing)")
    if not POSTGRES_URL:
        raise RuntimeError("PostgreSQL (OUTREACH_TEST_POSTGRES_URL unset)")
    if not REDIS_HOST:
        raise RuntimeError("Redis (OUTREACH_TEST_REDIS_HOST unset)")
    # The app view's schemas are named from this: letters and underscores only.
    schema = "run_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    process = subprocess.Popen(
        [node, str(START_SCRIPT), "--postgres-url", _node_postgres_url(), "--schema", schema,
         "--redis", REDIS_HOST],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LOG_ENABLED": "false", "TMPDIR": str(tmp),
             "NODE_NO_WARNINGS": "1"},
    )
    try:
        ready = wait_until_ready(process, "the Bluesky network", START_TIMEOUT)
        yield LocalBskyNetwork(pds_url=ready["pds"], appview_url=ready["appview"],
                               plc_url=ready["plc"])
    finally:
        _stop(process)
        _drop_schemas(schema)


@pytest.fixture(scope="session", name="bsky_network")
def bsky_network_fixture(tmp_path_factory):
    """Start the Bluesky network for the session; yield a LocalBskyNetwork; stop it at the end."""
    with contextlib.ExitStack() as stack:
        try:
            network = stack.enter_context(running_network(tmp_path_factory.mktemp("bsky")))
        except RuntimeError as exc:
            missing_service(f"{INSTALL_HINT}: {exc}")
        yield network
