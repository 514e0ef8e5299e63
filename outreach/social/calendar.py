"""Scheduled posts laid out as a week or a month in the committee's time zone.

Pure functions over the dicts `scheduling.list_posts` returns: a post belongs to the day of
its LOCAL scheduled time, so 23:30 UTC may fall on the next day and DST never shifts a date.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

VIEWS = ("week", "month")
SHORT_TEXT = 60
LEFT_OUT = ("cancelled",)


@dataclass(frozen=True)
class Entry:
    """One post on a day: its local time and enough to recognise it."""

    id: int
    time: str
    platform: str
    account: str
    status: str
    text: str


@dataclass(frozen=True)
class Day:
    """A date and its posts in local time order; `in_period` is False for a month's padding."""

    date: date
    entries: tuple[Entry, ...]
    in_period: bool = True


@dataclass(frozen=True)
class Week:
    """Seven days from a Monday."""

    start: date
    days: tuple[Day, ...]

    @property
    def end(self) -> date:
        """The Sunday that closes the week."""
        return self.days[-1].date

    @property
    def count(self) -> int:
        """How many posts fall in the week."""
        return sum(len(d.entries) for d in self.days)


@dataclass(frozen=True)
class Month:
    """A month as rows of weeks, Monday to Sunday, padded with days of the next and last month."""

    year: int
    month: int
    weeks: tuple[tuple[Day, ...], ...]

    @property
    def first(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def count(self) -> int:
        """How many posts fall in the month itself (padding days not counted)."""
        return sum(len(d.entries) for week in self.weeks for d in week if d.in_period)


def short_text(text: str, limit: int = SHORT_TEXT) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis when longer."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive scheduled_at given to the calendar; pass an aware datetime")
    return at.astimezone(zone)


def _by_local_date(posts: Iterable[dict], zone: ZoneInfo) -> dict[date, tuple[Entry, ...]]:
    """Calendar entries grouped by local date, each day in order of the moment they go out."""
    grouped: dict[date, list[tuple[datetime, int, Entry]]] = defaultdict(list)
    for post in posts:
        at = post.get("scheduled_at")
        if at is None or post["status"] in LEFT_OUT:
            continue
        local = _local(at, zone)
        entry = Entry(id=post["id"], time=f"{local:%H:%M}", platform=post["platform"],
                      account=post["account"], status=post["status"],
                      text=short_text(post["text"]))
        grouped[local.date()].append((at, post["id"], entry))
    return {day: tuple(e for _, _, e in sorted(items, key=lambda i: i[:2]))
            for day, items in grouped.items()}


def period_start(day: date, view: str) -> date:
    """The first day of the week (its Monday) or month that contains `day`."""
    if view == "week":
        return day - timedelta(days=day.weekday())
    if view == "month":
        return day.replace(day=1)
    raise ValueError(f"Unknown calendar view {view!r}; use one of {', '.join(VIEWS)}.")


def shift(start: date, view: str, step: int) -> date:
    """The first day of the week or month `step` periods away (negative steps go back)."""
    first = period_start(start, view)
    if view == "week":
        return first + timedelta(weeks=step)
    months = first.year * 12 + first.month - 1 + step
    return date(months // 12, months % 12 + 1, 1)


def week_grid(posts: Iterable[dict], *, start: date, zone: ZoneInfo) -> Week:
    """The week (Monday to Sunday) holding `start`, each day with its posts in local time."""
    monday = period_start(start, "week")
    entries = _by_local_date(posts, zone)
    days = tuple(Day(d, entries.get(d, ())) for d in (monday + timedelta(days=i)
                                                      for i in range(7)))
    return Week(start=monday, days=days)


def month_grid(posts: Iterable[dict], *, year: int, month: int, zone: ZoneInfo) -> Month:
    """The month as full weeks, Monday first; padding days are marked and keep their posts."""
    entries = _by_local_date(posts, zone)
    rows = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    weeks = tuple(tuple(Day(d, entries.get(d, ()), in_period=d.month == month) for d in row)
                  for row in rows)
    return Month(year=year, month=month, weeks=weeks)
