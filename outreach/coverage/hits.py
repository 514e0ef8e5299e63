"""Press hits: stories about a campaign, found in its feeds or pasted by hand.

    record_items        the feed poller's sink: match, dedupe, find the outlet, tie, store
    add_hit_by_url      a story pasted by hand, read from the page's own metadata
    mark_hit            tone, spokesperson quoted, key message landed, hidden
    confirm_journalist  settle who wrote a story when the byline match was unsure
    suggested_matches   the stories waiting for that step
    release_coverage    the stories a release earned

A story found twice (two feeds, or a feed and a paste) is one hit: same canonical URL, same
feed GUID, or same outlet and title (story_keys.py); it keeps the byline of whichever source
has one. Bylines are matched to the journalists at the story's outlet (attribution.py); a sure
match logs "covered" in that journalist's history at once, as it does for each co-author
surely matched, and an unsure one waits for an editor. A story published within
`coverage_window_days` after a release was pitched to its journalist, or to anyone at its
outlet, counts as that release's coverage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.coverage import query as coverage_query
from outreach.coverage.article_page import fetch_page, read_page_meta
from outreach.coverage.attribution import (
    Bylines,
    OutletBook,
    at_outlet,
    byline_names,
    outlet_hint,
)
from outreach.coverage.items import FeedItem
from outreach.coverage.story_keys import canonical_url, story_link, title_key, without_source
from outreach.errors import AlreadyExists, InvalidInput, NotFound
from outreach.net import URLGuard
from outreach.org_settings import get_org
from outreach.presslist.contacts import log_interaction
from outreach.roles import Actor, require
from outreach.store.tables import (
    campaigns,
    interactions,
    journalists,
    outlets,
    pitch_batches,
    pitch_messages,
    press_hits,
    releases,
)

TONES = ("", "positive", "neutral", "negative")
AUTO_USER = "coverage"
SNIPPET_CHARS = 600


# --- releases and journalists' histories -----------------------------------------------------


def _release_for(conn: sa.Connection, campaign_id: int, journalist_id: int | None,
                 outlet_id: int | None, when: datetime, window_days: int) -> int | None:
    """The campaign's release most recently pitched to the journalist, or to anyone at the
    outlet, in the `window_days` before `when`; None if there is none."""
    targets = []
    if journalist_id is not None:
        targets.append(pitch_messages.c.journalist_id == journalist_id)
    if outlet_id is not None:
        targets.append(pitch_messages.c.journalist_id.in_(
            sa.select(journalists.c.id).where(at_outlet(outlet_id))))
    if not targets:
        return None
    return conn.execute(
        sa.select(pitch_batches.c.release_id)
        .select_from(pitch_messages.join(pitch_batches,
                                         pitch_batches.c.id == pitch_messages.c.batch_id)
                     .join(releases, releases.c.id == pitch_batches.c.release_id))
        .where(releases.c.campaign_id == campaign_id, pitch_messages.c.status == "sent",
               pitch_messages.c.sent_at <= when,
               pitch_messages.c.sent_at >= when - timedelta(days=window_days),
               sa.or_(*targets))
        .order_by(pitch_messages.c.sent_at.desc(), pitch_messages.c.id.desc())
        .limit(1)
    ).scalar()


def _log_covered(conn: sa.Connection, hit, journalist_id: int, *, by_user: str,
                 now: datetime) -> None:
    """Put the story in the journalist's history as "covered", in the caller's transaction."""
    log_interaction(conn, journalist_id, "covered", happened_at=hit.published_at or hit.found_at,
                    by_user=by_user, now=now, notes=hit.title, release_id=hit.release_id,
                    press_hit_id=hit.id)


# --- storing ---------------------------------------------------------------------------------


@dataclass
class _Story:
    """One story on its way to becoming a press hit."""

    title: str
    url: str
    canonical: tuple[str, ...]
    guid: str = ""
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    snippet: str = ""
    matched: tuple[str, ...] = ()
    source: str = "feed"
    feed_id: int | None = None


def _lock_campaign(conn: sa.Connection, campaign_id: int) -> None:
    """Take the campaign's write lock, or NotFound. An UPDATE locks the row on PostgreSQL and
    the whole file on SQLite, so concurrent pollers take turns and each sees the other's hits
    before deciding whether a story is new."""
    touched = conn.execute(campaigns.update().where(campaigns.c.id == campaign_id)
                           .values(query=campaigns.c.query)).rowcount
    if not touched:
        raise NotFound(f"No campaign with id {campaign_id}.")


def _existing(conn: sa.Connection, campaign_id: int, story: _Story, key: str):
    """The campaign's hit that already is this story (URL, GUID or outlet + title), or None."""
    same = [press_hits.c.canonical_url.in_([u[:2000] for u in story.canonical if u])]
    if story.guid:
        same.append(press_hits.c.guid == story.guid[:1000])
    if key:
        same.append(press_hits.c.title_key == key)
    return conn.execute(
        sa.select(press_hits.c.id, press_hits.c.title, press_hits.c.found_at,
                  press_hits.c.author, outlets.c.name.label("outlet"))
        .select_from(press_hits.outerjoin(outlets, outlets.c.id == press_hits.c.outlet_id))
        .where(press_hits.c.campaign_id == campaign_id, sa.or_(*same))
        .order_by(press_hits.c.id).limit(1)
    ).first()


