"""Coverage feeds: a campaign's RSS and Atom sources, and the polite poller that reads them.

    add_feed / add_google_news_feed / add_outlet_feeds   fetch once, then store (editors)
    add_edgar_feed                                       watch a company's SEC filings
    list_feeds / feed_health / remove_feed               what the Coverage page shows and does
    poll_feeds(db, client=, guard=, now=, sink=)         fetch the due feeds, hand items to sink
    make_client(settings, guard)                         the HTTP client those fetches share

Polling is polite as Miniflux and FreshRSS are: conditional GET with the stored ETag and
Last-Modified; one GET per address and poll however many campaigns follow it; a permanent
redirect (301, 308) moves the stored address, a temporary one does not; the next poll no
sooner than the minimum interval, a Cache-Control max-age, the RSS <ttl> or a Retry-After; a
failing feed (and only it) backs off exponentially; at most `concurrency` fetches at once
and `per_host` per host; our own User-Agent; every fetch through the URL guard, capped in
time and size (feed_fetch.py does the fetching, feed_parse.py the parsing). Pool threads
fetch with no database connection open; the calling thread parses each feed and writes its
outcome in its own short transaction as soon as that feed comes back, so a slow feed delays
nobody else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.campaigns import check_news_edition
from outreach.config import Settings
from outreach.coverage import hits as press_hits
from outreach.coverage import watch
from outreach.coverage.fetch import (
    Fetched,
    Pace,
    PollSettings,
    fetch_all,
    fetch_feed,
    wait_after_failure,
    wait_after_success,
)
from outreach.coverage.items import FeedItem
from outreach.coverage.parse import parse_feed
from outreach.errors import AlreadyExists, InvalidInput, NotFound, OutreachError, UnsafeURL
from outreach.net import USER_AGENT, URLGuard, http_client
from outreach.roles import Actor, require
from outreach.store.tables import campaigns, feeds, outlets
from outreach.store.tables import press_hits as press_hits_table

log = logging.getLogger(__name__)

# Hits per week are counted over this many days, so one busy day does not read as a trend.
HEALTH_WINDOW = timedelta(days=28)
# Who the audit log names when a poll moves a feed to the address its server gave for good.
_POLLER = Actor("feed poller", "admin")
# edgar and employer feeds are the employer watch: their items are watch items, not hits.
KINDS = ("rss", "atom", "google_news", "google_alerts", *watch.WATCH_KINDS)
GOOGLE_NEWS_SEARCH = "https://news.google.com/rss/search"

Sink = Callable[[dict, list[FeedItem]], int]


# --- fetching --------------------------------------------------------------------------------


def make_client(settings: PollSettings, guard: URLGuard) -> httpx.Client:
    """The HTTP client for feeds: the poll timeouts, a pool as wide as the poller, and
    connections only where `guard` allows."""
    return http_client(timeout=settings.timeout, guard=guard,
                       connections=settings.concurrency)


def _parsed(fetched: Fetched) -> Fetched:
    """A fetched body parsed. This runs in the calling thread, not the pool: parsing is
    CPU work, and pool threads holding the interpreter lock for it would slow every
    fetch's network I/O and the database writes."""
    if fetched.body is None:
        return fetched
    try:
        feed = parse_feed(fetched.body, fetched.headers, url=fetched.url)
    except InvalidInput as exc:
        return replace(fetched, body=None, error=str(exc))
    except Exception as exc:  # odd input must fail this feed, not the whole poll
        log.exception("feed %s: unexpected error while parsing", fetched.url)
        return replace(fetched, body=None, error=f"Could not read the feed: {exc!r}.")
    return replace(fetched, body=None, feed=feed)


# --- the store -------------------------------------------------------------------------------


_FEED_COLUMNS = (
    feeds.c.id, feeds.c.campaign_id, feeds.c.title, feeds.c.url, feeds.c.kind,
    feeds.c.outlet_id, outlets.c.name.label("outlet"), feeds.c.item_count,
    feeds.c.last_success_at, feeds.c.last_error, feeds.c.last_status, feeds.c.last_polled_at,
    feeds.c.next_poll_at, feeds.c.failures, feeds.c.etag, feeds.c.last_modified,
)
_FEEDS_FROM = feeds.outerjoin(outlets, outlets.c.id == feeds.c.outlet_id)


