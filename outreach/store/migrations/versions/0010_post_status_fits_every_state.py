"""posts.status wide enough for "changes_requested" (17 characters), as releases.status is.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce a VARCHAR's length; PostgreSQL refused a post sent back for
    # changes.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("posts", "status", type_=sa.String(24), existing_nullable=False,
                        existing_server_default="draft")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("posts", "status", type_=sa.String(16), existing_nullable=False,
                        existing_server_default="draft")