def _insert(conn: sa.Connection, bylines: Bylines, campaign_id: int, story: _Story,
            outlet_id: int | None, key: str, *, window_days: int, by_user: str,
            now: datetime) -> int:
    """Store a new story, tied to its journalist and release; returns the hit's id."""
    jid, match = bylines.match(outlet_id, story.authors)
    when = story.published or now
    release_id = _release_for(conn, campaign_id, jid if match == "confirmed" else None,
                              outlet_id, when, window_days)
    hit_id = conn.execute(press_hits.insert().values(
        campaign_id=campaign_id, feed_id=story.feed_id, outlet_id=outlet_id, journalist_id=jid,
        title=story.title[:500], url=story.url[:2000],
        author=", ".join(byline_names(story.authors) or story.authors)[:300],
        published_at=story.published, snippet=story.snippet, found_at=now,
        canonical_url=story.canonical[0][:2000], guid=story.guid[:1000], title_key=key,
        matched_terms=list(story.matched), source=story.source, journalist_match=match,
        release_id=release_id,
    )).inserted_primary_key[0]
    _credit(conn, bylines, hit_id, story, jid if match == "confirmed" else None,
            by_user=by_user, now=now)
    return hit_id


def _credit(conn: sa.Connection, bylines: Bylines, hit_id: int, story: _Story,
            lead: int | None, *, by_user: str, now: datetime) -> None:
    """Log the story as "covered" for its confirmed lead journalist and for every co-author
    of its byline surely matched at its outlet."""
    hit = _hit(conn, hit_id)
    credited = [] if lead is None else [lead]
    credited += [j for j in bylines.co_authors(hit.outlet_id, story.authors)
                 if j not in credited]
    for jid in credited:
        _log_covered(conn, hit, jid, by_user=by_user, now=now)


