"""The post calendar: posts land on their local day, in order, in week and month grids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from outreach.campaigns import list_campaigns
from outreach.ops import demo
from outreach.social import queue as post_queue
from outreach.social.calendar import month_grid, shift, short_text, week_grid

NEW_YORK = ZoneInfo("America/New_York")


def post(id_: int, at: datetime | None, status: str = "scheduled", text: str = "Rally",
         platform: str = "bluesky") -> dict:
    return {"id": id_, "platform": platform, "account": "local101.bsky.test", "text": text,
            "status": status, "scheduled_at": at, "published_at": None}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def by_date(days) -> dict[date, list[int]]:
    return {d.date: [e.id for e in d.entries] for d in days}


def test_a_week_runs_monday_to_sunday_with_posts_in_local_time_order():
    posts = [post(1, utc(2025, 6, 11, 20, 0)), post(2, utc(2025, 6, 11, 13, 5)),
             post(3, utc(2025, 6, 11, 13, 5)), post(4, utc(2025, 6, 20, 12, 0))]
    week = week_grid(posts, start=date(2025, 6, 12), zone=NEW_YORK)
    assert week.start == date(2025, 6, 9) and week.end == date(2025, 6, 15)
    assert [d.date.weekday() for d in week.days] == list(range(7))
    wednesday = week.days[2]
    assert [(e.id, e.time) for e in wednesday.entries] == [(2, "09:05"), (3, "09:05"),
                                                           (1, "16:00")]
    assert week.count == 3


def test_an_entry_carries_what_the_committee_needs_to_recognise_it():
    text = "Picket at Gate 3,\n6 AM.   Bring water, bring a friend, bring your kids' drawings too!"
    week = week_grid([post(7, utc(2025, 6, 11, 10, 0), status="held", text=text, platform="x")],
                     start=date(2025, 6, 11), zone=NEW_YORK)
    entry = week.days[2].entries[0]
    assert (entry.id, entry.time, entry.platform, entry.status) == (7, "06:00", "x", "held")
    assert entry.account == "local101.bsky.test"
    assert "\n" not in entry.text and "  " not in entry.text
    assert len(entry.text) <= 60 and entry.text.endswith("…")
    assert entry.text.startswith("Picket at Gate 3, 6 AM. Bring water")
    assert short_text("Short one.") == "Short one."


def test_cancelled_and_unscheduled_posts_are_left_out():
    posts = [post(1, utc(2025, 6, 11, 15, 0), status="cancelled"), post(2, None, "draft"),
             post(3, utc(2025, 6, 11, 15, 0), status="published"),
             post(4, utc(2025, 6, 11, 16, 0), status="failed")]
    week = week_grid(posts, start=date(2025, 6, 11), zone=NEW_YORK)
    assert [e.id for e in week.days[2].entries] == [3, 4]


def test_a_late_evening_post_is_on_its_local_day_not_the_utc_one():
    # 03:30 UTC on Thursday is 23:30 on Wednesday in New York.
    week = week_grid([post(1, utc(2025, 6, 12, 3, 30))], start=date(2025, 6, 9), zone=NEW_YORK)
    assert by_date(week.days)[date(2025, 6, 11)] == [1]
    assert week.days[2].entries[0].time == "23:30"


def test_dates_follow_the_clock_change_in_both_directions():
    posts = [
        post(1, utc(2025, 3, 9, 4, 30)),   # 23:30 EST Saturday 8 March, before the change
        post(2, utc(2025, 3, 10, 4, 30)),  # 00:30 EDT Monday 10 March (a fixed -5 says Sunday)
        post(3, utc(2025, 3, 9, 7, 0)),    # 03:00 EDT Sunday, just after 02:00 was skipped
        post(4, utc(2025, 11, 3, 4, 30)),  # 23:30 EST Sunday 2 November (a fixed -4 says Monday)
        post(5, utc(2025, 11, 2, 5, 30)),  # 01:30 EDT, the first of two 01:30s that night
        post(6, utc(2025, 11, 2, 6, 30)),  # 01:30 EST, the second
    ]
    march = week_grid(posts, start=date(2025, 3, 3), zone=NEW_YORK)
    assert by_date(march.days)[date(2025, 3, 8)] == [1]
    assert by_date(march.days)[date(2025, 3, 9)] == [3]
    assert march.days[6].entries[0].time == "03:00"
    assert by_date(week_grid(posts, start=date(2025, 3, 10), zone=NEW_YORK).days)[
        date(2025, 3, 10)] == [2]
    november = week_grid(posts, start=date(2025, 11, 2), zone=NEW_YORK)
    sunday = november.days[6]
    assert sunday.date == date(2025, 11, 2)
    assert [(e.id, e.time) for e in sunday.entries] == [(5, "01:30"), (6, "01:30"),
                                                        (4, "23:30")]


def test_a_month_is_whole_weeks_with_the_neighbouring_days_marked():
    posts = [post(1, utc(2025, 5, 31, 12, 0)), post(2, utc(2025, 6, 1, 12, 0)),
             post(3, utc(2025, 7, 1, 3, 0))]  # 23:00 on 30 June in New York
    june = month_grid(posts, year=2025, month=6, zone=NEW_YORK)
    assert june.weeks[0][0].date == date(2025, 5, 26)
    assert june.weeks[-1][-1].date == date(2025, 7, 6)
    assert all(len(week) == 7 and week[0].date.weekday() == 0 for week in june.weeks)
    outside = [d.date for week in june.weeks for d in week if not d.in_period]
    assert outside == [date(2025, 5, d) for d in range(26, 32)] + [
        date(2025, 7, d) for d in range(1, 7)]
    days = by_date(d for week in june.weeks for d in week)
    assert days[date(2025, 5, 31)] == [1]  # shown on its padding day ...
    assert days[date(2025, 6, 1)] == [2]
    assert days[date(2025, 6, 30)] == [3]
    assert june.count == 2  # ... but counted only in May


def test_leap_february_has_its_29th_and_a_plain_one_fills_four_weeks():
    leap = month_grid([post(1, utc(2024, 2, 29, 17, 0))], year=2024, month=2, zone=NEW_YORK)
    inside = [d for week in leap.weeks for d in week if d.in_period]
    assert len(inside) == 29 and inside[-1].date == date(2024, 2, 29)
    assert [e.id for e in inside[-1].entries] == [1] and leap.count == 1
    plain = month_grid([], year=2021, month=2, zone=NEW_YORK)
    assert len(plain.weeks) == 4 and all(d.in_period for week in plain.weeks for d in week)
    assert plain.count == 0


def test_shift_moves_by_whole_weeks_and_months_across_years():
    assert shift(date(2025, 6, 12), "week", 1) == date(2025, 6, 16)
    assert shift(date(2025, 6, 12), "week", -1) == date(2025, 6, 2)
    assert shift(date(2024, 12, 31), "week", 1) == date(2025, 1, 6)
    assert shift(date(2025, 1, 31), "month", 1) == date(2025, 2, 1)
    assert shift(date(2025, 1, 15), "month", -1) == date(2024, 12, 1)
    assert shift(date(2024, 3, 31), "month", -13) == date(2023, 2, 1)
    with pytest.raises(ValueError, match="week, month"):
        shift(date(2025, 1, 1), "year", 1)


def test_the_demo_queue_from_the_store_lands_on_the_committees_days(db, now):
    demo.load_demo(db, now)
    campaign = list_campaigns(db)[0]
    zone = ZoneInfo(campaign.timezone)
    rows = post_queue.list_posts(db, campaign.id)
    today = now.astimezone(zone).date()
    week = week_grid(rows, start=today, zone=zone)
    expected = sorted(
        (r["scheduled_at"].astimezone(zone).date(), r["id"]) for r in rows
        if r["scheduled_at"] and week.start <= r["scheduled_at"].astimezone(zone).date()
        <= week.end)
    assert sorted((d.date, e.id) for d in week.days for e in d.entries) == expected
    tomorrow = next(d for d in week.days if d.date == today + timedelta(days=1))
    assert {(e.platform, e.time, e.status) for e in tomorrow.entries} == {
        ("bluesky", "07:00", "scheduled"), ("x", "07:00", "scheduled")}
    assert not any(e.status == "draft" for d in week.days for e in d.entries)


def calendar_script(posts: list[dict], today) -> None:
    from outreach.ui.calendar import render

    render(posts, "America/New_York", "calendar", today=today)


def test_the_page_shows_escaped_text_and_steps_to_the_next_week():
    text = "<b>Strike</b> & rally at Gate 3"
    posts = [post(1, utc(2025, 6, 11, 14, 0), text=text),
             post(2, utc(2025, 6, 17, 14, 0), text="Second week")]
    at = AppTest.from_function(calendar_script, args=(posts, date(2025, 6, 12)),
                               default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    page = at.html[0].value
    assert "&lt;b&gt;Strike&lt;/b&gt; &amp; rally at Gate 3" in page and "<b>Strike" not in page
    assert "Second week" not in page
    assert at.subheader[0].value == "Mon 09 Jun 2025 to Sun 15 Jun 2025"
    assert "rgba(255,193,7" in page  # today is highlighted

    next(b for b in at.button if b.label == "Next →").click().run()
    assert at.subheader[0].value == "Mon 16 Jun 2025 to Sun 22 Jun 2025"
    page = at.html[0].value
    assert "Second week" in page and "Strike" not in page
    assert "rgba(255,193,7" not in page

    next(b for b in at.button if b.label == "Next →").click().run()
    assert "No posts in this week" in at.caption[0].value

    at.radio[0].set_value("month").run()
    assert at.subheader[0].value == "June 2025"
    assert "Strike" in at.html[0].value and "Second week" in at.html[0].value
    next(b for b in at.button if b.label == "Next →").click().run()
    assert at.subheader[0].value == "July 2025"
    next(b for b in at.button if b.label == "Today").click().run()
    assert at.subheader[0].value == "June 2025"
