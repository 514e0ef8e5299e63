"""The protected-names tab of the Releases page: who must never be named, kept by hand."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from outreach import trash
from outreach.clock import utcnow
from outreach.releases import protected_names
from outreach.roles import Actor, can
from outreach.safety import md_escape
from outreach.ui import common


def _split(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


def render(db: Engine, actor: Actor, tz: str) -> None:
    """The list (editors and up): adding, correcting and putting back a removed name;
    removing one needs an approver or admin, as removing unshields someone."""
    st.caption("Members who must not be named publicly (fired organizers, people at "
               "risk). A release or post that names one cannot be submitted or approved. "
               "Spokespeople on the roster are exempt.")
    if not can(actor, "editor"):
        st.caption("Seeing and changing this list needs the editor role.")
        return
    entries = protected_names.list_protected(db, actor)
    common.show_table([{"name": p.name, "aliases": ", ".join(p.aliases)} for p in entries],
                      tz, "Nobody on the list yet.")
    with st.form(common.form_round("protect")):
        name = st.text_input("Full name")
        aliases = st.text_input("Nicknames and other spellings",
                                help="Comma-separated, e.g. Mari, La Flaca")
        if st.form_submit_button("Protect this name"):
            common.attempt(lambda: protected_names.add_protected(db, actor, name, _split(aliases),
                                                       now=utcnow()),
                           "Added to the protected list.", clears="protect")
    if entries:
        _correct_or_remove(db, actor, entries)
    _recently_removed(db, actor, tz)


def _correct_or_remove(db: Engine, actor: Actor, entries: list) -> None:
    by_id = {p.id: p for p in entries}
    picked = st.selectbox("Correct or remove an entry", list(by_id),
                          format_func=lambda i: by_id[i].name, key="protected-entry")
    entry = by_id[picked]
    correcting = common.form_round(f"protected-{picked}")
    with st.form(correcting):
        new_name = st.text_input("Full name", value=entry.name, key=f"{correcting}-name")
        new_aliases = st.text_input("Nicknames and other spellings",
                                    value=", ".join(entry.aliases),
                                    key=f"{correcting}-aliases",
                                    help="Dropping a spelling needs an approver or admin.")
        if st.form_submit_button("Save entry"):
            common.attempt(lambda: protected_names.update_protected(
                db, actor, picked, new_name, _split(new_aliases), now=utcnow()),
                "Saved the entry.", clears=f"protected-{picked}")
    if not can(actor, "approver"):
        st.caption("Removing a name needs an approver or admin.")
        return
    sure = st.checkbox(f"Yes, stop protecting {md_escape(entry.name)} (undo below for "
                       f"{trash.RETENTION.days} days)", key=f"unprotect-sure-{picked}")
    if st.button("Remove from the list", disabled=not sure, key=f"unprotect-{picked}"):
        common.attempt(lambda: protected_names.remove_protected(db, actor, entry.name,
                                                                now=utcnow()),
                       "Removed from the protected list; undo it below.")


def _recently_removed(db: Engine, actor: Actor, tz: str) -> None:
    removed = trash.recently_deleted(db, now=utcnow(), entities=("protected_name",))
    if removed:
        st.markdown("**Recently removed**")
    common.undo_list(removed, tz, removed="removed", key="reprotect", done="Protected again.",
                     can_undo=True, db=db, actor=actor)
