"""Releases from templates with versions, votes, protected names, pitching, org settings.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("template", sa.String(120), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("fields", sa.JSON))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("embargo_at", sa.DateTime))
        batch.add_column(sa.Column("approved_at", sa.DateTime))
    op.create_table(
        "org_settings",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "release_templates",
        _id(),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "release_versions",
        _id(),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("embargo_at", sa.DateTime),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("release_id", "number", name="uq_release_versions_release_number"),
    )
    op.create_table(
        "votes",
        _id(),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("voter", sa.String(120), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("cast_at", sa.DateTime, nullable=False),
        sa.Column("voided_at", sa.DateTime),
    )
    op.create_index("ix_votes_subject", "votes", ["subject", "subject_id"])
    op.create_table(
        "protected_names",
        _id(),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "pitch_batches",
        _id(),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_table(
        "pitch_messages",
        _id(),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("pitch_batches.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("journalist_id", sa.Integer,
                  sa.ForeignKey("journalists.id", ondelete="SET NULL")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("attempted_at", sa.DateTime),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("batch_id", "journalist_id",
                            name="uq_pitch_messages_batch_journalist"),
    )


def downgrade() -> None:
    for table in ("pitch_messages", "pitch_batches", "protected_names", "votes",
                  "release_versions", "release_templates", "org_settings"):
        op.drop_table(table)
    with op.batch_alter_table("releases") as batch:
        for column in ("approved_at", "embargo_at", "version", "fields", "template"):
            batch.drop_column(column)
