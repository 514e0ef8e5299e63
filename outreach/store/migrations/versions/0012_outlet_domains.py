"""An outlet is its web domain: outlets without one take it from their feed, else from the
stories on file from them when these all come from one site.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from outreach.coverage.story_keys import is_aggregator
from outreach.presslist.fields import domain_of

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_outlets = sa.table("outlets", sa.column("id", sa.Integer), sa.column("domain", sa.String),
                    sa.column("feed_url", sa.String))
_hits = sa.table("press_hits", sa.column("outlet_id", sa.Integer), sa.column("url", sa.String))


def _site(url: str) -> str:
    domain = domain_of(url)
    return "" if is_aggregator(domain) else domain


def upgrade() -> None:
    conn = op.get_bind()
    missing = conn.execute(sa.select(_outlets.c.id, _outlets.c.feed_url)
                           .where(_outlets.c.domain == "")).all()
    for outlet_id, feed_url in missing:
        domain = _site(feed_url)
        if not domain:
            sites = {_site(url) for (url,) in conn.execute(
                sa.select(_hits.c.url).where(_hits.c.outlet_id == outlet_id))} - {""}
            domain = sites.pop() if len(sites) == 1 else ""
        if domain:
            conn.execute(_outlets.update().where(_outlets.c.id == outlet_id)
                         .values(domain=domain))


def downgrade() -> None:
    """The domains filled in stay: they are true of the outlets either way."""
