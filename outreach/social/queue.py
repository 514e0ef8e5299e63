"""The post queue: compose, approve, schedule, reschedule, cancel, retry, duplicate.

Publishing itself is publishing.py, run by the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.errors import InvalidInput, NotFound
from outreach.org_settings import get_org
from outreach.releases import approval, protected_names
from outreach.roles import Actor, require
from outreach.social import text as social_text
from outreach.social.adapters.x import estimate_cost as x_estimate_cost
from outreach.social.images import MAX_IMAGES, check_alt
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
        sa.select(social_accounts.c.id, social_accounts.c.platform, social_accounts.c.handle,
                  social_accounts.c.slot_plan)
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


@dataclass(frozen=True)
class Variant:
    """One account's version of a composed post: its own parts and prepared images."""

    account_id: int
    parts: list[str]
    images: tuple[Image, ...] = ()


def create_post(
    db: Engine, actor: Actor, account_id: int, parts: list[str], *, now: datetime,
    at: datetime | None = None, kind: str = "post", target_url: str = "",
    images: list[Image] | None = None,
) -> int:
    """Compose a post or thread for one account (editors); see create_posts."""
    return create_posts(db, actor, [Variant(account_id, parts, tuple(images or ()))], now=now,
                        at=at, kind=kind, target_url=target_url)[0]


# Later than this ahead of now, a post's time is a typo (2062 for 2026), not a plan.
MAX_AHEAD = timedelta(days=2 * 365)


def _check_time(conn: sa.Connection, campaign_id: int, at: datetime | None,
                now: datetime) -> None:
    """Refuse a time before the campaign began (its start date, or the day it was made) or
    more than two years ahead: a typo'd year (0001, 2062) is caught when it is typed, not
    when every page showing the queue fails to turn it into the campaign's time zone."""
    if at is None:
        return
    row = conn.execute(sa.select(campaigns.c.start_date, campaigns.c.created_at,
                                 campaigns.c.timezone)
                       .where(campaigns.c.id == campaign_id)).one()
    zone = ZoneInfo(row.timezone)
    began = row.created_at.astimezone(zone).date()
    if row.start_date is not None:
        began = min(began, row.start_date)
    written = f"{at:%Y-%m-%d %H:%M}"
    if at < datetime.combine(began, time.min, zone):
        raise InvalidInput(f"{written} is not a time a post can go out: it is before the "
                           f"campaign began ({began:%Y-%m-%d}); check the year.")
    if at > now + MAX_AHEAD:
        raise InvalidInput(f"{written} is not a time a post can go out: it is more than two "
                           "years ahead; check the year.")


def create_posts(
    db: Engine, actor: Actor, variants: list[Variant], *, now: datetime,
    at: datetime | None = None, kind: str = "post", target_url: str = "",
) -> list[int]:
    """Compose one post for several accounts at once, each with its own variant (editors).

    The variants form a group that the committee approves together. It waits for the
    committee when posts need approval; otherwise, with a time, it is scheduled at once.
    Each part gets its record key now, so publishing it twice can only collide. Images
    (prepared by social.images for the variant's platform) go with the first part.
    Every variant is checked before any is written.
    """
    require(actor, "editor", "composing posts")
    if kind not in POST_KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}; use one of {', '.join(POST_KINDS)}.")
    if not variants:
        raise InvalidInput("Pick at least one account to post from.")
    if len({v.account_id for v in variants}) != len(variants):
        raise InvalidInput("Each account takes one variant of the post.")
    if kind != "post" and not target_url.strip():
        raise InvalidInput(f"Paste the address of the post to {kind}.")
    checked = []
    with db.connect() as conn:
        for variant in variants:
            account = _account(conn, variant.account_id)
            _check_time(conn, account.campaign_id, at, now)
            if kind == "repost":
                parts = [target_url.strip()]
            else:
                try:
                    parts = check_parts(variant.parts, account.platform)
                except InvalidInput as exc:
                    raise InvalidInput(_for_account(account, exc, len(variants))) from None
            if len(variant.images) > MAX_IMAGES:
                raise InvalidInput(f"A post takes at most {MAX_IMAGES} images.")
            for image in variant.images:
                check_alt(image.alt, account.platform)
            checked.append((account, parts, variant.images))
    if kind != "repost":
        # Alt text is public on Bluesky: it passes the same check as the words.
        protected_names.require_clean(db, "\n\n".join(
            [p for _, parts, _ in checked for p in parts]
            + [image.alt for _, _, images in checked for image in images]), "post")
    needs_vote = get_org(db).posts_need_approval and kind != "repost"
    status = "draft" if needs_vote or at is None else "scheduled"
    ids: list[int] = []
    with db.begin() as conn:
        for account, parts, images in checked:
            post_id = conn.execute(posts.insert().values(
                campaign_id=account.campaign_id, account_id=account.id, text=parts[0],
                status=status, scheduled_at=at, kind=kind, target_url=target_url.strip(),
                created_by=actor.name, version=1, created_at=now,
                group_id=ids[0] if ids else None,
            )).inserted_primary_key[0]
            if not ids:
                conn.execute(posts.update().where(posts.c.id == post_id)
                             .values(group_id=post_id))
            ids.append(post_id)
            _insert_parts(conn, post_id, parts, images)
            audit.record(conn, actor, entity="post", entity_id=post_id, action="create",
                         summary=f"{account.platform} {account.handle}, {len(parts)} "
                         f"part(s), {status}", now=now)
    return ids


