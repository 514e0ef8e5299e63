"""Overview: the campaign at a glance."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from outreach.campaigns import list_events
from outreach.clock import utcnow
from outreach.coverage import hit_lists
from outreach.insights import analytics, digest
from outreach.presslist import contacts
from outreach.releases import drafts as releases
from outreach.roles import can
from outreach.safety import md_escape
from outreach.social import queue as post_queue
from outreach.ui import auth, common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Overview")
if campaign is not None:
    now = utcnow()
    who = " · ".join(x for x in (campaign.employer, campaign.union_name) if x)
    st.subheader(campaign.name)
    if who:
        st.caption(who)
    common.show_worker_status(db)
    if can(auth.actor(), "editor"):
        st.page_link("outreach/ui/releases.py", label="Rapid response: something happened "
                     "this morning", icon=":material/bolt:", query_params={"tab": "Rapid response"},
                     help="A statement from a template for ICE at the workplace, a firing or an "
                     "unfair labor practice, filled in with what the desk knows, to the "
                     "committee in one step.")

    release_counts = releases.count_by_status(db, campaign.id)
    post_counts = post_queue.count_by_status(db, campaign.id)
    by_day = analytics.followers_by_day(db, campaign.id)
    cols = st.columns(4)
    cols[0].metric("Journalists on file", contacts.count_journalists(db))
    cols[1].metric("Releases awaiting approval", release_counts["in_review"])
    cols[2].metric("Posts scheduled", post_counts["scheduled"])
    cols[3].metric("Press hits, last 7 days",
                   hit_lists.count_hits(db, campaign.id, since=now - timedelta(days=7)))

    week = analytics.week_numbers(db, campaign.id,
                                  *analytics.week_of(now, ZoneInfo(campaign.timezone)))
    monday, _ = analytics.week_days(week.year, week.week)
    st.markdown(f"#### This week ({week.label}, since Monday {monday:%d %b})")
    cols = st.columns(4)
    cols[0].metric("Posts published this week", week.posts)
    unread = week.posts - week.posts_with_figures
    cols[1].metric("Engagement this week", week.engagement,
                   help="Likes, reposts, replies and quotes of this week's posts, as last read"
                   + (f"; {unread} post(s) not read yet." if unread else "."))
    cols[2].metric("New followers this week", digest.signed(week.new_followers),
                   help="Across the campaign's accounts, since each one's last read of last "
                   "week; a dash when no account was read this week.")
    cols[3].metric("Press hits this week", week.press_hits)

    left, right = st.columns(2)
    with left:
        st.markdown("#### Next scheduled posts")
        common.show_table(
            post_queue.upcoming_posts(db, campaign.id, now, limit=8), campaign.timezone,
            "Nothing scheduled.", column_order=["scheduled_at", "platform", "account", "text"],
        )
        st.markdown("#### Releases awaiting approval")
        common.show_table(
            releases.list_releases(db, campaign.id, status="in_review"), campaign.timezone,
            "No release is waiting for the committee.",
            column_order=["title", "kind", "updated_at"],
        )
    with right:
        st.markdown("#### Latest press hits")
        common.show_table(
            hit_lists.latest_hits(db, campaign.id, limit=8), campaign.timezone,
            "No press hits yet.", column_order=["published_at", "outlet", "title"],
        )
        st.markdown("#### Follower trend")
        if by_day:
            st.altair_chart(alt.Chart(pd.DataFrame(by_day)).mark_line().encode(
                x=common.day_axis("day:T"), y=alt.Y("followers:Q", title="followers"),
                color=alt.Color("account:N", title="account"),
                tooltip=["day:T", "account:N", "followers:Q"]), width="stretch")
        else:
            st.caption("No follower snapshots yet: the worker reads connected accounts' "
                       "followers once a day.")
        for read in analytics.account_reads(db, campaign.id):
            if read.problem:
                st.caption(md_escape(f"{read.label}: {read.problem}"))

    st.markdown("#### Timeline")
    events = [e.__dict__ for e in list_events(db, campaign.id)]
    common.show_table(events, campaign.timezone,
                      "No events yet: add strike votes, rallies and sessions under Settings.",
                      column_order=["event_date", "kind", "title", "notes"])