def list_feeds(db: Engine, campaign_id: int) -> list[dict]:
    """A campaign's feeds with what the committee checks: title, kind, outlet, items, last
    success, last error (in words), failures in a row and next poll."""
    query = (sa.select(*_FEED_COLUMNS).select_from(_FEEDS_FROM)
             .where(feeds.c.campaign_id == campaign_id).order_by(feeds.c.title, feeds.c.id))
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _server_changed_at(last_modified: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def feed_health(db: Engine, campaign_id: int, *, now: datetime,
                stale_after: timedelta) -> list[dict]:
    """list_feeds with what tells a feed that quietly stopped: `last_news_at` (the newest of
    the server's Last-Modified and the stories it brought, or when it was added),
    `hits_per_week` (press hits through it over the last four weeks) and `stale` (no news
    for `stale_after`). A watch feed's news is its newest watch item."""
    since = now - HEALTH_WINDOW
    story_at = sa.func.coalesce(press_hits_table.c.published_at, press_hits_table.c.found_at)
    query = (sa.select(press_hits_table.c.feed_id, sa.func.max(story_at).label("newest"),
                       sa.func.count().filter(press_hits_table.c.found_at >= since)
                       .label("recent"))
             .where(press_hits_table.c.campaign_id == campaign_id,
                    press_hits_table.c.feed_id.is_not(None))
             .group_by(press_hits_table.c.feed_id))
    with db.connect() as conn:
        by_feed = {r.feed_id: r for r in conn.execute(query)}
        created = dict(conn.execute(sa.select(feeds.c.id, feeds.c.created_at)
                                    .where(feeds.c.campaign_id == campaign_id)).all())
    watched = watch.newest_by_feed(db, campaign_id)
    rows = list_feeds(db, campaign_id)
    for row in rows:
        hits = by_feed.get(row["id"])
        signs = (created[row["id"]], _server_changed_at(row["last_modified"]),
                 hits.newest if hits else None, watched.get(row["id"]))
        row["last_news_at"] = max((s for s in signs if s is not None and s <= now), default=None)
        row["hits_per_week"] = round((hits.recent if hits else 0) * 7 / HEALTH_WINDOW.days, 1)
        row["stale"] = row["last_news_at"] is None or now - row["last_news_at"] > stale_after
    return rows


def get_feed(db: Engine, feed_id: int) -> dict:
    """One feed as list_feeds shows it, or NotFound."""
    with db.connect() as conn:
        row = conn.execute(sa.select(*_FEED_COLUMNS).select_from(_FEEDS_FROM)
                           .where(feeds.c.id == feed_id)).first()
    if row is None:
        raise NotFound(f"No feed with id {feed_id}; see `feeds list`.")
    return dict(row._mapping)


def _clean_url(url: str) -> str:
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"{text!r} is not a web address ({exc}).") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput(f"{text!r} is not a feed address: give the full http(s):// URL "
                           "of the RSS or Atom feed.")
    return str(parsed)


def _existing_feed(conn: sa.Connection, campaign_id: int, url: str) -> int | None:
    return conn.execute(sa.select(feeds.c.id).where(
        feeds.c.campaign_id == campaign_id, feeds.c.url == url)).scalar()


def _refuse_duplicate(conn: sa.Connection, campaign_id: int, url: str) -> None:
    found = _existing_feed(conn, campaign_id, url)
    if found is not None:
        raise AlreadyExists(f"This campaign already has the feed {url} (feed {found}).")


