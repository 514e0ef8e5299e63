"""Engagement snapshots of published posts, and when each account and post is read next.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_metrics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("part_id", sa.Integer, sa.ForeignKey("post_parts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("likes", sa.Integer, nullable=False),
        sa.Column("reposts", sa.Integer, nullable=False),
        sa.Column("replies", sa.Integer, nullable=False),
        sa.Column("quotes", sa.Integer, nullable=False),
        sa.Column("impressions", sa.Integer),
        sa.Index("ix_post_metrics_part_taken", "part_id", "taken_at"),
    )
    with op.batch_alter_table("social_accounts") as batch:
        batch.add_column(sa.Column("metrics_next_at", sa.DateTime))
        batch.add_column(sa.Column("metrics_failures", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("metrics_error", sa.Text, nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("post_metrics_error", sa.Text, nullable=False,
                                   server_default=""))
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("metrics_next_at", sa.DateTime))
        batch.add_column(sa.Column("metrics_reads", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.create_index("ix_posts_metrics_next_at", ["metrics_next_at"])


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_metrics_next_at")
        batch.drop_column("metrics_reads")
        batch.drop_column("metrics_next_at")
    with op.batch_alter_table("social_accounts") as batch:
        for name in ("post_metrics_error", "metrics_error", "metrics_failures",
                     "metrics_next_at"):
            batch.drop_column(name)
    op.drop_table("post_metrics")
