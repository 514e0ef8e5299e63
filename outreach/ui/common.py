"""Shared page plumbing: the cached engine, the campaign selector, time display."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from outreach import trash
from outreach.campaigns import Campaign, get_campaign, list_campaigns
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.errors import NotFound, OutreachError
from outreach.net import URLGuard
from outreach.ops.worker import worker_status
from outreach.safety import csv_text, md_escape
from outreach.store import make_engine, upgrade_to_head

CAMPAIGN_KEY = "campaign_id"
FLASH_KEY = "flash"
_ROUND_PREFIX = "form-round:"
_NEXT = "next:"


@st.cache_resource(show_spinner="Opening the database...")
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade_to_head(engine)
    return engine


def settings() -> Settings:
    """Settings for this run of the script."""
    return Settings.from_env()


def url_guard() -> URLGuard:
    """This install's URL guard (OUTREACH_URL_ALLOWLIST), for domain calls that reach out."""
    return URLGuard(settings().url_allowlist)


def engine() -> Engine:
    """The store for the configured URL, migrated to head once per process."""
    return _engine_for(settings().database_url)


def campaign_selector(db: Engine) -> Campaign | None:
    """The sidebar's campaign picker; remembers the choice for the session."""
    found = list_campaigns(db)
    if not found:
        st.sidebar.info("No campaign yet: add one under Settings.")
        st.session_state.pop(CAMPAIGN_KEY, None)
        return None
    ids = [c.id for c in found]
    names = {c.id: c.name for c in found}
    st.sidebar.selectbox(
        "Campaign", ids, key=remember(CAMPAIGN_KEY, ids[0], options=ids),
        format_func=names.__getitem__,
        help="Every page shows the campaign chosen here.",
    )
    return next(c for c in found if c.id == st.session_state[CAMPAIGN_KEY])


def current_campaign(db: Engine) -> Campaign | None:
    """The campaign chosen in the sidebar, or None (with a note) when there is none."""
    campaign_id = st.session_state.get(CAMPAIGN_KEY)
    if campaign_id is not None:
        try:
            return get_campaign(db, campaign_id)
        except NotFound:
            pass
    st.info(
        "There is no campaign yet. Add one under **Settings**, or load the "
        "fictional demo with `python -m outreach demo`."
    )
    st.page_link("outreach/ui/settings.py", label="Go to Settings", icon=":material/settings:")
    return None


def campaign_zone(db: Engine) -> str:
    """The time zone of the campaign chosen in the sidebar, or the configured one when
    there is none: every time on a page is shown in it, and labelled."""
    campaign_id = st.session_state.get(CAMPAIGN_KEY)
    if campaign_id is not None:
        try:
            return get_campaign(db, campaign_id).timezone
        except NotFound:
            pass
    return settings().timezone


def today(tz: str) -> date:
    """The date now in the campaign's zone (not the server's): the default of every date
    field, so a late-evening entry in Chicago is not dated tomorrow."""
    return datetime.now(ZoneInfo(tz)).date()


def local_times(rows: list[dict], tz_name: str) -> pd.DataFrame:
    """Rows as a table with every datetime shown in the campaign's time zone."""
    tz = ZoneInfo(tz_name)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if any(isinstance(row.get(column), datetime) for row in rows):
            frame[column] = frame[column].map(
                lambda v: v.astimezone(tz).strftime("%Y-%m-%d %H:%M") if pd.notna(v) else ""
            )
    return frame


def edited_rows(before: pd.DataFrame, after: pd.DataFrame, columns: list[str]) -> dict:
    """{id: {column: new value}} for the rows a data editor changed, by the `id` column."""
    changes = {}
    for old, new in zip(before.to_dict("records"), after.to_dict("records"), strict=True):
        changed = {c: new[c] for c in columns if new[c] != old[c]}
        if changed:
            changes[int(new["id"])] = changed
    return changes


def day_axis(field: str, title: str = "day") -> alt.X:
    """A time axis whose every label names the day and the month ("23 Nov"), and whose
    tooltips say the full date."""
    return alt.X(field, title=title, axis=alt.Axis(format="%d %b", labelOverlap=True))


def show_table(rows: list[dict], tz_name: str, empty: str, **kwargs) -> None:
    """A read-only table, or a plain sentence when there is nothing to show."""
    if not rows:
        st.caption(empty)
        return
    labels = {c: c.replace("_", " ").capitalize() for c in rows[0]}
    # A time says which zone it is in: the campaign's, not the server's or UTC.
    labels.update({c: f"{labels[c]} ({tz_name})" for c in rows[0]
                   if any(isinstance(row.get(c), datetime) for row in rows)})
    kwargs["column_config"] = {**labels, **kwargs.get("column_config", {})}
    st.dataframe(local_times(rows, tz_name), hide_index=True, **kwargs)


def show_worker_status(db: Engine) -> None:
    """The worker's heartbeat, green when it runs and amber when it does not."""
    now = utcnow()
    status = worker_status(db, now)
    text = f"Worker: {status.describe(now)}"
    if status.state == "running":
        st.success(text, icon=":material/check_circle:")
    else:
        st.warning(text, icon=":material/warning:")


