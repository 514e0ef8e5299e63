"""The weekly digest for the committee: one ISO week (Monday to Sunday in the campaign's time
zone) of posts, engagement, new followers, press hits, releases sent with the coverage
they earned, and what the employer watch found (filings by form and date, other items), as
a self-contained HTML page or as Markdown.

Figures follow the definitions in outreach/insights/analytics.py. Also `python -m outreach digest`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jinja2
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach import campaigns
from outreach.config import TEMPLATES_DIR
from outreach.coverage import hit_lists, watch
from outreach.coverage import hits as press_hits
from outreach.coverage.clip_report import html_environment, long_date, safe_link
from outreach.errors import InvalidInput
from outreach.insights import analytics
from outreach.safety import md_escape
from outreach.store.tables import pitch_batches, pitch_messages, releases

HTML_TEMPLATE = "digest.html.j2"
# Not *.md.j2: that suffix marks the release templates (outreach/releases/templates.py).
MARKDOWN_TEMPLATE = "digest.markdown.j2"
TOP_POSTS = 3
TOP_OUTLETS = 5


@dataclass(frozen=True)
class DigestPost:
    """A post published in the week, with its engagement as last read (None if never)."""

    account: str
    text: str
    published: datetime
    link: str
    engagement: int | None
    rate: float | None


@dataclass(frozen=True)
class DigestHit:
    """A story: headline, outlet, its local day and link."""

    headline: str
    outlet: str
    day: date
    link: str


@dataclass(frozen=True)
class ReleaseSent:
    """A release whose pitches finished going out in the week, how many people they reached
    (each journalist once, however many e-mails), and every story tied to it so far (its
    coverage)."""

    title: str
    sent_on: date
    journalists_pitched: int
    coverage: list[DigestHit]


@dataclass(frozen=True)
class Digest:
    """One campaign's ISO week, with every figure its HTML and Markdown forms show."""

    campaign: str
    timezone: str
    year: int
    week: int
    posts: int
    posts_by_platform: dict[str, int]
    posts_with_figures: int
    top_posts: list[DigestPost]
    engagement: int
    followers: list[analytics.FollowerChange]
    press_hits: int
    top_outlets: list[tuple[str, int]]
    headlines: list[DigestHit]
    releases: list[ReleaseSent]
    filings: list[tuple[str, date]]  # EDGAR filings found in the week: form, filing day
    other_watch_items: int  # newsroom and research items found in the week

    @property
    def employer_watch(self) -> str:
        """The employer watch in one line: "3 new filings: 8-K on 2026-11-30, ...", then
        the count of its other new items."""
        parts = []
        if self.filings:
            listed = ", ".join(f"{form} on {day.isoformat()}" for form, day in self.filings)
            noun = "filing" if len(self.filings) == 1 else "filings"
            parts.append(f"{len(self.filings)} new {noun}: {listed}")
        if self.other_watch_items:
            noun = "item" if self.other_watch_items == 1 else "items"
            parts.append(f"{self.other_watch_items} other new watch {noun} (newsroom, "
                         "research)")
        return "; ".join(parts) + "." if parts else "Nothing new from the employer watch."

    @property
    def label(self) -> str:
        """The week as 2026-W48."""
        return analytics.week_label(self.year, self.week)

    @property
    def monday(self) -> date:
        """The week's first day."""
        return analytics.week_days(self.year, self.week)[0]

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return analytics.week_days(self.year, self.week)[1]

    @property
    def new_followers(self) -> int | None:
        """Net new followers over the accounts read that week; None when none was."""
        known = [c.new for c in self.followers if c.new is not None]
        return sum(known) if known else None


def build(db: Engine, campaign_id: int, year: int, week: int) -> Digest:
    """Gather one ISO week of a campaign (see the module docstring); InvalidInput for a week
    that does not exist, NotFound for an unknown campaign."""
    try:
        analytics.week_days(year, week)
    except ValueError:
        raise InvalidInput(f"{analytics.week_label(year, week)} is not a week; "
                           f"write e.g. {analytics.WEEK_EXAMPLE}.") from None
    campaign = campaigns.get_campaign(db, campaign_id)
    zone = ZoneInfo(campaign.timezone)
    start, end = analytics.week_bounds(year, week, zone)
    monday, sunday = analytics.week_days(year, week)
    published = analytics.post_engagement(db, campaign_id, since=start, until=end)
    known = [r["engagement"] for r in published if r["engagement"] is not None]
    week_hits = hit_lists.HitFilter(since=monday, until=sunday)
    hits = hit_lists.list_hits(db, campaign_id, week_hits)
    return Digest(
        campaign=campaign.name,
        timezone=campaign.timezone,
        year=year,
        week=week,
        posts=len(published),
        posts_by_platform=analytics.posts_published_in(published),
        posts_with_figures=len(known),
        top_posts=[
            DigestPost(account=r["account"], text=r["text"],
                       published=r["published_at"].astimezone(zone), link=r["url"],
                       engagement=r["engagement"], rate=r["rate"])
            for r in analytics.top_posts(published, by="engagement", limit=TOP_POSTS)
        ],
        engagement=sum(known),
        followers=analytics.followers_in_week(db, campaign_id, year, week),
        press_hits=len(hits),
        top_outlets=[(r["outlet"], r["hits"]) for r in
                     hit_lists.hits_by_outlet(db, campaign_id, week_hits)[:TOP_OUTLETS]],
        headlines=[_hit(h, zone) for h in hits],
        releases=_releases_sent(db, campaign_id, start, end, zone),
        filings=[(f["form"], f["published_at"].astimezone(zone).date())
                 for f in watch.filings_between(db, campaign_id, start, end)],
        other_watch_items=watch.other_items_between(db, campaign_id, start, end),
    )


