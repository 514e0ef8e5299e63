"""Social: connected accounts and the post queue."""

import streamlit as st

from outreach import scheduling
from outreach.ui import common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Social")
if campaign is not None:
    common.not_built_yet("connecting accounts, composing, approving and publishing posts")
    st.markdown("#### Accounts")
    common.show_table(scheduling.list_accounts(db, campaign.id), campaign.timezone,
                      "No accounts connected.", column_order=["platform", "handle"])
    st.markdown("#### Posts")
    state = st.radio("State", ["all", "scheduled", "published", "draft", "failed"],
                     horizontal=True)
    common.show_table(
        scheduling.list_posts(db, campaign.id, status=None if state == "all" else state),
        campaign.timezone, f"No {'' if state == 'all' else state + ' '}posts.",
        column_order=["scheduled_at", "published_at", "platform", "account", "status", "text"],
    )