def attempt(action: Callable[[], Any], done: str | Callable[[Any], str], *,
            then: Callable[[Any], None] | None = None, clears: str = "") -> Any:
    """Run a domain write once; on success show the new state at once, on refusal say why here.

    Success: `then(result)` runs (e.g. to remember the new item), the form named `clears`
    starts empty next time (see form_round), `done` (given the result) is kept as a
    confirmation, and the page runs again so everything on it shows the write. Refusal: the
    error appears where the person is looking and what they typed stays; returns None.
    """
    try:
        result = action()
    except OutreachError as exc:
        refusal(exc)
        return None
    message = done(result) if callable(done) else done
    if then is not None:
        then(result)
    if clears:
        clear_form(clears)
    st.session_state.setdefault(FLASH_KEY, []).append(message)
    st.rerun()


def refusal(problem: Exception | str, *, warn: bool = False) -> None:
    """Say what went wrong, as plain text: an error may quote outside text (a feed's title,
    an imported name, a platform's answer) that must not render as Markdown."""
    text = md_escape(str(problem))
    if warn:
        st.warning(text, icon=":material/warning:")
    else:
        st.error(text, icon=":material/error:")


def undo_list(records: list[dict], tz: str, *, removed: str, key: str,
              done: str | Callable[[Any], str], can_undo: bool, db: Engine, actor) -> None:
    """Recently deleted rows (trash.recently_deleted), each with who `removed` it, when
    (in the campaign's zone) and an Undo button for those allowed."""
    for record in records:
        cols = st.columns([4, 1])
        when = record["deleted_at"].astimezone(ZoneInfo(tz))
        cols[0].text(f"{record['label']} · {removed} by {record['deleted_by']} on "
                     f"{when:%Y-%m-%d %H:%M} ({tz})")
        if can_undo and cols[1].button("Undo", key=f"{key}-{record['id']}"):
            attempt(lambda record=record: trash.restore(db, actor, record["id"], now=utcnow()),
                    done)


def show_flash() -> None:
    """The confirmations of the writes that re-ran the page (see attempt), as toasts, in
    plain text (they name journalists, feeds and titles)."""
    for message in st.session_state.pop(FLASH_KEY, []):
        st.toast(md_escape(message), icon=":material/check_circle:", duration="long")


def form_round(name: str) -> str:
    """The key of form `name` this time round; its inputs keep what was typed until
    clear_form(name) (a successful save) starts a fresh, empty round."""
    return f"{name}-{st.session_state.get(_ROUND_PREFIX + name, 0)}"


def clear_form(name: str) -> None:
    """Empty form `name` on the next run (its widgets get new identities)."""
    key = _ROUND_PREFIX + name
    st.session_state[key] = st.session_state.get(key, 0) + 1


def tabs(labels: list[str], key: str = "tab") -> list:
    """Tabs that stay where the person put them across re-runs, errors and writes; the
    chosen tab is in the address (?tab=...), so a bookmark or a reload opens it."""
    _take_next(key)
    return st.tabs(labels, key=key, bind="query-params")


def expander(label: str, key: str, *, expanded: bool = False):
    """An expander that stays open or closed as the person left it, whatever re-runs."""
    return st.expander(label, expanded=expanded, key=key, on_change="rerun")


def rerun_when_changed(read: Callable[[], Any], *, every: float = 5) -> None:
    """Run the whole page again as soon as `read()` gives something new (a vote cast in
    another browser, a post published), checking every few seconds: the screen never
    shows a state that has passed."""
    seen = read()

    @st.fragment(run_every=every)
    def watch() -> None:
        if read() != seen:
            st.rerun(scope="app")

    watch()


def remember(key: str, default: Any, *, options: list | None = None) -> str:
    """Give widget `key` its default once; afterwards it keeps what the person chose
    across re-runs, however long they take (a value chosen with show_next wins, and a
    choice no longer among `options` falls back to the default). Returns the key."""
    _take_next(key)
    if options is not None and st.session_state.get(key) not in options:
        st.session_state[key] = default
    st.session_state.setdefault(key, default)
    return key


def show_next(key: str, value: Any) -> None:
    """Make widget `key` (a tab, a picker) show `value` on the next run, e.g. the new
    release after saving it; a widget's value cannot change once it is drawn."""
    st.session_state[_NEXT + key] = value


def next_value(key: str) -> Any:
    """The value show_next set for widget `key`, still to be shown (else None)."""
    return st.session_state.get(_NEXT + key)


def _take_next(key: str) -> None:
    if _NEXT + key in st.session_state:
        st.session_state[key] = st.session_state.pop(_NEXT + key)


def download(label: str, data: bytes | str | Callable[[], bytes | str], file_name: str, *,
             mime: str | None = None, key: str | None = None, **kwargs) -> None:
    """A download button that works every time: a click never re-runs the page, so the
    file it asked for cannot be swapped out from under it by the re-run."""
    st.download_button(label, data, file_name=file_name, mime=mime, key=key or f"dl-{file_name}",
                       on_click="ignore", **kwargs)


def download_csv(label: str, rows: list[dict], name: str, tz_name: str) -> None:
    """A download of a chart's or table's rows as formula-safe CSV, times in `tz_name`."""
    zone = ZoneInfo(tz_name)
    local = [{k: f"{v.astimezone(zone):%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v
              for k, v in row.items()} for row in rows]
    download(label, csv_text(local), name, mime="text/csv", disabled=not rows,
             key=f"csv-{name}")