def _hit(hit: dict, zone: ZoneInfo) -> DigestHit:
    when = hit.get("date") or hit["published_at"] or hit["found_at"]
    return DigestHit(headline=hit["title"], outlet=hit["outlet"] or hit_lists.UNKNOWN_OUTLET,
                     day=when.astimezone(zone).date(), link=hit["url"])


def _releases_sent(db: Engine, campaign_id: int, start: datetime, end: datetime,
                   zone: ZoneInfo) -> list[ReleaseSent]:
    """Releases with a pitch batch finished in [start, end), oldest first, each with the
    people those batches reached: a journalist e-mailed twice counts once."""
    finished_in_week = sa.and_(releases.c.campaign_id == campaign_id,
                               pitch_batches.c.finished_at >= start,
                               pitch_batches.c.finished_at < end)
    query = (
        sa.select(releases.c.id, releases.c.title,
                  sa.func.max(pitch_batches.c.finished_at).label("finished"))
        .join(pitch_batches, pitch_batches.c.release_id == releases.c.id)
        .where(finished_in_week)
        .group_by(releases.c.id, releases.c.title)
        .order_by(sa.func.max(pitch_batches.c.finished_at), releases.c.id)
    )
    sent = (
        sa.select(releases.c.id, pitch_messages.c.journalist_id, pitch_messages.c.email)
        .join(pitch_batches, pitch_batches.c.release_id == releases.c.id)
        .join(pitch_messages, pitch_messages.c.batch_id == pitch_batches.c.id)
        .where(finished_in_week, pitch_messages.c.status == "sent")
    )
    with db.connect() as conn:
        rows = conn.execute(query).all()
        people: dict[int, set] = {}
        for release_id, journalist_id, email in conn.execute(sent):
            # A row whose journalist was deleted since keeps only the address.
            who = journalist_id if journalist_id is not None else email.strip().lower()
            people.setdefault(release_id, set()).add(who)
    return [
        ReleaseSent(title=r.title, sent_on=r.finished.astimezone(zone).date(),
                    journalists_pitched=len(people.get(r.id, ())),
                    coverage=[_hit(h, zone) for h in press_hits.release_coverage(db, r.id)])
        for r in rows
    ]


# --- rendering -------------------------------------------------------------------------------


def render_html(digest: Digest) -> str:
    """The digest as one HTML file with inline styles and nothing fetched from elsewhere;
    every text is escaped, and only http(s) links are clickable."""
    return html_environment().get_template(HTML_TEMPLATE).render(**_context(digest))


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown, for e-mail or a chat channel; every text from the store is
    escaped so that a headline cannot turn into markup or a link."""
    return _markdown_environment().get_template(MARKDOWN_TEMPLATE).render(**_context(digest))


def short(text: str, limit: int = 120) -> str:
    """`text` on one line, cut at a word near `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def signed(number: int | None) -> str:
    """A change in followers as +12, -3 or 0; a dash when unknown."""
    if number is None:
        return "–"
    return f"{number:+d}" if number else "0"


def percent(rate: float | None) -> str:
    """An engagement rate as a percentage with one decimal; empty when unknown."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def _context(digest: Digest) -> dict:
    return {"digest": digest, "long_date": long_date, "safe_link": safe_link, "short": short,
            "signed": signed, "percent": percent}


@functools.cache
def _markdown_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # HTML escaping would be wrong in Markdown; `finalize` escapes every printed value
        # for Markdown instead (md_escape), so the template cannot forget one.
        autoescape=False,  # noqa: S701
        finalize=_md_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _md_finalize(value: object) -> str:
    return str(value) if isinstance(value, int | float) else md_escape(value)
