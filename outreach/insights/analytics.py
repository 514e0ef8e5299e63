"""Analytics, read side: follower growth, post engagement, best times to post, weekly numbers.

Definitions (the Analytics page, the Overview and the weekly digest all use these):

- A post's *engagement* is likes + reposts + replies + quotes of its FIRST part, as of that
  part's latest engagement read. Later parts of a thread are left out: they are mostly seen by
  people who already opened the first, so summing them would rank threads above single posts
  for the same reach. A published post never read yet has engagement None, not 0.
- Its *engagement rate* is engagement / the account's followers at publish time (the latest
  follower snapshot at or before `published_at`); None when that count is unknown or zero.
- *Best hours and days* average the engagement of published posts by the local hour and local
  weekday of `published_at` in the campaign's time zone, with the number of posts in each cell;
  below MIN_POSTS_FOR_BEST_TIMES posts with engagement figures there is not enough history.
- *Net new followers* per day or ISO week: for each account, the last snapshot of a local
  period minus the last snapshot of the period before it; an account's first period counts
  from its first snapshot (growth seen since tracking began), so the periods add up.
- A post's *engagement curve* is its first part's engagement reads over time since publishing.
- An account whose platform refuses a read (or whose reads fail) shows the platform's words
  (`AccountRead.problem`), never a zero line: such reads leave no row, so no figure is made up.

Weeks are ISO weeks, Monday to Sunday in the campaign's time zone, written 2026-W48.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.campaigns import get_campaign
from outreach.coverage import hit_lists
from outreach.errors import InvalidInput, NotFound
from outreach.insights import metrics
from outreach.insights.metrics import PLATFORM_NAMES
from outreach.store.tables import (
    campaign_events,
    follower_snapshots,
    pitch_batches,
    post_metrics,
    post_parts,
    posts,
    releases,
    social_accounts,
)

MIN_POSTS_FOR_BEST_TIMES = 10
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEK_EXAMPLE = "2026-W48"
_WEEK = re.compile(r"\s*(\d{4})-?W(\d{1,2})\s*", re.IGNORECASE)
# Account states (metrics.account_metrics_status) in which follower reads do not work.
_TROUBLE = ("failing", "refused")


# --- weeks -----------------------------------------------------------------------------------


def parse_week(text: str) -> tuple[int, int]:
    """(year, week) from an ISO week such as 2026-W48; InvalidInput saying how to write one."""
    found = _WEEK.fullmatch(text or "")
    if found:
        year, week = int(found.group(1)), int(found.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            return year, week
    raise InvalidInput(f"{text.strip() or 'An empty value'} is not a week; "
                       f"write e.g. {WEEK_EXAMPLE}.")


def week_label(year: int, week: int) -> str:
    """The ISO week as people write it, e.g. 2026-W48."""
    return f"{year}-W{week:02d}"


def week_days(year: int, week: int) -> tuple[date, date]:
    """The Monday and the Sunday of an ISO week."""
    monday = date.fromisocalendar(year, week, 1)
    return monday, monday + timedelta(days=6)


def week_bounds(year: int, week: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where an ISO week starts (Monday 00:00 in `zone`) and the next begins."""
    monday, _ = week_days(year, week)
    return _midnight(monday, zone), _midnight(monday + timedelta(days=7), zone)