def _for_account(account, exc: InvalidInput, count: int) -> str:
    return f"{account.platform} {account.handle}: {exc}" if count > 1 else str(exc)


def _insert_parts(conn: sa.Connection, post_id: int, parts: list[str],
                  images: tuple[Image, ...] = ()) -> None:
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


def _group(conn: sa.Connection, post) -> list:
    """The posts composed together with `post` (itself included), lead first."""
    if post.group_id is None:
        return [post]
    return conn.execute(sa.select(posts).where(posts.c.group_id == post.group_id)
                        .order_by(posts.c.id)).all()


def _lead(post) -> int:
    return post.group_id or post.id


def edit_post(db: Engine, actor: Actor, post_id: int, parts: list[str], *,
              now: datetime, alts: list[str] | None = None) -> str:
    """Change the words of a post that has not gone out (editors); returns its new status.

    `alts`, when given, are the new alt texts of its images, in order. The parts get fresh
    record keys. When posts need approval the edit voids the committee's votes and the post
    goes back to draft, to be submitted again.
    """
    require(actor, "editor", "editing posts")
    with db.connect() as conn:
        post = _post(conn, post_id)
        account = _account(conn, post.account_id)
        published = conn.execute(sa.select(sa.func.count()).where(
            post_parts.c.post_id == post_id, post_parts.c.remote_id != "")).scalar_one()
    if post.kind == "repost":
        raise InvalidInput("A repost has no words of its own; cancel it and schedule another.")
    if post.status in ("publishing", "published", "cancelled") or published:
        raise InvalidInput(f"Post {post_id} is {post.status}; only a post that has not gone "
                           "out can be edited. Duplicate it to reuse its words.")
    parts = check_parts(parts, account.platform)
    images = post_images_of(db, post_id)
    if alts is None:
        alts = [image["alt"] for image in images]
    elif len(alts) != len(images):
        raise InvalidInput(f"Post {post_id} has {len(images)} image(s); give each its alt "
                           "text.")
    alts = [check_alt(alt, account.platform) for alt in alts]
    protected_names.require_clean(db, "\n\n".join(parts + alts), "post")
    needs_vote = get_org(db).posts_need_approval
    status = "draft" if needs_vote and post.status != "draft" else post.status
    if status in ("failed", "held"):
        status = "scheduled"
    with db.begin() as conn:
        first = conn.execute(sa.select(post_parts.c.id).where(
            post_parts.c.post_id == post_id, post_parts.c.position == 0)).scalar_one()
        conn.execute(post_parts.delete().where(post_parts.c.post_id == post_id,
                                               post_parts.c.position > 0))
        conn.execute(post_parts.update().where(post_parts.c.id == first).values(
            text=parts[0], key=new_key()))
        for image, alt in zip(images, alts, strict=True):
            conn.execute(post_images.update().where(post_images.c.id == image["id"])
                         .values(alt=alt))
        if len(parts) > 1:
            conn.execute(post_parts.insert(), [
                {"post_id": post_id, "position": i, "text": part, "key": new_key()}
                for i, part in enumerate(parts) if i > 0
            ])
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            text=parts[0], status=status, version=post.version + 1, attempts=0,
            next_attempt_at=None, last_error="", edited_by=actor.name))
        if needs_vote:
            approval.void_votes(conn, "post", _lead(post), now=now)
        audit.record(conn, actor, entity="post", entity_id=post_id, action="edit",
                     summary=f"{len(parts)} part(s), {status}", now=now)
    return status


