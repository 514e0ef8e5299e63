"""The employer watch: what a campaign follows beside the press (the company's SEC EDGAR
filings, its own newsroom, any feed a research committee adds), kept as watch items and
never as press hits.

    edgar_url(company, endpoint=)          the EDGAR Atom feed from a CIK or ticker (built here)
    edgar_user_agent(contact)              the User-Agent EDGAR's fair-access rule asks for
    form_label(form)                       what a form that matters to a contract fight is
    record_items(db, feed, items, now=)    the poller's sink for watch feeds
    list_items(db, campaign_id)            newest first, labelled, with the query's terms
    filings_between / other_items_between  what the weekly digest counts
    newest_by_feed                         when each watch feed last brought something

EDGAR's fair-access rule: every request names the requester with a contact e-mail in its
User-Agent, and no more than 10 requests a second reach sec.gov. The contact is the
OUTREACH_EDGAR_CONTACT setting; the rate is EDGAR_REQUESTS_PER_SECOND, which every fetch of
an EDGAR feed (adding one, or any poll, whatever the campaign) waits its turn for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.coverage.items import FeedItem
from outreach.coverage.query import Query
from outreach.errors import InvalidInput
from outreach.net import USER_AGENT
from outreach.store.tables import watch_items

EDGAR_BROWSE = "https://www.sec.gov/cgi-bin/browse-edgar"
EDGAR_KIND = "edgar"
EDGAR_REQUESTS_PER_SECOND = 10
# Feed kinds whose items are watch items, never press hits.
WATCH_KINDS = (EDGAR_KIND, "employer")
# The forms that matter in a contract fight, and what each one is in plain words.
FORM_LABELS = {
    "8-K": "a material event (layoffs, closings, executives, deals)",
    "10-Q": "the quarterly report",
    "10-K": "the annual report",
    "DEF 14A": "the proxy statement (executive pay, shareholder votes)",
}


# A stock ticker as EDGAR's company search takes it: ACME, or a share class (BRK-B, BRK.B).
_TICKER = re.compile(r"[A-Z]{1,5}(?:[.-][A-Z]{1,2})?")


def edgar_url(company: str, *, endpoint: str = EDGAR_BROWSE) -> str:
    """The EDGAR Atom feed of a company's filings (the newest 40), from its CIK (the number
    EDGAR gives each filer) or its stock ticker, both of which EDGAR's company search takes;
    refuses anything else in words."""
    given = str(company).strip()
    if given.isdigit() and len(given) <= 10:
        key = given.zfill(10)
    elif _TICKER.fullmatch(given.upper()):
        key = given.upper().replace(".", "-")
    else:
        raise InvalidInput(f"{company!r} is neither a CIK nor a stock ticker: give the "
                           "company's EDGAR number (up to 10 digits, e.g. 0000320193) or its "
                           "ticker (e.g. ACME), found by searching EDGAR for its name.")
    return (f"{endpoint}?action=getcompany&CIK={key}&type=&dateb=&owner=include"
            "&count=40&output=atom")


def is_edgar(url: str) -> bool:
    """Whether `url` is an EDGAR company feed on sec.gov, however it was added."""
    parts = urlsplit(url)
    return ((parts.hostname or "").lower() in ("sec.gov", "www.sec.gov")
            and parts.path.startswith(urlsplit(EDGAR_BROWSE).path))


def edgar_user_agent(contact: str) -> str:
    """Our User-Agent with the contact e-mail, as EDGAR's fair-access rule requires; refused
    in words while OUTREACH_EDGAR_CONTACT is not set."""
    if not contact:
        raise InvalidInput("SEC EDGAR asks every requester for a contact e-mail; set "
                           "OUTREACH_EDGAR_CONTACT (e.g. research@local123.org) and try again.")
    return f"{USER_AGENT} {contact}"


def form_of(title: str) -> str:
    """The form type of an EDGAR entry from its title ("8-K  - Current report" -> "8-K")."""
    form, sep, _ = title.partition(" - ")
    return " ".join(form.split()) if sep else ""


def form_label(form: str) -> str:
    """What a form that matters to a contract fight is ("8-K: a material event ..."), or ""
    for any other form."""
    label = FORM_LABELS.get(form)
    return f"{form}: {label}" if label else ""


def record_items(db: Engine, feed: dict, items: Sequence[FeedItem], *, now: datetime) -> int:
    """Keep a watch feed's items the campaign does not have yet (one per link), with the
    form type for EDGAR feeds; returns how many are new. One transaction."""
    rows, seen = [], set()
    for item in items:
        link = item.link.strip()
        if not link or link in seen:
            continue
        seen.add(link)
        title = " ".join(item.title.split()) or link
        rows.append({"campaign_id": feed["campaign_id"], "feed_id": feed["id"],
                     "title": title[:500], "link": link[:2000],
                     "published_at": item.published.astimezone(UTC) if item.published else None,
                     "form": form_of(title)[:40] if feed["kind"] == EDGAR_KIND else "",
                     "found_at": now})
    if not rows:
        return 0
    with db.begin() as conn:
        known = set(conn.execute(sa.select(watch_items.c.link).where(
            watch_items.c.campaign_id == feed["campaign_id"],
            watch_items.c.link.in_([r["link"] for r in rows]))).scalars())
        new = [r for r in rows if r["link"] not in known]
        if new:
            conn.execute(watch_items.insert(), new)
    return len(new)


def _when():
    return sa.func.coalesce(watch_items.c.published_at, watch_items.c.found_at)


def _spans(title: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where `terms` occur in `title`, case aside, longest first where they overlap."""
    if not terms:
        return []
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    return [m.span() for m in pattern.finditer(title)]