def week_of(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """The ISO (year, week) that an aware instant falls in, in `zone`."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return year, week


def last_full_week(now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """The ISO week before the current one in `zone`: the digest's default."""
    return week_of(now - timedelta(days=7), zone)


def recent_weeks(now: datetime, zone: ZoneInfo, count: int = 12) -> list[tuple[int, int]]:
    """The current ISO week and the `count - 1` before it, newest first, for a week picker."""
    return [week_of(now - timedelta(days=7 * n), zone) for n in range(count)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


# --- accounts and followers ------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRead:
    """A campaign account's latest follower count and how reading it goes.

    `state` is "ok", "not read yet", "failing" or "refused" (metrics.account_metrics_status);
    `problem` says, in the platform's words, why reads of the account or of its posts fail or
    are refused, and is empty when they work.
    """

    id: int
    platform: str
    handle: str
    label: str
    followers: int | None
    last_snapshot_at: datetime | None
    state: str
    problem: str


def account_label(platform: str, handle: str) -> str:
    """How an account is named on charts and in the digest, e.g. 'Bluesky @local101.test'."""
    return f"{PLATFORM_NAMES.get(platform, platform)} @{handle}"


def account_reads(db: Engine, campaign_id: int) -> list[AccountRead]:
    """Each of a campaign's accounts with its last snapshot and any failing or refused read,
    by platform and handle."""
    return [
        AccountRead(
            id=s["account_id"], platform=s["platform"], handle=s["handle"],
            label=account_label(s["platform"], s["handle"]), followers=s["followers"],
            last_snapshot_at=s["last_snapshot_at"], state=s["state"],
            problem=s["message"] if s["state"] in _TROUBLE or s["post_error"] else "",
        )
        for s in metrics.account_metrics_status(db, campaign_id)
    ]


@dataclass(frozen=True)
class _Snapshot:
    account: str
    platform: str
    taken_at: datetime
    followers: int


def _snapshots(db: Engine, campaign_id: int) -> list[_Snapshot]:
    """Every follower snapshot of the campaign's accounts, oldest first."""
    query = (
        sa.select(social_accounts.c.platform, social_accounts.c.handle,
                  follower_snapshots.c.taken_at, follower_snapshots.c.followers)
        .join(social_accounts, social_accounts.c.id == follower_snapshots.c.account_id)
        .where(social_accounts.c.campaign_id == campaign_id)
        .order_by(follower_snapshots.c.taken_at, follower_snapshots.c.id)
    )
    with db.connect() as conn:
        return [_Snapshot(account_label(r.platform, r.handle), r.platform, r.taken_at,
                          r.followers) for r in conn.execute(query)]


def _zone(db: Engine, campaign_id: int) -> ZoneInfo:
    return ZoneInfo(get_campaign(db, campaign_id).timezone)


def followers_by_day(db: Engine, campaign_id: int) -> list[dict]:
    """Each account's followers at the end of each local day it was read: day, account,
    platform, followers; by day, then account."""
    zone = _zone(db, campaign_id)
    last: dict[tuple[date, str], _Snapshot] = {}
    for snap in _snapshots(db, campaign_id):
        last[(snap.taken_at.astimezone(zone).date(), snap.account)] = snap
    return [
        {"day": day, "account": account, "platform": snap.platform, "followers": snap.followers}
        for (day, account), snap in sorted(last.items())
    ]


def followers_by_platform(db: Engine, campaign_id: int) -> list[dict]:
    """Followers per platform at the end of each local day: day, platform, followers.

    An account not read on a day counts with its last earlier figure, so a missed read does
    not look like a loss; an account adds nothing before its first read.
    """
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in followers_by_day(db, campaign_id):
        by_day[row["day"]].append(row)
    known: dict[str, dict[str, int]] = defaultdict(dict)
    totals = []
    for day, rows in sorted(by_day.items()):
        for row in rows:
            known[row["platform"]][row["account"]] = row["followers"]
        totals.extend({"day": day, "platform": p, "followers": sum(known[p].values())}
                      for p in sorted(known))
    return totals


def _net_new(snaps: Iterable[_Snapshot], period: Callable[[datetime], Hashable],
             ) -> dict[tuple[str, Hashable], tuple[_Snapshot, int]]:
    """{(account, period): (last snapshot of the period, net new followers in it)}."""
    last: dict[tuple[str, Hashable], _Snapshot] = {}
    first: dict[str, _Snapshot] = {}
    for snap in snaps:
        first.setdefault(snap.account, snap)
        last[(snap.account, period(snap.taken_at))] = snap
    found = {}
    before: dict[str, int] = {}
    for (account, key), snap in sorted(last.items(), key=lambda kv: kv[1].taken_at):
        base = before.get(account, first[account].followers)
        found[(account, key)] = (snap, snap.followers - base)
        before[account] = snap.followers
    return found


def net_new_followers(db: Engine, campaign_id: int, per: str = "day") -> list[dict]:
    """Net new followers per account and local day (`per="day"`) or ISO week (`"week"`):
    period (the day, or the week's Monday), label, account, platform, followers, new."""
    if per not in ("day", "week"):
        raise InvalidInput(f"Net new followers are counted per day or per week, not {per!r}.")
    zone = _zone(db, campaign_id)

    def period(moment: datetime) -> date:
        day = moment.astimezone(zone).date()
        return day if per == "day" else day - timedelta(days=day.weekday())

    found = _net_new(_snapshots(db, campaign_id), period)
    rows = [
        {"period": key,
         "label": key.isoformat() if per == "day" else week_label(*key.isocalendar()[:2]),
         "account": account, "platform": snap.platform, "followers": snap.followers,
         "new": new}
        for (account, key), (snap, new) in found.items()
    ]
    return sorted(rows, key=lambda r: (r["period"], r["account"]))


@dataclass(frozen=True)
class FollowerChange:
    """One account's followers over a week: `followers` at its end and `new` during it, or
    None with `note` saying why (a refused or failing read in the platform's words, or no
    read that week)."""

    account: str
    platform: str
    followers: int | None
    new: int | None
    note: str = ""


def followers_in_week(db: Engine, campaign_id: int, year: int, week: int,
                      ) -> list[FollowerChange]:
    """Each account's net new followers in an ISO week (see the module's definition)."""
    zone = _zone(db, campaign_id)
    start, end = week_bounds(year, week, zone)
    found = _net_new((s for s in _snapshots(db, campaign_id) if s.taken_at < end),
                     lambda moment: moment >= start)
    changes = []
    for read in account_reads(db, campaign_id):
        if (read.label, True) in found:
            snap, new = found[(read.label, True)]
            changes.append(FollowerChange(read.label, read.platform, snap.followers, new))
        else:
            changes.append(FollowerChange(
                read.label, read.platform, None, None,
                read.problem if read.state in _TROUBLE else "no follower read this week"))
    return changes


# --- posts and engagement --------------------------------------------------------------------


def _latest_metrics() -> sa.Subquery:
    ranked = sa.select(
        post_metrics,
        sa.func.row_number().over(
            partition_by=post_metrics.c.part_id,
            order_by=(post_metrics.c.taken_at.desc(), post_metrics.c.id.desc()),
        ).label("rank"),
    ).subquery()
    return sa.select(ranked).where(ranked.c.rank == 1).subquery()


def _engagement(likes, reposts, replies, quotes) -> int | None:
    if likes is None:
        return None
    return likes + reposts + replies + quotes


def post_engagement(db: Engine, campaign_id: int, *, since: datetime | None = None,
                    until: datetime | None = None) -> list[dict]:
    """The campaign's published posts, newest first, each with its first part's latest counts.

    Each dict: post_id, account, platform, text, published_at, url, likes, reposts, replies,
    quotes, impressions, read_at, engagement, followers_then and rate (see the module's
    definitions; None where unknown). `since`/`until` bound published_at (until excluded).
    """
    latest = _latest_metrics()
    followers_then = (
        sa.select(follower_snapshots.c.followers)
        .where(follower_snapshots.c.account_id == posts.c.account_id,
               follower_snapshots.c.taken_at <= posts.c.published_at)
        .order_by(follower_snapshots.c.taken_at.desc(), follower_snapshots.c.id.desc())
        .limit(1)
        .correlate(posts)
        .scalar_subquery()
    )
    query = (
        sa.select(
            posts.c.id, posts.c.text, posts.c.published_at, posts.c.remote_url,
            social_accounts.c.platform, social_accounts.c.handle, latest.c.likes,
            latest.c.reposts, latest.c.replies, latest.c.quotes, latest.c.impressions,
            latest.c.taken_at, followers_then.label("followers_then"),
        )
        .select_from(
            posts.join(social_accounts, social_accounts.c.id == posts.c.account_id)
            .outerjoin(post_parts, sa.and_(post_parts.c.post_id == posts.c.id,
                                           post_parts.c.position == 0))
            .outerjoin(latest, latest.c.part_id == post_parts.c.id)
        )
        .where(posts.c.campaign_id == campaign_id, posts.c.status == "published",
               posts.c.published_at.is_not(None))
        .order_by(posts.c.published_at.desc(), posts.c.id.desc())
    )
    if since is not None:
        query = query.where(posts.c.published_at >= since)
    if until is not None:
        query = query.where(posts.c.published_at < until)
    with db.connect() as conn:
        rows = conn.execute(query).all()
    found = []
    for r in rows:
        engagement = _engagement(r.likes, r.reposts, r.replies, r.quotes)
        rate = (engagement / r.followers_then
                if engagement is not None and r.followers_then else None)
        found.append({
            "post_id": r.id, "account": account_label(r.platform, r.handle),
            "platform": r.platform, "text": r.text, "published_at": r.published_at,
            "url": r.remote_url, "likes": r.likes, "reposts": r.reposts,
            "replies": r.replies, "quotes": r.quotes, "impressions": r.impressions,
            "read_at": r.taken_at, "engagement": engagement,
            "followers_then": r.followers_then, "rate": rate,
        })
    return found


def top_posts(rows: list[dict], *, by: str = "engagement", limit: int = 10) -> list[dict]:
    """The `limit` posts of `post_engagement` rows ranking highest by "engagement" or "rate";
    posts without that figure are left out, and ties go to the newer post."""
    if by not in ("engagement", "rate"):
        raise InvalidInput(f"Posts are ranked by engagement or rate, not {by!r}.")
    known = [r for r in rows if r[by] is not None]
    known.sort(key=lambda r: r["published_at"], reverse=True)
    return sorted(known, key=lambda r: r[by], reverse=True)[:limit]


def engagement_curve(db: Engine, post_id: int) -> list[dict]:
    """A published post's first-part reads over time: taken_at, hours (since publishing),
    likes, reposts, replies, quotes, impressions and engagement; oldest first."""
    with db.connect() as conn:
        post = conn.execute(
            sa.select(posts.c.published_at, post_parts.c.id.label("part_id"))
            .select_from(posts.outerjoin(post_parts, sa.and_(post_parts.c.post_id == posts.c.id,
                                                             post_parts.c.position == 0)))
            .where(posts.c.id == post_id)
        ).first()
        if post is None:
            raise NotFound(f"No post with id {post_id}.")
        reads = conn.execute(
            sa.select(post_metrics).where(post_metrics.c.part_id == post.part_id)
            .order_by(post_metrics.c.taken_at, post_metrics.c.id)
        ).all() if post.part_id is not None else []
    start = post.published_at
    return [
        {"taken_at": r.taken_at,
         "hours": round((r.taken_at - start).total_seconds() / 3600, 2) if start else None,
         "likes": r.likes, "reposts": r.reposts, "replies": r.replies, "quotes": r.quotes,
         "impressions": r.impressions,
         "engagement": _engagement(r.likes, r.reposts, r.replies, r.quotes)}
        for r in reads
    ]


@dataclass(frozen=True)
class BestTimes:
    """Average engagement by local hour, by local weekday, and by both (the cells), each row
    with the number of posts behind it; `enough` is False below MIN_POSTS_FOR_BEST_TIMES."""

    posts: int
    hours: list[dict]
    weekdays: list[dict]
    cells: list[dict]

    @property
    def enough(self) -> bool:
        """Whether there are enough posts with engagement figures to say anything."""
        return self.posts >= MIN_POSTS_FOR_BEST_TIMES

    def describe(self) -> str:
        """A sentence for the page when history is short, else ''."""
        if self.enough:
            return ""
        return (f"Not enough history yet: {self.posts} published post(s) have engagement "
                f"figures, and best times need at least {MIN_POSTS_FOR_BEST_TIMES}.")


def best_times(db: Engine, campaign_id: int) -> BestTimes:
    """When the committee's own posts did best: average engagement per local hour and weekday
    of publishing in the campaign's zone (see the module's definition)."""
    zone = _zone(db, campaign_id)
    by_hour: dict[int, list[int]] = defaultdict(list)
    by_day: dict[int, list[int]] = defaultdict(list)
    by_cell: dict[tuple[int, int], list[int]] = defaultdict(list)
    rows = [r for r in post_engagement(db, campaign_id) if r["engagement"] is not None]
    for row in rows:
        local = row["published_at"].astimezone(zone)
        by_hour[local.hour].append(row["engagement"])
        by_day[local.weekday()].append(row["engagement"])
        by_cell[(local.weekday(), local.hour)].append(row["engagement"])
    return BestTimes(
        posts=len(rows),
        hours=[{"hour": h, "posts": len(v), "average": round(fmean(v), 1)}
               for h, v in sorted(by_hour.items())],
        weekdays=[{"weekday": WEEKDAYS[d], "posts": len(v), "average": round(fmean(v), 1)}
                  for d, v in sorted(by_day.items())],
        cells=[{"weekday": WEEKDAYS[d], "hour": h, "posts": len(v),
                "average": round(fmean(v), 1)} for (d, h), v in sorted(by_cell.items())],
    )


# --- the timeline and a week's numbers -------------------------------------------------------


def timeline_marks(db: Engine, campaign_id: int) -> list[dict]:
    """Campaign events and releases to mark on charts: date, what ("event" or "release"),
    title, kind. A release is dated by its first finished pitch, else its approval, as a
    local day; releases neither pitched nor approved are left out."""
    zone = _zone(db, campaign_id)
    first_pitch = (
        sa.select(sa.func.min(pitch_batches.c.finished_at))
        .where(pitch_batches.c.release_id == releases.c.id)
        .correlate(releases)
        .scalar_subquery()
    )
    with db.connect() as conn:
        events = conn.execute(
            sa.select(campaign_events.c.event_date, campaign_events.c.title,
                      campaign_events.c.kind)
            .where(campaign_events.c.campaign_id == campaign_id)
        ).all()
        sent = conn.execute(
            sa.select(releases.c.title, releases.c.kind, releases.c.approved_at,
                      first_pitch.label("pitched_at"))
            .where(releases.c.campaign_id == campaign_id)
        ).all()
    marks = [{"date": e.event_date, "what": "event", "title": e.title, "kind": e.kind}
             for e in events]
    for r in sent:
        when = r.pitched_at or r.approved_at
        if when is not None:
            marks.append({"date": when.astimezone(zone).date(), "what": "release",
                          "title": r.title, "kind": r.kind})
    return sorted(marks, key=lambda m: (m["date"], m["what"], m["title"]))


@dataclass(frozen=True)
class WeekNumbers:
    """A week's headline figures: posts published, the engagement they earned (over those
    with figures), net new followers over accounts read that week (None if none was), and
    press hits."""

    year: int
    week: int
    posts: int
    posts_with_figures: int
    engagement: int
    new_followers: int | None
    press_hits: int

    @property
    def label(self) -> str:
        """The week as 2026-W48."""
        return week_label(self.year, self.week)


def week_numbers(db: Engine, campaign_id: int, year: int, week: int) -> WeekNumbers:
    """The headline figures of one ISO week in the campaign's zone (see WeekNumbers)."""
    zone = _zone(db, campaign_id)
    start, end = week_bounds(year, week, zone)
    published = post_engagement(db, campaign_id, since=start, until=end)
    known = [r["engagement"] for r in published if r["engagement"] is not None]
    changes = [c.new for c in followers_in_week(db, campaign_id, year, week)
               if c.new is not None]
    monday, sunday = week_days(year, week)
    hits = hit_lists.list_hits(db, campaign_id, hit_lists.HitFilter(since=monday, until=sunday))
    return WeekNumbers(
        year=year, week=week, posts=len(published), posts_with_figures=len(known),
        engagement=sum(known), new_followers=sum(changes) if changes else None,
        press_hits=len(hits),
    )


def posts_published_in(rows: list[dict]) -> dict[str, int]:
    """How many of `post_engagement` rows were published on each platform, by platform name."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[PLATFORM_NAMES.get(row["platform"], row["platform"])] += 1
    return dict(sorted(counts.items()))