def public_words(conn: sa.Connection, post_ids: list[int], *, unsent: bool = False) -> str:
    """Everything these posts show the world: each part's words and each image's alt text.

    With `unsent`, only the parts not yet published: what a send would still put out.
    """
    where = [post_parts.c.post_id.in_(post_ids)]
    if unsent:
        where.append(post_parts.c.remote_id == "")
    parts = sa.select(post_parts.c.text).where(*where)
    alts = (sa.select(post_images.c.alt)
            .join(post_parts, post_parts.c.id == post_images.c.part_id).where(*where))
    return "\n\n".join([*conn.execute(parts).scalars(), *conn.execute(alts).scalars()])


def protected_matches(db: Engine, post_id: int) -> tuple[str, list[protected_names.Match]]:
    """What a post would still put out, and where it names a protected member: what an
    editor sees beside a held post (never a viewer: the matches disclose the list)."""
    with db.connect() as conn:
        words = public_words(conn, [post_id], unsent=True)
    return words, protected_names.check_text(db, words)


def submit_post(db: Engine, actor: Actor, post_id: int, *, now: datetime) -> None:
    """Ask the committee to approve a draft post and the drafts composed with it (editors)."""
    require(actor, "editor", "submitting posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status not in ("draft", "changes_requested"):
            raise InvalidInput(f"Post {post_id} is {post.status.replace('_', ' ')}; only a "
                               "draft can be submitted.")
        ids = [p.id for p in _group(conn, post) if p.status in ("draft", "changes_requested")]
        protected_names.require_clean(db, public_words(conn, ids), "post")
        conn.execute(posts.update().where(posts.c.id.in_(ids)).values(status="in_review"))
        approval.void_votes(conn, "post", _lead(post), now=now)
        audit.record(conn, actor, entity="post", entity_id=post_id, action="submit",
                     summary=f"{len(ids)} variant(s)", now=now)


def vote_post(db: Engine, actor: Actor, post_id: int, decision: str, comment: str = "", *,
              now: datetime) -> approval.Tally:
    """An approver's vote on a post and its variants; once the committee's rule is met
    they are scheduled."""
    require(actor, "approver", "voting on posts")
    rule = get_org(db).post_rule
    approvers = approval.approver_names(db)
    with db.begin() as conn:
        post = _post(conn, post_id)
        if post.status != "in_review":
            raise InvalidInput(f"Post {post_id} is {post.status.replace('_', ' ')}; votes "
                               "are taken while it is in review.")
        if decision == "approve":
            # A name may have been protected since the post was submitted.
            protected_names.require_clean(db, public_words(conn, [
                p.id for p in _group(conn, post) if p.status == "in_review"]), "post")
        lead = _lead(post)
        authors = _authors(conn, post)
        approval.cast_vote(conn, actor, "post", lead, post.version, decision, comment,
                           now=now, authors=authors)
        result = approval.tally(approval.active_votes(conn, "post", lead), rule, approvers,
                                authors)
        for member in _group(conn, post):
            if member.status != "in_review":
                continue
            if result.state == "approved":
                conn.execute(posts.update().where(posts.c.id == member.id).values(
                    status="scheduled" if member.scheduled_at else "draft"))
            elif result.state == "changes_requested":
                conn.execute(posts.update().where(posts.c.id == member.id)
                             .values(status="changes_requested"))
        audit.record(conn, actor, entity="post", entity_id=post_id,
                     action=f"vote_{decision}", summary=result.describe(), now=now)
    return result


def _authors(conn: sa.Connection, post) -> set[str]:
    """Who wrote a post's words: whoever composed it and whoever edited any variant."""
    return {name for member in _group(conn, post)
            for name in (member.created_by, member.edited_by) if name}


def post_tally(db: Engine, post_id: int) -> approval.Tally:
    """Where the committee's vote on a post (and its variants) stands."""
    with db.connect() as conn:
        post = _post(conn, post_id)
        active = approval.active_votes(conn, "post", _lead(post))
        authors = _authors(conn, post)
    return approval.tally(active, get_org(db).post_rule, approval.approver_names(db), authors)


def reschedule(db: Engine, actor: Actor, post_id: int, at: datetime, *, now: datetime) -> None:
    """Move a post that has not gone out yet to another time (editors)."""
    require(actor, "editor", "rescheduling posts")
    with db.begin() as conn:
        post = _post(conn, post_id)
        _check_time(conn, post.campaign_id, at, now)
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
        # Held for naming a protected member: retrying unchanged would only hold it again.
        protected_names.require_clean(db, public_words(conn, [post_id], unsent=True), "post")
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


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_slot(text: str) -> dict:
    """A slot from "Mon 09:00" (weekday name or its first three letters, then HH:MM)."""
    words = text.split()
    day = words[0][:3].title() if len(words) == 2 else ""
    if day not in WEEKDAYS:
        raise InvalidInput(f"{text!r} is not a slot; write a weekday and a time, "
                           "e.g. \"Mon 09:00\".")
    try:
        time_ = datetime.strptime(words[1], "%H:%M").strftime("%H:%M")
    except ValueError:
        raise InvalidInput(f"{text!r}: the time is HH:MM, 24-hour, e.g. 18:30.") from None
    return {"weekday": WEEKDAYS.index(day), "time": time_}


def describe_slots(slots: list[dict] | None) -> str:
    """'Mon 09:00, Wed 18:30' in week order, or 'no slots'."""
    ordered = sorted(slots or [], key=lambda s: (s["weekday"], s["time"]))
    return ", ".join(f"{WEEKDAYS[s['weekday']]} {s['time']}" for s in ordered) or "no slots"


def set_slot_plan(db: Engine, actor: Actor, account_id: int, slots: list[dict], *,
                  now: datetime) -> None:
    """Set an account's weekly posting slots: [{"weekday": 0-6, "time": "HH:MM"}]."""
    require(actor, "editor", "planning posting slots")
    unique = {(s.get("weekday"), s.get("time")): s for s in slots if isinstance(s, dict)}
    if len(unique) != len(slots):
        raise InvalidInput("Each slot appears once; remove the repeated one.")
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
    """One post with its parts and its images' alt texts, for the page and the CLI."""
    with db.connect() as conn:
        post = dict(_post(conn, post_id)._mapping)
        post["parts"] = [dict(r._mapping) for r in conn.execute(
            sa.select(post_parts).where(post_parts.c.post_id == post_id)
            .order_by(post_parts.c.position))]
    post["images"] = post_images_of(db, post_id)
    return post


def post_images_of(db: Engine, post_id: int) -> list[dict]:
    """A post's images in order (they go with its first part): id, position, mime, alt."""
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(post_images.c.id, post_images.c.position, post_images.c.mime,
                      post_images.c.alt)
            .join(post_parts, post_parts.c.id == post_images.c.part_id)
            .where(post_parts.c.post_id == post_id)
            .order_by(post_parts.c.position, post_images.c.position))]


