"""The clip report: a campaign's coverage for a date range, as one self-contained HTML page
(open it in a browser and Print to PDF) or CSV, with a summary at the top.

Also `python -m outreach coverage export|report`, the command-line way to the same files.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.engine import Engine

from outreach import campaigns
from outreach.config import TEMPLATES_DIR
from outreach.coverage import hit_lists
from outreach.safety import csv_text

TEMPLATE = "clip_report.html.j2"
CSV_COLUMNS = ["headline", "outlet", "date", "author", "link", "tone"]
NOT_MARKED = "not marked"
TOP_OUTLETS = 5


@dataclass(frozen=True)
class ClipRow:
    """One clip: a story about the campaign, dated in the campaign's time zone."""

    headline: str
    outlet: str
    date: date
    author: str
    link: str
    tone: str


@dataclass(frozen=True)
class ClipReport:
    """A campaign's visible coverage from `since` to `until` (both included), oldest first,
    with the figures its summary shows."""

    campaign: str
    timezone: str
    since: date
    until: date
    rows: list[ClipRow]
    outlets: int
    by_tone: dict[str, int]
    spokesperson_quoted: int
    top_outlets: list[tuple[str, int]]

    @property
    def total(self) -> int:
        """How many clips the report holds."""
        return len(self.rows)

    @property
    def spokesperson_percent(self) -> int:
        """The share of clips quoting one of our spokespeople, as a whole percentage."""
        return round(100 * self.spokesperson_quoted / self.total) if self.total else 0


def build(db: Engine, campaign_id: int, since: date, until: date) -> ClipReport:
    """Gather the campaign's visible hits from `since` to `until` (days in its time zone,
    both included) and the summary figures; InvalidInput if the range runs backwards."""
    campaign = campaigns.get_campaign(db, campaign_id)
    zone = ZoneInfo(campaign.timezone)
    hits = hit_lists.list_hits(db, campaign_id, hit_lists.HitFilter(since=since, until=until),
                              newest_first=False)
    rows = [
        ClipRow(
            headline=hit["title"],
            outlet=hit["outlet"] or hit_lists.UNKNOWN_OUTLET,
            date=hit["date"].astimezone(zone).date(),
            author=hit["author"].strip() or hit["journalist"] or "",
            link=hit["url"],
            tone=hit["tone"],
        )
        for hit in hits
    ]
    tones = Counter(row.tone or NOT_MARKED for row in rows)
    by_outlet = Counter(row.outlet for row in rows)
    return ClipReport(
        campaign=campaign.name,
        timezone=campaign.timezone,
        since=since,
        until=until,
        rows=rows,
        outlets=len({hit["outlet_id"] for hit in hits if hit["outlet_id"] is not None}),
        by_tone={tone: tones[tone] for tone in (*hit_lists.TONES, NOT_MARKED) if tones[tone]},
        spokesperson_quoted=sum(1 for hit in hits if hit["spokesperson_quoted"]),
        top_outlets=sorted(by_outlet.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[
            :TOP_OUTLETS],
    )


def render_html(report: ClipReport) -> str:
    """The report as one HTML file with inline styles and nothing fetched from elsewhere,
    laid out for Print to PDF; every text is escaped, and only http(s) links are clickable."""
    return html_environment().get_template(TEMPLATE).render(
        report=report,
        long_date=long_date,
        safe_link=safe_link,
    )


def render_csv(report: ClipReport) -> str:
    """The report's clips as CSV (headline, outlet, date, author, link, tone), with cells a
    spreadsheet would run as formulas neutralised."""
    return csv_text(
        ({"headline": r.headline, "outlet": r.outlet, "date": r.date.isoformat(),
          "author": r.author, "link": r.link, "tone": r.tone} for r in report.rows),
        CSV_COLUMNS,
    )


def long_date(day: date) -> str:
    """A date as people write it in a report, e.g. 3 November 2026."""
    return f"{day.day} {day:%B %Y}"


def safe_link(url: str) -> str | None:
    """`url` if a reader may click it (http or https), else None: a feed could carry a
    javascript: link, which must not become one in the report."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


@functools.cache
def html_environment() -> jinja2.Environment:
    """The autoescaping Jinja2 environment of the self-contained HTML reports in templates/
    (this clip report, the weekly digest)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
