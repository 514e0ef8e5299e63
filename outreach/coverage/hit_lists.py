"""Feeds and press hits, read side: the Coverage page's lists, counts and charts, and CSV export.

Hidden hits (marked irrelevant by the committee) are left out everywhere unless a filter asks
for them. A hit's date is its published time, or when we found it if the feed gave none; days
are calendar days in the campaign's time zone. A journalist match that is only "suggested"
does not tie a hit to that journalist until someone confirms it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.errors import InvalidInput, NotFound
from outreach.safety import write_csv
from outreach.store.tables import (
    campaign_events,
    campaigns,
    journalists,
    outlets,
    press_hits,
    releases,
)

TONES = ("positive", "neutral", "negative")
UNKNOWN_OUTLET = "Unknown outlet"
NO_OUTLET_KIND = "not set"
NO_BYLINE = "No byline"
EXPORT_COLUMNS = [
    "published", "headline", "outlet", "outlet type", "author", "journalist", "link", "tone",
    "spokesperson quoted", "key message", "matched terms", "release",
]

_FROM = (
    press_hits
    .outerjoin(outlets, outlets.c.id == press_hits.c.outlet_id)
    .outerjoin(journalists, sa.and_(journalists.c.id == press_hits.c.journalist_id,
                                    press_hits.c.journalist_match != "suggested"))
    .outerjoin(releases, releases.c.id == press_hits.c.release_id)
)


def hit_time() -> sa.ColumnElement:
    """When a hit appeared, in SQL: its published time, or when we found it if the feed gave
    none (Google Alerts and some outlet feeds leave the date out)."""
    return sa.func.coalesce(press_hits.c.published_at, press_hits.c.found_at)


@dataclass(frozen=True)
class HitFilter:
    """Which press hits to show. None (or "" for `text`) means no restriction.

    `since` and `until` are calendar days in the campaign's time zone, both included.
    `tone=""` selects hits nobody has marked yet. `text` is searched for in headlines,
    ignoring case.
    """

    since: date | None = None
    until: date | None = None
    outlet_id: int | None = None
    outlet_kind: str | None = None
    journalist_id: int | None = None
    tone: str | None = None
    spokesperson_quoted: bool | None = None
    key_message: bool | None = None
    include_hidden: bool = False
    text: str = ""


def latest_hits(db: Engine, campaign_id: int, *, limit: int = 50) -> list[dict]:
    """A campaign's press hits, newest first, without hidden ones."""
    query = (
        sa.select(
            press_hits.c.published_at,
            press_hits.c.title,
            outlets.c.name.label("outlet"),
            press_hits.c.author,
            press_hits.c.url,
        )
        .select_from(press_hits.outerjoin(outlets, outlets.c.id == press_hits.c.outlet_id))
        .where(press_hits.c.campaign_id == campaign_id, press_hits.c.hidden.is_(False))
        .order_by(hit_time().desc(), press_hits.c.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_hits(db: Engine, campaign_id: int, *, since: datetime | None = None) -> int:
    """How many press hits (not hidden) a campaign has, optionally since a time."""
    query = sa.select(sa.func.count()).where(
        press_hits.c.campaign_id == campaign_id, press_hits.c.hidden.is_(False))
    if since is not None:
        query = query.where(hit_time() >= since)
    with db.connect() as conn:
        return conn.execute(query).scalar_one()


def campaign_zone(db: Engine, campaign_id: int) -> ZoneInfo:
    """The campaign's time zone, in which coverage days are counted; NotFound if no campaign."""
    with db.connect() as conn:
        name = conn.execute(
            sa.select(campaigns.c.timezone).where(campaigns.c.id == campaign_id)).scalar()
    if name is None:
        raise NotFound(f"No campaign with id {campaign_id}.")
    return ZoneInfo(name)


def list_hits(
    db: Engine, campaign_id: int, f: HitFilter, *, limit: int | None = None,
    newest_first: bool = True,
) -> list[dict]:
    """The hits `f` selects, with outlet name and kind, journalist and release title.

    Each dict holds the press_hits columns plus `date` (published, else found), `outlet`,
    `outlet_kind`, `journalist` (a confirmed or unchecked match, not a suggestion) and
    `release`; `matched_terms` is always a list.
    """
    query = _where(
        sa.select(
            press_hits.c.id, hit_time().label("date"), press_hits.c.published_at,
            press_hits.c.found_at, press_hits.c.title, press_hits.c.url,
            press_hits.c.canonical_url, press_hits.c.author, press_hits.c.snippet,
            press_hits.c.outlet_id, outlets.c.name.label("outlet"),
            outlets.c.kind.label("outlet_kind"), journalists.c.id.label("journalist_id"),
            journalists.c.name.label("journalist"), press_hits.c.journalist_match,
            press_hits.c.feed_id, press_hits.c.matched_terms, press_hits.c.tone,
            press_hits.c.spokesperson_quoted, press_hits.c.key_message, press_hits.c.hidden,
            press_hits.c.release_id, releases.c.title.label("release"), press_hits.c.source,
        ).select_from(_FROM),
        campaign_id, f, campaign_zone(db, campaign_id),
    )
    order = (hit_time().desc(), press_hits.c.id.desc()) if newest_first else (
        hit_time().asc(), press_hits.c.id.asc())
    query = query.order_by(*order).limit(limit)
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["matched_terms"] = list(row["matched_terms"] or [])
    return rows


def hits_per_day(db: Engine, campaign_id: int, f: HitFilter) -> list[dict]:
    """Hits per calendar day in the campaign's zone, every day of the range (zeros too).

    The range is `f.since`..`f.until`, or the first and last day with a hit where open.
    """
    zone = campaign_zone(db, campaign_id)
    query = _where(sa.select(hit_time()).select_from(_FROM), campaign_id, f, zone)
    with db.connect() as conn:
        counts = Counter(when.astimezone(zone).date() for when in conn.execute(query).scalars())
    first = f.since or min(counts, default=None)
    last = f.until or max(counts, default=None)
    if first is None or last is None:
        return []
    return [{"day": day, "hits": counts[day]} for day in _days(first, last)]


def hits_by_outlet(db: Engine, campaign_id: int, f: HitFilter) -> list[dict]:
    """Hits per outlet, most first: outlet_id, outlet, kind, hits."""
    hits = sa.func.count().label("hits")
    query = _where(
        sa.select(press_hits.c.outlet_id, outlets.c.name, outlets.c.kind, hits)
        .select_from(_FROM),
        campaign_id, f, campaign_zone(db, campaign_id),
    ).group_by(press_hits.c.outlet_id, outlets.c.name, outlets.c.kind)
    with db.connect() as conn:
        rows = conn.execute(query).all()
    found = [
        {"outlet_id": r.outlet_id, "outlet": r.name or UNKNOWN_OUTLET,
         "kind": r.kind or NO_OUTLET_KIND, "hits": r.hits}
        for r in rows
    ]
    return sorted(found, key=lambda r: (-r["hits"], r["outlet"].casefold()))


def hits_by_outlet_kind(db: Engine, campaign_id: int, f: HitFilter) -> list[dict]:
    """Hits per kind of outlet (daily paper, TV, labor press...), most first: kind, hits."""
    counts: Counter[str] = Counter()
    for row in hits_by_outlet(db, campaign_id, f):
        counts[row["kind"]] += row["hits"]
    return [{"kind": kind, "hits": n}
            for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))]


