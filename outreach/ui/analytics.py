"""Analytics: follower growth against the campaign's timeline."""

import pandas as pd
import streamlit as st

from outreach import metrics
from outreach.campaigns import list_events
from outreach.safety import csv_text
from outreach.ui import common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Analytics")
if campaign is not None:
    common.not_built_yet("engagement per post, best times to post and the weekly digest")
    series = metrics.follower_series(db, campaign.id)
    if not series:
        st.caption("No follower snapshots yet; they appear once accounts are connected.")
    else:
        frame = pd.DataFrame(series).pivot_table(
            index="taken_at", columns="account", values="followers"
        )
        st.markdown("#### Followers")
        st.line_chart(frame, y_label="followers")
        st.markdown("#### Net new followers per day")
        st.bar_chart(frame.diff().dropna(), y_label="new followers")
        st.download_button("Download follower data (CSV)",
                           csv_text(frame.reset_index().to_dict("records")),
                           file_name="followers.csv", mime="text/csv")
    st.markdown("#### Campaign events")
    common.show_table([e.__dict__ for e in list_events(db, campaign.id)], campaign.timezone,
                      "No events yet.", column_order=["event_date", "kind", "title"])
