"""Publishing due posts, exactly once, even if a worker dies halfway through a thread.

A worker claims a due post with one guarded UPDATE, so several workers on one
PostgreSQL never take the same post. Each part of a thread is recorded as soon
as the platform confirms it, so a retry carries on from the next part. Before
re-sending a part, after a failed attempt or when taking over the claim of a worker
that died, the adapter is asked whether an earlier attempt already landed (Bluesky:
the record key chosen at scheduling collides; X: the account's recent posts are
searched).

Every word a post would still put out (its unpublished parts and their alt text) passes
the protected-names gate at the moment it leaves: a post that names a member protected
since it was written or approved is held, never sent and never failed.

A Bluesky post's first part with a link and no images gets a link card when the
caller passes a `card_fetcher`; if the card cannot be made, the post goes out
without it, never later and never failed for it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.errors import OutreachError, PublishError, RateLimited, TransientPublishError
from outreach.releases import protected_names
from outreach.social import queue
from outreach.social.adapters.linkcard import LinkCard, first_link
from outreach.social.publisher import Image, OutgoingPost, Published, Publisher
from outreach.store.tables import post_images, post_parts, posts, social_accounts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A post claimed longer ago than this belongs to a worker that died; it is taken over.
CLAIM_TIMEOUT = timedelta(minutes=10)

PublisherFor = Callable[[dict], Publisher]
# Makes the link card for a URL (e.g. `linkcard.card_fetcher(client, guard)`); raises if it cannot.
CardFetcher = Callable[[str], LinkCard]


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1 min, 2 min... at most an hour."""
    base = min(BASE_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return base * (0.5 + (rng or random).random())


def _due(now: datetime):
    return sa.and_(
        posts.c.scheduled_at <= now,
        sa.or_(posts.c.next_attempt_at.is_(None), posts.c.next_attempt_at <= now),
    )


def claim_due_post(db: Engine, worker_id: str, *, now: datetime) -> int | None:
    """Claim the most overdue post for this worker, or None when nothing is due.

    The claim is `UPDATE ... WHERE status='scheduled'` (or a stale 'publishing'
    claim): only one worker's update can match, whichever runs first. Taking over a
    stale claim counts as an attempt: the dead worker may have published before it could
    write it down, so publish_post asks the platform first (see find_published).
    """
    stale = now - CLAIM_TIMEOUT
    claimable = sa.or_(
        sa.and_(posts.c.status == "scheduled", _due(now)),
        sa.and_(posts.c.status == "publishing", posts.c.claimed_at < stale),
    )
    with db.connect() as conn:
        candidates = list(conn.execute(
            sa.select(posts.c.id).where(claimable)
            .order_by(posts.c.scheduled_at, posts.c.id).limit(20)
        ).scalars())
    for post_id in candidates:
        with db.begin() as conn:
            won = conn.execute(
                posts.update().where(posts.c.id == post_id, claimable)
                .values(status="publishing", claimed_by=worker_id, claimed_at=now,
                        # SET reads the row as it was: a 'publishing' row is a takeover.
                        attempts=sa.case((posts.c.status == "publishing", posts.c.attempts + 1),
                                         else_=posts.c.attempts))
            ).rowcount
        if won:
            return post_id
    return None


def _parts(conn: sa.Connection, post_id: int) -> list:
    return conn.execute(
        sa.select(post_parts).where(post_parts.c.post_id == post_id)
        .order_by(post_parts.c.position)
    ).all()


def _published(part) -> Published | None:
    return Published(part.remote_id, part.remote_url, part.cid) if part.remote_id else None


def publish_post(db: Engine, post_id: int, publisher: Publisher, *,
                 clock: Callable[[], datetime], card_fetcher: CardFetcher | None = None) -> str:
    """Publish a claimed post's remaining parts in order; return its new status.

    Words naming a protected member hold the post instead (status "held"). Each
    confirmed part is written down at once. A transient failure or a rate
    limit puts the post back in the queue for later; a permanent one marks it
    failed with the platform's words. With `card_fetcher`, and a publisher that
    shows link cards (Bluesky's `publish_with_card`), a post's first part gets the
    card of its first link, unless it has images.
    """
    with db.connect() as conn:
        post = conn.execute(sa.select(posts).where(posts.c.id == post_id)).one()
        parts = _parts(conn, post_id)
        words = queue.public_words(conn, [post_id], unsent=True)
    try:
        protected_names.require_clean(db, words, "post")
    except protected_names.NamesProtected:
        return _hold(db, post_id, clock())
    root = _published(parts[0]) if parts else None
    previous: Published | None = None
    try:
        if post.kind == "repost":
            if parts[0].remote_id == "":
                _record_part(db, parts[0].id, publisher.repost(post.target_url, parts[0].key),
                             clock())
        else:
            for part in parts:
                done = _published(part)
                if done is None:
                    outgoing = OutgoingPost(text=part.text, key=part.key, reply_to=previous,
                                            thread_root=root if previous else None,
                                            images=_images(db, part.id))
                    done = (publisher.find_published(outgoing) if post.attempts else None)
                    if done is None:
                        done = publisher.quote(post.target_url, outgoing) \
                            if post.kind == "quote" and previous is None \
                            else _publish(publisher, outgoing, post,
                                          card_fetcher if previous is None else None)
                    _record_part(db, part.id, done, clock())
                root = root or done
                previous = done
    except RateLimited as exc:
        return _requeue(db, post, str(exc), exc.retry_at, clock())
    except TransientPublishError as exc:
        if post.attempts + 1 >= MAX_ATTEMPTS:
            return _fail(db, post_id, f"{exc} (gave up after {MAX_ATTEMPTS} attempts)", clock())
        return _requeue(db, post, str(exc), clock() + backoff(post.attempts + 1), clock())
    except PublishError as exc:
        return _fail(db, post_id, str(exc), clock())
    with db.begin() as conn:
        first = _parts(conn, post_id)[0]
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            status="published", published_at=first.published_at or clock(),
            remote_url=first.remote_url, last_error="", claimed_by="", claimed_at=None,
        ))
    return "published"


