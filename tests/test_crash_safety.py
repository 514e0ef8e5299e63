"""The worker killed with SIGKILL at random moments while publishing 100 posts, then
restarted, leaves each post published exactly once on the PDS; and a worker killed after
X accepted a post, before it wrote it down, leaves it published once on X too.

A real `python -m outreach worker` runs against a SQLite store and the local PDS
(tests/support/pds.py) and is killed without warning, again and again. Each kill can land
between the PDS creating a record and the store writing it down. The posts a dead
worker held are taken over the way a worker restarted after `CLAIM_TIMEOUT` would
see them: by a pass whose clock is past the timeout, not by editing the store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from support.desk import make_desk, run, schedule
from support.pds import PDS_GUARD

from outreach import campaigns
from outreach.auth import vault
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.org_settings import set_org
from outreach.roles import Actor
from outreach.social import accounts, publishing
from outreach.social import queue as post_queue
from outreach.social.publisher import new_key
from outreach.store import open_store
from outreach.store.tables import post_parts, posts

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
POSTS = 100
MAX_KILLS = 40
STARTUP_TIMEOUT = 20.0


def listed_posts(pds, did: str) -> list[dict]:
    """Every app.bsky.feed.post record in `did`'s repo, page by page."""
    records: list[dict] = []
    cursor = None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = httpx.get(pds.xrpc("com.atproto.repo.listRecords"), params=params,
                             timeout=30)
        response.raise_for_status()
        page = response.json()
        records.extend(page["records"])
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return records


def statuses(db) -> dict[str, int]:
    """How many posts are in each state."""
    with db.connect() as conn:
        return dict(conn.execute(sa.select(posts.c.status, sa.func.count())
                                 .group_by(posts.c.status)).all())


def start_worker(tmp_path: Path, env: dict, run: int) -> tuple[subprocess.Popen, Path]:
    """Start `python -m outreach worker`; wait until it says it started; its log file."""
    log = tmp_path / f"worker{run}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "outreach", "worker", "--interval", "0.2"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while "started" not in log.read_text() and process.poll() is None:
        assert time.monotonic() < deadline, f"the worker never started:\n{log.read_text()}"
        time.sleep(0.02)
    assert process.poll() is None, f"the worker exited:\n{log.read_text()}"
    return process, log


def test_a_worker_killed_at_random_publishes_each_post_exactly_once(pds, tmp_path):
    data = tmp_path / "data"
    settings = Settings.from_env({"OUTREACH_DATA_DIR": str(data)}, env_file=None)
    db = open_store(settings.database_url)
    the_vault = vault.Vault.open(settings)
    now = utcnow()
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    handle = f"crash{new_key()[-6:]}.test"
    did = pds.create_account(handle, "picket-line-2026")
    account_id = accounts.connect_bluesky(db, the_vault, ADMIN, campaign.id, handle,
                                          "picket-line-2026", service_url=pds.url, now=now,
                                          guard=PDS_GUARD)
    post_ids = [post_queue.create_post(db, EDITOR, account_id,
                                       [f"Strike day update {i:03d} #AcmeContract"],
                                       now=now, at=now)
                for i in range(POSTS)]

    env = {key: value for key, value in os.environ.items()
           if not key.startswith("OUTREACH_")}
    env |= {"OUTREACH_DATA_DIR": str(data), "PYTHONPATH": str(ROOT),
            "OUTREACH_URL_ALLOWLIST": "127.0.0.1,localhost"}  # the PDS_GUARD of the test PDS
    rng = random.Random(20261128)
    kills = 0
    while statuses(db).get("scheduled", 0) and kills < MAX_KILLS:
        process, log = start_worker(tmp_path, env, kills)
        time.sleep(rng.uniform(0.2, 1.5))
        if process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{log.read_text()}")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kills += 1
    assert kills, "the worker was never killed"
    assert not statuses(db).get("scheduled"), "the workers made no progress"

    # A worker restarted after CLAIM_TIMEOUT takes over the posts the dead ones held.
    def later():
        return utcnow() + publishing.CLAIM_TIMEOUT + timedelta(seconds=1)

    factory = accounts.publisher_for(db, the_vault, now=utcnow(), guard=PDS_GUARD)
    publishing.publish_due(db, "final", factory, clock=later)
    assert statuses(db) == {"published": POSTS}

    records = listed_posts(pds, did)
    texts = [r["value"]["text"] for r in records]
    assert len(records) == POSTS
    assert len(set(texts)) == POSTS, "a post was published twice"
    uris = {r["uri"] for r in records}
    with db.connect() as conn:
        parts = conn.execute(sa.select(post_parts.c.post_id, post_parts.c.remote_id)
                             .where(post_parts.c.post_id.in_(post_ids))).all()
    assert len(parts) == POSTS
    assert {p.remote_id for p in parts} == uris
    db.dispose()


@pytest.mark.parametrize("parts", [1, 2], ids=["a post", "a thread's second part"])
def test_a_worker_killed_after_x_accepted_a_post_is_not_published_twice(
        db, now, x_server, tmp_path, parts):
    """X has no client-chosen ids: the worker that takes over a dead worker's claim asks
    X's recent posts before posting, instead of posting again."""
    desk = make_desk(db, now, x_server, tmp_path)
    texts = ["Picket at Gate 3, 6 AM.", "Bring water and a chair."][:parts]
    post_id = schedule(desk, now, *texts)
    # The last part's answer is lost: a thread's first part goes through as usual.
    reached, release = x_server.stall_after("/2/tweets", skip=parts - 1)
    log = tmp_path / "doomed.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "support" / "x_worker.py"),
             db.url.render_as_string(hide_password=False), str(tmp_path / "data"),
             x_server.url],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert reached.wait(STARTUP_TIMEOUT), f"X was never asked:\n{log.read_text()}"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        release.set()
        worker.kill()
    assert statuses(db) == {"publishing": 1}, "X has it, the store does not know"
    assert [p.text for p in x_server.own_posts()] == texts

    later = utcnow() + publishing.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert run(desk, x_server, later) == "1 published"
    assert [p.text for p in x_server.own_posts()] == texts
    creates = x_server.calls("POST", "/2/tweets")
    assert len(creates) == parts, "the takeover posted again instead of asking X first"
    post = post_queue.get_post(db, post_id)
    assert post["remote_url"].endswith(x_server.own_posts()[0].id)
    assert [p["remote_id"] for p in post["parts"]] == [p.id for p in x_server.own_posts()]
