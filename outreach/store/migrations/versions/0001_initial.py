"""Initial store: campaigns, press list, releases, posts, coverage, metrics, worker.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def _text(name: str, length: int | None = None) -> sa.Column:
    kind = sa.String(length) if length else sa.Text
    return sa.Column(name, kind, nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        _text("employer", 200),
        _text("union_name", 200),
        _text("description"),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("start_date", sa.Date),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False, server_default="other"),
        _text("notes"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        _text("domain", 200),
        _text("kind", 40),
        _text("region", 120),
        _text("language", 20),
        _text("feed_url", 1000),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "journalists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        _text("title", 200),
        sa.Column("outlet_id", sa.Integer, _fk("outlets", "SET NULL"), index=True),
        _text("email", 320),
        _text("phone", 60),
        _text("beats", 500),
        _text("bluesky_handle", 253),
        _text("x_handle", 50),
        _text("city", 120),
        sa.Column("do_not_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        _text("notes"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "press_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        _text("description"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "press_list_members",
        sa.Column("list_id", sa.Integer, _fk("press_lists"), primary_key=True),
        sa.Column("journalist_id", sa.Integer, _fk("journalists"), primary_key=True),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False, server_default="release"),
        sa.Column("status", sa.String(24), nullable=False, server_default="draft"),
        _text("body"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "social_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("handle", sa.String(253), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "handle", name="uq_social_accounts_platform_handle"),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("account_id", sa.Integer, _fk("social_accounts"), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("scheduled_at", sa.DateTime),
        sa.Column("published_at", sa.DateTime),
        _text("remote_url", 1000),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_posts_status_scheduled_at", "posts", ["status", "scheduled_at"])
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("url", sa.String(2000), nullable=False),
        _text("title", 300),
        sa.Column("kind", sa.String(24), nullable=False, server_default="rss"),
        sa.Column("last_success_at", sa.DateTime),
        _text("last_error"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "press_hits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, _fk("campaigns"), nullable=False, index=True),
        sa.Column("feed_id", sa.Integer, _fk("feeds", "SET NULL")),
        sa.Column("outlet_id", sa.Integer, _fk("outlets", "SET NULL")),
        sa.Column("journalist_id", sa.Integer, _fk("journalists", "SET NULL")),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        _text("author", 300),
        sa.Column("published_at", sa.DateTime),
        _text("snippet"),
        sa.Column("found_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "follower_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, _fk("social_accounts"), nullable=False),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("followers", sa.Integer, nullable=False),
        sa.Column("following", sa.Integer, nullable=False),
        sa.Column("posts_count", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_follower_snapshots_account_taken",
        "follower_snapshots",
        ["account_id", "taken_at"],
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(120), primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("beat_at", sa.DateTime, nullable=False),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("passes", sa.Integer, nullable=False),
        _text("last_summary"),
        sa.Column("stopped_at", sa.DateTime),
    )


def downgrade() -> None:
    for table in (
        "worker_heartbeats",
        "follower_snapshots",
        "press_hits",
        "feeds",
        "posts",
        "social_accounts",
        "releases",
        "press_list_members",
        "press_lists",
        "journalists",
        "outlets",
        "campaign_events",
        "campaigns",
    ):
        op.drop_table(table)
