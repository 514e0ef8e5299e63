"""Social publishing: account details, thread parts with record keys, images, retries.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POST_TEXT = {"kind": (10, "post"), "target_url": (1000, ""), "last_error": (None, ""),
             "claimed_by": (120, ""), "created_by": (120, "")}


def upgrade() -> None:
    with op.batch_alter_table("social_accounts") as batch:
        batch.add_column(sa.Column("service_url", sa.String(500), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("remote_id", sa.String(200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("verified_at", sa.DateTime))
        batch.add_column(sa.Column("slot_plan", sa.JSON))
    with op.batch_alter_table("posts") as batch:
        for name, (length, default) in POST_TEXT.items():
            kind = sa.String(length) if length else sa.Text
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime))
        batch.add_column(sa.Column("claimed_at", sa.DateTime))
        batch.add_column(sa.Column("late", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "post_parts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(500), nullable=False, server_default=""),
        sa.Column("remote_url", sa.String(1000), nullable=False, server_default=""),
        sa.Column("cid", sa.String(200), nullable=False, server_default=""),
        sa.Column("published_at", sa.DateTime),
        sa.UniqueConstraint("post_id", "position", name="uq_post_parts_post_position"),
    )
    op.create_table(
        "post_images",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("part_id", sa.Integer, sa.ForeignKey("post_parts.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("mime", sa.String(40), nullable=False),
        sa.Column("alt", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("post_images")
    op.drop_table("post_parts")
    with op.batch_alter_table("posts") as batch:
        for name in ("late", "claimed_at", "next_attempt_at", "attempts", "version",
                     *reversed(list(POST_TEXT))):
            batch.drop_column(name)
    with op.batch_alter_table("social_accounts") as batch:
        for name in ("slot_plan", "verified_at", "remote_id", "service_url"):
            batch.drop_column(name)
