"""Press list: search and filter journalists, edit, bulk actions, history, import, roster."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from outreach import contacts, contacts_import, spokespeople
from outreach.contacts import JournalistFilter
from outreach.errors import OutreachError
from outreach.roles import can
from outreach.safety import csv_text
from outreach.store.tables import INTERACTION_KINDS, OUTLET_KINDS
from outreach.ui import auth, common
from outreach.worker import utcnow

PAGE_SIZE = 50
EDITABLE = ["name", "title", "email", "beats", "region", "languages", "tags"]

db = common.engine()
actor = auth.actor()
editor = can(actor, "editor")
tz = common.settings().timezone
st.title("Press list")

facets = contacts.facet_values(db)
views = contacts.list_views(db)
tab_people, tab_one, tab_import, tab_outlets, tab_roster = st.tabs(
    ["Journalists", "One journalist", "Import & export", "Outlets & lists", "Spokespeople"])


with tab_people:
    view = st.selectbox("Saved view", [""] + list(views),
                        format_func=lambda v: v or "(none: set filters below)",
                        help="Saved combinations of filters, e.g. 'labor reporters not "
                        "contacted in 30 days'.")
    preset = views.get(view, JournalistFilter())
    cols = st.columns(4)
    text = cols[0].text_input("Search", value=preset.text, help="Name, outlet or notes.")
    beat = cols[1].selectbox("Beat", [""] + facets["beats"],
                             index=([""] + facets["beats"]).index(preset.beat)
                             if preset.beat in facets["beats"] else 0)
    list_name = cols[2].selectbox("List", [""] + facets["lists"],
                                  index=([""] + facets["lists"]).index(preset.list_name)
                                  if preset.list_name in facets["lists"] else 0)
    kind = cols[3].selectbox("Outlet type", [""] + list(OUTLET_KINDS),
                             index=([""] + list(OUTLET_KINDS)).index(preset.outlet_kind)
                             if preset.outlet_kind in OUTLET_KINDS else 0)
    cols = st.columns(4)
    language = cols[0].selectbox("Language", [""] + facets["languages"],
                                 index=([""] + facets["languages"]).index(preset.language)
                                 if preset.language in facets["languages"] else 0)
    tag = cols[1].selectbox("Tag", [""] + facets["tags"],
                            index=([""] + facets["tags"]).index(preset.tag)
                            if preset.tag in facets["tags"] else 0)
    region = cols[2].text_input("Region or city", value=preset.region)
    dnc = cols[3].selectbox("Do not contact", ["any", "exclude", "only"],
                            index=0 if preset.do_not_contact is None
                            else (2 if preset.do_not_contact else 1))
    cols = st.columns(2)
    recency = cols[0].radio("Last contacted", ["any time", "not in the last", "within the last"],
                            horizontal=True,
                            index=1 if preset.not_contacted_in_days is not None
                            else 2 if preset.contacted_in_days is not None else 0)
    days = cols[1].number_input("days", min_value=1, max_value=3650,
                                value=preset.not_contacted_in_days
                                or preset.contacted_in_days or 30)
    chosen = JournalistFilter(
        text=text, beat=beat, outlet_kind=kind, list_name=list_name, language=language,
        tag=tag, region=region,
        do_not_contact={"any": None, "exclude": False, "only": True}[dnc],
        not_contacted_in_days=int(days) if recency == "not in the last" else None,
        contacted_in_days=int(days) if recency == "within the last" else None,
    )
    total = contacts.count(db, chosen, now=utcnow())
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1)
    rows, total = contacts.search(db, chosen, now=utcnow(), limit=PAGE_SIZE,
                                  offset=(int(page) - 1) * PAGE_SIZE)
    first = (int(page) - 1) * PAGE_SIZE
    st.caption(f"{total} journalists match" + (
        f"; showing {first + 1}–{first + len(rows)}" if rows else ""))
    if not rows:
        st.caption("No journalists match these filters." if total == 0 and
                   contacts.count_journalists(db) else "No journalists yet: import a "
                   "list under Import & export.")
    elif not editor:
        common.show_table(rows, tz, "", column_order=["name", "title", "outlet", "email",
                                                      "beats", "region", "last_contacted_at",
                                                      "do_not_contact"])
    else:
        frame = common.local_times(rows, tz)
        frame.insert(0, "select", False)
        edited = st.data_editor(
            frame, hide_index=True, key=f"editor-{page}-{hash(chosen)}",
            disabled=[c for c in frame.columns if c not in ["select", *EDITABLE]],
            column_order=["select", "name", "title", "outlet", "email", "beats", "region",
                          "languages", "tags", "last_contacted_at", "do_not_contact", "id"],
        )
        changes = common.edited_rows(frame, edited, EDITABLE)
        selected = [int(i) for i in edited.loc[edited["select"], "id"]]
        if changes and st.button(f"Save edits to {len(changes)} journalist(s)",
                                 type="primary"):
            for jid, change in changes.items():
                common.attempt(lambda jid=jid, change=change: contacts.update_journalist(
                    db, actor, jid, change, now=utcnow()), f"Saved journalist {jid}.")
        with st.expander(f"Bulk actions on {len(selected)} selected"):
            target = st.text_input("Press list", help="Created if it does not exist.")
            if st.button("Add selected to list", disabled=not selected):
                common.attempt(
                    lambda: contacts.bulk_add_to_list(db, actor, selected, target, now=utcnow()),
                    lambda n: f"Added {n} to the list.")
            new_tag = st.text_input("Tag")
            if st.button("Tag selected", disabled=not selected):
                common.attempt(
                    lambda: contacts.bulk_tag(db, actor, selected, new_tag, now=utcnow()),
                    lambda n: f"Tagged {n}.")
            reason = st.text_input("Reason they must not be contacted")
            sure = st.checkbox("Yes, mark the selected journalists do-not-contact")
            if st.button("Mark do-not-contact", disabled=not (selected and sure)):
                common.attempt(
                    lambda: contacts.bulk_do_not_contact(db, actor, selected, reason,
                                                         now=utcnow()),
                    lambda n: f"Marked {n} do-not-contact.")
        with st.expander("Save these filters as a view"):
            view_name = st.text_input("View name", placeholder="labor reporters not "
                                      "contacted in 30 days")
            if st.button("Save view"):
                common.attempt(
                    lambda: contacts.save_view(db, actor, view_name, chosen, now=utcnow()),
                    f"Saved the view {view_name.strip()!r}.")
            if view and st.button(f"Delete the view {view!r}"):
                common.attempt(lambda: contacts.delete_view(db, actor, view, now=utcnow()),
                               f"Deleted {view!r}.")

with tab_one:
    names = {r["id"]: f"{r['name']} ({r['outlet'] or 'no outlet'})" for r in rows}
    if not names:
        st.caption("Search on the Journalists tab, then pick someone here.")
    else:
        jid = st.selectbox("Journalist (from the current results)", list(names),
                           format_func=names.__getitem__)
        person = contacts.get_journalist(db, jid)
        st.subheader(person["name"] + (f" ({person['pronouns']})" if person["pronouns"] else ""))
        if person["do_not_contact"]:
            st.error(f"Do not contact: {person['do_not_contact_reason']}")
        outlets_text = ", ".join(filter(None, [person["outlet"], *person["other_outlets"]]))
        st.markdown("  \n".join(f"**{label}:** {value}" for label, value in (
            ("Title", person["title"]), ("Outlets", outlets_text), ("E-mail", person["email"]),
            ("Phone", person["phone"]), ("Beats", person["beats"]),
            ("Bluesky", person["bluesky_handle"]), ("X", person["x_handle"]),
            ("Languages", person["languages"]), ("Prefers", person["preferred_contact"]),
            ("Lists", ", ".join(person["lists"])), ("Tags", person["tags"]),
            ("Notes", person["notes"]),
        ) if value))
        st.markdown("#### History")
        common.show_table(person["history"], tz, "No interactions logged yet.")
        st.markdown("#### Their stories about our campaigns")
        common.show_table(person["stories"], tz, "No stories found yet.")
        if editor:
            with st.form("log", clear_on_submit=True):
                st.markdown("**Log an interaction**")
                kind_done = st.selectbox("What happened", INTERACTION_KINDS)
                when = st.date_input("When", value=date.today())
                notes = st.text_area("Notes")
                if st.form_submit_button("Log it"):
                    happened = pd.Timestamp(when, tz=tz).to_pydatetime()
                    common.attempt(lambda: contacts.add_interaction(
                        db, actor, jid, kind_done, happened_at=happened, notes=notes,
                        now=utcnow()), "Logged.")

with tab_import:
    export_list = st.selectbox("Export", [""] + facets["lists"],
                               format_func=lambda n: n or "everyone")
    st.download_button(
        "Download CSV", lambda: csv_text(contacts_import.export_rows(
            db, list_name=export_list or None), contacts_import.EXPORT_COLUMNS),
        file_name="press-list.csv", mime="text/csv",
        help="Spreadsheet-safe CSV that imports back unchanged.")
    if not editor:
        st.caption("Importing needs the editor role.")
    else:
        upload = st.file_uploader("Import a CSV or XLSX file", type=["csv", "txt", "xlsx"])
        if upload is not None:
            try:
                table = contacts_import.read_table(upload.getvalue(), upload.name)
            except OutreachError as exc:
                st.error(str(exc))
                table = None
        if upload is not None and table is not None:
            mapping, unmapped = contacts_import.auto_mapping(table.headers)
            st.caption(f"{len(table.rows)} rows, {table.encoding}, delimiter "
                       f"{table.delimiter!r}. Check how the columns are understood:")
            choices = [None, *contacts_import.FIELDS]
            for position, header in enumerate(table.headers):
                picked = st.selectbox(
                    f"Column “{header}”", choices, key=f"map-{position}",
                    index=choices.index(mapping.get(header)),
                    format_func=lambda f: f or "(ignore)")
                mapping[header] = picked
            into = st.text_input("Also add everyone to the list", help="Optional.")
            skip = st.checkbox("Skip invalid rows instead of stopping")
            try:
                plan = contacts_import.plan_import(db, table, mapping=mapping,
                                                   list_name=into or None, source=upload.name)
            except OutreachError as exc:
                st.error(str(exc))
            else:
                st.markdown("**Dry run: nothing is written until you confirm.**")
                st.code(contacts_import.format_plan(plan), language=None)
                if st.button("Import", type="primary"):
                    common.attempt(lambda: contacts_import.apply_import(
                        db, actor, plan, now=utcnow(), skip_invalid=skip),
                        lambda report: f"Imported: {report}.")

with tab_outlets:
    common.show_table(contacts.list_outlets(db), tz, "No outlets yet.")
    common.show_table(contacts.list_press_lists(db), tz, "No press lists yet.")

with tab_roster:
    st.caption("Members who may speak to the press. Kept apart from journalists, never "
               "exported with them.")
    available = st.date_input("Available on", value=None, help="Leave empty for everyone.")
    common.show_table(spokespeople.roster(db, on=available), tz, "Nobody on the roster yet.",
                      column_order=["name", "union_role", "phone", "languages", "topics",
                                    "media_trained", "available_from", "available_to"])
    if editor:
        with st.form("spokesperson", clear_on_submit=True):
            st.markdown("**Add a spokesperson**")
            name = st.text_input("Name")
            role_in_union = st.text_input("Role in the union", placeholder="steward, shift 2")
            phone = st.text_input("Phone")
            languages = st.text_input("Languages", placeholder="English; Spanish")
            topics = st.text_input("Topics", placeholder="heat; staffing")
            trained = st.checkbox("Media-trained")
            start = st.date_input("Available from", value=None)
            end = st.date_input("Available to", value=date.today() + timedelta(days=90))
            if st.form_submit_button("Add to roster"):
                common.attempt(lambda: spokespeople.add_spokesperson(db, actor, {
                    "name": name, "union_role": role_in_union, "phone": phone,
                    "languages": languages, "topics": topics, "media_trained": trained,
                    "available_from": start, "available_to": end}, now=utcnow()),
                    f"Added {name.strip()} to the roster.")
