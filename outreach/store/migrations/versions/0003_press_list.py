"""Press list: fuller journalist records, extra outlets, history, spokespeople, views.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_JOURNALIST_TEXT = {
    "pronouns": 40, "other_emails": 1000, "website": 500, "region": 120, "languages": 200,
    "preferred_contact": 20, "tags": 500, "do_not_contact_reason": 500, "source": 200,
}


def upgrade() -> None:
    with op.batch_alter_table("journalists") as batch:
        for name, length in NEW_JOURNALIST_TEXT.items():
            batch.add_column(
                sa.Column(name, sa.String(length), nullable=False, server_default="")
            )
        batch.add_column(sa.Column("last_contacted_at", sa.DateTime))
        batch.create_index("ix_journalists_email", ["email"])
    op.create_table(
        "journalist_outlets",
        sa.Column("journalist_id", sa.Integer,
                  sa.ForeignKey("journalists.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("outlet_id", sa.Integer,
                  sa.ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("journalist_id", sa.Integer,
                  sa.ForeignKey("journalists.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("happened_at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("by_user", sa.String(120), nullable=False),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="SET NULL")),
        sa.Column("press_hit_id", sa.Integer,
                  sa.ForeignKey("press_hits.id", ondelete="SET NULL")),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "spokespeople",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("union_role", sa.String(200), nullable=False, server_default=""),
        sa.Column("phone", sa.String(60), nullable=False, server_default=""),
        sa.Column("languages", sa.String(200), nullable=False, server_default=""),
        sa.Column("topics", sa.String(500), nullable=False, server_default=""),
        sa.Column("media_trained", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("available_from", sa.Date),
        sa.Column("available_to", sa.Date),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("saved_views", "spokespeople", "interactions", "journalist_outlets"):
        op.drop_table(table)
    with op.batch_alter_table("journalists") as batch:
        batch.drop_index("ix_journalists_email")
        batch.drop_column("last_contacted_at")
        for name in reversed(list(NEW_JOURNALIST_TEXT)):
            batch.drop_column(name)