def _add_byline(conn: sa.Connection, bylines: Bylines, hit_id: int, story: _Story, *,
                window_days: int, now: datetime) -> None:
    """Give a stored story the byline another source of it carries (Google News and Alerts
    name no author; the outlet's own feed does), matched and credited as a new story's is."""
    hit = _hit(conn, hit_id)
    jid, match = bylines.match(hit.outlet_id, story.authors)
    if hit.journalist_id is not None:  # an editor already settled who wrote it
        jid, match = hit.journalist_id, hit.journalist_match
    release_id = hit.release_id
    if match == "confirmed" and jid != hit.journalist_id:
        release_id = _release_for(conn, hit.campaign_id, jid, hit.outlet_id,
                                  hit.published_at or story.published or now, window_days)
    conn.execute(press_hits.update().where(press_hits.c.id == hit_id).values(
        author=", ".join(byline_names(story.authors) or story.authors)[:300],
        journalist_id=jid, journalist_match=match, release_id=release_id))
    if hit.journalist_id is None:
        _credit(conn, bylines, hit_id, story, jid if match == "confirmed" else None,
                by_user=AUTO_USER, now=now)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def campaign_query(db: Engine, campaign_id: int) -> coverage_query.Query | None:
    """The campaign's coverage query; without one, its keywords as an OR of phrases; None
    when it has neither (then nothing matches). Raises NotFound or InvalidInput."""
    with db.connect() as conn:
        row = conn.execute(sa.select(campaigns.c.name, campaigns.c.query, campaigns.c.keywords)
                           .where(campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound(f"No campaign with id {campaign_id}.")
    text = row.query.strip()
    if not text:
        phrases = [re.sub(r'["\u201c\u201d\u201e]', " ", k) for k in row.keywords or []]
        text = " OR ".join(f'"{p.strip()}"' for p in phrases
                           if coverage_query.normalize(p).strip())
    if not text:
        return None
    try:
        return coverage_query.compile_query(text)
    except InvalidInput as exc:
        raise InvalidInput(f"Campaign {row.name!r}: its coverage query cannot be used: {exc} "
                           "Correct it on the campaign's Coverage settings.") from None


def record_items(db: Engine, campaign_id: int, items: Sequence[FeedItem], *,
                 feed_id: int | None, outlet_id: int | None, now: datetime) -> list[int]:
    """Store the feed items that match the campaign and are new to it; return the new hits'
    ids. This is the feed poller's sink.

    An item matches when the campaign's coverage query finds it in the title, summary or
    content; a campaign without a query uses its keywords as an OR of phrases, and one with
    neither matches nothing (every item is skipped). A story already on file for the
    campaign (same canonical URL, GUID, or outlet and title), hidden or not, is not stored
    again; it only takes this item's byline when it had none. Google News's " - Outlet" is
    taken off titles. The outlet is the feed's (`outlet_id`), else the one at the web
    domain of the item's Google News <source> or link, created when new. One transaction:
    all the items or none.
    """
    query = campaign_query(db, campaign_id)
    window = get_org(db).coverage_window_days
    stories = []
    for item in items:
        matched = query.match_item(item.title, item.summary, item.content) if query else None
        if matched is None:
            continue
        link = story_link(item.link)
        stories.append((item, _Story(
            title=without_source(" ".join(item.title.split()), item.source_name) or link,
            url=link,
            canonical=(canonical_url(link),), guid=item.guid.strip(),
            authors=tuple(a.strip() for a in item.authors if a.strip()),
            published=_aware(item.published), snippet=_snippet(item.summary or item.content),
            matched=tuple(matched), feed_id=feed_id)))
    new: list[int] = []
    if not stories:
        return new
    with db.begin() as conn:
        _lock_campaign(conn, campaign_id)
        book, bylines = OutletBook(conn, now), Bylines(conn)
        feed_outlet = outlet_id if book.name(outlet_id) else None
        for item, story in stories:
            oid = feed_outlet
            if oid is None:
                oid = book.resolve(*outlet_hint(item, story.url))
            key = title_key(book.name(oid), story.title)
            found = _existing(conn, campaign_id, story, key)
            if found is None:
                new.append(_insert(conn, bylines, campaign_id, story, oid, key,
                                   window_days=window, by_user=AUTO_USER, now=now))
            elif not found.author and story.authors:
                _add_byline(conn, bylines, found.id, story, window_days=window, now=now)
    return new


# --- pasted by hand --------------------------------------------------------------------------


def _duplicate_message(row) -> str:
    where = f" ({row.outlet})" if row.outlet else ""
    return (f"This story is already press hit #{row.id}{where}: {row.title!r}, found "
            f"{row.found_at:%Y-%m-%d}. Mark that one instead of adding it again.")


def add_hit_by_url(db: Engine, actor: Actor, campaign_id: int, url: str, *,
                   client: httpx.Client, guard: URLGuard, now: datetime) -> int:
    """Add a story by its link (editors): the page is fetched through the URL guard and its
    title, author, date, description and site name read from its metadata. A story already
    on file is refused with AlreadyExists naming that hit. Returns the new hit's id."""
    require(actor, "editor", "adding press hits")
    url = url.strip()
    if not url:
        raise InvalidInput("Paste the link of the story.")
    if "://" not in url:
        url = f"https://{url}"
    url = story_link(url)
    query = campaign_query(db, campaign_id)
    window = get_org(db).coverage_window_days
    with db.connect() as conn:
        found = _existing(conn, campaign_id, _Story("", url, (canonical_url(url),)), "")
    if found is not None:
        raise AlreadyExists(_duplicate_message(found))
    final, html = fetch_page(client, guard, url)
    page = read_page_meta(html, final)
    # Where the story was read comes first: a syndicated page's canonical link may name the
    # original publisher, and a feed will list the story under the page's own address.
    canonical = tuple(dict.fromkeys(canonical_url(u) for u in (final, page.canonical, url) if u))
    matched = query.match_item(page.title, page.description) if query else None
    story = _Story(title=page.title or final, url=story_link(final), canonical=canonical,
                   authors=page.authors, published=page.published,
                   snippet=_snippet(page.description), matched=tuple(matched or ()),
                   source="manual")
    with db.begin() as conn:
        _lock_campaign(conn, campaign_id)
        book = OutletBook(conn, now)
        oid = book.resolve(page.site_name, final)
        key = title_key(book.name(oid), story.title)
        found = _existing(conn, campaign_id, story, key)
        if found is not None:
            raise AlreadyExists(_duplicate_message(found))
        hit_id = _insert(conn, Bylines(conn), campaign_id, story, oid, key,
                         window_days=window, by_user=actor.name, now=now)
        audit.record(conn, actor, entity="press_hit", entity_id=hit_id, action="add",
                     summary=story.title[:200], now=now)
    return hit_id


# --- the committee's marks and confirmations -------------------------------------------------


def _hit(conn: sa.Connection, hit_id: int):
    row = conn.execute(sa.select(press_hits).where(press_hits.c.id == hit_id)).first()
    if row is None:
        raise NotFound(f"No press hit with id {hit_id}.")
    return row


def mark_hit(db: Engine, actor: Actor, hit_id: int, *, tone: str | None = None,
             spokesperson_quoted: bool | None = None, key_message: bool | None = None,
             hidden: bool | None = None, now: datetime) -> None:
    """Record the committee's reading of a story (editors): its tone ("" to unmark),
    whether our spokesperson was quoted, whether the key message landed, or hide it as
    irrelevant. None leaves a mark as it is."""
    require(actor, "editor", "marking press hits")
    if tone is not None and tone not in TONES:
        raise InvalidInput(f"Unknown tone {tone!r}: use positive, neutral or negative "
                           "(or leave it empty).")
    wanted = {"tone": tone, "spokesperson_quoted": spokesperson_quoted,
              "key_message": key_message, "hidden": hidden}
    with db.begin() as conn:
        row = _hit(conn, hit_id)
        changes = {k: v for k, v in wanted.items() if v is not None and getattr(row, k) != v}
        if not changes:
            return
        conn.execute(press_hits.update().where(press_hits.c.id == hit_id).values(**changes))
        audit.record(conn, actor, entity="press_hit", entity_id=hit_id, action="mark",
                     summary=", ".join(f"{k}={v}" for k, v in sorted(changes.items())), now=now)


def confirm_journalist(db: Engine, actor: Actor, hit_id: int, journalist_id: int | None, *,
                       now: datetime) -> None:
    """Settle who wrote a story (editors): confirm the suggested journalist, name another,
    or None for nobody on file. The story then moves to that journalist's history as
    "covered" (and out of any earlier one's), and its release link is worked out again."""
    require(actor, "editor", "confirming who wrote a story")
    window = get_org(db).coverage_window_days
    with db.begin() as conn:
        row = _hit(conn, hit_id)
        name = ""
        if journalist_id is not None:
            name = conn.execute(sa.select(journalists.c.name)
                                .where(journalists.c.id == journalist_id)).scalar()
            if name is None:
                raise NotFound(f"No journalist with id {journalist_id}.")
        match = "confirmed" if journalist_id is not None else ""
        if (row.journalist_id, row.journalist_match) == (journalist_id, match):
            return
        release_id = _release_for(conn, row.campaign_id, journalist_id, row.outlet_id,
                                  row.published_at or row.found_at, window)
        # Co-authors keep their credit; the lead named before, and the one named now, are
        # logged afresh.
        replaced = [j for j in (row.journalist_id, journalist_id) if j is not None]
        conn.execute(interactions.delete().where(interactions.c.press_hit_id == hit_id,
                                                 interactions.c.kind == "covered",
                                                 interactions.c.journalist_id.in_(replaced)))
        conn.execute(press_hits.update().where(press_hits.c.id == hit_id).values(
            journalist_id=journalist_id, journalist_match=match, release_id=release_id))
        if journalist_id is not None:
            _log_covered(conn, _hit(conn, hit_id), journalist_id, by_user=actor.name, now=now)
        audit.record(conn, actor, entity="press_hit", entity_id=hit_id,
                     action="confirm_journalist" if journalist_id else "clear_journalist",
                     summary=f"{row.title[:150]}: {name or 'nobody on file'}", now=now)


_LISTED = (
    press_hits
    .outerjoin(outlets, outlets.c.id == press_hits.c.outlet_id)
    .outerjoin(journalists, journalists.c.id == press_hits.c.journalist_id)
)
_HIT_COLUMNS = (
    press_hits.c.id, press_hits.c.title, press_hits.c.url, outlets.c.name.label("outlet"),
    press_hits.c.author, press_hits.c.published_at, press_hits.c.found_at,
    press_hits.c.journalist_id, journalists.c.name.label("journalist"),
    press_hits.c.journalist_match,
)


def suggested_matches(db: Engine, campaign_id: int) -> list[dict]:
    """The campaign's visible stories whose byline was matched to a journalist only
    tentatively, newest first, with the outlet on that journalist's record, for an editor
    to confirm or correct."""
    theirs = outlets.alias("journalist_outlet")
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(*_HIT_COLUMNS, theirs.c.name.label("journalist_outlet"))
            .select_from(_LISTED.outerjoin(theirs, theirs.c.id == journalists.c.outlet_id))
            .where(press_hits.c.campaign_id == campaign_id,
                   press_hits.c.journalist_match == "suggested",
                   press_hits.c.hidden.is_(False))
            .order_by(sa.func.coalesce(press_hits.c.published_at, press_hits.c.found_at).desc(),
                      press_hits.c.id.desc())
        )]


def release_coverage(db: Engine, release_id: int) -> list[dict]:
    """The visible stories a release earned (published soon after it was pitched), newest
    first, with their marks; a tentative journalist match is not named."""
    with db.connect() as conn:
        if conn.execute(sa.select(releases.c.id).where(releases.c.id == release_id)
                        ).first() is None:
            raise NotFound(f"No release with id {release_id}.")
        rows = conn.execute(
            sa.select(*_HIT_COLUMNS, press_hits.c.tone, press_hits.c.spokesperson_quoted,
                      press_hits.c.key_message)
            .select_from(_LISTED)
            .where(press_hits.c.release_id == release_id, press_hits.c.hidden.is_(False))
            .order_by(sa.func.coalesce(press_hits.c.published_at, press_hits.c.found_at).desc(),
                      press_hits.c.id.desc())
        )
        found = [dict(r._mapping) for r in rows]
    for hit in found:
        if hit["journalist_match"] != "confirmed":
            hit["journalist_id"], hit["journalist"] = None, None
    return found
