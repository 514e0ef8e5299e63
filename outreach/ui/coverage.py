"""Coverage: the campaign's press hits, charts, clip report, feeds, employer watch and
query."""

import html
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from outreach import campaigns
from outreach.clock import utcnow
from outreach.coverage import clip_report, feeds, hit_lists, watch
from outreach.coverage import hits as press_hits
from outreach.coverage.opml import read_opml, write_opml
from outreach.errors import OutreachError
from outreach.presslist import contacts
from outreach.releases.protected_names import Match, highlight_markdown
from outreach.roles import can
from outreach.safety import md_escape
from outreach.store.tables import OUTLET_KINDS
from outreach.ui import auth, common

db = common.engine()
campaign = common.current_campaign(db)
actor = auth.actor()
st.title("Coverage")
OPML_RESULT_KEY = "coverage:opml-result"
TONES = {"": "not marked", "positive": "positive", "neutral": "neutral", "negative": "negative"}


def fetching():
    """The client, guard and poll settings for fetches asked for on this page."""
    return feeds.fetching(common.settings())


def feed_form(key: str, label: str, button: str, spinner: str, hint: str,
              add: Callable[[str, dict], dict], done: Callable[[dict], str], *,
              placeholder: str | None = None) -> None:
    """A form of one address (or EDGAR company) field whose button fetches it now through
    `add(text, how)` with the install's fetcher, then says `done(feed)` and clears."""
    with st.form(common.form_round(key)):
        text = st.text_input(label, placeholder=placeholder, help=hint)
        if st.form_submit_button(button) and text.strip():
            with fetching() as how, st.spinner(spinner):
                common.attempt(lambda: add(text.strip(), how), done, clears=key)


def hit_filter() -> hit_lists.HitFilter:
    """The filters at the top of the Hits tab."""
    today = common.today(tz)
    cols = st.columns(4)
    since = cols[0].date_input("From", value=today - timedelta(days=90))
    until = cols[1].date_input("To", value=today)
    kind = cols[2].selectbox("Outlet type", ["any", *OUTLET_KINDS])
    tone = cols[3].selectbox("Tone", ["any", *TONES], format_func=lambda t: TONES.get(t, t))
    cols = st.columns(4)
    text = cols[0].text_input("Headline contains")
    quoted = cols[1].checkbox("Our spokesperson quoted")
    landed = cols[2].checkbox("Key message landed")
    hidden = cols[3].checkbox("Show hidden hits")
    return hit_lists.HitFilter(
        since=since, until=until, outlet_kind=None if kind == "any" else kind,
        tone=None if tone == "any" else tone, text=text.strip(),
        spokesperson_quoted=True if quoted else None, key_message=True if landed else None,
        include_hidden=hidden)


def mark_form(hit: dict) -> None:
    """Tone, quoted, key message and hide for one hit."""
    with st.form(f"mark-{hit['id']}"):
        st.markdown(f"**{md_escape(hit['title'])}** · "
                    f"{md_escape(hit['outlet'] or 'outlet unknown')}")
        cols = st.columns(4)
        tone = cols[0].selectbox("Tone", list(TONES), index=list(TONES).index(hit["tone"]),
                                 format_func=TONES.__getitem__)
        quoted = cols[1].checkbox("Spokesperson quoted", value=hit["spokesperson_quoted"])
        landed = cols[2].checkbox("Key message landed", value=hit["key_message"])
        hide = cols[3].checkbox("Hide (not about us)", value=hit["hidden"])
        if st.form_submit_button("Save marks"):
            common.attempt(lambda: press_hits.mark_hit(
                db, actor, hit["id"], tone=tone, spokesperson_quoted=quoted, key_message=landed,
                hidden=hide, now=utcnow()), "Marked.")


