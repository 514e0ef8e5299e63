"""Overview: the campaign at a glance."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from outreach import contacts, coverage, metrics, releases, scheduling
from outreach.campaigns import list_events
from outreach.ui import common
from outreach.worker import utcnow

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

    release_counts = releases.count_by_status(db, campaign.id)
    post_counts = scheduling.count_by_status(db, campaign.id)
    series = metrics.follower_series(db, campaign.id)
    cols = st.columns(4)
    cols[0].metric("Journalists on file", contacts.count_journalists(db))
    cols[1].metric("Releases awaiting approval", release_counts["in_review"])
    cols[2].metric("Posts scheduled", post_counts["scheduled"])
    cols[3].metric("Press hits, last 7 days",
                   coverage.count_hits(db, campaign.id, since=now - timedelta(days=7)))

    left, right = st.columns(2)
    with left:
        st.markdown("#### Next scheduled posts")
        common.show_table(
            scheduling.upcoming_posts(db, campaign.id, now, limit=8), campaign.timezone,
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
            coverage.latest_hits(db, campaign.id, limit=8), campaign.timezone,
            "No press hits yet.", column_order=["published_at", "outlet", "title"],
        )
        st.markdown("#### Follower trend")
        if series:
            frame = pd.DataFrame(series).pivot_table(
                index="taken_at", columns="account", values="followers"
            )
            st.line_chart(frame, y_label="followers")
        else:
            st.caption("No follower snapshots yet.")

    st.markdown("#### Timeline")
    events = [e.__dict__ for e in list_events(db, campaign.id)]
    common.show_table(events, campaign.timezone,
                      "No events yet: add strike votes, rallies and sessions under Settings.",
                      column_order=["event_date", "kind", "title", "notes"])
