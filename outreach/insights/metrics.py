"""Follower and engagement snapshots: taking them, and the series and status pages show.

    take_snapshots(db, reader_for, now=)     worker job: read due accounts and posts
    follower_series(db, campaign_id)         every follower snapshot, for charts
    account_metrics_status(db, campaign_id)  last snapshot and any refusal, per account

Each connected account's followers, following and posts are read every
`account_interval` (OUTREACH_METRICS_INTERVAL_MINUTES); each published post's likes,
reposts, replies and quotes at the widening offsets of POST_SCHEDULE after it went out,
then never again. Platforms keep no history: these rows are the only record.

A worker claims an account (or a post) by moving its next read ahead with a guarded
UPDATE before reading, so a second worker skips it. A failing account backs off on its
own; a read the platform refuses (X's access tiers, spent credit) stores the platform's
words, writes no row of zeros, and is tried again a day later. A pass reads at most
MAX_ACCOUNTS_PER_PASS accounts and stops taking new ones after PASS_BUDGET_SECONDS, so
the worker's next pass, which publishes due posts first, is never held up for long.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import vault
from outreach.config import Settings
from outreach.errors import OutreachError, RateLimited, ReadRefused
from outreach.net import URLGuard
from outreach.social import accounts
from outreach.social.reader import MetricsReader
from outreach.store.tables import (
    follower_snapshots,
    post_metrics,
    post_parts,
    posts,
    social_accounts,
)

log = logging.getLogger(__name__)

# When a published post's counts are read, counted from its publishing; none after the last.
POST_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(hours=1), timedelta(hours=3), timedelta(hours=6), timedelta(hours=12),
    timedelta(days=1), timedelta(days=2), timedelta(days=4), timedelta(days=7),
    timedelta(days=14),
)
DEFAULT_ACCOUNT_INTERVAL = timedelta(hours=1)
# A refused read is asked again this much later: an access tier or credit rarely changes.
REFUSED_RETRY = timedelta(days=1)
# A failing account waits 5 min, 10 min, 20 min... at most 6 hours (or until X's reset).
BASE_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
# Bounds on one pass: accounts read, posts per account (one X batch), and seconds spent
# before no further account is started.
MAX_ACCOUNTS_PER_PASS = 20
MAX_POSTS_PER_ACCOUNT = 50
PASS_BUDGET_SECONDS = 30.0
PLATFORM_NAMES = {"x": "X", "bluesky": "Bluesky"}

# Builds the read side of an account's adapter from its row (accounts.publisher_for(...)).
ReaderFor = Callable[[dict], MetricsReader]


def follower_series(db: Engine, campaign_id: int) -> list[dict]:
    """Every follower snapshot of a campaign's accounts, oldest first."""
    query = (
        sa.select(
            follower_snapshots.c.taken_at,
            (social_accounts.c.platform + ":" + social_accounts.c.handle).label("account"),
            follower_snapshots.c.followers,
        )
        .join(social_accounts, social_accounts.c.id == follower_snapshots.c.account_id)
        .where(social_accounts.c.campaign_id == campaign_id)
        .order_by(follower_snapshots.c.taken_at, social_accounts.c.handle)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


# --- taking snapshots -------------------------------------------------------------------------


def take_snapshots(db: Engine, reader_for: ReaderFor, *, now: datetime,
                   account_interval: timedelta = DEFAULT_ACCOUNT_INTERVAL,
                   max_accounts: int = MAX_ACCOUNTS_PER_PASS,
                   budget_seconds: float = PASS_BUDGET_SECONDS) -> str:
    """Worker job: read the due accounts' counts and their due posts'; a summary line.

    One account's failure backs off that account and never raises out of the pass.
    """
    _schedule_published(db, now)
    tally: Counter[str] = Counter()
    started = time.monotonic()
    due = _due_accounts(db, now, max_accounts)
    for index, account in enumerate(due):
        if time.monotonic() - started > budget_seconds:
            tally["deferred"] += len(due) - index
            break
        _snapshot_account(db, account, reader_for, now=now, interval=account_interval,
                          tally=tally)
    return _summary(tally)


def _next_point(published_at: datetime, after: datetime) -> datetime | None:
    """The first scheduled read of a post later than `after`, or None past the last."""
    return next((published_at + offset for offset in POST_SCHEDULE
                 if published_at + offset > after), None)


def _schedule_published(db: Engine, now: datetime) -> None:
    """Give posts published in the last POST_SCHEDULE[-1], never read, their first read.

    Done here rather than when publishing, so publishing knows nothing of metrics.
    A post's schedule only ends (metrics_next_at back to NULL) once that window is over.
    """
    fresh = sa.and_(posts.c.status == "published", posts.c.published_at.is_not(None),
                    posts.c.published_at > now - POST_SCHEDULE[-1],
                    posts.c.metrics_next_at.is_(None), posts.c.metrics_reads == 0)
    with db.connect() as conn:
        rows = conn.execute(sa.select(posts.c.id, posts.c.published_at).where(fresh)).all()
    if not rows:
        return
    with db.begin() as conn:
        for row in rows:
            conn.execute(posts.update().where(posts.c.id == row.id, fresh).values(
                metrics_next_at=row.published_at + POST_SCHEDULE[0]))


def _post_due(now: datetime):
    # A repost's remote id is someone else's post: its counts are not ours.
    return sa.and_(posts.c.status == "published", posts.c.kind != "repost",
                   posts.c.metrics_next_at <= now)


def _due_accounts(db: Engine, now: datetime, limit: int) -> list:
    """Accounts with an account read or a post read due and not backing off, most
    overdue first (never-read accounts before all)."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(social_accounts)).all()
        post_due = dict(conn.execute(
            sa.select(posts.c.account_id, sa.func.min(posts.c.metrics_next_at))
            .where(_post_due(now)).group_by(posts.c.account_id)).all())
    never = datetime.min.replace(tzinfo=UTC)
    due = []
    for row in rows:
        account_due = row.metrics_next_at is None or row.metrics_next_at <= now
        if account_due or (row.metrics_failures == 0 and row.id in post_due):
            times = [row.metrics_next_at or never] if account_due else []
            times += [post_due[row.id]] if row.id in post_due else []
            due.append((min(times), row.id, row))
    return [row for _, _, row in sorted(due, key=lambda item: item[:2])][:limit]


def _snapshot_account(db: Engine, account, reader_for: ReaderFor, *, now: datetime,
                      interval: timedelta, tally: Counter[str]) -> None:
    """Read one account's counts if due, then its due posts'; a failure backs it off."""
    account_due = account.metrics_next_at is None or account.metrics_next_at <= now
    if account_due and not _claim_account(db, account.id, now, now + interval):
        return  # another worker is reading it
    claimed: dict[int, datetime] = {}
    reader = None
    try:
        reader = reader_for(dict(account._mapping))
        if account_due:
            _read_account(db, account, reader, now, tally)
        claimed = _claim_posts(db, account.id, now)
        if claimed:
            _read_posts(db, account, reader, claimed, now, tally)
    except Exception as exc:  # one account's trouble must not stop the pass
        _back_off(db, account, claimed, exc, now)
        tally["failing"] += 1
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()


def _claim_account(db: Engine, account_id: int, now: datetime, ahead: datetime) -> bool:
    with db.begin() as conn:
        return bool(conn.execute(
            social_accounts.update().where(
                social_accounts.c.id == account_id,
                sa.or_(social_accounts.c.metrics_next_at.is_(None),
                       social_accounts.c.metrics_next_at <= now))
            .values(metrics_next_at=ahead)).rowcount)


def _read_account(db: Engine, account, reader: MetricsReader, now: datetime,
                  tally: Counter[str]) -> None:
    try:
        counts = reader.account_counts()
    except ReadRefused as exc:
        log.info("%s %s refuses the account read: %s", account.platform, account.handle, exc)
        with db.begin() as conn:
            conn.execute(social_accounts.update().where(social_accounts.c.id == account.id)
                         .values(metrics_error=str(exc), metrics_failures=0,
                                 metrics_next_at=now + REFUSED_RETRY))
        tally["refused"] += 1
        return
    with db.begin() as conn:
        conn.execute(follower_snapshots.insert().values(
            account_id=account.id, taken_at=now, followers=counts.followers,
            following=counts.following, posts_count=counts.posts))
        conn.execute(social_accounts.update().where(social_accounts.c.id == account.id)
                     .values(metrics_error="", metrics_failures=0))
    tally["accounts"] += 1


def _claim_posts(db: Engine, account_id: int, now: datetime) -> dict[int, datetime]:
    """Claim the account's due posts by moving each to its next scheduled read;
    returns the won ones' publishing times by id."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(posts.c.id, posts.c.published_at)
            .where(posts.c.account_id == account_id, _post_due(now))
            .order_by(posts.c.metrics_next_at, posts.c.id).limit(MAX_POSTS_PER_ACCOUNT)).all()
    won: dict[int, datetime] = {}
    if not rows:
        return won
    with db.begin() as conn:
        for row in rows:
            if conn.execute(posts.update().where(posts.c.id == row.id, _post_due(now)).values(
                    metrics_next_at=_next_point(row.published_at, now))).rowcount:
                won[row.id] = row.published_at
    return won


