"""Server-side sign-in sessions, a trash for undoable deletes, post editors, worker settings.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revoked_reason", sa.String(200), nullable=False, server_default=""),
    )
    op.create_table(
        "deleted_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(120), nullable=False, server_default=""),
        sa.Column("label", sa.String(300), nullable=False, server_default=""),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("deleted_by", sa.String(120), nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=False, index=True),
        sa.Column("restored_at", sa.DateTime),
        sa.Column("restored_by", sa.String(120), nullable=False, server_default=""),
    )
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("edited_by", sa.String(120), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.add_column(sa.Column("settings", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.drop_column("settings")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("edited_by")
    op.drop_table("deleted_records")
    op.drop_table("user_sessions")
