"""Analytics: follower growth, post engagement, best times to post, and the weekly digest."""

from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from outreach.clock import utcnow
from outreach.errors import OutreachError
from outreach.insights import analytics, digest
from outreach.ui import common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Analytics")
MARK_COLORS = alt.Scale(domain=["event", "release"], range=["firebrick", "seagreen"])
PLATFORM_LABELS = analytics.PLATFORM_NAMES


def with_marks(chart: alt.Chart, timeline: list[dict], first, last) -> alt.LayerChart:
    """`chart` with a rule at each campaign event and release between two dates."""
    marks = [m for m in timeline if first <= m["date"] <= last]
    layers = [chart]
    if marks:
        layers.append(alt.Chart(pd.DataFrame(marks)).mark_rule(strokeDash=[4, 3]).encode(
            x="date:T", color=alt.Color("what:N", scale=MARK_COLORS, title="marked"),
            tooltip=["date:T", "what:N", "title:N"]))
    return alt.layer(*layers).resolve_scale(color="independent")


def followers_tab(reads: list[analytics.AccountRead]) -> None:
    if not reads:
        st.info("No social accounts yet. Connect Bluesky or X under Social; the worker then "
                "reads each account's followers, and growth is charted here.")
        return
    by_day = analytics.followers_by_day(db, campaign.id)
    if not by_day:
        st.info("No follower snapshots yet. The worker reads each connected account's "
                "followers every hour; the growth chart appears after the first read.")
        return
    view = st.radio("Show followers", ["per account", "per platform"], horizontal=True)
    if view == "per platform":
        rows = [{**r, "platform": PLATFORM_LABELS.get(r["platform"], r["platform"])}
                for r in analytics.followers_by_platform(db, campaign.id)]
        series = "platform"
    else:
        rows, series = by_day, "account"
    first, last = by_day[0]["day"], by_day[-1]["day"]
    lines = alt.Chart(pd.DataFrame(rows)).mark_line(point=len(rows) < 60).encode(
        x=common.day_axis("day:T"), y=alt.Y("followers:Q", title="followers"),
        color=alt.Color(f"{series}:N", title=series), tooltip=["day:T", f"{series}:N",
                                                                 "followers:Q"])
    st.markdown("#### Followers, with the campaign's events and releases")
    timeline = analytics.timeline_marks(db, campaign.id)
    st.altair_chart(with_marks(lines, timeline, first, last), width="stretch")
    common.download_csv("Download follower data (CSV)", rows, f"followers_per_{series}.csv", tz)
    common.show_table(timeline, tz,
                      "No events or releases to mark yet.",
                      column_order=["date", "what", "title", "kind"])

    st.markdown("#### Net new followers")
    per = st.radio("Count per", ["day", "week"], horizontal=True)
    net = analytics.net_new_followers(db, campaign.id, per)
    x = (common.day_axis("period:T") if per == "day"
         else alt.X("label:O", title="ISO week"))
    bars = alt.Chart(pd.DataFrame(net)).mark_bar().encode(
        x=x, y=alt.Y("new:Q", title="net new followers"), color="account:N",
        xOffset="account:N", tooltip=["label:N", "account:N", "new:Q", "followers:Q"])
    st.altair_chart(bars, width="stretch")
    st.caption("Each bar is an account's last read of the period minus its last read of the "
               "period before; an account's first period counts from its first read.")
    common.download_csv("Download net new followers (CSV)",
                        net, f"net_new_followers_per_{per}.csv", tz)
    common.show_table(
        [{"account": r.label, "followers": r.followers, "last_read": r.last_snapshot_at,
          "reads": r.state} for r in reads],
        tz, "No accounts.")


def post_choice(row: dict) -> str:
    """How a post is named in the picker."""
    when = row["published_at"].astimezone(zone)
    return f"{when:%Y-%m-%d %H:%M} · {row['account']} · {digest.short(row['text'], 70)}"


def ranked_table(rows: list[dict]) -> None:
    common.show_table(
        [{**r, "rate": digest.percent(r["rate"])} for r in rows], tz, "None.",
        column_order=["published_at", "account", "text", "engagement", "rate", "likes",
                      "reposts", "replies", "quotes", "url"],
        column_config={"url": st.column_config.LinkColumn("link")})


