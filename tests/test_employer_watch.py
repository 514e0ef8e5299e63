"""The employer watch: EDGAR filings and the employer's newsroom, polled like any feed but
kept as watch items, never press hits; EDGAR's fair-access User-Agent; forms labelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from markdown_it import MarkdownIt
from support.feed_server import FeedServer
from support.pages import button, confirmed, open_page

from outreach import campaigns
from outreach.cli import build_parser, execute
from outreach.config import Settings
from outreach.coverage import feeds, watch
from outreach.coverage.fetch import PollSettings
from outreach.coverage.query import compile_query
from outreach.errors import ConfigError, InvalidInput
from outreach.insights import digest
from outreach.net import URLGuard
from outreach.roles import Actor
from outreach.store import open_store
from outreach.store.tables import feeds as feeds_table
from outreach.store.tables import press_hits, watch_items

ADMIN = Actor("admin", "admin")
EDITOR = Actor("rosa", "editor")
CONTACT = "research@local101.example.org"
POLL = replace(PollSettings.from_settings(Settings()), edgar_contact=CONTACT)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


@pytest.fixture
def guard():
    return URLGuard(allowlist=["127.0.0.1"])


@pytest.fixture
def client(guard):
    with feeds.make_client(POLL, guard) as made:
        yield made


@pytest.fixture
def campaign_id(db, now):
    return campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC",
                                     keywords=["Acme Logistics", "Local 101"]).id


def add_edgar(db, server, client, guard, campaign_id, now, settings=POLL, cik="123456"):
    return feeds.add_edgar_feed(db, EDITOR, campaign_id, cik, client=client, guard=guard,
                                now=now, endpoint=server.url("/cgi-bin/browse-edgar"),
                                sink=feeds.hits_sink(db, now), settings=settings)


def count(db, table) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_edgar_is_asked_at_most_ten_times_a_second(db, server, client, guard, campaign_id,
                                                   now):
    """EDGAR's fair-access rule, kept however many companies two campaigns watch: twelve
    filings feeds polled at once still reach the server at most ten in any second."""
    other = campaigns.create_campaign(db, ADMIN, "Harbor drive", now=now, timezone="UTC",
                                      keywords=["Harbor"]).id
    for number in range(12):
        add_edgar(db, server, client, guard, (campaign_id, other)[number % 2], now,
                  cik=str(100000 + number))
    server.reset_counts()
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=2),
                               sink=feeds.hits_sink(db, now), force=True, settings=POLL)
    assert (summary.failed, summary.fetched + summary.unchanged) == (0, 12)
    starts = sorted(request["at"] for request in server.seen)
    assert len(starts) == 12
    assert min(starts[i + 10] - starts[i] for i in range(len(starts) - 10)) >= 0.95


def test_edgar_url_is_the_company_atom_feed_from_its_cik_or_ticker():
    """EDGAR's company search takes a CIK or a ticker; a name is refused in words."""
    assert watch.edgar_url("320193") == (
        "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK=0000320193&type="
        "&dateb=&owner=include&count=40&output=atom")
    assert "&CIK=ACME&" in watch.edgar_url(" acme ")
    assert "&CIK=BRK-B&" in watch.edgar_url("brk.b")
    for wrong in ("Acme Logistics", "12345678901", "ACMELOG", ""):
        with pytest.raises(InvalidInput, match="neither a CIK nor a stock ticker"):
            watch.edgar_url(wrong)


def test_edgar_filings_are_watch_items_with_forms_labelled_and_the_contact_sent(
        db, server, client, guard, campaign_id, now):
    feed = add_edgar(db, server, client, guard, campaign_id, now)
    assert feed["kind"] == "edgar" and feed["new_hits"] == 0
    assert CONTACT in server.seen[-1]["headers"]["User-Agent"]
    assert "CIK=0000123456" in server.seen[-1]["path"]
    items = watch.list_items(db, campaign_id)
    assert [(i["form"], i["published_at"].date().isoformat()) for i in items] == [
        ("8-K", "2026-11-30"), ("4", "2026-11-24"), ("10-Q", "2026-11-06"),
        ("DEF 14A", "2026-04-02")]
    assert items[0]["label"].startswith("8-K: a material event")
    assert items[1]["label"] == ""
    assert items[3]["label"].startswith("DEF 14A: the proxy statement")
    assert count(db, press_hits) == 0


def test_edgar_without_a_contact_email_is_refused_and_nothing_stored(
        db, server, client, guard, campaign_id, now):
    with pytest.raises(InvalidInput, match="OUTREACH_EDGAR_CONTACT"):
        add_edgar(db, server, client, guard, campaign_id, now,
                  settings=replace(POLL, edgar_contact=""))
    assert server.requests["/cgi-bin/browse-edgar"] == 0
    assert count(db, feeds_table) == 0 and count(db, watch_items) == 0