def confirm_matches() -> None:
    """Bylines matched to a journalist only tentatively: confirm, correct or clear."""
    waiting = press_hits.suggested_matches(db, campaign.id)
    if not waiting:
        return
    st.markdown(f"#### Who wrote it? ({len(waiting)} to confirm)")
    hit = st.selectbox("Story", waiting, format_func=lambda h: f"{h['title']} — by "
                       f"{h['author'] or '?'} ({h['outlet'] or 'outlet unknown'})")
    people, _ = contacts.search(db, contacts.JournalistFilter(), limit=5000)
    options = {hit["journalist_id"]: f"{hit['journalist']} (suggested)"}
    options.update({p["id"]: f"{p['name']} ({p['outlet'] or 'no outlet'})" for p in people
                    if p["id"] != hit["journalist_id"]})
    options[None] = "None of them: not on our press list"
    with st.form(f"confirm-{hit['id']}"):
        chosen = st.selectbox("Journalist", list(options), format_func=options.__getitem__)
        if st.form_submit_button("Confirm"):
            common.attempt(lambda: press_hits.confirm_journalist(
                db, actor, hit["id"], chosen, now=utcnow()), "Saved in their history.")


def hits_tab() -> None:
    f = hit_filter()
    rows = hit_lists.list_hits(db, campaign.id, f, limit=1000)
    common.show_table(
        [{**r, "matched_terms": ", ".join(r["matched_terms"])} for r in rows], tz,
        "No press hits match. Feeds are polled by the worker; add feeds in the Feeds tab, "
        "or paste a story's link below.",
        column_order=["date", "title", "outlet", "author", "journalist", "tone",
                      "spokesperson_quoted", "key_message", "matched_terms", "release", "url"],
        column_config={"url": st.column_config.LinkColumn("link")})
    if not can(actor, "editor"):
        return
    if rows:
        hit = st.selectbox("Mark a hit", rows, format_func=lambda r: r["title"][:100])
        mark_form(hit)
    confirm_matches()
    with st.form(common.form_round("add_hit")):
        st.markdown("**Add a story by its link** (title, author and date are read from "
                    "the page)")
        url = st.text_input("Link", placeholder="https://news.example.org/2026/11/acme-strike")
        if st.form_submit_button("Add story") and url.strip():
            with fetching() as how:
                common.attempt(lambda: press_hits.add_hit_by_url(
                    db, actor, campaign.id, url.strip(), **how,
                    now=utcnow()), "Added.", clears="add_hit")


