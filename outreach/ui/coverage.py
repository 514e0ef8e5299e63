"""Coverage: feeds and the press hits found in them."""

import streamlit as st

from outreach import coverage
from outreach.ui import common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Coverage")
if campaign is not None:
    common.not_built_yet("feed polling, campaign queries and tying hits to journalists")
    st.markdown("#### Press hits")
    common.show_table(
        coverage.latest_hits(db, campaign.id, limit=500), campaign.timezone,
        "No press hits yet.",
        column_config={"url": st.column_config.LinkColumn("link")},
    )
    st.markdown("#### Feeds")
    common.show_table(coverage.list_feeds(db, campaign.id), campaign.timezone,
                      "No feeds yet.", column_order=["title", "kind", "url",
                                                      "last_success_at", "last_error"])
