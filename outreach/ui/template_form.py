"""Widgets for a template's fields, built from the fields its front matter declares."""

from __future__ import annotations

from datetime import date, time

import streamlit as st

from outreach.releases.templates import Template


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _time(value) -> time | None:
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def field_inputs(template: Template, current: dict, roster: list[dict], key: str) -> dict:
    """One input per field, prefilled from `current`; returns the values as the template wants."""
    values: dict = {}
    people = {p["name"]: p for p in roster}
    for f in template.fields:
        label = f.label + ("" if f.required else " (optional)")
        wid = f"{key}-{f.name}"
        now = current.get(f.name)
        if f.type == "long_text":
            values[f.name] = st.text_area(label, value=now or "", help=f.help, key=wid)
        elif f.type == "date":
            picked = st.date_input(label, value=_date(now), help=f.help, key=wid)
            values[f.name] = picked.isoformat() if picked else ""
        elif f.type == "time":
            picked = st.time_input(label, value=_time(now), help=f.help, key=wid)
            values[f.name] = picked.strftime("%H:%M") if picked else ""
        elif f.type == "list":
            text = st.text_area(label, value="\n".join(now or []),
                                help=(f.help + " One per line.").strip(), key=wid)
            values[f.name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif f.type == "spokesperson":
            names = ["", *people]
            chosen = (now or {}).get("name", "")
            pick = st.selectbox(label, names, index=names.index(chosen) if chosen in names else 0,
                                help=(f.help + " From the spokesperson roster.").strip(),
                                key=wid, format_func=lambda n: n or "(choose)")
            person = people.get(pick)
            values[f.name] = {"name": person["name"], "role": person["union_role"],
                              "phone": person["phone"], "languages": person["languages"]} \
                if person else {}
        elif f.type == "contact":
            old = now or {}
            cols = st.columns(3)
            values[f.name] = {
                "name": cols[0].text_input(f"{label}: name", value=old.get("name", ""),
                                           key=wid + "-n", help=f.help),
                "phone": cols[1].text_input("Phone", value=old.get("phone", ""),
                                            key=wid + "-p"),
                "email": cols[2].text_input("E-mail", value=old.get("email", ""),
                                            key=wid + "-e"),
            }
        else:
            values[f.name] = st.text_input(label, value=now or "", help=f.help, key=wid)
    return values