def hits_by_journalist(db: Engine, campaign_id: int, f: HitFilter) -> list[dict]:
    """Hits per journalist, most first: journalist_id, journalist, on_press_list, hits.

    A hit not tied to someone on the press list counts under its byline (on_press_list
    False), or under "No byline", so the rows add up to every hit.
    """
    hits = sa.func.count().label("hits")
    query = _where(
        sa.select(journalists.c.id, journalists.c.name, press_hits.c.author, hits)
        .select_from(_FROM),
        campaign_id, f, campaign_zone(db, campaign_id),
    ).group_by(journalists.c.id, journalists.c.name, press_hits.c.author)
    with db.connect() as conn:
        rows = conn.execute(query).all()
    merged: dict[tuple, dict] = {}
    for r in rows:
        byline = r.author.strip() or NO_BYLINE
        key = ("journalist", r.id) if r.id is not None else ("byline", byline.casefold())
        entry = merged.setdefault(key, {
            "journalist_id": r.id, "journalist": r.name if r.id is not None else byline,
            "on_press_list": r.id is not None, "hits": 0,
        })
        entry["hits"] += r.hits
    return sorted(merged.values(), key=lambda e: (-e["hits"], e["journalist"].casefold()))


def spokesperson_share(db: Engine, campaign_id: int, f: HitFilter) -> tuple[int, int]:
    """(hits quoting one of our spokespeople, all hits) among those `f` selects."""
    quoted = sa.func.coalesce(sa.func.sum(
        sa.case((press_hits.c.spokesperson_quoted.is_(True), 1), else_=0)), 0)
    query = _where(sa.select(quoted, sa.func.count()).select_from(_FROM),
                   campaign_id, f, campaign_zone(db, campaign_id))
    with db.connect() as conn:
        row = conn.execute(query).one()
    return int(row[0]), int(row[1])


