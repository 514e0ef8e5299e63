"""Feeds and press hits: read side for the dashboard."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.store.tables import feeds, outlets, press_hits


def list_feeds(db: Engine, campaign_id: int) -> list[dict]:
    """A campaign's feeds with their last success and last error."""
    query = (
        sa.select(
            feeds.c.id, feeds.c.title, feeds.c.url, feeds.c.kind,
            feeds.c.last_success_at, feeds.c.last_error,
        )
        .where(feeds.c.campaign_id == campaign_id)
        .order_by(feeds.c.title, feeds.c.id)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def latest_hits(db: Engine, campaign_id: int, *, limit: int = 50) -> list[dict]:
    """A campaign's press hits, newest first."""
    query = (
        sa.select(
            press_hits.c.published_at,
            press_hits.c.title,
            outlets.c.name.label("outlet"),
            press_hits.c.author,
            press_hits.c.url,
        )
        .select_from(press_hits.outerjoin(outlets, outlets.c.id == press_hits.c.outlet_id))
        .where(press_hits.c.campaign_id == campaign_id)
        .order_by(press_hits.c.published_at.desc(), press_hits.c.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_hits(db: Engine, campaign_id: int, *, since: datetime | None = None) -> int:
    """How many press hits a campaign has, optionally published since a time."""
    query = sa.select(sa.func.count()).where(press_hits.c.campaign_id == campaign_id)
    if since is not None:
        query = query.where(press_hits.c.published_at >= since)
    with db.connect() as conn:
        return conn.execute(query).scalar_one()
