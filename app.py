"""Streamlit entry point: page config, sign-in gate, campaign selector, navigation.

Run with `make run` (which serves it through server.py, beside the sign-in route);
the pages live in `outreach/ui/`.
"""

import streamlit as st

from outreach.ui import auth, common

st.set_page_config(page_title="Union Media Desk", page_icon="📣",
                   layout="wide")

PAGES = [
    st.Page("outreach/ui/overview.py", title="Overview", icon=":material/dashboard:",
            default=True),
    st.Page("outreach/ui/press_list.py", title="Press list", icon=":material/contacts:"),
    st.Page("outreach/ui/releases.py", title="Releases", icon=":material/article:"),
    st.Page("outreach/ui/social.py", title="Social", icon=":material/forum:"),
    st.Page("outreach/ui/coverage.py", title="Coverage", icon=":material/newspaper:"),
    st.Page("outreach/ui/analytics.py", title="Analytics", icon=":material/monitoring:"),
    st.Page("outreach/ui/settings.py", title="Settings", icon=":material/settings:"),
]

db = common.engine()
settings = common.settings()
actor = auth.gate(db, settings)
page = st.navigation(PAGES, position="sidebar" if actor else "hidden")
if actor is None:
    auth.signed_out(f"/{page.url_path}", settings)
    st.stop()
auth.sidebar(db, actor)
common.show_flash()
common.campaign_selector(db)
page.run()