def test_an_edgar_address_added_as_a_plain_feed_is_still_an_edgar_watch(
        db, client, guard, campaign_id, now):
    """Pasted into `feeds add` or brought by an OPML file, EDGAR's address is still asked
    for under its contact rule, never as an anonymous press feed."""
    url = watch.edgar_url("320193")
    with pytest.raises(InvalidInput, match="OUTREACH_EDGAR_CONTACT"):
        feeds.add_feed(db, ADMIN, campaign_id, url, client=client, guard=guard, now=now,
                       settings=replace(POLL, edgar_contact=""))
    plan = feeds.plan_feeds(db, campaign_id, [{"name": "Acme filings", "url": url}])
    assert plan["new"] == [] and plan["failed"][0]["error"] == feeds.EDGAR_BY_HAND
    assert count(db, feeds_table) == 0


def test_a_newsroom_story_that_matches_the_query_is_a_watch_item_not_a_press_hit(
        db, server, client, guard, campaign_id, now):
    feeds.add_feed(db, EDITOR, campaign_id, server.url("/rss.xml"), client=client,
                   guard=guard, now=now, kind="employer", sink=feeds.hits_sink(db, now),
                   settings=POLL)
    assert count(db, press_hits) == 0
    items = watch.list_items(db, campaign_id, query=compile_query('"Acme Logistics" OR strike'))
    first = next(i for i in items if i["title"].startswith("Acme Logistics workers"))
    assert first["title"] == "Acme Logistics workers vote to authorize strike"
    assert first["spans"] == [(0, len("Acme Logistics")), (41, 47)]
    assert first["form"] == "" and first["label"] == ""


def test_the_poller_routes_watch_feeds_to_the_watch_and_asks_edgar_with_the_contact(
        db, server, client, guard, campaign_id, now):
    add_edgar(db, server, client, guard, campaign_id, now)
    with db.begin() as conn:
        conn.execute(watch_items.delete())
        conn.execute(feeds_table.update().values(etag="", last_modified=""))
    server.seen.clear()
    later = now + timedelta(hours=2)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=later,
                               sink=feeds.hits_sink(db, later), force=True, settings=POLL)
    assert (summary.fetched, summary.failed, summary.new_hits) == (1, 0, 0)
    assert CONTACT in server.seen[-1]["headers"]["User-Agent"]
    assert count(db, watch_items) == 4 and count(db, press_hits) == 0


def test_polling_edgar_without_a_contact_fails_that_feed_in_words(
        db, server, client, guard, campaign_id, now):
    add_edgar(db, server, client, guard, campaign_id, now)
    server.reset_counts()
    later = now + timedelta(hours=2)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=later,
                               sink=feeds.hits_sink(db, later), force=True,
                               settings=replace(POLL, edgar_contact=""))
    assert summary.failed == 1 and server.requests["/cgi-bin/browse-edgar"] == 0
    assert "OUTREACH_EDGAR_CONTACT" in feeds.list_feeds(db, campaign_id)[0]["last_error"]


def test_filings_and_other_items_are_counted_by_when_they_were_found(
        db, server, client, guard, campaign_id, now):
    add_edgar(db, server, client, guard, campaign_id, now)
    week = (now - timedelta(days=1), now + timedelta(days=1))
    filings = watch.filings_between(db, campaign_id, *week)
    assert [f["form"] for f in filings] == ["DEF 14A", "10-Q", "4", "8-K"]
    assert watch.other_items_between(db, campaign_id, *week) == 0
    assert watch.filings_between(db, campaign_id, datetime(2020, 1, 1, tzinfo=UTC),
                                 now - timedelta(days=1)) == []


def run_cli(argv: list[str], settings: Settings) -> int:
    return execute(build_parser(argv[0]).parse_args(argv), settings)


def test_the_command_line_watches_edgar_and_the_newsroom(tmp_path, server, capsys, now):
    env = {"OUTREACH_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}",
           "OUTREACH_URL_ALLOWLIST": "127.0.0.1"}
    bare = Settings.from_env(env, env_file=None)
    db = open_store(bare.database_url)
    campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC",
                              keywords=["Acme Logistics"])
    assert run_cli(["feeds", "watch-items"], bare) == 0
    assert "Nothing watched yet" in capsys.readouterr().out
    with pytest.raises(InvalidInput, match="set OUTREACH_EDGAR_CONTACT"):
        run_cli(["feeds", "watch-edgar", "123456"], bare)
    with pytest.raises(InvalidInput, match="'Acme Inc' is neither a CIK nor a stock ticker"):
        run_cli(["feeds", "watch-edgar", "Acme Inc"], bare)
    settings = Settings.from_env({**env, "OUTREACH_EDGAR_CONTACT": CONTACT}, env_file=None)
    assert run_cli(["feeds", "add", server.url("/cgi-bin/browse-edgar?CIK=0000123456"),
                    "--kind", "edgar"], settings) == 0
    assert run_cli(["feeds", "add", server.url("/rss.xml"), "--kind", "employer"],
                   settings) == 0
    assert "0 new hits" in capsys.readouterr().out
    assert CONTACT in server.seen[0]["headers"]["User-Agent"]
    assert CONTACT not in server.seen[1]["headers"]["User-Agent"]
    assert run_cli(["feeds", "watch-items"], settings) == 0
    out = capsys.readouterr().out
    assert "2026-11-30  8-K - Current report [8-K: a material event" in out
    assert "Acme Logistics workers vote to authorize strike" in out
    assert count(db, press_hits) == 0