def _read_posts(db: Engine, account, reader: MetricsReader, claimed: dict[int, datetime],
                now: datetime, tally: Counter[str]) -> None:
    with db.connect() as conn:
        parts = conn.execute(
            sa.select(post_parts.c.id, post_parts.c.remote_id)
            .where(post_parts.c.post_id.in_(list(claimed)), post_parts.c.remote_id != "")
            .order_by(post_parts.c.post_id, post_parts.c.position)).all()
    try:
        counts = reader.post_counts([p.remote_id for p in parts]) if parts else {}
    except ReadRefused as exc:
        log.info("%s %s refuses the post read: %s", account.platform, account.handle, exc)
        with db.begin() as conn:
            conn.execute(social_accounts.update().where(social_accounts.c.id == account.id)
                         .values(post_metrics_error=str(exc)))
            for post_id, published_at in claimed.items():
                conn.execute(posts.update().where(posts.c.id == post_id).values(
                    metrics_next_at=_next_point(published_at, now + REFUSED_RETRY)
                    or _next_point(published_at, now)))
        tally["refused"] += 1
        return
    rows = [{"part_id": p.id, "taken_at": now, "likes": c.likes, "reposts": c.reposts,
             "replies": c.replies, "quotes": c.quotes, "impressions": c.impressions}
            for p in parts if (c := counts.get(p.remote_id)) is not None]
    with db.begin() as conn:
        if rows:
            conn.execute(post_metrics.insert(), rows)
        conn.execute(posts.update().where(posts.c.id.in_(list(claimed)))
                     .values(metrics_reads=posts.c.metrics_reads + 1))
        conn.execute(social_accounts.update().where(social_accounts.c.id == account.id)
                     .values(post_metrics_error=""))
    tally["posts"] += len(claimed)


