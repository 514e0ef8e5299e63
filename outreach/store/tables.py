"""SQLAlchemy Core tables: the shape of the store.

Migrations under `migrations/versions/` create these; a test checks that the
migrated database and this metadata agree.
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime.

    SQLite keeps no zone; storing UTC everywhere keeps both backends equal.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _campaign_id() -> sa.Column:
    return sa.Column(
        "campaign_id",
        sa.Integer,
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime, nullable=False)


CAMPAIGN_EVENT_KINDS = (
    "strike_vote",
    "rally",
    "bargaining",
    "walkout",
    "picket",
    "hearing",
    "other",
)
RELEASE_STATES = ("draft", "in_review", "changes_requested", "approved", "sent")
POST_STATES = (
    "draft", "in_review", "changes_requested", "scheduled", "publishing", "held",
    "published", "failed", "cancelled",
)
PLATFORMS = ("bluesky", "x")

campaigns = sa.Table(
    "campaigns",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("employer", sa.String(200), nullable=False, server_default=""),
    sa.Column("union_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("keywords", sa.JSON, nullable=False),
    _created(),
    # The coverage query (coverage_query.py) and the Google News edition to search.
    sa.Column("query", sa.Text, nullable=False, server_default=""),
    sa.Column("news_language", sa.String(20), nullable=False, server_default="en-US"),
    sa.Column("news_country", sa.String(8), nullable=False, server_default="US"),
)

campaign_events = sa.Table(
    "campaign_events",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False, server_default="other"),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    _created(),
)

outlets = sa.Table(
    "outlets",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("domain", sa.String(200), nullable=False, server_default=""),
    sa.Column("kind", sa.String(40), nullable=False, server_default=""),
    sa.Column("region", sa.String(120), nullable=False, server_default=""),
    sa.Column("language", sa.String(20), nullable=False, server_default=""),
    sa.Column("feed_url", sa.String(1000), nullable=False, server_default=""),
    _created(),
)

journalists = sa.Table(
    "journalists",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("pronouns", sa.String(40), nullable=False, server_default=""),
    sa.Column("title", sa.String(200), nullable=False, server_default=""),
    sa.Column(
        "outlet_id",
        sa.Integer,
        sa.ForeignKey("outlets.id", ondelete="SET NULL"),
        index=True,
    ),
    sa.Column("email", sa.String(320), nullable=False, server_default="", index=True),
    sa.Column("other_emails", sa.String(1000), nullable=False, server_default=""),
    sa.Column("phone", sa.String(60), nullable=False, server_default=""),
    sa.Column("beats", sa.String(500), nullable=False, server_default=""),
    sa.Column("bluesky_handle", sa.String(253), nullable=False, server_default=""),
    sa.Column("x_handle", sa.String(50), nullable=False, server_default=""),
    sa.Column("website", sa.String(500), nullable=False, server_default=""),
    sa.Column("city", sa.String(120), nullable=False, server_default=""),
    sa.Column("region", sa.String(120), nullable=False, server_default=""),
    sa.Column("languages", sa.String(200), nullable=False, server_default=""),
    sa.Column("preferred_contact", sa.String(20), nullable=False, server_default=""),
    sa.Column("tags", sa.String(500), nullable=False, server_default=""),
    sa.Column("do_not_contact", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("do_not_contact_reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(200), nullable=False, server_default=""),
    sa.Column("last_contacted_at", UTCDateTime),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Outlets beyond a journalist's main one (freelancers write for several).
journalist_outlets = sa.Table(
    "journalist_outlets",
    metadata,
    sa.Column(
        "journalist_id",
        sa.Integer,
        sa.ForeignKey("journalists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "outlet_id",
        sa.Integer,
        sa.ForeignKey("outlets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

press_lists = sa.Table(
    "press_lists",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    _created(),
)

press_list_members = sa.Table(
    "press_list_members",
    metadata,
    sa.Column(
        "list_id",
        sa.Integer,
        sa.ForeignKey("press_lists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "journalist_id",
        sa.Integer,
        sa.ForeignKey("journalists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

releases = sa.Table(
    "releases",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False, server_default="release"),
    sa.Column("status", sa.String(24), nullable=False, server_default="draft"),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("template", sa.String(120), nullable=False, server_default=""),
    sa.Column("fields", sa.JSON),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("embargo_at", UTCDateTime),
    sa.Column("approved_at", UTCDateTime),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

social_accounts = sa.Table(
    "social_accounts",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("handle", sa.String(253), nullable=False),
    sa.Column("service_url", sa.String(500), nullable=False, server_default=""),
    sa.Column("remote_id", sa.String(200), nullable=False, server_default=""),
    sa.Column("verified_at", UTCDateTime),
    # Weekly posting slots: [{"weekday": 0-6, "time": "HH:MM"}], in the campaign's zone.
    sa.Column("slot_plan", sa.JSON),
    _created(),
    # Snapshots (metrics.py): when to read the account next, failures in a row, and the
    # platform's words when it refuses a read (of the account, of its posts).
    sa.Column("metrics_next_at", UTCDateTime),
    sa.Column("metrics_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("metrics_error", sa.Text, nullable=False, server_default=""),
    sa.Column("post_metrics_error", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("platform", "handle", name="uq_social_accounts_platform_handle"),
)

posts = sa.Table(
    "posts",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("social_accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(24), nullable=False, server_default="draft"),
    sa.Column("scheduled_at", UTCDateTime),
    sa.Column("published_at", UTCDateTime),
    sa.Column("remote_url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("kind", sa.String(10), nullable=False, server_default="post"),
    sa.Column("target_url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("claimed_by", sa.String(120), nullable=False, server_default=""),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_by", sa.String(120), nullable=False, server_default=""),
    # Who last changed the words; like the creator, their vote does not count for it.
    sa.Column("edited_by", sa.String(120), nullable=False, server_default=""),
    _created(),
    # Variants of one composed post (one per account) share the first one's id.
    sa.Column("group_id", sa.Integer, index=True),
    # Engagement is read at widening intervals for 14 days after publishing.
    sa.Column("metrics_next_at", UTCDateTime, index=True),
    sa.Column("metrics_reads", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_posts_status_scheduled_at", "status", "scheduled_at"),
)

# The posts of a thread, in order; a single post has one part. `key` is chosen when
# the post is scheduled (Bluesky's record key), so a retry collides instead of repeating.
post_parts = sa.Table(
    "post_parts",
    metadata,
    _id(),
    sa.Column(
        "post_id",
        sa.Integer,
        sa.ForeignKey("posts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("remote_id", sa.String(500), nullable=False, server_default=""),
    sa.Column("remote_url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("cid", sa.String(200), nullable=False, server_default=""),
    sa.Column("published_at", UTCDateTime),
    sa.UniqueConstraint("post_id", "position", name="uq_post_parts_post_position"),
)

post_images = sa.Table(
    "post_images",
    metadata,
    _id(),
    sa.Column(
        "part_id",
        sa.Integer,
        sa.ForeignKey("post_parts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("mime", sa.String(40), nullable=False),
    sa.Column("alt", sa.Text, nullable=False),
)

feeds = sa.Table(
    "feeds",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("kind", sa.String(24), nullable=False, server_default="rss"),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    _created(),
    sa.Column("outlet_id", sa.Integer, sa.ForeignKey("outlets.id", ondelete="SET NULL")),
    # Polite polling: validators for conditional GET, and when to ask again.
    sa.Column("etag", sa.String(300), nullable=False, server_default=""),
    sa.Column("last_modified", sa.String(100), nullable=False, server_default=""),
    sa.Column("last_polled_at", UTCDateTime),
    sa.Column("next_poll_at", UTCDateTime),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("item_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_status", sa.Integer),
)

press_hits = sa.Table(
    "press_hits",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="SET NULL")),
    sa.Column(
        "outlet_id", sa.Integer, sa.ForeignKey("outlets.id", ondelete="SET NULL")
    ),
    sa.Column(
        "journalist_id",
        sa.Integer,
        sa.ForeignKey("journalists.id", ondelete="SET NULL"),
    ),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("author", sa.String(300), nullable=False, server_default=""),
    sa.Column("published_at", UTCDateTime),
    sa.Column("snippet", sa.Text, nullable=False, server_default=""),
    sa.Column("found_at", UTCDateTime, nullable=False),
    # Dedupe keys: the URL without wrappers and trackers, the feed's GUID, outlet + title.
    sa.Column("canonical_url", sa.String(2000), nullable=False, server_default=""),
    sa.Column("guid", sa.String(1000), nullable=False, server_default=""),
    sa.Column("title_key", sa.String(700), nullable=False, server_default=""),
    sa.Column("matched_terms", sa.JSON),
    sa.Column("tone", sa.String(10), nullable=False, server_default=""),
    sa.Column("spokesperson_quoted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("key_message", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="SET NULL")),
    # "feed" or "manual"; journalist_match is "confirmed", "suggested" or "".
    sa.Column("source", sa.String(10), nullable=False, server_default="feed"),
    sa.Column("journalist_match", sa.String(12), nullable=False, server_default=""),
    sa.Index("ix_press_hits_campaign_canonical", "campaign_id", "canonical_url"),
    sa.Index("ix_press_hits_campaign_title_key", "campaign_id", "title_key"),
    sa.Index("ix_press_hits_campaign_guid", "campaign_id", "guid"),
)

# What a campaign watches beside the press (EDGAR filings, the employer's newsroom): one row
# per campaign and item link, never a press hit. `form` is the EDGAR form type, else "".
watch_items = sa.Table(
    "watch_items",
    metadata,
    _id(),
    _campaign_id(),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("link", sa.String(2000), nullable=False),
    sa.Column("published_at", UTCDateTime),
    sa.Column("form", sa.String(40), nullable=False, server_default=""),
    sa.Column("found_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("campaign_id", "link", name="uq_watch_items_campaign_link"),
)

# A published part's engagement at one moment (metrics.py takes these).
post_metrics = sa.Table(
    "post_metrics",
    metadata,
    _id(),
    sa.Column(
        "part_id",
        sa.Integer,
        sa.ForeignKey("post_parts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("taken_at", UTCDateTime, nullable=False),
    sa.Column("likes", sa.Integer, nullable=False),
    sa.Column("reposts", sa.Integer, nullable=False),
    sa.Column("replies", sa.Integer, nullable=False),
    sa.Column("quotes", sa.Integer, nullable=False),
    sa.Column("impressions", sa.Integer),
    sa.Index("ix_post_metrics_part_taken", "part_id", "taken_at"),
)

follower_snapshots = sa.Table(
    "follower_snapshots",
    metadata,
    _id(),
    sa.Column(
        "account_id",
        sa.Integer,
        sa.ForeignKey("social_accounts.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("taken_at", UTCDateTime, nullable=False),
    sa.Column("followers", sa.Integer, nullable=False),
    sa.Column("following", sa.Integer, nullable=False),
    sa.Column("posts_count", sa.Integer, nullable=False),
    sa.Index("ix_follower_snapshots_account_taken", "account_id", "taken_at"),
)

worker_heartbeats = sa.Table(
    "worker_heartbeats",
    metadata,
    sa.Column("worker_id", sa.String(120), primary_key=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("beat_at", UTCDateTime, nullable=False),
    sa.Column("interval_s", sa.Float, nullable=False),
    sa.Column("passes", sa.Integer, nullable=False),
    sa.Column("last_summary", sa.Text, nullable=False, server_default=""),
    sa.Column("stopped_at", UTCDateTime),
    # The settings this worker process runs with (no secrets), for the Settings page.
    sa.Column("settings", sa.JSON),
)

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("email", sa.String(320), nullable=False, server_default=""),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(300), nullable=False, server_default=""),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_login_at", UTCDateTime),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Failed sign-ins per name typed (kind "name") and per client address (kind "client"),
# whether or not the name exists; wait_until is when the next attempt is checked again.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("subject", sa.String(100), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UTCDateTime, nullable=False, index=True),
    sa.Column("wait_until", UTCDateTime),
)

# A signed-in browser: the cookie carries a random token, the store only its SHA-256.
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    _created(),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_reason", sa.String(200), nullable=False, server_default=""),
)

# What a delete removed (the row and what hung on it), so it can be undone for a while.
deleted_records = sa.Table(
    "deleted_records",
    metadata,
    _id(),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(120), nullable=False, server_default=""),
    sa.Column("label", sa.String(300), nullable=False, server_default=""),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("deleted_by", sa.String(120), nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=False, index=True),
    sa.Column("restored_at", UTCDateTime),
    sa.Column("restored_by", sa.String(120), nullable=False, server_default=""),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(120), nullable=False, server_default=""),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
)

secrets = sa.Table(
    "secrets",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("ciphertext", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
)

INTERACTION_KINDS = (
    "pitched", "emailed", "called", "replied", "interviewed", "declined", "covered", "note",
)
CONTACT_METHODS = ("", "email", "phone", "text", "bluesky", "x", "in person")
OUTLET_KINDS = (
    "daily paper", "TV", "radio", "online", "wire", "trade", "labor press", "student",
    "community/ethnic-language media", "other",
)

interactions = sa.Table(
    "interactions",
    metadata,
    _id(),
    sa.Column(
        "journalist_id",
        sa.Integer,
        sa.ForeignKey("journalists.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("happened_at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("by_user", sa.String(120), nullable=False),
    sa.Column(
        "release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="SET NULL")
    ),
    sa.Column(
        "press_hit_id", sa.Integer, sa.ForeignKey("press_hits.id", ondelete="SET NULL")
    ),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    _created(),
)

spokespeople = sa.Table(
    "spokespeople",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("union_role", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(60), nullable=False, server_default=""),
    sa.Column("languages", sa.String(200), nullable=False, server_default=""),
    sa.Column("topics", sa.String(500), nullable=False, server_default=""),
    sa.Column("media_trained", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("available_from", sa.Date),
    sa.Column("available_to", sa.Date),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

saved_views = sa.Table(
    "saved_views",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("filters", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    _created(),
)

# --- releases, approval, protected names, pitching, organisation settings -------------------

VOTE_DECISIONS = ("approve", "reject")
PITCH_STATES = ("pending", "sent", "failed", "skipped")

org_settings = sa.Table(
    "org_settings",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
)

release_templates = sa.Table(
    "release_templates",
    metadata,
    _id(),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

release_versions = sa.Table(
    "release_versions",
    metadata,
    _id(),
    sa.Column(
        "release_id",
        sa.Integer,
        sa.ForeignKey("releases.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("embargo_at", UTCDateTime),
    sa.Column("created_by", sa.String(120), nullable=False),
    _created(),
    sa.UniqueConstraint("release_id", "number", name="uq_release_versions_release_number"),
)

votes = sa.Table(
    "votes",
    metadata,
    _id(),
    sa.Column("subject", sa.String(20), nullable=False),
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("voter", sa.String(120), nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("cast_at", UTCDateTime, nullable=False),
    sa.Column("voided_at", UTCDateTime),
    sa.Index("ix_votes_subject", "subject", "subject_id"),
)

protected_names = sa.Table(
    "protected_names",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("aliases", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    _created(),
)

pitch_batches = sa.Table(
    "pitch_batches",
    metadata,
    _id(),
    sa.Column(
        "release_id",
        sa.Integer,
        sa.ForeignKey("releases.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.String(120), nullable=False),
    _created(),
    sa.Column("finished_at", UTCDateTime),
    # Batches queued from the dashboard are sent by a worker, which claims them first.
    sa.Column("queued", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("claimed_by", sa.String(120), nullable=False, server_default=""),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
)

pitch_messages = sa.Table(
    "pitch_messages",
    metadata,
    _id(),
    sa.Column(
        "batch_id",
        sa.Integer,
        sa.ForeignKey("pitch_batches.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "journalist_id",
        sa.Integer,
        sa.ForeignKey("journalists.id", ondelete="SET NULL"),
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, server_default=""),
    sa.Column("message_id", sa.String(300), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("attempted_at", UTCDateTime),
    sa.Column("sent_at", UTCDateTime),
    sa.UniqueConstraint("batch_id", "journalist_id", name="uq_pitch_messages_batch_journalist"),
)