def _campaign_row(conn: sa.Connection, campaign_id: int):
    row = conn.execute(sa.select(campaigns).where(campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound(f"No campaign with id {campaign_id}.")
    return row


def _detect_kind(url: str, version: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "news.google.com" and parts.path.startswith("/rss"):
        return "google_news"
    if host in ("google.com", "www.google.com") and parts.path.startswith("/alerts/feeds"):
        return "google_alerts"
    return "atom" if version.startswith("atom") else "rss"


def _probe_failure(url: str, fetched: Fetched) -> OutreachError:
    if fetched.refused:
        return UnsafeURL(fetched.error)
    if fetched.not_modified:  # an unconditional GET answered 304: nothing to show
        return InvalidInput(f"Could not add {url}: the server sent no feed (304 Not Modified).")
    return InvalidInput(f"Could not add {url}: {fetched.error}")


def _store_new_feed(db: Engine, actor: Actor, campaign_id: int, url: str, fetched: Fetched,
                    *, kind: str | None, outlet_id: int | None, sink: Sink | None,
                    settings: PollSettings, now: datetime) -> dict:
    """Insert a feed that was just fetched; with a sink, its items go there and the
    validators are kept, else the first poll fetches it again in full for the sink."""
    if fetched.error or fetched.feed is None:
        raise _probe_failure(url, fetched)
    parsed = fetched.feed
    values = {
        "campaign_id": campaign_id, "url": url, "title": (parsed.title or url)[:300],
        "kind": kind or _detect_kind(url, parsed.version), "outlet_id": outlet_id,
        "item_count": len(parsed.items), "last_success_at": now, "last_polled_at": now,
        "last_status": fetched.status, "created_at": now,
        "next_poll_at": now, "etag": "", "last_modified": "",
    }
    if sink is not None:
        values.update(etag=fetched.etag, last_modified=fetched.last_modified,
                      next_poll_at=now + wait_after_success(fetched, settings, None))
    with db.begin() as conn:
        _refuse_duplicate(conn, campaign_id, url)
        feed_id = conn.execute(feeds.insert().values(**values)).inserted_primary_key[0]
        audit.record(conn, actor, entity="feed", entity_id=feed_id, action="add",
                     summary=f"{values['title']} ({url}): {len(parsed.items)} items", now=now)
    feed = get_feed(db, feed_id)
    try:
        feed["new_hits"] = sink(feed, parsed.items) if sink is not None else 0
    except Exception as exc:
        # Kept, the feed would carry this fetch's validators, and the next poll would be
        # told "unchanged": these stories would never be recorded. All or nothing.
        with db.begin() as conn:
            conn.execute(feeds.delete().where(feeds.c.id == feed_id))
            audit.record(conn, actor, entity="feed", entity_id=feed_id, action="remove",
                         summary=f"not added: its stories could not be recorded ({exc})",
                         now=now)
        raise
    return feed


def add_feed(db: Engine, actor: Actor, campaign_id: int, url: str, *, client: httpx.Client,
             guard: URLGuard, now: datetime, kind: str | None = None,
             outlet_id: int | None = None, sink: Sink | None = None,
             settings: PollSettings) -> dict:
    """Add an RSS or Atom feed to a campaign (editors) after fetching it once: returns the
    feed (title, kind, item_count, ..., new_hits). A feed that cannot be fetched or parsed is
    refused with the reason in words and nothing is stored; so is one the campaign has."""
    require(actor, "editor", "adding feeds")
    url = _clean_url(url)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"Unknown feed kind {kind!r}; use one of {', '.join(KINDS)}.")
    if watch.is_edgar(url):  # pasted by hand: still asked for with EDGAR's contact rule
        kind = watch.EDGAR_KIND
    _user_agent([kind], settings)  # refuse an EDGAR feed without the contact, before all
    with db.connect() as conn:
        _campaign_row(conn, campaign_id)
        _refuse_duplicate(conn, campaign_id, url)
    fetched = _parsed(_fetch(client, guard, url, [kind], settings=settings, now=now))
    return _store_new_feed(db, actor, campaign_id, url, fetched, kind=kind,
                           outlet_id=outlet_id, sink=sink, settings=settings, now=now)


# EDGAR's fair-access rule, kept across every thread and campaign of this process.
_EDGAR_PACE = Pace(watch.EDGAR_REQUESTS_PER_SECOND)


def _fetch(client: httpx.Client, guard: URLGuard, url: str, kinds: list[str | None], *,
           settings: PollSettings, now: datetime, etag: str = "",
           last_modified: str = "") -> Fetched:
    """One GET of a feed followed as `kinds`: with the User-Agent they need, and for EDGAR
    in its turn, at most EDGAR_REQUESTS_PER_SECOND a second."""
    user_agent = _user_agent(kinds, settings)
    if watch.EDGAR_KIND in kinds:
        _EDGAR_PACE.wait()
    return fetch_feed(client, guard, url, settings=settings, now=now, etag=etag,
                      last_modified=last_modified, user_agent=user_agent)


def _user_agent(kinds: Iterable[str | None], settings: PollSettings) -> str:
    """Our User-Agent, with the contact e-mail EDGAR asks for when an EDGAR feed is fetched
    (InvalidInput while none is set)."""
    if watch.EDGAR_KIND in kinds:
        return watch.edgar_user_agent(settings.edgar_contact)
    return USER_AGENT


def add_edgar_feed(db: Engine, actor: Actor, campaign_id: int, company: str, *,
                   client: httpx.Client, guard: URLGuard, now: datetime,
                   endpoint: str = watch.EDGAR_BROWSE, sink: Sink | None = None,
                   settings: PollSettings) -> dict:
    """Watch a company's SEC filings (editors): its EDGAR Atom feed from its CIK or ticker,
    fetched with the contact e-mail EDGAR requires; as add_feed. Its filings become watch
    items."""
    return add_feed(db, actor, campaign_id, watch.edgar_url(company, endpoint=endpoint),
                    client=client, guard=guard, now=now, kind=watch.EDGAR_KIND, sink=sink,
                    settings=settings)


def google_news_url(terms: Iterable[str], language: str = "en-US", country: str = "US", *,
                    endpoint: str = GOOGLE_NEWS_SEARCH) -> str:
    """The Google News search feed for stories with any of `terms` (phrases quoted), in
    the edition for `language` (hl, e.g. en-US) and `country` (gl, e.g. US)."""
    phrases = [" ".join(t.replace('"', " ").split()) for t in terms]
    phrases = [f'"{p}"' if " " in p else p for p in phrases if p]
    if not phrases:
        raise InvalidInput("A Google News feed needs at least one keyword.")
    check_news_edition(language, country)
    base, _, region = language.partition("-")
    # Google's edition id: country, then the language without a region that merely
    # repeats the country (en-US in the US is "US:en"; es-419 in the US is "US:es-419").
    edition = f"{country}:{base if region.upper() == country else language}"
    query = urlencode({"q": " OR ".join(phrases), "hl": language, "gl": country,
                       "ceid": edition}, quote_via=quote, safe=":")
    return f"{endpoint}?{query}"


def add_google_news_feed(db: Engine, actor: Actor, campaign_id: int, *, client: httpx.Client,
                         guard: URLGuard, now: datetime, endpoint: str = GOOGLE_NEWS_SEARCH,
                         sink: Sink | None = None,
                         settings: PollSettings) -> dict:
    """Add the Google News search feed for the campaign's keywords, in its news language and
    country (editors); as add_feed."""
    with db.connect() as conn:
        row = _campaign_row(conn, campaign_id)
    if not [k for k in row.keywords or [] if k.strip()]:
        raise InvalidInput(f"Campaign {row.name!r} has no keywords; add some (e.g. the "
                           "employer's name) before adding its Google News feed.")
    url = google_news_url(row.keywords, row.news_language, row.news_country, endpoint=endpoint)
    return add_feed(db, actor, campaign_id, url, client=client, guard=guard, now=now,
                    kind="google_news", sink=sink, settings=settings)


def add_outlet_feeds(db: Engine, actor: Actor, campaign_id: int, *, client: httpx.Client,
                     guard: URLGuard, now: datetime, sink: Sink | None = None,
                     settings: PollSettings) -> dict[str, list]:
    """Add every outlet's feed (outlets with a feed URL) to the campaign (editors), fetching
    them side by side; returns {"added": [feed], "failed": [{"name", "url", "error"}],
    "skipped": [outlet names whose feed the campaign has]}."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(outlets.c.id, outlets.c.name, outlets.c.feed_url)
                            .where(outlets.c.feed_url != "").order_by(outlets.c.name)).all()
    return add_feeds(db, actor, campaign_id,
                     [{"name": r.name, "url": r.feed_url, "outlet_id": r.id} for r in rows],
                     client=client, guard=guard, now=now, sink=sink, settings=settings)


EDGAR_BY_HAND = ("an SEC EDGAR feed belongs to the employer watch: add it with `feeds "
                 "watch-edgar CIK` or on the Coverage page's Employer watch tab")


def plan_feeds(db: Engine, campaign_id: int, wanted: Iterable[dict]) -> dict[str, list]:
    """What adding `wanted` feeds ({"name", "url"}) would do, without fetching: {"new": [...],
    "skipped": [names the campaign has], "failed": [{"name", "url", "error"}]} for bad
    addresses. The same address twice is one feed."""
    plan: dict[str, list] = {"new": [], "skipped": [], "failed": []}
    seen: set[str] = set()
    with db.connect() as conn:
        _campaign_row(conn, campaign_id)
        for job in wanted:
            try:
                url = _clean_url(job["url"])
            except InvalidInput as exc:
                plan["failed"].append({**job, "error": str(exc)})
                continue
            if watch.is_edgar(url):
                plan["failed"].append({**job, "error": EDGAR_BY_HAND})
                continue
            if url in seen:
                continue
            seen.add(url)
            if _existing_feed(conn, campaign_id, url) is not None:
                plan["skipped"].append(job["name"] or url)
            else:
                plan["new"].append({**job, "url": url})
    return plan


def add_feeds(db: Engine, actor: Actor, campaign_id: int, wanted: Iterable[dict], *,
              client: httpx.Client, guard: URLGuard, now: datetime, sink: Sink | None = None,
              settings: PollSettings) -> dict[str, list]:
    """Add many feeds ({"name", "url", "outlet_id"?}) to a campaign (editors), fetching them
    side by side, each checked as add_feed checks one; returns {"added": [feed], "failed":
    [{"name", "url", "error"}], "skipped": [names the campaign has]}. A feed that fails is
    reported and the others are still added."""
    require(actor, "editor", "adding feeds")
    plan = plan_feeds(db, campaign_id, wanted)
    report = {"added": [], "failed": plan["failed"], "skipped": plan["skipped"]}

    def probe(job: dict) -> Fetched:
        return fetch_feed(client, guard, job["url"], settings=settings, now=now)

    for job, fetched in fetch_all(plan["new"], probe, settings):
        try:
            report["added"].append(_store_new_feed(
                db, actor, campaign_id, job["url"], _parsed(fetched), kind=None,
                outlet_id=job.get("outlet_id"), sink=sink, settings=settings, now=now))
        except OutreachError as exc:
            report["failed"].append({"name": job["name"], "url": job["url"],
                                     "error": str(exc)})
    return report


def remove_feed(db: Engine, actor: Actor, feed_id: int, *, now: datetime) -> None:
    """Remove a feed (editors); the press hits found through it stay."""
    require(actor, "editor", "removing feeds")
    with db.begin() as conn:
        row = conn.execute(sa.select(feeds.c.title, feeds.c.url)
                           .where(feeds.c.id == feed_id)).first()
        if row is None:
            raise NotFound(f"No feed with id {feed_id}; see `feeds list`.")
        conn.execute(feeds.delete().where(feeds.c.id == feed_id))
        audit.record(conn, actor, entity="feed", entity_id=feed_id, action="remove",
                     summary=f"{row.title} ({row.url})", now=now)


# --- polling ---------------------------------------------------------------------------------


@dataclass
class PollSummary:
    """What one poll did: feeds fetched (new content), unchanged (304), failed, new hits."""

    fetched: int = 0
    unchanged: int = 0
    failed: int = 0
    new_hits: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the CLI and the worker's heartbeat."""
        if not (self.fetched or self.unchanged or self.failed):
            return "no feed due"
        hits = "1 new hit" if self.new_hits == 1 else f"{self.new_hits} new hits"
        return (f"{self.fetched} fetched, {self.unchanged} unchanged, {self.failed} failed, "
                f"{hits}")


def _claim_due(db: Engine, now: datetime, *, force: bool, campaign_id: int | None,
               settings: PollSettings) -> list[dict]:
    """The feeds to poll now, claimed: their next poll moves one min interval ahead, so a
    second worker skips them and a crash mid-poll only delays them."""
    due = sa.or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now)
    query = sa.select(feeds).order_by(feeds.c.next_poll_at, feeds.c.id)
    if not force:
        query = query.where(due)
    if campaign_id is not None:
        query = query.where(feeds.c.campaign_id == campaign_id)
    with db.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return []
        claim = feeds.update().where(feeds.c.id.in_([r["id"] for r in rows]))
        if not force:
            claim = claim.where(due)
        claimed = set(conn.execute(claim.values(next_poll_at=now + settings.min_interval)
                                   .returning(feeds.c.id)).scalars())
    return [r for r in rows if r["id"] in claimed]


def _carried_interval(feed: dict) -> timedelta | None:
    if feed["failures"] or not (feed["next_poll_at"] and feed["last_polled_at"]):
        return None
    return feed["next_poll_at"] - feed["last_polled_at"]


def _record(db: Engine, feed: dict, fetched: Fetched, *, sink: Sink, now: datetime,
            settings: PollSettings, summary: PollSummary) -> None:
    """Store one feed's outcome (and hand new items to the sink first, so that a sink that
    fails leaves the validators unstored and the next poll fetches the items again)."""
    error = fetched.error
    if not error and fetched.feed is not None:
        if fetched.feed.title:
            feed["title"] = fetched.feed.title[:300]
        try:
            summary.new_hits += sink(feed, fetched.feed.items)
        except Exception as exc:  # the feed is fine; recording its items failed
            if not isinstance(exc, OutreachError):
                log.exception("recording the items of feed %s failed", feed["id"])
            error = f"Could not record the feed's items: {exc}"
    if error:
        failures = feed["failures"] + 1
        values = {"failures": failures, "last_error": error, "last_status": fetched.status,
                  "next_poll_at": now + wait_after_failure(failures, fetched, settings)}
        summary.failed += 1
        summary.errors.append(f"{feed['url']}: {error}")
    else:
        wait_for = wait_after_success(fetched, settings, _carried_interval(feed))
        values = {"failures": 0, "last_error": "", "last_status": fetched.status,
                  "last_success_at": now, "next_poll_at": now + wait_for}
        if fetched.not_modified:
            summary.unchanged += 1
            values.update({k: v for k, v in (("etag", fetched.etag),
                                             ("last_modified", fetched.last_modified)) if v})
        else:
            summary.fetched += 1
            values.update(title=feed["title"], item_count=len(fetched.feed.items),
                          etag=fetched.etag, last_modified=fetched.last_modified)
    with db.begin() as conn:
        if not error and fetched.moved_to and fetched.moved_to != feed["url"] \
                and _existing_feed(conn, feed["campaign_id"], fetched.moved_to) is None:
            values["url"] = fetched.moved_to
            audit.record(conn, _POLLER, entity="feed", entity_id=feed["id"], action="move",
                         summary=f"{feed['url']} moved for good to {fetched.moved_to} "
                         "(the server answered a permanent redirect)", now=now)
        conn.execute(feeds.update().where(feeds.c.id == feed["id"])
                     .values(last_polled_at=now, **values))


def poll_feeds(db: Engine, *, client: httpx.Client, guard: URLGuard, now: datetime,
               sink: Sink, force: bool = False, campaign_id: int | None = None,
               settings: PollSettings) -> PollSummary:
    """Fetch every due feed (all of them with `force`, or one campaign's) politely and
    concurrently; `sink(feed, items)` gets each fetched feed's items and returns its new hits.
    Each feed's outcome is written as it comes back; returns the counts."""
    summary = PollSummary()
    due = _claim_due(db, now, force=force, campaign_id=campaign_id, settings=settings)
    by_url: dict[str, list[dict]] = {}
    for feed in due:
        by_url.setdefault(feed["url"], []).append(feed)

    def fetch(job: dict) -> Fetched:
        # One GET serves every campaign that follows this address; it is conditional
        # only when they all hold the same validators, else a 304 would starve one.
        validators = {(f["etag"], f["last_modified"]) for f in job["feeds"]}
        etag, last_modified = validators.pop() if len(validators) == 1 else ("", "")
        try:
            return _fetch(client, guard, job["url"], [f["kind"] for f in job["feeds"]],
                          settings=settings, now=now, etag=etag, last_modified=last_modified)
        except InvalidInput as exc:
            return Fetched(error=str(exc))

    jobs = [{"url": url, "feeds": group} for url, group in by_url.items()]
    for job, fetched in fetch_all(jobs, fetch, settings):
        fetched = _parsed(fetched)
        for feed in job["feeds"]:
            _record(db, feed, fetched, sink=sink, now=now, settings=settings, summary=summary)
    return summary


def hits_sink(db: Engine, now: datetime) -> Sink:
    """The sink that turns matching items into press hits (press_hits.record_items), and
    the employer watch's items into watch items (watch.record_items), never hits."""
    def record(feed: dict, items: list[FeedItem]) -> int:
        if feed["kind"] in watch.WATCH_KINDS:
            watch.record_items(db, feed, items, now=now)
            return 0
        return len(press_hits.record_items(db, feed["campaign_id"], items, feed_id=feed["id"],
                                           outlet_id=feed["outlet_id"], now=now))
    return record


@contextmanager
def fetching(settings: Settings) -> Iterator[dict]:
    """What add_feed, add_feeds and poll_feeds need to fetch in this install, as keyword
    arguments: an HTTP client (closed afterwards), the URL guard with the allowlist, and
    the OUTREACH_FEED_* settings. The worker, the page and the command line all use it."""
    poll = PollSettings.from_settings(settings)
    guard = URLGuard(settings.url_allowlist)
    with make_client(poll, guard) as client:
        yield {"client": client, "guard": guard, "settings": poll}


def poll_job(settings: Settings) -> Callable[[Engine, datetime], str]:
    """The worker's feed job: poll the due feeds into press hits and watch items; returns the
    summary line."""
    def job(db: Engine, now: datetime) -> str:
        with fetching(settings) as how:
            return poll_feeds(db, **how, now=now, sink=hits_sink(db, now)).describe()
    return job
