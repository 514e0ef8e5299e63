"""Pitch batches queued from the dashboard, claimed and sent by a worker.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pitch_batches") as batch:
        batch.add_column(sa.Column("queued", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("claimed_by", sa.String(120), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("claimed_at", sa.DateTime))
        batch.add_column(sa.Column("last_error", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("pitch_batches") as batch:
        for column in ("last_error", "claimed_at", "claimed_by", "queued"):
            batch.drop_column(column)