def posts_tab() -> None:
    rows = analytics.post_engagement(db, campaign.id)
    measured = [r for r in rows if r["engagement"] is not None]
    if not rows:
        st.info("No published posts yet. Once posts go out, the worker reads their likes, "
                "reposts, replies and quotes for 14 days, and they are ranked here.")
        return
    if not measured:
        st.info(f"{len(rows)} published post(s), but no engagement figures yet: the worker "
                "reads each post's likes, reposts, replies and quotes after it goes out.")
        return
    st.caption("Engagement = likes + reposts + replies + quotes of a post's first part, as "
               "last read. Rate = engagement / the account's followers when it was published.")
    st.markdown("#### Top posts by engagement")
    top = analytics.top_posts(rows, by="engagement")
    ranked_table(top)
    common.download_csv("Download top posts by engagement (CSV)",
                        top, "top_posts_engagement.csv", tz)
    st.markdown("#### Top posts by engagement rate")
    top_rate = analytics.top_posts(rows, by="rate")
    ranked_table(top_rate)
    common.download_csv("Download top posts by rate (CSV)", top_rate, "top_posts_rate.csv", tz)

    st.markdown("#### One post's engagement over time")
    post = st.selectbox("Post", measured, format_func=post_choice)
    curve = analytics.engagement_curve(db, post["post_id"])
    counts = ["likes", "reposts", "replies", "quotes"]
    long = [{"hours": r["hours"], "measure": c, "value": r[c]} for r in curve for c in counts]
    chart = alt.Chart(pd.DataFrame(long)).mark_line(point=True).encode(
        x=alt.X("hours:Q", title="hours since publishing"),
        y=alt.Y("value:Q", title="cumulative count"),
        color=alt.Color("measure:N", sort=counts, title=None),
        tooltip=["hours:Q", "measure:N", "value:Q"])
    st.altair_chart(chart, width="stretch")
    common.download_csv("Download this post's reads (CSV)",
                        curve, f"post_{post['post_id']}_reads.csv", tz)
    st.markdown("#### Every published post")
    ranked_table(rows)
    common.download_csv("Download every post's engagement (CSV)", rows, "posts_engagement.csv", tz)


def best_times_tab() -> None:
    best = analytics.best_times(db, campaign.id)
    if not best.enough:
        st.info(best.describe() + " Until then, any pattern would be chance.")
        return
    st.caption(f"Average engagement of the committee's own {best.posts} posts by when they "
               f"were published ({tz} time). The count of posts behind each figure is in the "
               "tooltip: an average of one or two posts says little.")
    left, right = st.columns(2)
    with left:
        st.markdown("#### By hour")
        st.altair_chart(alt.Chart(pd.DataFrame(best.hours)).mark_bar().encode(
            x=alt.X("hour:O", title="hour of day"), y=alt.Y("average:Q", title="average "
                                                                "engagement"),
            tooltip=["hour:O", "average:Q", "posts:Q"]), width="stretch")
        common.download_csv("Download by hour (CSV)", best.hours, "best_hours.csv", tz)
    with right:
        st.markdown("#### By weekday")
        st.altair_chart(alt.Chart(pd.DataFrame(best.weekdays)).mark_bar().encode(
            x=alt.X("weekday:O", sort=list(analytics.WEEKDAYS), title="weekday"),
            y=alt.Y("average:Q", title="average engagement"),
            tooltip=["weekday:O", "average:Q", "posts:Q"]), width="stretch")
        common.download_csv("Download by weekday (CSV)", best.weekdays, "best_weekdays.csv", tz)
    st.markdown("#### Weekday and hour")
    base = alt.Chart(pd.DataFrame(best.cells)).encode(
        x=alt.X("hour:O", title="hour of day"),
        y=alt.Y("weekday:O", sort=list(analytics.WEEKDAYS), title=None))
    st.altair_chart(alt.layer(
        base.mark_rect().encode(color=alt.Color("average:Q", title="average engagement"),
                                tooltip=["weekday:O", "hour:O", "average:Q", "posts:Q"]),
        base.mark_text().encode(text="posts:Q"),
    ), width="stretch")
    st.caption("The number in each cell is how many posts it averages.")
    common.download_csv("Download weekday and hour (CSV)", best.cells, "best_times.csv", tz)


def week_choice(week: tuple[int, int]) -> str:
    monday, sunday = analytics.week_days(*week)
    return f"{analytics.week_label(*week)} ({monday:%d %b} – {sunday:%d %b %Y})"


def digest_tab() -> None:
    now = utcnow()
    weeks = analytics.recent_weeks(now, zone, 12)
    week = st.selectbox("Week", weeks, index=weeks.index(analytics.last_full_week(now, zone)),
                        format_func=week_choice,
                        help="ISO weeks, Monday to Sunday in the campaign's time zone.")
    try:
        weekly = digest.build(db, campaign.id, *week)
    except OutreachError as exc:
        common.refusal(exc)
        return
    cols = st.columns(2)
    with cols[0]:
        common.download("Download the digest (HTML)", digest.render_html(weekly),
                        f"digest_{weekly.label}.html", mime="text/html")
    with cols[1]:
        common.download("Download the digest (Markdown)", digest.render_markdown(weekly),
                        f"digest_{weekly.label}.md", mime="text/markdown")
    with st.container(border=True):
        st.markdown(digest.render_markdown(weekly))


if campaign is not None:
    tz = campaign.timezone
    zone = ZoneInfo(tz)
    account_reads = analytics.account_reads(db, campaign.id)
    # A refused or failing read is said in the platform's words, never drawn as zeros.
    for account in account_reads:
        if account.problem:
            common.refusal(f"{account.label}: {account.problem}", warn=True)
    tab_followers, tab_posts, tab_times, tab_digest = common.tabs(
        ["Followers", "Posts", "Best times", "Digest"])
    with tab_followers:
        followers_tab(account_reads)
    with tab_posts:
        posts_tab()
    with tab_times:
        best_times_tab()
    with tab_digest:
        digest_tab()