def _back_off(db: Engine, account, claimed: dict[int, datetime], exc: Exception,
              now: datetime) -> None:
    """Put the account, and any posts it had claimed, off until a retry time."""
    failures = account.metrics_failures + 1
    retry = min(BASE_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF) + now
    if isinstance(exc, RateLimited) and exc.retry_at is not None and exc.retry_at > now:
        retry = exc.retry_at
    if isinstance(exc, OutreachError):
        words = str(exc)
        log.info("reading %s %s failed, retry at %s: %s", account.platform, account.handle,
                 retry, words)
    else:
        words = f"unexpected error ({type(exc).__name__}); see the worker's log"
        log.warning("reading %s %s failed, retry at %s", account.platform, account.handle,
                    retry, exc_info=exc)
    with db.begin() as conn:
        conn.execute(social_accounts.update().where(social_accounts.c.id == account.id)
                     .values(metrics_failures=failures, metrics_error=words,
                             metrics_next_at=retry))
        if claimed:
            conn.execute(posts.update().where(posts.c.id.in_(list(claimed)))
                         .values(metrics_next_at=retry))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(tally: Counter[str]) -> str:
    parts = []
    if tally["accounts"] or tally["posts"]:
        read = [_plural(tally[k], k[:-1]) for k in ("accounts", "posts") if tally[k]]
        parts.append(" and ".join(read) + " read")
    if tally["refused"]:
        parts.append(_plural(tally["refused"], "read") + " refused")
    if tally["failing"]:
        parts.append(_plural(tally["failing"], "account") + " failing, backing off")
    if tally["deferred"]:
        parts.append(_plural(tally["deferred"], "account") + " left for the next pass")
    return ", ".join(parts) or "nothing due"