def list_items(db: Engine, campaign_id: int, *, query: Query | None = None) -> list[dict]:
    """A campaign's watch items, newest first: title, link, published_at, form, `label` for
    the forms that matter, and `spans` ((start, end) in the title) of the terms of the
    campaign's `query` that made the title match, for highlighting."""
    select = (sa.select(watch_items).where(watch_items.c.campaign_id == campaign_id)
              .order_by(_when().desc(), watch_items.c.id.desc()))
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select)]
    for row in rows:
        row["label"] = form_label(row["form"])
        matched = query.match_item(row["title"]) if query is not None else None
        row["spans"] = _spans(row["title"], matched or ())
    return rows


def newest_by_feed(db: Engine, campaign_id: int) -> dict[int, datetime]:
    """When each of a campaign's watch feeds last brought an item (its date, else when it
    was found), so feed health does not call a quiet filer's feed stale for want of hits."""
    with db.connect() as conn:
        return dict(conn.execute(
            sa.select(watch_items.c.feed_id, sa.func.max(_when()))
            .where(watch_items.c.campaign_id == campaign_id,
                   watch_items.c.feed_id.is_not(None))
            .group_by(watch_items.c.feed_id)).all())


def filings_between(db: Engine, campaign_id: int, start: datetime,
                    end: datetime) -> list[dict]:
    """The EDGAR filings found in [start, end), oldest first: form and published_at."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(watch_items.c.form, _when().label("when"))
            .where(watch_items.c.campaign_id == campaign_id, watch_items.c.form != "",
                   watch_items.c.found_at >= start, watch_items.c.found_at < end)
            .order_by(_when(), watch_items.c.id)).all()
    return [{"form": r.form, "published_at": r.when} for r in rows]


def other_items_between(db: Engine, campaign_id: int, start: datetime, end: datetime) -> int:
    """How many watch items that are not EDGAR filings were found in [start, end)."""
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(
            watch_items.c.campaign_id == campaign_id, watch_items.c.form == "",
            watch_items.c.found_at >= start, watch_items.c.found_at < end)).scalar_one()
