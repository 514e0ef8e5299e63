"""The post queue: what is scheduled, what was published. Read side for now."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.store import queries
from outreach.store.tables import POST_STATES, posts, social_accounts


def _post_query(campaign_id: int) -> sa.Select:
    return (
        sa.select(
            posts.c.id,
            social_accounts.c.platform,
            social_accounts.c.handle.label("account"),
            posts.c.text,
            posts.c.status,
            posts.c.scheduled_at,
            posts.c.published_at,
            posts.c.remote_url,
        )
        .join(social_accounts, social_accounts.c.id == posts.c.account_id)
        .where(posts.c.campaign_id == campaign_id)
    )


def upcoming_posts(db: Engine, campaign_id: int, now: datetime, limit: int = 10) -> list[dict]:
    """Scheduled posts due at or after `now`, soonest first."""
    query = (
        _post_query(campaign_id)
        .where(posts.c.status == "scheduled", posts.c.scheduled_at >= now)
        .order_by(posts.c.scheduled_at)
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def list_posts(db: Engine, campaign_id: int, *, status: str | None = None) -> list[dict]:
    """A campaign's posts, latest first by publish or schedule time."""
    when = sa.func.coalesce(posts.c.published_at, posts.c.scheduled_at, posts.c.created_at)
    query = _post_query(campaign_id).order_by(when.desc(), posts.c.id.desc())
    if status:
        query = query.where(posts.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_by_status(db: Engine, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's posts are in each state (every state listed)."""
    return queries.count_by_status(db, posts, campaign_id, POST_STATES)


def list_accounts(db: Engine, campaign_id: int) -> list[dict]:
    """The social accounts connected to a campaign."""
    query = (
        sa.select(social_accounts.c.id, social_accounts.c.platform, social_accounts.c.handle)
        .where(social_accounts.c.campaign_id == campaign_id)
        .order_by(social_accounts.c.platform, social_accounts.c.handle)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
