"""Press list: search, add and edit journalists, lists, import, the roster, and undo."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from outreach import trash
from outreach.clock import utcnow
from outreach.errors import OutreachError
from outreach.presslist import contacts, spokespeople
from outreach.presslist import importing as contacts_import
from outreach.presslist.contacts import JournalistFilter
from outreach.presslist.fields import FIELDS
from outreach.roles import can
from outreach.safety import csv_text, md_escape
from outreach.store.tables import CONTACT_METHODS, INTERACTION_KINDS, OUTLET_KINDS
from outreach.ui import auth, common

PAGE_SIZE = 50
EDITABLE = ["name", "title", "email", "beats", "region", "languages", "tags"]
# Every field of a journalist, as the add and edit forms show them.
TEXT_FIELDS = (("name", "Name"), ("pronouns", "Pronouns"), ("title", "Title or role"),
               ("email", "E-mail"), ("other_emails", "Other e-mails"), ("phone", "Phone"),
               ("beats", "Beats"), ("bluesky_handle", "Bluesky"), ("x_handle", "X"),
               ("website", "Website"), ("city", "City"), ("region", "Region"),
               ("languages", "Languages"), ("tags", "Tags"))
SEPARATED = ("other_emails", "beats", "languages", "tags")
PRESS_ENTITIES = ("journalist", "press_list", "spokesperson")

db = common.engine()
actor = auth.actor()
editor = can(actor, "editor")
tz = common.campaign_zone(db)
st.title("Press list")
st.caption(f"Times in {tz}.")

facets = contacts.facet_values(db)
views = contacts.list_views(db)
outlet_names = [o["name"] for o in contacts.list_outlets(db)]
tab_people, tab_one, tab_add, tab_import, tab_lists, tab_roster, tab_deleted = common.tabs(
    ["Journalists", "One journalist", "Add a journalist", "Import & export",
     "Outlets & lists", "Spokespeople", "Recently deleted"])


def journalist_fields(current: dict, key: str) -> dict:
    """Inputs for every field of a journalist, prefilled from `current`."""
    values = {}
    cols = st.columns(3)
    for i, (name, label) in enumerate(TEXT_FIELDS):
        help_text = "Separate several with ; or ," if name in SEPARATED else None
        values[name] = cols[i % 3].text_input(label, value=current.get(name) or "",
                                              key=f"{key}-{name}", help=help_text)
    options = ["", *outlet_names]
    cols = st.columns(3)
    chosen = cols[0].selectbox("Outlet", options, key=f"{key}-outlet",
                               index=options.index(current.get("outlet") or "")
                               if (current.get("outlet") or "") in options else 0,
                               format_func=lambda o: o or "(none, or a new one)")
    new_outlet = cols[1].text_input("…or a new outlet", key=f"{key}-new-outlet",
                                    help="Added to the outlets when saved.")
    values["outlet"] = new_outlet.strip() or chosen
    methods = list(CONTACT_METHODS)
    values["preferred_contact"] = cols[2].selectbox(
        "Prefers", methods, key=f"{key}-prefers",
        index=methods.index(current.get("preferred_contact") or ""),
        format_func=lambda m: m or "(no preference)")
    values["notes"] = st.text_area("Notes", value=current.get("notes") or "",
                                   key=f"{key}-notes")
    cols = st.columns([1, 3])
    values["do_not_contact"] = cols[0].checkbox(
        "Do not contact", value=bool(current.get("do_not_contact")), key=f"{key}-dnc")
    values["do_not_contact_reason"] = cols[1].text_input(
        "Why not", value=current.get("do_not_contact_reason") or "", key=f"{key}-dnc-why",
        help="Required when they must not be contacted: the next volunteer needs to know.")
    return values


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
                   "list under Import & export, or add one under Add a journalist.")
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
            column_config={"last_contacted_at": f"Last contacted ({tz})"},
        )
        changes = common.edited_rows(frame, edited, EDITABLE)
        selected = [int(i) for i in edited.loc[edited["select"], "id"]]
        if changes and st.button(f"Save edits to {len(changes)} journalist(s)",
                                 type="primary"):
            def save_all():
                for jid, change in changes.items():
                    contacts.update_journalist(db, actor, jid, change, now=utcnow())
                return len(changes)
            common.attempt(save_all, lambda n: f"Saved {n} journalist(s).")
        with common.expander(f"Bulk actions on {len(selected)} selected", key="bulk"):
            bulk = common.form_round("bulk")
            target = st.text_input("Press list", help="Created if it does not exist.",
                                   key=f"{bulk}-list")
            cols = st.columns(2)
            if cols[0].button("Add selected to list", disabled=not selected):
                common.attempt(
                    lambda: contacts.bulk_add_to_list(db, actor, selected, target, now=utcnow()),
                    lambda n: f"Added {n} to {target.strip()}.", clears="bulk")
            if cols[1].button("Remove selected from list", disabled=not selected):
                common.attempt(
                    lambda: contacts.remove_from_list(db, actor, selected, target.strip(),
                                                      now=utcnow()),
                    lambda n: f"Took {n} off {target.strip()}.", clears="bulk")
            new_tag = st.text_input("Tag", key=f"{bulk}-tag")
            if st.button("Tag selected", disabled=not selected):
                common.attempt(
                    lambda: contacts.bulk_tag(db, actor, selected, new_tag, now=utcnow()),
                    lambda n: f"Tagged {n}.", clears="bulk")
            reason = st.text_input("Reason they must not be contacted", key=f"{bulk}-why")
            sure = st.checkbox("Yes, mark the selected journalists do-not-contact",
                               key=f"{bulk}-sure")
            if st.button("Mark do-not-contact", disabled=not (selected and sure)):
                common.attempt(
                    lambda: contacts.bulk_do_not_contact(db, actor, selected, reason,
                                                         now=utcnow()),
                    lambda n: f"Marked {n} do-not-contact.", clears="bulk")
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
    # Someone just added may not be among the search results: show them anyway.
    remembered = common.next_value("journalist")
    if remembered is not None and remembered not in names:
        try:
            found = contacts.get_journalist(db, remembered)
            names = {remembered: f"{found['name']} ({found['outlet'] or 'no outlet'})",
                     **names}
        except OutreachError:
            pass
    if not names:
        st.caption("Search on the Journalists tab, then pick someone here.")
    else:
        jid = st.selectbox("Journalist (from the current results)", list(names),
                           format_func=names.__getitem__,
                           key=common.remember("journalist", next(iter(names)),
                                               options=list(names)))
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
        if editor:
            with common.expander("Edit every field", key=f"edit-journalist-{jid}"):
                edit = f"edit-{jid}"
                with st.form(common.form_round(edit)):
                    values = journalist_fields(person, common.form_round(edit))
                    if st.form_submit_button("Save changes", type="primary"):
                        common.attempt(
                            lambda: contacts.update_journalist(db, actor, jid, values,
                                                               now=utcnow()),
                            lambda changed: f"Saved {person['name']}: " + (", ".join(
                                FIELDS.get(c, "Outlet") for c in changed)
                                or "nothing had changed") + ".", clears=edit)
            st.markdown("#### Lists")
            for list_on in person["lists"]:
                cols = st.columns([3, 1])
                cols[0].text(list_on)
                if cols[1].button("Take off this list", key=f"off-{jid}-{list_on}"):
                    common.attempt(lambda list_on=list_on: contacts.remove_from_list(
                        db, actor, [jid], list_on, now=utcnow()),
                        f"Took {person['name']} off {list_on}.")
            others = [x for x in facets["lists"] if x not in person["lists"]]
            if others:
                cols = st.columns([3, 1])
                add_to = cols[0].selectbox("Add to a list", others, key=f"add-list-{jid}")
                if cols[1].button("Add to list", key=f"add-{jid}"):
                    common.attempt(lambda: contacts.bulk_add_to_list(
                        db, actor, [jid], add_to, now=utcnow()),
                        f"Added {person['name']} to {add_to}.")
        st.markdown("#### History")
        common.show_table(person["history"], tz, "No interactions logged yet.")
        st.markdown("#### Their stories about our campaigns")
        common.show_table(person["stories"], tz, "No stories found yet.")
        if editor:
            logging = common.form_round("log")
            with st.form(logging):
                st.markdown("**Log an interaction**")
                kind_done = st.selectbox("What happened", INTERACTION_KINDS,
                                         key=f"{logging}-kind")
                when = st.date_input("When", value=common.today(tz), key=f"{logging}-when")
                notes = st.text_area("Notes", key=f"{logging}-notes")
                if st.form_submit_button("Log it"):
                    happened = pd.Timestamp(when, tz=tz).to_pydatetime()
                    common.attempt(lambda: contacts.add_interaction(
                        db, actor, jid, kind_done, happened_at=happened, notes=notes,
                        now=utcnow()), "Logged.", clears="log")
            st.markdown("#### Delete")
            sure = st.checkbox(f"Yes, delete {md_escape(person['name'])} with their lists and "
                               "history (undo under Recently deleted for 30 days)",
                               key=f"delete-sure-{jid}")
            if st.button("Delete journalist", disabled=not sure, key=f"delete-{jid}"):
                common.attempt(
                    lambda: contacts.delete_journalist(db, actor, jid, now=utcnow()),
                    lambda name: f"Deleted {name}: undo it under Recently deleted.")

with tab_add:
    if not editor:
        st.caption("Adding journalists needs the editor role.")
    else:
        adding = common.form_round("add-journalist")
        with st.form(adding):
            st.markdown("**Add a journalist** (only the name is required)")
            values = journalist_fields({}, adding)
            if st.form_submit_button("Add journalist", type="primary"):
                outlet = values.pop("outlet")
                values = {k: v for k, v in values.items() if v not in ("", False)}
                common.attempt(
                    lambda: contacts.add_journalist(db, actor, values, now=utcnow(),
                                                    outlet_name=outlet),
                    f"Added {values.get('name', '').strip()}; they are open under One "
                    "journalist.",
                    then=lambda new_id: (common.show_next("journalist", new_id),
                                         common.show_next("tab", "One journalist")),
                    clears="add-journalist")

with tab_import:
    export_list = st.selectbox("Export", [""] + facets["lists"],
                               format_func=lambda n: n or "everyone")
    common.download(
        "Download CSV", lambda: csv_text(contacts_import.export_rows(
            db, list_name=export_list or None), contacts_import.EXPORT_COLUMNS),
        "press-list.csv", mime="text/csv",
        help="Spreadsheet-safe CSV that imports back unchanged.")
    if not editor:
        st.caption("Importing needs the editor role.")
    else:
        importing = common.form_round("import")
        upload = st.file_uploader("Import a CSV or XLSX file", type=["csv", "txt", "xlsx"],
                                  key=f"{importing}-file",
                                  help="Up to "
                                  f"{st.get_option('server.maxUploadSize')} MB.")
        table = None
        if upload is not None:
            try:
                table = contacts_import.read_table(upload.getvalue(), upload.name)
            except OutreachError as exc:
                common.refusal(exc)
        if table is not None:
            mapping, unmapped = contacts_import.auto_mapping(table.headers)
            # The dry run's outcome goes here, at the top, once the options below are read.
            summary = st.container()
            st.caption(f"Read {len(table.rows)} rows ({table.form}). Check how each "
                       "column is understood:")
            choices = [None, *FIELDS]
            for position, header in enumerate(table.headers):
                picked = st.selectbox(
                    f"Column “{header}”", choices, key=f"{importing}-map-{position}",
                    index=choices.index(mapping.get(header)),
                    format_func=lambda f: FIELDS[f] if f else "(ignore)")
                mapping[header] = picked
            into = st.text_input("Also add everyone to the list", help="Optional.",
                                 key=f"{importing}-into")
            skip = st.checkbox("Skip invalid rows and import the rest",
                               key=f"{importing}-skip")
            try:
                plan = contacts_import.plan_import(db, table, mapping=mapping,
                                                   list_name=into or None, source=upload.name)
            except OutreachError as exc:
                common.refusal(exc)
                plan = None
            if plan is not None:
                counts = plan.counts
                invalid = counts["skipped"]
                blocked = bool(invalid) and not skip
                with summary:
                    st.markdown("**Dry run: nothing is written until you press Import.**")
                    cols = st.columns(4)
                    cols[0].metric("Would be added", counts["added"])
                    cols[1].metric("Would be merged", counts["merged"],
                                   help="Into a journalist on file, or an earlier row.")
                    cols[2].metric("Already on file", counts["unchanged"])
                    cols[3].metric("Would be skipped" if skip else "Invalid", invalid)
                    if blocked:
                        st.error(f"Importing would fail: {invalid} row(s) are invalid "
                                 "(listed below with the reason). Correct them in the file "
                                 "and upload it again, or tick “Skip invalid rows and import "
                                 "the rest” below.", icon=":material/block:")
                    elif invalid:
                        st.warning(f"{invalid} invalid row(s) will be skipped (listed below).")
                    if st.button("Import", type="primary", key=f"{importing}-go",
                                 disabled=blocked or not plan.outcomes):
                        common.attempt(lambda: contacts_import.apply_import(
                            db, actor, plan, now=utcnow(), skip_invalid=skip),
                            lambda report: f"Imported: {report}.", clears="import")
                outcome_names = {"added": "added", "merged": "merged",
                                 "unchanged": "already on file",
                                 "skipped": "skipped" if skip else "invalid"}
                shown = [{"row": o.row, "name": o.name, "outcome": outcome_names[o.action],
                          "details": "; ".join(filter(None, [
                              o.detail, *(f"{FIELDS.get(c, c)}: {old or '∅'}"
                                          f" → {new}" for c, old, new in o.changes),
                              *o.notes]))}
                         for o in sorted(plan.outcomes,
                                         key=lambda o: (o.action != "skipped", o.row))]
                common.show_table(shown, tz, "The file has no rows.")
                if plan.new_outlets or plan.new_lists:
                    st.caption("New: " + "; ".join(filter(None, [
                        f"outlets {', '.join(plan.new_outlets)}" if plan.new_outlets else "",
                        f"lists {', '.join(plan.new_lists)}" if plan.new_lists else ""])))

with tab_lists:
    st.markdown("#### Press lists")
    lists = contacts.list_press_lists(db)
    common.show_table(lists, tz, "No press lists yet.")
    if editor:
        with st.form(common.form_round("new-list")):
            st.markdown("**New press list**")
            new_name = st.text_input("Name", placeholder="Strike day")
            new_description = st.text_input("What it is for")
            if st.form_submit_button("Create list"):
                common.attempt(lambda: contacts.create_press_list(
                    db, actor, new_name, new_description, now=utcnow()),
                    f"Created {new_name.strip()}.", clears="new-list")
        if lists:
            by_name = {x["name"]: x for x in lists}
            picked = st.selectbox("Change a list", list(by_name), key="change-list")
            current = by_name[picked]
            changing = common.form_round(f"list-{picked}")
            with st.form(changing):
                renamed = st.text_input("Name", value=picked, key=f"{changing}-name")
                described = st.text_input("What it is for", value=current["description"],
                                          key=f"{changing}-description")
                if st.form_submit_button("Save list"):
                    common.attempt(lambda: contacts.update_press_list(
                        db, actor, picked, new_name=renamed, description=described,
                        now=utcnow()), f"Saved {renamed.strip()}.", clears=f"list-{picked}")
            sure = st.checkbox(f"Yes, delete the list {md_escape(picked)} "
                               f"({current['members']} members; they stay on file)",
                               key=f"delete-list-sure-{picked}")
            if st.button("Delete list", disabled=not sure, key=f"delete-list-{picked}"):
                common.attempt(lambda: contacts.delete_press_list(db, actor, picked,
                                                                  now=utcnow()),
                               f"Deleted the list {picked}: undo it under Recently deleted.")
    st.markdown("#### Outlets")
    common.show_table(contacts.list_outlets(db), tz, "No outlets yet.")
    if editor and len(outlet_names) > 1:
        st.markdown("##### Merge two outlets that are one")
        st.caption("An outlet is its web domain; names are labels. Everything at the merged "
                   "outlet (journalists, press hits, feeds) moves to the one kept.")
        cols = st.columns(2)
        merged = cols[0].selectbox("Merge this outlet", outlet_names, key="merge-outlet-from")
        kept = cols[1].selectbox("…into this one (kept)", outlet_names, index=1,
                                 key="merge-outlet-into")
        sure = st.checkbox(f"Yes, merge {md_escape(merged)} into {md_escape(kept)}; the name "
                           f"{md_escape(merged)} goes",
                           key=f"merge-outlet-sure-{merged}-{kept}")
        if st.button("Merge outlets", disabled=not sure or merged == kept,
                     key="merge-outlet-go"):
            common.attempt(lambda: contacts.merge_outlets(db, actor, kept, merged,
                                                          now=utcnow()),
                           lambda moved: f"Merged {merged} into {kept}. Moved: journalists "
                           f"{moved['journalists']}, press hits {moved['hits']}, feeds "
                           f"{moved['feeds']}.")

with tab_roster:
    st.caption("Members who may speak to the press. Kept apart from journalists, never "
               "exported with them.")
    available = st.date_input("Available on", value=None, help="Leave empty for everyone.")
    roster = spokespeople.roster(db, on=available)
    common.show_table(roster, tz, "Nobody on the roster yet.",
                      column_order=["name", "union_role", "phone", "languages", "topics",
                                    "media_trained", "available_from", "available_to"])

    def roster_fields(current: dict, key: str) -> dict:
        return {
            "name": st.text_input("Name", value=current.get("name", ""), key=f"{key}-name"),
            "union_role": st.text_input("Role in the union", placeholder="steward, shift 2",
                                        value=current.get("union_role", ""),
                                        key=f"{key}-role"),
            "phone": st.text_input("Phone", value=current.get("phone", ""), key=f"{key}-phone"),
            "languages": st.text_input("Languages", placeholder="English; Spanish",
                                       value=current.get("languages", ""),
                                       key=f"{key}-languages"),
            "topics": st.text_input("Topics", placeholder="heat; staffing",
                                    value=current.get("topics", ""), key=f"{key}-topics"),
            "media_trained": st.checkbox("Media-trained",
                                         value=bool(current.get("media_trained")),
                                         key=f"{key}-trained"),
            "available_from": st.date_input("Available from",
                                            value=current.get("available_from"),
                                            key=f"{key}-from"),
            "available_to": st.date_input("Available to", value=current.get(
                "available_to", common.today(tz) + timedelta(days=90)), key=f"{key}-to"),
        }

    if editor:
        adding = common.form_round("spokesperson")
        with st.form(adding):
            st.markdown("**Add a spokesperson**")
            person = roster_fields({}, adding)
            if st.form_submit_button("Add to roster"):
                common.attempt(lambda: spokespeople.add_spokesperson(db, actor, person,
                                                                     now=utcnow()),
                               f"Added {person['name'].strip()} to the roster.",
                               clears="spokesperson")
        everyone = {p["id"]: p for p in spokespeople.roster(db)}
        if everyone:
            sid = st.selectbox("Change someone on the roster", list(everyone),
                               format_func=lambda i: everyone[i]["name"], key="change-roster")
            changing = common.form_round(f"roster-{sid}")
            with st.form(changing):
                person = roster_fields(everyone[sid], changing)
                if st.form_submit_button("Save"):
                    common.attempt(lambda: spokespeople.update_spokesperson(
                        db, actor, sid, person, now=utcnow()),
                        f"Saved {person['name'].strip()}.", clears=f"roster-{sid}")
            sure = st.checkbox(f"Yes, take {md_escape(everyone[sid]['name'])} off the roster",
                               key=f"remove-roster-sure-{sid}")
            if st.button("Remove from roster", disabled=not sure, key=f"remove-roster-{sid}"):
                common.attempt(lambda: spokespeople.remove_spokesperson(db, actor, sid,
                                                                        now=utcnow()),
                               f"Took {everyone[sid]['name']} off the roster: undo it under "
                               "Recently deleted.")

with tab_deleted:
    deleted = trash.recently_deleted(db, now=utcnow(), entities=PRESS_ENTITIES)
    st.caption(f"Journalists, lists and spokespeople deleted in the last "
               f"{trash.RETENTION.days} days, newest first. Undo puts each back with what "
               "hung on it (lists, history, links to stories and pitches).")
    if not deleted:
        st.caption("Nothing deleted recently.")
    common.undo_list(deleted, tz, removed="deleted", key="undo",
                     done=lambda label: f"Put back {label}.", can_undo=editor, db=db,
                     actor=actor)