def events_between(
    db: Engine, campaign_id: int, since: date | None, until: date | None,
) -> list[dict]:
    """The campaign's events from `since` to `until` (both included, None = open), for
    marking strike votes, rallies and the like on the coverage chart."""
    query = (
        sa.select(campaign_events.c.event_date, campaign_events.c.title, campaign_events.c.kind)
        .where(campaign_events.c.campaign_id == campaign_id)
        .order_by(campaign_events.c.event_date, campaign_events.c.id)
    )
    if since is not None:
        query = query.where(campaign_events.c.event_date >= since)
    if until is not None:
        query = query.where(campaign_events.c.event_date <= until)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def export_rows(db: Engine, campaign_id: int, *, since: date | None = None) -> list[dict]:
    """The visible hits, oldest first, as rows keyed by EXPORT_COLUMNS; times are local to
    the campaign's zone."""
    zone = campaign_zone(db, campaign_id)
    return [
        {
            "published": f"{hit['date'].astimezone(zone):%Y-%m-%d %H:%M}",
            "headline": hit["title"],
            "outlet": hit["outlet"] or "",
            "outlet type": hit["outlet_kind"] or "",
            "author": hit["author"],
            "journalist": hit["journalist"] or "",
            "link": hit["url"],
            "tone": hit["tone"],
            "spokesperson quoted": "yes" if hit["spokesperson_quoted"] else "no",
            "key message": "yes" if hit["key_message"] else "no",
            "matched terms": "; ".join(hit["matched_terms"]),
            "release": hit["release"] or "",
        }
        for hit in list_hits(db, campaign_id, HitFilter(since=since), newest_first=False)
    ]


def export_csv(
    db: Engine, campaign_id: int, path_or_stream: str | Path | IO[str], *,
    since: date | None = None,
) -> int:
    """Write the campaign's visible hits as CSV (cells safe from spreadsheet formulas) and
    return how many. A path is written as UTF-8 with a BOM so Excel reads accents; a stream
    must be opened with newline=""."""
    rows = export_rows(db, campaign_id, since=since)
    if not isinstance(path_or_stream, str | Path):
        write_csv(rows, path_or_stream, EXPORT_COLUMNS)
        return len(rows)
    try:
        with open(path_or_stream, "w", newline="", encoding="utf-8-sig") as fileobj:
            write_csv(rows, fileobj, EXPORT_COLUMNS)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path_or_stream}: {exc.strerror or exc}.") from None
    return len(rows)


def day_bounds(since: date | None, until: date | None, zone: ZoneInfo,
               ) -> tuple[datetime | None, datetime | None]:
    """The UTC instants where day `since` starts and day `until` ends in `zone` (None stays
    open); InvalidInput when the range runs backwards."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"The range starts on {since} after it ends on {until}; "
                           "give the earlier date first.")
    start = None if since is None else _midnight(since, zone)
    end = None if until is None else _midnight(until + timedelta(days=1), zone)
    return start, end


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def _where(query: sa.Select, campaign_id: int, f: HitFilter, zone: ZoneInfo) -> sa.Select:
    """`query` narrowed to the campaign's hits that `f` selects."""
    start, end = day_bounds(f.since, f.until, zone)
    query = query.where(press_hits.c.campaign_id == campaign_id)
    if start is not None:
        query = query.where(hit_time() >= start)
    if end is not None:
        query = query.where(hit_time() < end)
    if f.outlet_id is not None:
        query = query.where(press_hits.c.outlet_id == f.outlet_id)
    if f.outlet_kind is not None:
        query = query.where(outlets.c.kind == f.outlet_kind)
    if f.journalist_id is not None:
        query = query.where(journalists.c.id == f.journalist_id)
    if f.tone is not None:
        query = query.where(press_hits.c.tone == f.tone)
    if f.spokesperson_quoted is not None:
        query = query.where(press_hits.c.spokesperson_quoted.is_(f.spokesperson_quoted))
    if f.key_message is not None:
        query = query.where(press_hits.c.key_message.is_(f.key_message))
    if not f.include_hidden:
        query = query.where(press_hits.c.hidden.is_(False))
    if f.text.strip():
        query = query.where(press_hits.c.title.icontains(f.text.strip(), autoescape=True))
    return query
