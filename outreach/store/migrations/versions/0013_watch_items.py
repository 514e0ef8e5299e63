"""Employer watch: what a campaign watches beside the press (EDGAR filings, the employer's
newsroom) is kept in its own table, never among the press hits.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="SET NULL")),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("link", sa.String(2000), nullable=False),
        sa.Column("published_at", sa.DateTime),
        sa.Column("form", sa.String(40), nullable=False, server_default=""),
        sa.Column("found_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "link", name="uq_watch_items_campaign_link"),
    )


def downgrade() -> None:
    op.drop_table("watch_items")
