"""Post variants grouped, campaign queries, polite feed polling state, press-hit details.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("group_id", sa.Integer))
        batch.create_index("ix_posts_group_id", ["group_id"])
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("query", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("news_language", sa.String(20), nullable=False,
                                   server_default="en-US"))
        batch.add_column(sa.Column("news_country", sa.String(8), nullable=False,
                                   server_default="US"))
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("outlet_id", sa.Integer))
        batch.create_foreign_key("fk_feeds_outlet_id_outlets", "outlets", ["outlet_id"],
                                 ["id"], ondelete="SET NULL")
        batch.add_column(sa.Column("etag", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("last_modified", sa.String(100), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("last_polled_at", sa.DateTime))
        batch.add_column(sa.Column("next_poll_at", sa.DateTime))
        batch.add_column(sa.Column("failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("item_count", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("last_status", sa.Integer))
    with op.batch_alter_table("press_hits") as batch:
        batch.add_column(sa.Column("canonical_url", sa.String(2000), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("guid", sa.String(1000), nullable=False, server_default=""))
        batch.add_column(sa.Column("title_key", sa.String(700), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("matched_terms", sa.JSON))
        batch.add_column(sa.Column("tone", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("spokesperson_quoted", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("key_message", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("hidden", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("release_id", sa.Integer))
        batch.create_foreign_key("fk_press_hits_release_id_releases", "releases",
                                 ["release_id"], ["id"], ondelete="SET NULL")
        batch.add_column(sa.Column("source", sa.String(10), nullable=False,
                                   server_default="feed"))
        batch.add_column(sa.Column("journalist_match", sa.String(12), nullable=False,
                                   server_default=""))
        batch.create_index("ix_press_hits_campaign_canonical", ["campaign_id", "canonical_url"])
        batch.create_index("ix_press_hits_campaign_title_key", ["campaign_id", "title_key"])
        batch.create_index("ix_press_hits_campaign_guid", ["campaign_id", "guid"])


def downgrade() -> None:
    with op.batch_alter_table("press_hits") as batch:
        for index in ("guid", "title_key", "canonical"):
            batch.drop_index(f"ix_press_hits_campaign_{index}")
        batch.drop_constraint("fk_press_hits_release_id_releases", type_="foreignkey")
        for name in ("journalist_match", "source", "release_id", "hidden", "key_message",
                     "spokesperson_quoted", "tone", "matched_terms", "title_key", "guid",
                     "canonical_url"):
            batch.drop_column(name)
    with op.batch_alter_table("feeds") as batch:
        batch.drop_constraint("fk_feeds_outlet_id_outlets", type_="foreignkey")
        for name in ("last_status", "item_count", "failures", "next_poll_at",
                     "last_polled_at", "last_modified", "etag", "outlet_id"):
            batch.drop_column(name)
    with op.batch_alter_table("campaigns") as batch:
        for name in ("news_country", "news_language", "query"):
            batch.drop_column(name)
    with op.batch_alter_table("posts") as batch:
        batch.drop_index("ix_posts_group_id")
        batch.drop_column("group_id")