# --- what pages show --------------------------------------------------------------------------


def account_metrics_status(db: Engine, campaign_id: int) -> list[dict]:
    """Per account of a campaign: its last snapshot, when it is read next, and in the
    platform's words why reads fail or are refused (never shown as zeros)."""
    latest = (sa.select(follower_snapshots.c.account_id,
                        sa.func.max(follower_snapshots.c.taken_at).label("taken_at"))
              .group_by(follower_snapshots.c.account_id).subquery())
    query = (
        sa.select(social_accounts.c.id, social_accounts.c.platform, social_accounts.c.handle,
                  social_accounts.c.metrics_next_at, social_accounts.c.metrics_failures,
                  social_accounts.c.metrics_error, social_accounts.c.post_metrics_error,
                  follower_snapshots.c.taken_at, follower_snapshots.c.followers,
                  follower_snapshots.c.following, follower_snapshots.c.posts_count)
        .select_from(social_accounts
                     .outerjoin(latest, latest.c.account_id == social_accounts.c.id)
                     .outerjoin(follower_snapshots, sa.and_(
                         follower_snapshots.c.account_id == latest.c.account_id,
                         follower_snapshots.c.taken_at == latest.c.taken_at)))
        .where(social_accounts.c.campaign_id == campaign_id)
        .order_by(social_accounts.c.platform, social_accounts.c.handle)
    )
    with db.connect() as conn:
        rows = conn.execute(query).all()
    return [_status(row) for row in rows]


def _status(row) -> dict:
    name = PLATFORM_NAMES.get(row.platform, row.platform)
    if row.metrics_failures:
        state = "failing"
        message = (f"Reading {name} failed {_plural(row.metrics_failures, 'time')} in a row; "
                   f"next try {row.metrics_next_at:%Y-%m-%d %H:%M} UTC: {row.metrics_error}")
    elif row.metrics_error:
        state = "refused"
        message = f"{name} refuses this read on your access tier: {row.metrics_error}"
    else:
        state = "ok" if row.taken_at else "not read yet"
        message = "" if row.taken_at else "No snapshot yet: the worker takes the first one."
    if row.post_metrics_error:
        message = " ".join(filter(None, [
            message, f"{name} refuses post counts on your access tier: "
                     f"{row.post_metrics_error}"]))
    return {"account_id": row.id, "account": f"{row.platform}:{row.handle}",
            "platform": row.platform, "handle": row.handle, "state": state,
            "last_snapshot_at": row.taken_at, "followers": row.followers,
            "following": row.following, "posts": row.posts_count,
            "next_read_at": row.metrics_next_at, "error": row.metrics_error,
            "post_error": row.post_metrics_error, "message": message}


# --- worker and command line ------------------------------------------------------------------


def snapshot_job(settings: Settings) -> Callable[[Engine, datetime], str]:
    """The worker's snapshot job: each account read through its stored credentials."""
    interval = timedelta(minutes=settings.metrics_interval_minutes)

    def job(db: Engine, now: datetime) -> str:
        reader_for = accounts.publisher_for(db, vault.Vault.open(settings, db), now=now,
                                            guard=URLGuard(settings.url_allowlist))
        return take_snapshots(db, reader_for, now=now, account_interval=interval)
    return job