def _publish(publisher: Publisher, outgoing: OutgoingPost, post,
             card_fetcher: CardFetcher | None) -> Published:
    """Publish one part, with a link card when one is asked for and can be made."""
    with_card = getattr(publisher, "publish_with_card", None)
    if card_fetcher is None or with_card is None or post.kind != "post" or outgoing.images:
        return publisher.publish(outgoing)
    card = _link_card(post.id, outgoing.text, card_fetcher)
    return publisher.publish(outgoing) if card is None else with_card(outgoing, card)


def _link_card(post_id: int, text: str, card_fetcher: CardFetcher) -> LinkCard | None:
    """The card for the first link in `text`, or None: no link, or the card failed."""
    url = first_link(text)
    if url is None:
        return None
    try:
        return card_fetcher(url)
    except OutreachError as exc:
        log.info("post %s goes out without a link card for %s: %s", post_id, url, exc)
    except Exception:  # a card is never worth failing or holding up the post
        log.warning("post %s goes out without a link card for %s", post_id, url, exc_info=True)
    return None


def _images(db: Engine, part_id: int) -> tuple[Image, ...]:
    with db.connect() as conn:
        return tuple(Image(bytes(r.data), r.mime, r.alt) for r in conn.execute(
            sa.select(post_images).where(post_images.c.part_id == part_id)
            .order_by(post_images.c.position)))


def _record_part(db: Engine, part_id: int, done: Published, now: datetime) -> None:
    with db.begin() as conn:
        conn.execute(post_parts.update().where(post_parts.c.id == part_id).values(
            remote_id=done.remote_id, remote_url=done.url, cid=done.cid, published_at=now))


def _requeue(db: Engine, post, error: str, retry_at: datetime, now: datetime) -> str:
    with db.begin() as conn:
        conn.execute(posts.update().where(posts.c.id == post.id).values(
            status="scheduled", attempts=post.attempts + 1, next_attempt_at=retry_at,
            last_error=error, claimed_by="", claimed_at=None,
        ))
    log.info("post %s will be retried at %s: %s", post.id, retry_at, error)
    return "scheduled"


def _hold(db: Engine, post_id: int, now: datetime) -> str:
    # The log, like the stored reason, names no words: it may be read by anyone on the machine.
    log.warning("post %s held at %s: it names a protected member", post_id, now)
    with db.begin() as conn:
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            status="held", last_error=protected_names.HELD, claimed_by="", claimed_at=None))
    return "held"


def _fail(db: Engine, post_id: int, error: str, now: datetime) -> str:
    log.warning("post %s failed at %s: %s", post_id, now, error)
    with db.begin() as conn:
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            status="failed", last_error=error, claimed_by="", claimed_at=None))
    return "failed"


def publish_due(db: Engine, worker_id: str, publisher_for: PublisherFor, *,
                clock: Callable[[], datetime], late_after: timedelta | None = None,
                hold_late: bool = False, limit: int = 100,
                card_fetcher: CardFetcher | None = None) -> str:
    """Worker job: publish every due post this worker can claim; a one-line summary.

    A post found more than `late_after` past its time (the machine was off) is
    published flagged late, or held for review when `hold_late`. `card_fetcher`
    makes Bluesky link cards (see publish_post); None posts without them.
    """
    outcomes: dict[str, int] = {}
    publishers: dict[int, Publisher] = {}
    for _ in range(limit):
        post_id = claim_due_post(db, worker_id, now=clock())
        if post_id is None:
            break
        with db.connect() as conn:
            post = conn.execute(sa.select(posts).where(posts.c.id == post_id)).one()
            account = conn.execute(sa.select(social_accounts)
                                   .where(social_accounts.c.id == post.account_id)).one()
        if late_after is not None and clock() - post.scheduled_at > late_after \
                and not post.late:
            with db.begin() as conn:
                conn.execute(posts.update().where(posts.c.id == post_id).values(
                    late=True, **({"status": "held", "claimed_by": "", "claimed_at": None}
                                  if hold_late else {})))
            if hold_late:
                outcomes["held"] = outcomes.get("held", 0) + 1
                continue
        try:
            publisher = publishers.get(account.id) or publisher_for(dict(account._mapping))
        except PublishError as exc:
            status = _fail(db, post_id, str(exc), clock())
        else:
            publishers[account.id] = publisher
            status = publish_post(db, post_id, publisher, clock=clock, card_fetcher=card_fetcher)
        outcomes[status] = outcomes.get(status, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in outcomes.items()) or "nothing due"
