"""The worker's jobs: what each feature contributes to a pass, wired with this process's
settings, credentials and clients."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine

from outreach import clock
from outreach.auth import vault
from outreach.config import Settings
from outreach.coverage import feeds
from outreach.insights import metrics
from outreach.net import URLGuard, http_client
from outreach.ops import worker
from outreach.org_settings import get_org
from outreach.pitching import pitches as pitching
from outreach.social import accounts, publishing
from outreach.social.adapters import linkcard


def worker_jobs(settings: Settings, stop: threading.Event) -> list[tuple[str, worker.Job]]:
    """The work each pass does, with what it needs from this process."""
    wid = worker.worker_id()

    def pause(seconds: float) -> None:
        if stop.wait(seconds):
            raise InterruptedError("the worker is stopping")

    guard = URLGuard(settings.url_allowlist)
    cards = linkcard.card_fetcher(http_client(timeout=linkcard.FETCH_TIMEOUT, guard=guard),
                                  guard)

    def posts(db: Engine, now) -> str:
        org = get_org(db)
        return publishing.publish_due(
            db, wid, accounts.publisher_for(db, vault.Vault.open(settings, db), now=now,
                                            guard=guard),
            clock=clock.utcnow, late_after=timedelta(minutes=org.late_after_minutes),
            hold_late=org.hold_late_posts, card_fetcher=cards)

    return [
        ("posts", posts),
        ("pitches", lambda db, now: pitching.send_queued(db, settings, wid, now=now,
                                                         sleep=pause)),
        ("feeds", feeds.poll_job(settings)),
        ("metrics", metrics.snapshot_job(settings)),
    ]
