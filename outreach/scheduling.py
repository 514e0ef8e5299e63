"""The post queue: compose, approve, schedule, reschedule, cancel, retry, duplicate.

Publishing itself is publishing.py, run by the worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach import approval, audit, guard
from outreach.errors import InvalidInput, NotFound
from outreach.org_settings import get_org
from outreach.roles import Actor, require
from outreach.social import text as social_text
from outreach.social.images import MAX_IMAGES
from outreach.social.publisher import Image, new_key
from outreach.store import queries
from outreach.store.tables import (
    POST_STATES,
    campaigns,
    post_images,
    post_parts,
    posts,
    social_accounts,
)

POST_KINDS = ("post", "repost", "quote")


def _post_query(campaign_id: int | None) -> sa.Select:
    query = (
        sa.select(
            posts.c.id,
            social_accounts.c.platform,
            social_accounts.c.handle.label("account"),
            posts.c.text,
            posts.c.status,
            posts.c.scheduled_at,
            posts.c.published_at,
            posts.c.remote_url,
            posts.c.last_error,
            posts.c.late,
        )
        .join(social_accounts, social_accounts.c.id == posts.c.account_id)
    )
    return query if campaign_id is None else query.where(posts.c.campaign_id == campaign_id)


def upcoming_posts(db: Engine, campaign_id: int, now: datetime, limit: int = 10) -> list[dict]:
    """Scheduled posts due at or after `now`, soonest first."""
    query = (
        _post_query(campaign_id)
        .where(posts.c.status == "scheduled", posts.c.scheduled_at >= now)
        .order_by(posts.c.scheduled_at)
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def list_posts(db: Engine, campaign_id: int, *, status: str | None = None) -> list[dict]:
    """A campaign's posts, latest first by publish or schedule time."""
    when = sa.func.coalesce(posts.c.published_at, posts.c.scheduled_at, posts.c.created_at)
    query = _post_query(campaign_id).order_by(when.desc(), posts.c.id.desc())
    if status:
        query = query.where(posts.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_by_status(db: Engine, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's posts are in each state (every state listed)."""
    return queries.count_by_status(db, posts, campaign_id, POST_STATES)


def list_accounts(db: Engine, campaign_id: int) -> list[dict]:
    """The social accounts connected to a campaign."""
    query = (
        sa.select(social_accounts.c.id, social_accounts.c.platform, social_accounts.c.handle)
        .where(social_accounts.c.campaign_id == campaign_id)
        .order_by(social_accounts.c.platform, social_accounts.c.handle)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _account(conn: sa.Connection, account_id: int):
    row = conn.execute(sa.select(social_accounts)
                       .where(social_accounts.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"No social account with id {account_id}.")
    return row


def _post(conn: sa.Connection, post_id: int):
    row = conn.execute(sa.select(posts).where(posts.c.id == post_id)).first()
    if row is None:
        raise NotFound(f"No post with id {post_id}.")
    return row


def check_parts(parts: list[str], platform: str) -> list[str]:
    """Each part of a post, trimmed; refuse an empty post or a part that does not fit."""
    cleaned = [p.strip() for p in parts if p.strip()]
    if not cleaned:
        raise InvalidInput("The post is empty.")
    for number, part in enumerate(cleaned, start=1):
        counted = social_text.count(part, platform)
        if not counted.fits:
            where = f"Part {number}" if len(cleaned) > 1 else "The post"
            raise InvalidInput(
                f"{where} is {counted.used} {counted.unit} on {platform}; the limit is "
                f"{counted.limit}. Shorten it or split it into a thread."
            )
    return cleaned


def create_post(
    db: Engine, actor: Actor, account_id: int, parts: list[str], *, now: datetime,
    at: datetime | None = None, kind: str = "post", target_url: str = "",
    images: list[Image] | None = None,
) -> int:
    """Compose a post or thread for one account (editors).

    It waits for the committee when posts need approval; otherwise, with a time, it
    is scheduled at once. Each part gets its record key now, so publishing it twice
    can only collide. `images` (prepared by social.images) go with the first part.
    """
    require(actor, "editor", "composing posts")
    if kind not in POST_KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}; use one of {', '.join(POST_KINDS)}.")
    with db.connect() as conn:
        account = _account(conn, account_id)
    if kind != "post" and not target_url.strip():
        raise InvalidInput(f"Paste the address of the post to {kind}.")
    if kind == "repost":
        parts = [target_url.strip()]
    else:
        parts = check_parts(parts, account.platform)
        guard.require_clean(db, "\n\n".join(parts), "post")
    images = list(images or [])
    if len(images) > MAX_IMAGES:
        raise InvalidInput(f"A post takes at most {MAX_IMAGES} images.")
    needs_vote = get_org(db).posts_need_approval and kind != "repost"
    status = "draft" if needs_vote or at is None else "scheduled"
    with db.begin() as conn:
        post_id = conn.execute(posts.insert().values(
            campaign_id=account.campaign_id, account_id=account_id, text=parts[0],
            status=status, scheduled_at=at, kind=kind, target_url=target_url.strip(),
            created_by=actor.name, version=1, created_at=now,
        )).inserted_primary_key[0]
        conn.execute(post_parts.insert(), [
            {"post_id": post_id, "position": i, "text": part, "key": new_key()}
            for i, part in enumerate(parts)
        ])
        if images:
            first = conn.execute(sa.select(post_parts.c.id).where(
                post_parts.c.post_id == post_id, post_parts.c.position == 0)).scalar_one()
            conn.execute(post_images.insert(), [
                {"part_id": first, "position": i, "data": image.data, "mime": image.mime,
                 "alt": image.alt} for i, image in enumerate(images)
            ])
        audit.record(conn, actor, entity="post", entity_id=post_id, action="create",
                     summary=f"{account.platform} {account.handle}, {len(parts)} part(s), "
                     f"{status}", now=now)
    return post_id


def submit_post(db: Engine, actor: Actor, post_id: int, *, now: datetime) -> None:
    """Ask the committee to approve a draft post (editors)."""
    require(actor, "editor", "submitting posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status not in ("draft", "changes_requested"):
            raise InvalidInput(f"Post {post_id} is {post.status.replace('_', ' ')}; only a "
                               "draft can be submitted.")
        text = "\n\n".join(p.text for p in conn.execute(
            sa.select(post_parts.c.text).where(post_parts.c.post_id == post_id)))
        guard.require_clean(db, text, "post")
        conn.execute(posts.update().where(posts.c.id == post_id).values(status="in_review"))
        audit.record(conn, actor, entity="post", entity_id=post_id, action="submit", now=now)


def vote_post(db: Engine, actor: Actor, post_id: int, decision: str, comment: str = "", *,
              now: datetime) -> approval.Tally:
    """An approver's vote; once the committee's rule is met the post is scheduled."""
    require(actor, "approver", "voting on posts")
    rule = get_org(db).post_rule
    count = len(approval.approver_names(db))
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status != "in_review":
            raise InvalidInput(f"Post {post_id} is {post.status.replace('_', ' ')}; votes "
                               "are taken while it is in review.")
        approval.cast_vote(conn, actor, "post", post_id, post.version, decision, comment,
                           now=now)
        result = approval.tally(approval.active_votes(conn, "post", post_id), rule, count)
        if result.state == "approved":
            conn.execute(posts.update().where(posts.c.id == post_id).values(
                status="scheduled" if post.scheduled_at else "draft"))
        elif result.state == "changes_requested":
            conn.execute(posts.update().where(posts.c.id == post_id)
                         .values(status="changes_requested"))
        audit.record(conn, actor, entity="post", entity_id=post_id,
                     action=f"vote_{decision}", summary=result.describe(), now=now)
    return result


def reschedule(db: Engine, actor: Actor, post_id: int, at: datetime, *, now: datetime) -> None:
    """Move a post that has not gone out yet to another time (editors)."""
    require(actor, "editor", "rescheduling posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status in ("publishing", "published", "cancelled"):
            raise InvalidInput(f"Post {post_id} is {post.status}; it cannot be moved.")
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            scheduled_at=at, next_attempt_at=None))
        audit.record(conn, actor, entity="post", entity_id=post_id, action="reschedule",
                     summary=at.isoformat(), now=now)


def cancel_post(db: Engine, actor: Actor, post_id: int, *, now: datetime) -> None:
    """Cancel a post that has not been published (editors); it stays in the list."""
    require(actor, "editor", "cancelling posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status in ("publishing", "published"):
            raise InvalidInput(f"Post {post_id} is {post.status}; it cannot be cancelled.")
        conn.execute(posts.update().where(posts.c.id == post_id).values(status="cancelled"))
        audit.record(conn, actor, entity="post", entity_id=post_id, action="cancel", now=now)


def retry_post(db: Engine, actor: Actor, post_id: int, *, now: datetime) -> None:
    """Put a failed or held post back in the queue, now, after the cause was fixed."""
    require(actor, "editor", "retrying posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status not in ("failed", "held"):
            raise InvalidInput(f"Post {post_id} is {post.status}; only a failed or held post "
                               "can be retried.")
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            status="scheduled", attempts=0, next_attempt_at=None, last_error="",
            scheduled_at=min(post.scheduled_at or now, now)))
        audit.record(conn, actor, entity="post", entity_id=post_id, action="retry", now=now)


def duplicate_post(db: Engine, actor: Actor, post_id: int, *, now: datetime) -> int:
    """A new draft with the same text (and fresh record keys), for reuse."""
    with db.connect() as conn:
        post = _post(conn, post_id)
        parts = [r.text for r in conn.execute(
            sa.select(post_parts.c.text).where(post_parts.c.post_id == post_id)
            .order_by(post_parts.c.position))]
    return create_post(db, actor, post.account_id, parts, now=now, kind=post.kind,
                       target_url=post.target_url)


def next_free_slot(db: Engine, account_id: int, *, after: datetime) -> datetime:
    """The first slot of the account's weekly plan after `after` that no post takes."""
    with db.connect() as conn:
        account = _account(conn, account_id)
        zone = ZoneInfo(conn.execute(sa.select(campaigns.c.timezone).where(
            campaigns.c.id == account.campaign_id)).scalar_one())
        taken = set(conn.execute(sa.select(posts.c.scheduled_at).where(
            posts.c.account_id == account_id, posts.c.scheduled_at > after,
            posts.c.status.notin_(("cancelled", "failed")))).scalars())
    plan = account.slot_plan or []
    if not plan:
        raise InvalidInput("This account has no weekly slot plan; set one, or pick a time.")
    day = after.astimezone(zone).date()
    for offset in range(0, 7 * 8):
        current = day + timedelta(days=offset)
        for slot in sorted(plan, key=lambda s: s["time"]):
            if slot["weekday"] != current.weekday():
                continue
            hour, minute = (int(x) for x in slot["time"].split(":"))
            when = datetime(current.year, current.month, current.day, hour, minute,
                            tzinfo=zone)
            if when > after and when not in taken:
                return when
    raise InvalidInput("No free slot in the next eight weeks; add slots or pick a time.")


def set_slot_plan(db: Engine, actor: Actor, account_id: int, slots: list[dict], *,
                  now: datetime) -> None:
    """Set an account's weekly posting slots: [{"weekday": 0-6, "time": "HH:MM"}]."""
    require(actor, "editor", "planning posting slots")
    for slot in slots:
        try:
            datetime.strptime(slot["time"], "%H:%M")
            valid = slot["weekday"] in range(7)
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise InvalidInput(f"A slot is a weekday 0-6 (Monday is 0) and a time HH:MM; "
                               f"got {slot!r}.")
    with db.begin() as conn:
        _account(conn, account_id)
        conn.execute(social_accounts.update().where(social_accounts.c.id == account_id)
                     .values(slot_plan=slots))
        audit.record(conn, actor, entity="social_account", entity_id=account_id,
                     action="slot_plan", summary=f"{len(slots)} slots", now=now)


def get_post(db: Engine, post_id: int) -> dict:
    """One post with its parts, for the page and the CLI."""
    with db.connect() as conn:
        post = dict(_post(conn, post_id)._mapping)
        post["parts"] = [dict(r._mapping) for r in conn.execute(
            sa.select(post_parts).where(post_parts.c.post_id == post_id)
            .order_by(post_parts.c.position))]
    return post


def queue(db: Engine, *, status: str | None = None, campaign_id: int | None = None) -> list[dict]:
    """Posts across campaigns (or one), soonest first, optionally in one state."""
    query = _post_query(campaign_id).order_by(
        posts.c.scheduled_at.is_(None), posts.c.scheduled_at, posts.c.id)
    if status:
        query = query.where(posts.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