def queue(db: Engine, *, status: str | None = None, campaign_id: int | None = None) -> list[dict]:
    """Posts across campaigns (or one), soonest first, optionally in one state."""
    query = _post_query(campaign_id).order_by(
        posts.c.scheduled_at.is_(None), posts.c.scheduled_at, posts.c.id)
    if status:
        query = query.where(posts.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def x_month_cost(db: Engine, campaign_id: int, *, year: int, month: int,
                 prices: Mapping[str, float]) -> tuple[float, int]:
    """What the campaign's X posts in a month cost, in dollars, and how many requests.

    Counts every part (a thread bills per post) of X posts scheduled or published in the
    month in the campaign's time zone, cancelled and failed ones excluded; a link makes
    a part dearer, as X bills it.
    """
    with db.connect() as conn:
        zone = ZoneInfo(conn.execute(sa.select(campaigns.c.timezone).where(
            campaigns.c.id == campaign_id)).scalar_one())
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        when = sa.func.coalesce(posts.c.published_at, posts.c.scheduled_at)
        rows = conn.execute(
            sa.select(posts.c.kind, post_parts.c.text)
            .join(post_parts, post_parts.c.post_id == posts.c.id)
            .join(social_accounts, social_accounts.c.id == posts.c.account_id)
            .where(posts.c.campaign_id == campaign_id, social_accounts.c.platform == "x",
                   posts.c.status.notin_(("cancelled", "failed")),
                   when >= start, when < end)
        ).all()
    total = sum(prices["post"] if kind == "repost" else x_estimate_cost(text, prices=prices)
                for kind, text in rows)
    return total, len(rows)
