"""A campaign's world for the analytics and the digest: accounts on Bluesky and X, posts
with engagement read over time, follower snapshots, press hits and releases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outreach import campaigns
from outreach.roles import Actor
from outreach.social.publisher import new_key
from outreach.store.tables import (
    follower_snapshots,
    outlets,
    pitch_batches,
    post_metrics,
    post_parts,
    posts,
    press_hits,
    releases,
    social_accounts,
)

TZ = "America/Chicago"


CHICAGO = ZoneInfo(TZ)


X_REFUSAL = "Client Forbidden: this endpoint needs the Basic access level or higher."


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant given as Chicago wall-clock time, in UTC as the store keeps it."""
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


@dataclass
class World:
    campaign_id: int
    bluesky: int
    x: int


def make_world(db, now, *, x_refused: bool = False) -> World:
    """A campaign in Chicago with a Bluesky and an X account (X refusing reads if asked)."""
    campaign = campaigns.create_campaign(db, ROOT, "Acme Contract Fight", now=now, timezone=TZ)
    error = X_REFUSAL if x_refused else ""
    with db.begin() as conn:
        ids = [
            conn.execute(social_accounts.insert().values(
                campaign_id=campaign.id, platform=platform, handle=handle, created_at=now,
                metrics_error=errors, post_metrics_error=errors,
            )).inserted_primary_key[0]
            for platform, handle, errors in (("bluesky", "local7.bsky.test", ""),
                                             ("x", "local7_test", error))
        ]
    return World(campaign.id, *ids)


def add_post(db, world: World, account_id: int, published_at: datetime | None, *,
             text: str = "Rally at Gate 3 at noon.", parts: int = 1,
             status: str = "published") -> tuple[int, list[int]]:
    """A post and its parts; returns (post id, part ids in order)."""
    with db.begin() as conn:
        post_id = conn.execute(posts.insert().values(
            campaign_id=world.campaign_id, account_id=account_id, text=text, status=status,
            published_at=published_at, scheduled_at=published_at,
            remote_url="https://bsky.example.org/post/1" if published_at else "",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )).inserted_primary_key[0]
        part_ids = [
            conn.execute(post_parts.insert().values(
                post_id=post_id, position=n, text=f"{text} ({n + 1})", key=new_key(),
                published_at=published_at,
            )).inserted_primary_key[0]
            for n in range(parts)
        ]
    return post_id, part_ids


def read(db, part_id: int, taken_at: datetime, likes: int, reposts: int = 0, replies: int = 0,
         quotes: int = 0) -> None:
    with db.begin() as conn:
        conn.execute(post_metrics.insert().values(
            part_id=part_id, taken_at=taken_at, likes=likes, reposts=reposts, replies=replies,
            quotes=quotes))


def snapshot(db, account_id: int, taken_at: datetime, followers: int) -> None:
    with db.begin() as conn:
        conn.execute(follower_snapshots.insert().values(
            account_id=account_id, taken_at=taken_at, followers=followers, following=10,
            posts_count=5))


def add_hit(db, world: World, title: str, published_at: datetime, *, outlet: str = "",
            hidden: bool = False, release_id: int | None = None,
            url: str = "https://news.example.org/story") -> None:
    with db.begin() as conn:
        outlet_id = None
        if outlet:
            outlet_id = conn.execute(sa.select(outlets.c.id).where(outlets.c.name == outlet)
                                     ).scalar()
            if outlet_id is None:
                outlet_id = conn.execute(outlets.insert().values(
                    name=outlet, created_at=published_at)).inserted_primary_key[0]
        conn.execute(press_hits.insert().values(
            campaign_id=world.campaign_id, title=title, url=url, published_at=published_at,
            found_at=published_at, outlet_id=outlet_id, hidden=hidden, release_id=release_id))


def add_release(db, world: World, title: str, *, status: str = "approved",
                approved_at: datetime | None = None,
                pitched_at: datetime | None = None) -> int:
    """A release, and a finished pitch batch for it when `pitched_at` is given."""
    with db.begin() as conn:
        release_id = conn.execute(releases.insert().values(
            campaign_id=world.campaign_id, title=title, status=status,
            approved_at=approved_at, created_at=datetime(2026, 11, 1, tzinfo=UTC),
            updated_at=datetime(2026, 11, 1, tzinfo=UTC),
        )).inserted_primary_key[0]
        if pitched_at is not None:
            conn.execute(pitch_batches.insert().values(
                release_id=release_id, subject=title, created_by="editor",
                created_at=pitched_at, finished_at=pitched_at))
    return release_id


ROOT = Actor("root", "admin")
