"""Releases: press releases, advisories and statements and where each stands."""

import streamlit as st

from outreach import releases
from outreach.ui import common

db = common.engine()
campaign = common.current_campaign(db)
st.title("Releases")
if campaign is not None:
    common.not_built_yet("drafting from templates, committee approval and pitching by email")
    counts = releases.count_by_status(db, campaign.id)
    cols = st.columns(len(counts))
    for col, (state, n) in zip(cols, counts.items(), strict=True):
        col.metric(state.replace("_", " ").capitalize(), n)
    common.show_table(releases.list_releases(db, campaign.id), campaign.timezone,
                      "No releases yet.", column_order=["title", "kind", "status", "updated_at"])