def test_a_contact_that_is_not_an_email_is_a_configuration_error():
    with pytest.raises(ConfigError, match="OUTREACH_EDGAR_CONTACT must be an e-mail"):
        Settings.from_env({"OUTREACH_EDGAR_CONTACT": "Local 101"}, env_file=None)


# --- the Employer watch tab ------------------------------------------------------------------


def watch_lines(at) -> list[str]:
    return [m.value for m in at.markdown if "<mark>" in m.value or " · " in m.value]


def test_the_tab_says_what_to_do_when_nothing_is_watched(store, now):
    campaigns.create_campaign(store, ADMIN, "Quiet drive", now=now, timezone="UTC")
    at = open_page("coverage")
    assert any(i.value.startswith("Nothing watched yet") for i in at.info), at.info


def test_the_tab_lists_items_newest_first_labelled_highlighted_and_inert(store, now):
    campaign = campaigns.create_campaign(store, ADMIN, "Acme drive", now=now, timezone="UTC",
                                         keywords=["Acme Logistics"])
    with store.begin() as conn:
        conn.execute(watch_items.insert(), [
            {"campaign_id": campaign.id, "title": "10-Q - Quarterly report", "form": "10-Q",
             "link": "https://www.sec.gov/Archives/q.htm", "found_at": now,
             "published_at": now - timedelta(days=10)},
            {"campaign_id": campaign.id, "form": "", "found_at": now,
             "title": "Acme Logistics <script>alert(1)</script> [win](javascript:x)",
             "link": "javascript:alert(2)", "published_at": now - timedelta(days=1)},
        ])
    at = open_page("coverage")
    first, second = watch_lines(at)
    assert first.startswith("2026-11-19 · <mark>Acme Logistics</mark> ")
    assert "<script" not in first and "&#60;script&#62;" in first
    assert "javascript" in first and "<a " not in first
    assert second.startswith("2026-11-10 · <b>10-Q: the quarterly report</b> · ")
    assert '<a href="https://www.sec.gov/Archives/q.htm">' in second


def test_the_tab_refuses_edgar_without_a_contact_and_watches_a_newsroom(store, now,
                                                                        monkeypatch):
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", "127.0.0.1")
    campaigns.create_campaign(store, ADMIN, "Acme drive", now=now, timezone="UTC",
                              keywords=["Acme Logistics"])
    at = open_page("coverage")
    next(t for t in at.text_input if t.label.startswith("Company ticker or CIK")).input("123456")
    button(at, "Watch its filings").click().run()
    assert any("OUTREACH_EDGAR_CONTACT" in e.value.replace("\\_", "_") for e in at.error)
    with FeedServer() as server:
        next(t for t in at.text_input if t.label.startswith("Newsroom")).input(
            server.url("/rss.xml"))
        button(at, "Watch this feed").click().run()
    assert any(m.startswith("Watching Riverside Ledger") for m in confirmed(at)), at.error
    assert any("<mark>Acme Logistics</mark> workers vote" in line for line in watch_lines(at))
    assert count(store, press_hits) == 0 and count(store, watch_items) == 2


def test_the_weekly_digest_lists_the_new_filings_and_counts_the_other_items(
        db, server, client, guard, campaign_id, now):
    add_edgar(db, server, client, guard, campaign_id, now)
    feeds.add_feed(db, EDITOR, campaign_id, server.url("/rss.xml"), client=client,
                   guard=guard, now=now, kind="employer", sink=feeds.hits_sink(db, now),
                   settings=POLL)
    year, week, _ = now.isocalendar()
    got = digest.build(db, campaign_id, year, week)
    line = ("4 new filings: DEF 14A on 2026-04-02, 10-Q on 2026-11-06, 4 on 2026-11-24, "
            "8-K on 2026-11-30; 2 other new watch items (newsroom, research).")
    assert got.employer_watch == line
    assert f"- Employer watch: {line}" in MarkdownIt("commonmark").render(
        digest.render_markdown(got)).replace("<li>", "- ").replace("</li>", "")
    assert f"Employer watch: {line}" in digest.render_html(got)
    assert digest.build(db, campaign_id, year, week - 1).employer_watch == (
        "Nothing new from the employer watch.")


def test_a_watch_feed_is_stale_only_when_its_items_stop(db, server, client, guard,
                                                        campaign_id, now):
    add_edgar(db, server, client, guard, campaign_id, now)
    later = datetime(2026, 12, 10, tzinfo=UTC)  # 10 days after the newest filing

    def health(stale_days: int) -> dict:
        [feed] = feeds.feed_health(db, campaign_id, now=later,
                                   stale_after=timedelta(days=stale_days))
        return feed

    assert health(14)["last_news_at"] == datetime(2026, 11, 30, 21, 5, 12, tzinfo=UTC)
    assert not health(14)["stale"] and health(7)["stale"]
