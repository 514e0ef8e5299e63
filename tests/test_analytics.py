"""Analytics: follower growth, engagement, best times and a week's numbers, in the campaign's
zone, on both stores; and the Analytics and Overview pages with demo data and with none."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from support.pages import charts, open_page
from support.world import (
    CHICAGO,
    ROOT,
    TZ,
    X_REFUSAL,
    add_hit,
    add_post,
    add_release,
    local,
    make_world,
    read,
    snapshot,
)

from outreach import campaigns
from outreach.clock import utcnow
from outreach.errors import InvalidInput, NotFound
from outreach.insights import analytics, digest
from outreach.ops import demo
from outreach.safety import md_escape
from outreach.store.tables import (
    follower_snapshots,
    social_accounts,
)

# --- weeks -----------------------------------------------------------------------------------


def test_weeks_are_iso_weeks_in_the_campaigns_zone():
    assert analytics.parse_week("2026-W48") == (2026, 48)
    assert analytics.parse_week(" 2026-w07 ") == (2026, 7)
    assert analytics.parse_week("2026-W53") == (2026, 53)  # 2026 has 53 ISO weeks
    assert analytics.week_days(2026, 47) == (date(2026, 11, 16), date(2026, 11, 22))
    start, end = analytics.week_bounds(2026, 47, CHICAGO)
    assert (start, end) == (datetime(2026, 11, 16, 6, tzinfo=UTC),
                            datetime(2026, 11, 23, 6, tzinfo=UTC))
    # Sunday night in Chicago is already Monday in UTC: still the week before.
    assert analytics.week_of(local(2026, 11, 22, 23, 30), CHICAGO) == (2026, 47)
    assert analytics.last_full_week(local(2026, 11, 23, 0, 5), CHICAGO) == (2026, 47)
    assert analytics.recent_weeks(local(2026, 1, 6), CHICAGO, 3) == [
        (2026, 2), (2026, 1), (2025, 52)]


@pytest.mark.parametrize("text", ["2026-W60", "2025-W53", "2026-W00", "48", "2026/48", ""])
def test_a_bad_week_says_how_to_write_one(text):
    with pytest.raises(InvalidInput, match=r"is not a week; write e\.g\. 2026-W48"):
        analytics.parse_week(text)


# --- engagement ------------------------------------------------------------------------------


def test_engagement_is_the_first_parts_latest_read_and_rate_uses_followers_then(db, now):
    world = make_world(db, now)
    snapshot(db, world.bluesky, local(2026, 11, 17, 8), 300)
    snapshot(db, world.bluesky, local(2026, 11, 18, 8), 500)  # after publishing: not the base
    thread, parts = add_post(db, world, world.bluesky, local(2026, 11, 17, 10), parts=2)
    read(db, parts[0], local(2026, 11, 17, 11), 1)
    read(db, parts[0], local(2026, 11, 18, 10), 5, 2, 1, 1)
    read(db, parts[1], local(2026, 11, 18, 10), 100, 100)  # later parts are left out
    unread, _ = add_post(db, world, world.bluesky, local(2026, 11, 18, 9))
    early, early_parts = add_post(db, world, world.x, local(2026, 11, 16, 9))
    read(db, early_parts[0], local(2026, 11, 16, 10), 4)
    add_post(db, world, world.bluesky, None, status="draft")

    rows = {r["post_id"]: r for r in analytics.post_engagement(db, world.campaign_id)}
    assert list(rows) == [unread, thread, early]  # newest first, drafts left out
    assert rows[thread]["engagement"] == 9
    assert rows[thread]["followers_then"] == 300
    assert rows[thread]["rate"] == pytest.approx(9 / 300)
    assert rows[thread]["account"] == "Bluesky @local7.bsky.test"
    assert (rows[unread]["engagement"], rows[unread]["rate"]) == (None, None)
    # No follower count known at publish time: engagement but no rate.
    assert (rows[early]["engagement"], rows[early]["rate"]) == (4, None)

    curve = analytics.engagement_curve(db, thread)
    assert [(c["hours"], c["engagement"]) for c in curve] == [(1.0, 1), (24.0, 9)]
    assert analytics.engagement_curve(db, unread) == []
    with pytest.raises(NotFound):
        analytics.engagement_curve(db, 99999)


def test_top_posts_rank_by_engagement_or_by_rate(db, now):
    world = make_world(db, now)
    snapshot(db, world.bluesky, local(2026, 11, 1), 1000)
    snapshot(db, world.x, local(2026, 11, 1), 100)
    big, big_parts = add_post(db, world, world.bluesky, local(2026, 11, 10))
    read(db, big_parts[0], local(2026, 11, 11), 50)
    small, small_parts = add_post(db, world, world.x, local(2026, 11, 12))
    read(db, small_parts[0], local(2026, 11, 13), 30)
    add_post(db, world, world.x, local(2026, 11, 14))  # never read: ranked nowhere
    rows = analytics.post_engagement(db, world.campaign_id)
    assert [r["post_id"] for r in analytics.top_posts(rows, by="engagement")] == [big, small]
    assert [r["post_id"] for r in analytics.top_posts(rows, by="rate")] == [small, big]
    assert [r["post_id"] for r in analytics.top_posts(rows, by="rate", limit=1)] == [small]
    with pytest.raises(InvalidInput):
        analytics.top_posts(rows, by="likes")


def test_best_times_group_by_local_hour_and_weekday_and_need_history(db, now):
    world = make_world(db, now)
    # Tuesdays at 9:xx in Chicago (15:xx UTC), and Fridays at 19:30 (Saturday 01:30 UTC).
    for n, likes in enumerate((10, 20, 30, 40, 50, 60)):
        _, parts = add_post(db, world, world.bluesky, local(2026, 11, 3 + 7 * (n % 3), 9, n))
        read(db, parts[0], local(2026, 11, 28), likes)
    for n, likes in enumerate((4, 8, 12)):
        _, parts = add_post(db, world, world.x, local(2026, 11, 6 + 7 * n, 19, 30))
        read(db, parts[0], local(2026, 11, 28), likes)
    add_post(db, world, world.x, local(2026, 11, 20, 19, 30))  # never read: not counted

    short = analytics.best_times(db, world.campaign_id)
    assert short.posts == 9 and not short.enough
    assert short.describe() == ("Not enough history yet: 9 published post(s) have engagement "
                                "figures, and best times need at least 10.")

    _, parts = add_post(db, world, world.x, local(2026, 11, 27, 19, 45))
    read(db, parts[0], local(2026, 11, 28), 16)
    best = analytics.best_times(db, world.campaign_id)
    assert best.enough and best.describe() == ""
    assert best.hours == [{"hour": 9, "posts": 6, "average": 35.0},
                          {"hour": 19, "posts": 4, "average": 10.0}]
    assert best.weekdays == [{"weekday": "Tuesday", "posts": 6, "average": 35.0},
                             {"weekday": "Friday", "posts": 4, "average": 10.0}]
    assert {"weekday": "Friday", "hour": 19, "posts": 4, "average": 10.0} in best.cells


# --- followers -------------------------------------------------------------------------------


def test_net_new_followers_per_local_day_and_iso_week(db, now):
    world = make_world(db, now)
    snapshot(db, world.bluesky, local(2026, 11, 15, 12), 100)
    snapshot(db, world.bluesky, local(2026, 11, 15, 23, 30), 110)  # Monday 05:30 in UTC
    snapshot(db, world.bluesky, local(2026, 11, 16, 9), 130)
    snapshot(db, world.bluesky, local(2026, 11, 17, 23), 125)  # a loss shows as one

    per_day = analytics.net_new_followers(db, world.campaign_id, "day")
    assert [(r["period"], r["followers"], r["new"]) for r in per_day] == [
        (date(2026, 11, 15), 110, 10), (date(2026, 11, 16), 130, 20),
        (date(2026, 11, 17), 125, -5)]
    per_week = analytics.net_new_followers(db, world.campaign_id, "week")
    assert [(r["label"], r["followers"], r["new"]) for r in per_week] == [
        ("2026-W46", 110, 10), ("2026-W47", 125, 15)]
    assert sum(r["new"] for r in per_week) == 125 - 100
    with pytest.raises(InvalidInput):
        analytics.net_new_followers(db, world.campaign_id, "month")

    by_day = analytics.followers_by_day(db, world.campaign_id)
    assert [(r["day"], r["followers"]) for r in by_day] == [
        (date(2026, 11, 15), 110), (date(2026, 11, 16), 130), (date(2026, 11, 17), 125)]


def test_followers_per_platform_carry_a_missed_read_forward(db, now):
    world = make_world(db, now)
    with db.begin() as conn:
        second = conn.execute(social_accounts.insert().values(
            campaign_id=world.campaign_id, platform="bluesky", handle="local7-es.bsky.test",
            created_at=now)).inserted_primary_key[0]
    snapshot(db, world.bluesky, local(2026, 11, 16), 100)
    snapshot(db, second, local(2026, 11, 16), 40)
    snapshot(db, world.bluesky, local(2026, 11, 17), 105)  # the second account not read
    rows = analytics.followers_by_platform(db, world.campaign_id)
    assert [(r["day"], r["platform"], r["followers"]) for r in rows] == [
        (date(2026, 11, 16), "bluesky", 140), (date(2026, 11, 17), "bluesky", 145)]


def test_a_refused_account_shows_the_platforms_words_never_a_zero(db, now):
    world = make_world(db, now, x_refused=True)
    snapshot(db, world.bluesky, local(2026, 11, 16), 100)
    snapshot(db, world.bluesky, local(2026, 11, 18), 112)
    reads = {r.platform: r for r in analytics.account_reads(db, world.campaign_id)}
    assert reads["x"].state == "refused"
    assert reads["x"].problem.startswith(
        f"X refuses this read on your access tier: {X_REFUSAL}")
    assert "X refuses post counts on your access tier" in reads["x"].problem
    assert (reads["x"].followers, reads["x"].last_snapshot_at) == (None, None)
    assert (reads["bluesky"].state, reads["bluesky"].problem) == ("ok", "")
    assert reads["bluesky"].followers == 112

    assert {r["account"] for r in analytics.followers_by_day(db, world.campaign_id)} == {
        "Bluesky @local7.bsky.test"}
    changes = {c.platform: c for c in analytics.followers_in_week(db, world.campaign_id,
                                                                  2026, 47)}
    assert (changes["bluesky"].followers, changes["bluesky"].new) == (112, 12)
    assert (changes["x"].followers, changes["x"].new) == (None, None)
    assert changes["x"].note == reads["x"].problem
    assert analytics.week_numbers(db, world.campaign_id, 2026, 47).new_followers == 12


def test_a_failing_account_says_so_and_when_it_is_tried_again(db, now):
    world = make_world(db, now)
    with db.begin() as conn:
        conn.execute(social_accounts.update().where(social_accounts.c.id == world.x).values(
            metrics_failures=2, metrics_error="502 Bad Gateway",
            metrics_next_at=local(2026, 11, 20, 9)))
    reads = {r.platform: r for r in analytics.account_reads(db, world.campaign_id)}
    assert reads["x"].state == "failing" and "502 Bad Gateway" in reads["x"].problem
    [change] = [c for c in analytics.followers_in_week(db, world.campaign_id, 2026, 47)
                if c.platform == "x"]
    assert change.note == reads["x"].problem


# --- the timeline and a week ------------------------------------------------------------------


def test_timeline_marks_events_and_releases_by_pitch_or_approval(db, now):
    world = make_world(db, now)
    campaigns.add_event(db, ROOT, world.campaign_id, event_date=date(2026, 11, 12),
                        title="Strike vote", kind="strike_vote", now=now)
    add_release(db, world, "Approved only", approved_at=local(2026, 11, 10, 23, 30))
    add_release(db, world, "Pitched", status="sent", approved_at=local(2026, 11, 9),
                pitched_at=local(2026, 11, 13, 8))
    add_release(db, world, "Still a draft", status="draft")
    marks = analytics.timeline_marks(db, world.campaign_id)
    assert [(m["date"], m["what"], m["title"]) for m in marks] == [
        (date(2026, 11, 10), "release", "Approved only"),  # 05:30 UTC on the 11th
        (date(2026, 11, 12), "event", "Strike vote"),
        (date(2026, 11, 13), "release", "Pitched"),
    ]


def test_week_numbers_count_monday_to_sunday_in_the_campaigns_zone(db, now):
    world = make_world(db, now)
    inside = [local(2026, 11, 16, 0, 30), local(2026, 11, 22, 23, 30)]
    outside = [local(2026, 11, 15, 23, 50), local(2026, 11, 23, 0, 10)]
    for n, when in enumerate(inside + outside):
        _, parts = add_post(db, world, world.bluesky, when)
        read(db, parts[0], local(2026, 11, 28), 10 * (n + 1))
    add_post(db, world, world.x, local(2026, 11, 18))  # not read yet
    add_hit(db, world, "Acme workers rally", local(2026, 11, 18))
    add_hit(db, world, "Acme Insurance results", local(2026, 11, 18), hidden=True)
    add_hit(db, world, "Last week's story", local(2026, 11, 15, 22))
    numbers = analytics.week_numbers(db, world.campaign_id, 2026, 47)
    assert (numbers.label, numbers.posts, numbers.posts_with_figures) == ("2026-W47", 3, 2)
    assert numbers.engagement == 10 + 20
    assert numbers.press_hits == 1
    assert numbers.new_followers is None  # no account was read that week


def test_a_campaign_with_no_data_gives_empty_figures(db, now):
    world = make_world(db, now)
    assert analytics.followers_by_day(db, world.campaign_id) == []
    assert analytics.followers_by_platform(db, world.campaign_id) == []
    assert analytics.net_new_followers(db, world.campaign_id, "week") == []
    assert analytics.post_engagement(db, world.campaign_id) == []
    assert analytics.timeline_marks(db, world.campaign_id) == []
    best = analytics.best_times(db, world.campaign_id)
    assert (best.posts, best.hours, best.enough) == (0, [], False)
    numbers = analytics.week_numbers(db, world.campaign_id, 2026, 47)
    assert (numbers.posts, numbers.engagement, numbers.new_followers, numbers.press_hits) == (
        0, 0, None, 0)
    changes = analytics.followers_in_week(db, world.campaign_id, 2026, 47)
    assert [(c.new, c.note) for c in changes] == [(None, "no follower read this week")] * 2


# --- the pages -------------------------------------------------------------------------------


def test_analytics_page_charts_the_demo_with_a_download_for_each(demo_store):  # noqa: F811
    at = open_page("analytics")
    assert [t.label for t in at.tabs] == ["Followers", "Posts", "Best times", "Digest"]
    # Followers, net new, one post's curve, by hour, by weekday, weekday x hour.
    assert len(charts(at)) == 6
    labels = [b.proto.label for b in at.get("download_button")]
    for label in ("Download follower data (CSV)", "Download net new followers (CSV)",
                  "Download top posts by engagement (CSV)", "Download top posts by rate (CSV)",
                  "Download this post's reads (CSV)", "Download by hour (CSV)",
                  "Download by weekday (CSV)", "Download weekday and hour (CSV)",
                  "Download the digest (HTML)", "Download the digest (Markdown)"):
        assert label in labels
    marks = next(d.value for d in at.dataframe if "what" in d.value.columns)
    assert "Strike authorization vote: 94% yes" in set(marks["title"])
    assert not at.warning


def test_analytics_page_switches_views_and_posts(demo_store):  # noqa: F811
    at = open_page("analytics")
    next(r for r in at.radio if r.label == "Show followers").set_value("per platform").run()
    next(r for r in at.radio if r.label == "Count per").set_value("week").run()
    post = next(s for s in at.selectbox if s.label == "Post")
    post.select_index(len(post.options) - 1).run()
    assert not at.exception
    assert len(charts(at)) == 6


def test_analytics_page_with_an_empty_campaign_says_what_comes(store, now):  # noqa: F811
    campaigns.create_campaign(store, ROOT, "Quiet drive", now=now, timezone=TZ)
    at = open_page("analytics")
    assert not charts(at)
    infos = " ".join(i.value for i in at.info)
    assert "No social accounts yet" in infos
    assert "No published posts yet" in infos
    assert "Not enough history yet: 0 published post(s)" in infos
    preview = at.markdown[-1].value
    assert "No posts were published this week." in preview
    assert "No press hits this week." in preview


def test_analytics_page_shows_a_refused_read_in_the_platforms_words(demo_store):  # noqa: F811
    with demo_store.begin() as conn:
        x_id = conn.execute(sa.select(social_accounts.c.id).where(
            social_accounts.c.platform == "x")).scalar_one()
        conn.execute(social_accounts.update().where(social_accounts.c.id == x_id)
                     .values(metrics_error=X_REFUSAL))
        conn.execute(follower_snapshots.delete().where(follower_snapshots.c.account_id == x_id))
    at = open_page("analytics")
    words = f"X @local101_demo: X refuses this read on your access tier: {X_REFUSAL}"
    assert md_escape(words) in [w.value for w in at.warning]  # the platform's words, as text
    assert len(charts(at)) == 6  # the Bluesky line is still drawn


def test_overview_shows_this_weeks_numbers(demo_store):  # noqa: F811
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    week = analytics.week_numbers(demo_store, campaign.id,
                                  *analytics.week_of(utcnow(), ZoneInfo(demo.DEMO_TZ)))
    at = open_page("overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Posts published this week"] == str(week.posts)
    assert metrics["Engagement this week"] == str(week.engagement)
    assert metrics["New followers this week"] == digest.signed(week.new_followers)
    assert metrics["Press hits this week"] == str(week.press_hits)
    assert len(charts(at)) == 1  # the follower trend


def test_overview_of_an_empty_campaign(store, now):  # noqa: F811
    campaigns.create_campaign(store, ROOT, "Quiet drive", now=now, timezone=TZ)
    at = open_page("overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Posts published this week"] == "0"
    assert metrics["New followers this week"] == "–"
    assert not charts(at)
    assert any("No follower snapshots yet" in c.value for c in at.caption)
