"""The store at a glance: per-campaign counts and the worker's heartbeat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from outreach.campaigns import list_campaigns
from outreach.coverage import feeds, hit_lists
from outreach.ops.worker import worker_status
from outreach.presslist import contacts
from outreach.releases import drafts as releases
from outreach.social import queue as post_queue


def store_status(db: Engine, now: datetime) -> dict:
    """Counts per campaign plus the worker's state, as plain data for text or JSON."""
    worker = worker_status(db, now)
    return {
        "journalists": contacts.count_journalists(db),
        "campaigns": [
            {
                "name": c.name,
                "releases": releases.count_by_status(db, c.id),
                "posts": post_queue.count_by_status(db, c.id),
                "feeds": len(feeds.list_feeds(db, c.id)),
                "hits": hit_lists.count_hits(db, c.id),
            }
            for c in list_campaigns(db)
        ],
        "worker": {
            "state": worker.state,
            "worker_id": worker.worker_id,
            "last_heartbeat": worker.beat_at.isoformat() if worker.beat_at else None,
            "description": worker.describe(now),
        },
    }


def format_status(status: dict) -> str:
    """The status as lines for a terminal."""
    lines = [f"Journalists on file: {status['journalists']}"]
    if not status["campaigns"]:
        lines.append("No campaigns yet: `python -m outreach campaigns add NAME` or `demo`.")
    for c in status["campaigns"]:
        def states(counts: dict[str, int]) -> str:
            shown = [f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n]
            return ", ".join(shown) or "none"

        lines += [
            f"\nCampaign: {c['name']}",
            f"  releases: {states(c['releases'])}",
            f"  posts:    {states(c['posts'])}",
            f"  feeds:    {c['feeds']}",
            f"  hits:     {c['hits']}",
        ]
    lines.append(f"\nWorker: {status['worker']['description']}")
    return "\n".join(lines)
