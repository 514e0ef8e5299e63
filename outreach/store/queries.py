"""Small query helpers shared by the domain modules."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def count_by_status(
    db: Engine, table: sa.Table, campaign_id: int, states: tuple[str, ...]
) -> dict[str, int]:
    """How many of a campaign's rows in `table` are in each state (every state listed)."""
    query = (
        sa.select(table.c.status, sa.func.count())
        .where(table.c.campaign_id == campaign_id)
        .group_by(table.c.status)
    )
    with db.connect() as conn:
        found = dict(conn.execute(query).all())
    return {state: found.get(state, 0) for state in states}
