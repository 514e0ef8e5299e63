"""Follower snapshots: the series the Overview and Analytics pages chart."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.store.tables import follower_snapshots, social_accounts


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