def charts_tab() -> None:
    today = common.today(tz)
    cols = st.columns(2)
    since = cols[0].date_input("From", value=today - timedelta(days=60), key="chart-from")
    until = cols[1].date_input("To", value=today, key="chart-to")
    f = hit_lists.HitFilter(since=since, until=until)
    per_day = hit_lists.hits_per_day(db, campaign.id, f)
    if not any(r["hits"] for r in per_day):
        st.info("No press hits in these dates yet. When feeds find stories, they are "
                "charted here against the campaign's events.")
        return
    events = hit_lists.events_between(db, campaign.id, since, until)
    bars = alt.Chart(pd.DataFrame(per_day)).mark_bar().encode(
        x=common.day_axis("day:T"),
        y=alt.Y("hits:Q", title="press hits", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=["day:T", "hits:Q"])
    layers = [bars]
    if events:
        marks = alt.Chart(pd.DataFrame(events)).mark_rule(color="firebrick").encode(
            x="event_date:T", tooltip=["event_date:T", "title:N", "kind:N"])
        layers.append(marks)
    st.markdown("#### Hits per day, with the campaign's events")
    st.altair_chart(alt.layer(*layers), width="stretch")
    common.download_csv("Download hits per day (CSV)", per_day, "hits_per_day.csv", tz)
    quoted, total = hit_lists.spokesperson_share(db, campaign.id, f)
    cols = st.columns(2)
    cols[0].metric("Press hits", total)
    cols[1].metric("Quoting our spokespeople", f"{quoted} ({quoted * 100 // total}%)"
                   if total else "0")
    by_kind = hit_lists.hits_by_outlet_kind(db, campaign.id, f)
    by_outlet = hit_lists.hits_by_outlet(db, campaign.id, f)
    by_person = hit_lists.hits_by_journalist(db, campaign.id, f)
    cols = st.columns(2)
    with cols[0]:
        st.markdown("#### By outlet type")
        st.bar_chart(pd.DataFrame(by_kind).set_index("kind")["hits"])
        common.download_csv("Download (CSV)", by_kind, "hits_by_outlet_type.csv", tz)
    with cols[1]:
        st.markdown("#### By outlet")
        common.show_table(by_outlet, tz, "None.", column_order=["outlet", "kind", "hits"])
        common.download_csv("Download (CSV)", by_outlet, "hits_by_outlet.csv", tz)
    st.markdown("#### By journalist")
    common.show_table(by_person, tz, "None.",
                      column_order=["journalist", "on_press_list", "hits"])
    common.download_csv("Download (CSV)", by_person, "hits_by_journalist.csv", tz)


def report_tab() -> None:
    today = common.today(tz)
    cols = st.columns(2)
    since = cols[0].date_input("From", value=today.replace(day=1), key="report-from")
    until = cols[1].date_input("To", value=today, key="report-to")
    try:
        report = clip_report.build(db, campaign.id, since, until)
    except OutreachError as exc:
        common.refusal(exc)
        return
    st.caption(f"{report.total} clip(s) from {report.outlets} outlet(s). The HTML file "
               "opens in any browser; print it to PDF for the bargaining committee.")
    cols = st.columns(2)
    with cols[0]:
        common.download("Download the clip report (HTML)", clip_report.render_html(report),
                        f"clips_{since}_{until}.html", mime="text/html", key="clips-html")
    with cols[1]:
        common.download("Download the clips (CSV)", clip_report.render_csv(report),
                        f"clips_{since}_{until}.csv", mime="text/csv", key="clips-csv")


def feeds_tab() -> None:
    stale_days = common.settings().feed_stale_days
    rows = feeds.feed_health(db, campaign.id, now=utcnow(),
                             stale_after=timedelta(days=stale_days))
    stale = [r["title"] for r in rows if r["stale"]]
    if stale:
        st.warning(f"{len(stale)} feed(s) brought nothing new in over {stale_days} days: "
                   f"{', '.join(stale)}. Check that the outlet still publishes at that "
                   "address, or remove the feed.")
    common.show_table(rows, tz, "No feeds yet: add an outlet's RSS feed, a Google Alerts "
                      "feed, or the Google News search for the campaign's keywords.",
                      column_order=["title", "kind", "outlet", "stale", "last_news_at",
                                    "hits_per_week", "item_count", "last_success_at",
                                    "last_error", "failures", "next_poll_at", "url"])
    if not can(actor, "editor"):
        st.caption("Adding and removing feeds needs the editor role.")
        return
    feed_form(
        "add_feed", "Feed address (RSS or Atom)", "Add feed", "Fetching the feed...",
        "An outlet's RSS feed, a Google Alerts feed (deliver to: RSS feed), or any RSS or "
        "Atom address. It is fetched once now.",
        lambda text, how: feeds.add_feed(db, actor, campaign.id, text, **how, now=utcnow(),
                                         sink=feeds.hits_sink(db, utcnow())),
        lambda feed: f"Added {feed['title']}: {feed['item_count']} items, "
        f"{feed['new_hits']} new hit(s).")
    cols = st.columns(3)
    if cols[0].button("Add the Google News search for our keywords",
                      help=f"Keywords: {', '.join(campaign.keywords) or 'none yet'}; "
                      f"edition {campaign.news_language} / {campaign.news_country}."):
        with fetching() as how, st.spinner("Fetching Google News..."):
            common.attempt(lambda: feeds.add_google_news_feed(
                db, actor, campaign.id, **how, now=utcnow(),
                sink=feeds.hits_sink(db, utcnow())),
                lambda feed: f"Added {feed['title']}: {feed['item_count']} items.")
    if cols[1].button("Add every outlet's feed from the press list"):
        with fetching() as how, st.spinner("Fetching the outlets' feeds..."):
            common.attempt(lambda: feeds.add_outlet_feeds(
                db, actor, campaign.id, **how, now=utcnow(),
                sink=feeds.hits_sink(db, utcnow())),
                lambda done: ", ".join(f"{len(v)} {k}" for k, v in done.items()) or "None.")
    if rows and cols[2].button("Poll this campaign's feeds now",
                               help="The worker polls on its own; this does it at once."):
        with fetching() as how, st.spinner("Polling..."):
            common.attempt(lambda: feeds.poll_feeds(
                db, **how, now=utcnow(), force=True,
                campaign_id=campaign.id, sink=feeds.hits_sink(db, utcnow())),
                lambda summary: f"Polled: {summary.describe()}."
                + "".join(f" {error}" for error in summary.errors[:3]))
    opml_tab(rows)
    if rows:
        with st.form("remove_feed"):
            feed = st.selectbox("Remove a feed", rows, format_func=lambda r: r["title"])
            sure = st.checkbox("Yes, stop polling it (its press hits stay)")
            if st.form_submit_button("Remove feed"):
                if not sure:
                    st.warning("Tick the box to confirm, then press Remove feed again.")
                else:
                    common.attempt(lambda: feeds.remove_feed(db, actor, feed["id"],
                                                             now=utcnow()),
                                   f"Removed {feed['title']}.")


def import_results(report: dict[str, list]) -> list[dict]:
    """One row per feed of an OPML import: what happened to it, and why when it failed."""
    return ([{"feed": f["title"], "result": "added", "detail": f"{f['item_count']} items, "
              f"{f['new_hits']} new hit(s)", "url": f["url"]} for f in report["added"]]
            + [{"feed": f["name"] or f["url"], "result": "not added", "detail": f["error"],
                "url": f["url"]} for f in report["failed"]]
            + [{"feed": name, "result": "already there", "detail": "", "url": ""}
               for name in report["skipped"]])


def opml_tab(rows: list[dict]) -> None:
    """Feeds in and out as OPML, the file feed readers exchange: a preview of what an import
    would add, then each feed's result."""
    st.markdown("#### Move feeds in and out of a feed reader (OPML)")
    if rows:
        common.download("Download the feeds as OPML", lambda: write_opml(
            f"{campaign.name}: coverage feeds",
            [{"title": r["title"], "url": r["url"]} for r in rows]),
            "coverage-feeds.opml", mime="text/x-opml", key="feeds-opml")
    done = st.session_state.pop(OPML_RESULT_KEY, None)
    if done is not None:
        st.markdown("**Import result, feed by feed**")
        common.show_table(done, tz, "Nothing to import.",
                          column_order=["feed", "result", "detail", "url"])
    if not can(actor, "editor"):
        return
    round_key = common.form_round("import_opml")
    upload = st.file_uploader("Import an OPML file (a feed reader's export)",
                              type=["opml", "xml"], key=f"{round_key}-file")
    if upload is None:
        return
    try:
        wanted = read_opml(upload.getvalue())
        plan = feeds.plan_feeds(db, campaign.id, wanted)
    except OutreachError as exc:
        common.refusal(exc)
        return
    st.caption(f"{len(plan['new'])} to add, {len(plan['skipped'])} already there, "
               f"{len(plan['failed'])} not feed addresses. Each is fetched once when added.")
    common.show_table(
        [{"feed": f["name"] or f["url"], "will be": "added", "url": f["url"]}
         for f in plan["new"]]
        + [{"feed": f["name"] or f["url"], "will be": f"left out: {f['error']}",
            "url": f["url"]} for f in plan["failed"]]
        + [{"feed": name, "will be": "left: already there", "url": ""}
           for name in plan["skipped"]],
        tz, "The file lists no feeds.", column_order=["feed", "will be", "url"])
    if plan["new"] and st.button(f"Add these {len(plan['new'])} feeds", type="primary"):
        with fetching() as how, st.spinner("Fetching the feeds..."):
            common.attempt(
                lambda: feeds.add_feeds(db, actor, campaign.id, wanted, **how,
                                        now=utcnow(), sink=feeds.hits_sink(db, utcnow())),
                lambda report: f"{len(report['added'])} added, {len(report['failed'])} "
                f"failed, {len(report['skipped'])} already there.",
                then=lambda report: st.session_state.__setitem__(
                    OPML_RESULT_KEY, import_results(report)),
                clears="import_opml")


def watch_line(item: dict) -> str:
    """One watch item as inert HTML: date, the form's label, the title with the query's
    terms in <mark>, and a link only to a web address. Outside text is never markup."""
    when = (item["published_at"] or item["found_at"]).astimezone(zone)
    title = highlight_markdown(item["title"], [
        Match(start, end, item["title"][start:end], 0) for start, end in item["spans"]])
    label = f" · <b>{html.escape(item['label'])}</b>" if item["label"] else ""
    link = item["link"]
    if link.startswith(("https://", "http://")):
        title = f'<a href="{html.escape(link, quote=True)}">{title}</a>'
    return f"{when:%Y-%m-%d}{label} · {title}"


def watch_tab() -> None:
    st.caption("What the employer files with the SEC and says in its own newsroom, kept "
               "apart from press hits. Filings that matter in a contract fight are labelled; "
               "the campaign's query terms are highlighted.")
    try:
        query = press_hits.campaign_query(db, campaign.id)
    except OutreachError:
        query = None
    items = watch.list_items(db, campaign.id, query=query)
    if not items:
        st.info("Nothing watched yet. Add the employer's SEC filings by its stock ticker or "
                "its CIK (search EDGAR for the company's name to find it), or its newsroom's "
                "RSS feed, below.")
    for item in items[:300]:
        st.markdown(watch_line(item), unsafe_allow_html=True)
    if not can(actor, "editor"):
        st.caption("Adding watched feeds needs the editor role.")
        return
    feed_form(
        "watch_edgar", "Company ticker or CIK (SEC EDGAR)", "Watch its filings",
        "Fetching the filings...",
        "The company's stock ticker, or the number EDGAR gives it; its filings feed is "
        "fetched now with the contact e-mail in OUTREACH_EDGAR_CONTACT.",
        lambda text, how: feeds.add_edgar_feed(db, actor, campaign.id, text, **how,
                                               now=utcnow(), sink=feeds.hits_sink(db, utcnow())),
        lambda feed: f"Watching {feed['title']}: {feed['item_count']} filings.",
        placeholder="ACME or 0000320193")
    feed_form(
        "watch_feed", "Newsroom or research feed (RSS or Atom)", "Watch this feed",
        "Fetching the feed...",
        "The employer's press-release feed, or any feed a research committee follows. Its "
        "items are kept here, never as press hits.",
        lambda text, how: feeds.add_feed(db, actor, campaign.id, text, **how, now=utcnow(),
                                         kind="employer", sink=feeds.hits_sink(db, utcnow())),
        lambda feed: f"Watching {feed['title']}: {feed['item_count']} items.")


def query_tab() -> None:
    st.markdown(
        "A story is a press hit when it matches the campaign's query: phrases in quotes, "
        "`AND`, `OR`, `NOT` and parentheses, e.g. `\"Acme Logistics\" AND (union OR strike) "
        "NOT \"Acme Insurance\"`. Case and accents do not matter; words match whole "
        "(`organi*` matches organizing and organizer). With no query, any of the "
        "campaign's keywords makes a hit.")
    if not can(actor, "editor"):
        st.code(campaign.query or "(no query)")
        return
    with st.form("query"):
        text = st.text_area("Query", value=campaign.query, key=f"query-{campaign.query}")
        if st.form_submit_button("Save query"):
            common.attempt(lambda: campaigns.set_query(db, actor, campaign.id, text,
                                                       now=utcnow()), "Saved.")
    with st.form("news_edition"):
        st.markdown("**Google News edition** searched by the campaign's news feed")
        cols = st.columns(2)
        language = cols[0].text_input("Language", value=campaign.news_language,
                                      help="e.g. en-US, es-419 (Spanish, Latin America), fr")
        country = cols[1].text_input("Country", value=campaign.news_country,
                                     help="Two letters, e.g. US, MX, CA.")
        if st.form_submit_button("Save edition"):
            common.attempt(lambda: campaigns.set_news_edition(
                db, actor, campaign.id, language, country, now=utcnow()),
                "Saved. Add the Google News feed again (Feeds tab) to search this edition.")


if campaign is not None:
    tz = campaign.timezone
    zone = ZoneInfo(tz)
    tab_hits, tab_charts, tab_report, tab_feeds, tab_watch, tab_query = common.tabs(
        ["Hits", "Charts", "Clip report", "Feeds", "Employer watch", "Query"])
    with tab_hits:
        hits_tab()
    with tab_charts:
        charts_tab()
    with tab_report:
        report_tab()
    with tab_feeds:
        feeds_tab()
    with tab_watch:
        watch_tab()
    with tab_query:
        query_tab()
