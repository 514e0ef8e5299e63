"""Benchmark the scheduler: posts per second to a real Bluesky PDS, and how late they land.

Figures are ratios against a baseline measured in the same run:

- baseline: a bare loop of N `BlueskyPublisher.publish` calls, each with a new key;
- ours: N posts scheduled due at one moment in a fresh SQLite store, published by
  `publishing.publish_due` in-process (claim, publish, record each part, mark done);
- ratio = ours / baseline in posts per second (target: at least 0.8);
- lateness = post_parts.published_at - posts.scheduled_at per post, p50 and p99.

The PDS (tests/bluesky/pds.mjs, started as tests/support/pds.py does) runs with its rate
limits on, as a real server does: 3000 requests per 5 minutes from one IP, and 5000
write points per account per hour (a create costs 3, so about 1666 posts). Each phase
therefore gets a fresh PDS, and posts are spread over accounts of at most
POSTS_PER_ACCOUNT each, in both phases alike. N above MAX_POSTS (one phase's requests
must stay under the IP limit) is refused.

Run: `.venv/bin/python bench/scheduler.py [--posts N]`. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from support.pds import LocalPds, running_pds  # noqa: E402

from outreach import campaigns  # noqa: E402
from outreach.auth import vault
from outreach.clock import utcnow  # noqa: E402
from outreach.config import Settings  # noqa: E402
from outreach.org_settings import set_org  # noqa: E402
from outreach.roles import Actor  # noqa: E402
from outreach.social import (
    accounts,  # noqa: E402
    publishing,
)
from outreach.social import queue as post_queue
from outreach.social.adapters.bluesky import BlueskyPublisher  # noqa: E402
from outreach.social.publisher import OutgoingPost, new_key  # noqa: E402
from outreach.store import open_store  # noqa: E402
from outreach.store.tables import post_parts, posts  # noqa: E402

ADMIN = Actor("bench", "admin")
PASSWORD = "benchmark-password-2026"  # noqa: S105 (throwaway accounts, local PDS)
TARGET = 0.8
POSTS_PER_ACCOUNT = 1500
# Requests per phase must stay under the PDS's 3000 per 5 minutes per IP (with room
# for sign-ins and account set-up).
MAX_POSTS = 2800
# Seconds per post allowed for scheduling, so every post exists before it is due.
SCHEDULE_LEAD_PER_POST = 0.01


def handles(pds: LocalPds, count: int, prefix: str) -> list[str]:
    """`count` new accounts on the PDS, all with PASSWORD."""
    made = [f"{prefix}{i}{new_key()[-5:]}.test" for i in range(count)]
    for handle in made:
        pds.create_account(handle, PASSWORD)
    return made


def time_baseline(pds: LocalPds, count: int, n_accounts: int) -> float:
    """Seconds for `count` bare `publish` calls, round-robin over signed-in accounts."""
    publishers = [BlueskyPublisher(pds.url, handle, PASSWORD)
                  for handle in handles(pds, n_accounts, "base")]
    for publisher in publishers:
        publisher.verify()
    started = time.perf_counter()
    for i in range(count):
        publishers[i % n_accounts].publish(
            OutgoingPost(text=f"Baseline post {i:05d} #AcmeContract", key=new_key()))
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def time_ours(pds: LocalPds, work: Path, count: int, n_accounts: int
              ) -> tuple[float, list[float]]:
    """Seconds for publish_due to publish `count` posts all due at one moment, and
    each post's lateness in seconds."""
    settings = Settings.from_env({"OUTREACH_DATA_DIR": str(work / "data")}, env_file=None)
    db = open_store(settings.database_url)
    the_vault = vault.Vault.open(settings)
    now = utcnow()
    campaign = campaigns.create_campaign(db, ADMIN, "Bench", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    account_ids = [accounts.connect_bluesky(db, the_vault, ADMIN, campaign.id, handle,
                                            PASSWORD, service_url=pds.url, now=now)
                   for handle in handles(pds, n_accounts, "ours")]
    due = utcnow() + timedelta(seconds=1 + SCHEDULE_LEAD_PER_POST * count)
    for i in range(count):
        post_queue.create_post(db, ADMIN, account_ids[i % n_accounts],
                               [f"Scheduled post {i:05d} #AcmeContract"], now=utcnow(), at=due)
    if utcnow() > due:
        raise SystemExit("scheduling took longer than SCHEDULE_LEAD_PER_POST allows")
    time.sleep((due - utcnow()).total_seconds())
    factory = accounts.publisher_for(db, the_vault, now=utcnow())
    started = time.perf_counter()
    while publishing.publish_due(db, "bench", factory, clock=utcnow) != "nothing due":
        pass
    elapsed = time.perf_counter() - started
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(posts.c.status, posts.c.scheduled_at, post_parts.c.published_at)
            .join(post_parts, post_parts.c.post_id == posts.c.id)).all()
    db.dispose()
    failed = [r.status for r in rows if r.status != "published"]
    if failed:
        raise SystemExit(f"{len(failed)} posts were not published: {set(failed)}")

    def aware(moment):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    lateness = [(aware(r.published_at) - aware(r.scheduled_at)).total_seconds() for r in rows]
    return elapsed, lateness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts per phase (default 2000)")
    args = parser.parse_args()
    if not 0 < args.posts <= MAX_POSTS:
        raise SystemExit(f"--posts must be 1..{MAX_POSTS}: the PDS allows 3000 requests "
                         "per 5 minutes from one IP")
    os.environ.pop("OUTREACH_DATABASE_URL", None)
    n_accounts = math.ceil(args.posts / POSTS_PER_ACCOUNT)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with running_pds(Path(tempfile.mkdtemp(dir=work, prefix="pds"))) as pds:
            base_s = time_baseline(pds, args.posts, n_accounts)
        with running_pds(Path(tempfile.mkdtemp(dir=work, prefix="pds"))) as pds:
            ours_s, lateness = time_ours(pds, work, args.posts, n_accounts)
    base_rate, ours_rate = args.posts / base_s, args.posts / ours_s
    ratio = ours_rate / base_rate
    p50, p99 = percentile(lateness, 50), percentile(lateness, 99)
    print(f"baseline: {args.posts} bare publish calls over {n_accounts} account(s): "
          f"{base_s:7.2f} s  {base_rate:7.1f} posts/s")
    print(f"publish_due: {args.posts} scheduled posts:             "
          f"{ours_s:7.2f} s  {ours_rate:7.1f} posts/s  ratio {ratio:.2f} (target >= {TARGET})")
    print(f"lateness (published - scheduled): p50 {p50:.2f} s  p99 {p99:.2f} s")
    print(json.dumps({
        "posts": args.posts,
        "accounts": n_accounts,
        "baseline_posts_per_s": round(base_rate, 1),
        "ours_posts_per_s": round(ours_rate, 1),
        "ratio": round(ratio, 2),
        "target": TARGET,
        "lateness_p50_s": round(p50, 3),
        "lateness_p99_s": round(p99, 3),
        "met": ratio >= TARGET,
    }))


if __name__ == "__main__":
    main()
