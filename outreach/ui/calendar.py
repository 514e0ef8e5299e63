"""A week or month calendar of scheduled posts, drawn as an HTML table (no JavaScript)."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

import streamlit as st

from outreach.social.calendar import VIEWS, Day, Entry, month_grid, shift, week_grid

# Border colour of a post by status; posts waiting on the committee share one colour.
STATUS_COLOURS = {
    "scheduled": "#1f77b4",
    "publishing": "#1f77b4",
    "draft": "#9e9e9e",
    "in_review": "#9e9e9e",
    "changes_requested": "#9e9e9e",
    "published": "#2ca02c",
    "failed": "#d62728",
    "held": "#ff9800",
}
LEGEND = (("scheduled", "scheduled"), ("draft", "draft / in review"),
          ("published", "published"), ("failed", "failed"), ("held", "held"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CELL = "border:1px solid rgba(128,128,128,.35);vertical-align:top;padding:4px;"
TODAY = "background:rgba(255,193,7,.18);"
PADDING = "opacity:.45;"


def _entry(entry: Entry, compact: bool) -> str:
    colour = STATUS_COLOURS.get(entry.status, "#9e9e9e")
    status = entry.status.replace("_", " ")
    who = f"{entry.platform} · {entry.account}"
    # A month cell is narrow: the account goes in the tooltip, the status word stays visible.
    head = f"{escape(entry.platform)} <i>{escape(status)}</i>" if compact \
        else f"{escape(who)} <i>({escape(status)})</i>"
    return (f'<div style="border-left:4px solid {colour};padding:2px 4px;margin:3px 0;'
            f'font-size:.8em;overflow-wrap:anywhere" title="{escape(who)}, {escape(status)}">'
            f"<b>{escape(entry.time)}</b> {head}<br>{escape(entry.text)}</div>")


def _cell(day: Day, today: date, label: str, compact: bool) -> str:
    style = CELL + (TODAY if day.date == today else "") + ("" if day.in_period else PADDING)
    heading = f"<b>{escape(label)}</b>" if day.date == today else escape(label)
    entries = "".join(_entry(e, compact) for e in day.entries)
    return f'<td style="{style}">{heading}{entries}</td>'


def _table(rows: list[str]) -> str:
    head = "".join(f'<th style="{CELL}">{d}</th>' for d in WEEKDAYS)
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    legend = " ".join(
        f'<span style="border-left:4px solid {STATUS_COLOURS[s]};padding:0 6px;'
        f'margin-right:8px">{label}</span>' for s, label in LEGEND)
    return (f'<table style="width:100%;table-layout:fixed;border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f'<div style="font-size:.8em;margin-top:6px">{legend}</div>')


def _move(key: str, anchor: date) -> None:
    st.session_state[key] = anchor


def render(posts: list[dict], zone_name: str, key: str, *, today: date | None = None) -> None:
    """Show posts as a week or month calendar with previous/today/next navigation.

    The first day shown is kept in st.session_state[key]; the view switch under f"{key}:view".
    """
    zone = ZoneInfo(zone_name)
    today = today or datetime.now(zone).date()
    anchor = st.session_state.setdefault(key, today)
    view = st.radio("View", VIEWS, horizontal=True, key=f"{key}:view",
                    format_func=str.capitalize)
    cols = st.columns(3)
    cols[0].button("← Previous", key=f"{key}:previous", on_click=_move,
                   args=(key, shift(anchor, view, -1)))
    cols[1].button("Today", key=f"{key}:today", on_click=_move, args=(key, today))
    cols[2].button("Next →", key=f"{key}:next", on_click=_move,
                   args=(key, shift(anchor, view, 1)))
    if view == "week":
        week = week_grid(posts, start=anchor, zone=zone)
        period = f"{week.start:%a %d %b %Y} to {week.end:%a %d %b %Y}"
        count = week.count
        rows = ["".join(_cell(d, today, f"{d.date:%d %b}", False) for d in week.days)]
    else:
        month = month_grid(posts, year=anchor.year, month=anchor.month, zone=zone)
        period = f"{month.first:%B %Y}"
        count = month.count
        rows = ["".join(_cell(d, today, str(d.date.day), True) for d in row) for row in month.weeks]
    st.subheader(period, anchor=False)
    st.caption(f"Times in {zone_name}. {count} post(s)." if count
               else f"No posts in this {view}: schedule one from the Compose tab.")
    st.html(_table(rows))
