"""Settings: campaigns and their timelines, configuration and the worker."""

from datetime import date

import streamlit as st

from outreach import campaigns
from outreach.errors import OutreachError
from outreach.store.tables import CAMPAIGN_EVENT_KINDS
from outreach.ui import common
from outreach.worker import utcnow

db = common.engine()
settings = common.settings()
st.title("Settings")
common.show_worker_status(db)

st.markdown("#### Campaigns")
existing = campaigns.list_campaigns(db)
if existing:
    common.show_table(
        [{"name": c.name, "employer": c.employer, "union": c.union_name,
          "time zone": c.timezone, "keywords": ", ".join(c.keywords)} for c in existing],
        settings.timezone, "",
    )
with st.form("add_campaign", clear_on_submit=True):
    st.markdown("**Add a campaign**")
    name = st.text_input("Name", help="e.g. 'Acme warehouse first contract'")
    employer = st.text_input("Employer")
    union = st.text_input("Union or local")
    tz = st.text_input("Time zone", value=settings.timezone,
                       help="IANA name such as America/Chicago; posts are scheduled in it.")
    keywords = st.text_input("Keywords", help="Comma-separated; used to find coverage.")
    description = st.text_area("Description")
    if st.form_submit_button("Add campaign"):
        try:
            added = campaigns.create_campaign(
                db, name, now=utcnow(), timezone=tz.strip(), employer=employer,
                union_name=union, description=description,
                keywords=keywords.split(","),
            )
        except OutreachError as exc:
            st.error(str(exc))
        else:
            st.session_state[common.CAMPAIGN_KEY] = added.id
            st.success(f"Added campaign {added.name!r}.")
            st.rerun()

if existing:
    with st.form("add_event", clear_on_submit=True):
        st.markdown("**Add an event to a campaign's timeline**")
        names = {c.id: c.name for c in existing}
        ids = list(names)
        chosen = st.session_state.get(common.CAMPAIGN_KEY)
        campaign_id = st.selectbox("Campaign", ids, format_func=names.__getitem__,
                                   index=ids.index(chosen) if chosen in ids else 0)
        event_date = st.date_input("Date", value=date.today())
        title = st.text_input("Title", help="e.g. 'Strike authorization vote'")
        kind = st.selectbox("Kind", CAMPAIGN_EVENT_KINDS,
                            format_func=lambda k: k.replace("_", " "))
        notes = st.text_input("Notes")
        if st.form_submit_button("Add event"):
            try:
                event = campaigns.add_event(db, campaign_id, event_date=event_date,
                                            title=title, kind=kind, notes=notes,
                                            now=utcnow())
            except OutreachError as exc:
                st.error(str(exc))
            else:
                st.success(f"Added {event.event_date}: {event.title}.")

st.markdown("#### Configuration")
st.caption("Read from the environment and `.env` when the app starts; "
           "`.env.example` explains each one.")
st.dataframe(settings.describe(), hide_index=True)
