"""Press list: journalists, outlets and lists."""

import streamlit as st

from outreach import contacts
from outreach.ui import common

db = common.engine()
st.title("Press list")
common.not_built_yet("importing, editing and interaction history")
tz = common.settings().timezone
lists = contacts.list_press_lists(db)
chosen = st.selectbox("Show", ["Everyone"] + [x["name"] for x in lists],
                      help="Pick a press list to see only its members.")
people = contacts.list_journalists(db, list_name=None if chosen == "Everyone" else chosen)
st.caption(f"{len(people)} journalists")
common.show_table(
    people, tz, "No journalists yet.",
    column_order=["name", "title", "outlet", "email", "beats", "city", "lists",
                  "bluesky_handle", "x_handle", "do_not_contact"],
)
tab_outlets, tab_lists = st.tabs(["Outlets", "Lists"])
with tab_outlets:
    common.show_table(contacts.list_outlets(db), tz, "No outlets yet.")
with tab_lists:
    common.show_table(lists, tz, "No press lists yet.")
