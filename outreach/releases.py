"""Press releases, advisories and statements: read side for the dashboard."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.store import queries
from outreach.store.tables import RELEASE_STATES, releases


def list_releases(db: Engine, campaign_id: int, *, status: str | None = None) -> list[dict]:
    """A campaign's releases, newest change first, optionally in one state."""
    query = (
        sa.select(
            releases.c.id, releases.c.title, releases.c.kind, releases.c.status,
            releases.c.updated_at,
        )
        .where(releases.c.campaign_id == campaign_id)
        .order_by(releases.c.updated_at.desc(), releases.c.id.desc())
    )
    if status:
        query = query.where(releases.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_by_status(db: Engine, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's releases are in each state (every state listed)."""
    return queries.count_by_status(db, releases, campaign_id, RELEASE_STATES)
