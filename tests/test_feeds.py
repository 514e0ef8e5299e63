"""Feeds: real-shaped feeds parse into FeedItems; adding fetches once; the poller is polite."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from support.feed_server import FeedServer, rss_document, sample_items

from outreach import campaigns
from outreach.auth import audit
from outreach.cli import build_parser, execute
from outreach.config import Settings
from outreach.coverage import feeds, hit_lists
from outreach.coverage import fetch as feed_fetch
from outreach.coverage import parse as feed_parse
from outreach.coverage.fetch import PollSettings
from outreach.coverage.opml import read_opml
from outreach.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, UnsafeURL
from outreach.net import URLGuard
from outreach.roles import Actor
from outreach.store import open_store
from outreach.store.tables import audit_log, outlets
from outreach.store.tables import feeds as feeds_table
from outreach.store.tables import press_hits as press_hits_table

ADMIN = Actor("admin", "admin")
POLL = PollSettings.from_settings(Settings())
EDITOR = Actor("rosa", "editor")
VIEWER = Actor("vic", "viewer")


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


class Collector:
    """A sink that keeps what the poller hands it and calls every item a new hit."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list]] = []

    def __call__(self, feed: dict, items: list) -> int:
        self.calls.append((feed["url"], items))
        return len(items)

    @property
    def urls(self) -> list[str]:
        return [url for url, _ in self.calls]


def parsed(server: FeedServer, path: str) -> feed_parse.ParsedFeed:
    response = httpx.get(server.url(path))
    return feed_parse.parse_feed(response.content, response.headers, url=server.url(path))


def add(db, server, client, guard, campaign_id, path, now, **kwargs) -> dict:
    return feeds.add_feed(db, EDITOR, campaign_id, server.url(path), client=client,
                          guard=guard, now=now, **kwargs, settings=POLL)


def stored_rows(db) -> list[dict]:
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(feeds_table))]


def stored(db) -> dict[str, dict]:
    with db.connect() as conn:
        return {r.url: dict(r._mapping) for r in conn.execute(sa.select(feeds_table))}


# --- each feed shape parses into FeedItems ---------------------------------------------------


def test_rss_items_carry_creators_dates_and_plain_text(server):
    feed = parsed(server, "/rss.xml")
    assert (feed.title, feed.version) == ("Riverside Ledger: Labor", "rss20")
    first, second = feed.items
    assert first.title == "Acme Logistics workers vote to authorize strike"
    assert first.link == "https://ledger.example.org/2026/11/acme-strike-vote"
    assert first.guid == "https://ledger.example.org/?p=101"
    assert first.authors == ("Dana Quill",)
    assert first.published == datetime(2026, 11, 19, 14, 30, tzinfo=UTC)
    # Tags and the script's text are gone, the entity is decoded.
    assert first.summary == "Members of Local 101 voted 94% to authorize a strike & picket."
    assert second.authors == ("Marcus Bright", "Priya Oaken")


def test_atom_entries_name_every_author(server):
    (entry,) = parsed(server, "/atom.xml").items
    assert entry.authors == ("Leila March", "Tomas Dun")
    assert entry.guid == "urn:harbor:story:7"
    assert entry.published == datetime(2026, 11, 17, 16, 45, tzinfo=UTC)
    assert entry.content == "Negotiators met for eleven hours."
    assert entry.summary == ""  # the entry has content only; it is not repeated as summary


def test_google_news_items_name_their_outlet_from_source(server):
    first, second = parsed(server, "/google-news.xml").items
    assert (first.source_name, first.source_url) == ("Riverside Ledger",
                                                     "https://ledger.example.org")
    assert second.source_name == "Harbor Weekly"
    assert first.link.startswith("https://news.google.com/rss/articles/")
    assert first.authors == ()
    assert first.summary == "Acme Logistics strike looms Riverside Ledger"


def test_google_alerts_links_are_unwrapped_and_the_empty_author_is_dropped(server):
    (entry,) = parsed(server, "/alerts.xml").items
    assert entry.link == "https://tribune.example.org/news/acme-deadline?ref=rss"
    assert entry.title == "Workers at Acme Logistics set strike deadline"
    assert entry.authors == ()
    assert entry.published == datetime(2026, 11, 19, 12, 5, tzinfo=UTC)


def test_a_feed_with_a_wrong_declared_encoding_still_parses(server):
    feed = parsed(server, "/broken-encoding.xml")
    assert feed.title == "Café Obrero"
    assert feed.items[0].title == "Huelga en el almacén: los trabajadores dicen ¡basta!"
    assert feed.items[0].authors == ("Mónica Peña",)


def test_malformed_xml_is_not_a_feed_and_the_error_names_the_line(server):
    with pytest.raises(InvalidInput, match=r"^Not a feed: mismatched tag at line 5"):
        parsed(server, "/malformed.xml")


# --- adding, listing, removing ---------------------------------------------------------------


def test_adding_a_feed_fetches_it_once_and_shows_title_and_item_count(
        db, server, client, guard, campaign_id, now):
    feed = add(db, server, client, guard, campaign_id, "/rss.xml", now)
    assert (feed["title"], feed["kind"], feed["item_count"]) == ("Riverside Ledger: Labor",
                                                                 "rss", 2)
    assert (feed["last_success_at"], feed["last_error"]) == (now, "")
    assert server.requests["/rss.xml"] == 1
    atom = add(db, server, client, guard, campaign_id, "/atom.xml", now)
    assert (atom["title"], atom["kind"], atom["item_count"]) == ("Harbor Weekly", "atom", 1)
    listed = feeds.list_feeds(db, campaign_id)
    assert [f["title"] for f in listed] == ["Harbor Weekly", "Riverside Ledger: Labor"]
    entries = audit.list_entries(db, ADMIN, entity="feed")
    assert {(e["actor"], e["action"]) for e in entries} == {("rosa", "add")}
    assert len(entries) == 2


def test_a_feed_whose_stories_cannot_be_recorded_is_not_added(
        db, server, client, guard, campaign_id, now):
    """All or nothing: a feed kept after its first items failed to record would hold this
    fetch's validators, and every later poll would hear "unchanged" and skip them."""
    def broken(feed, items):
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError, match="the store went away"):
        add(db, server, client, guard, campaign_id, "/rss.xml", now, sink=broken)
    assert feeds.list_feeds(db, campaign_id) == []
    feed = add(db, server, client, guard, campaign_id, "/rss.xml", now, sink=Collector())
    assert feed["new_hits"] == 2


def test_without_a_sink_the_first_poll_fetches_the_new_feed_in_full(
        db, server, client, guard, campaign_id, now):
    add(db, server, client, guard, campaign_id, "/rss.xml", now)
    sink = Collector()
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(minutes=1),
                               sink=sink, settings=POLL)
    assert (summary.fetched, summary.new_hits) == (1, 2)
    assert [len(items) for _, items in sink.calls] == [2]


def test_with_a_sink_adding_hands_over_the_items_and_keeps_the_validators(
        db, server, client, guard, campaign_id, now):
    sink = Collector()
    feed = add(db, server, client, guard, campaign_id, "/rss.xml", now, sink=sink)
    assert feed["new_hits"] == 2 and sink.urls == [server.url("/rss.xml")]
    assert feed["next_poll_at"] == now + timedelta(minutes=15)
    server.reset_counts()
    later = now + timedelta(minutes=15)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=later, sink=sink, settings=POLL)
    assert (summary.unchanged, server.body_bytes["/rss.xml"]) == (1, 0)


@pytest.mark.parametrize(("path", "reason"), [
    ("/malformed.xml", "Not a feed: mismatched tag at line 5"),
    ("/missing.xml", "The server answered 404 Not Found; check the address."),
    ("/page.html", "Not a feed: the address sent a web page"),
    ("/error.xml", "The server answered 500 Internal Server Error; the trouble is on their "
                   "side"),
    ("/huge.xml", "The feed is larger than 5 MB (OUTREACH_FEED_MAX_MB)"),
])
def test_a_feed_that_cannot_be_read_is_refused_with_the_reason_and_nothing_is_stored(
        db, server, client, guard, campaign_id, now, path, reason):
    with pytest.raises(InvalidInput) as refused:
        add(db, server, client, guard, campaign_id, path, now)
    assert str(refused.value).startswith(f"Could not add {server.url(path)}: ")
    assert reason in str(refused.value)
    assert stored(db) == {}
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                            .where(audit_log.c.entity == "feed")).scalar_one() == 0


def test_an_address_outside_the_allowlist_is_refused_before_connecting(
        db, client, campaign_id, now):
    # Connecting would trip the conftest's network guard, not raise UnsafeURL.
    with pytest.raises(UnsafeURL, match=r"10\.0\.0\.1 is a private address"):
        feeds.add_feed(db, EDITOR, campaign_id, "http://10.0.0.1/feed.xml", client=client,
                       guard=URLGuard(allowlist=["127.0.0.1"]), now=now, settings=POLL)
    assert stored(db) == {}


def test_the_local_server_itself_is_refused_without_the_allowlist(
        db, server, client, campaign_id, now):
    with pytest.raises(UnsafeURL, match="loopback"):
        add(db, server, client, URLGuard(), campaign_id, "/rss.xml", now)
    assert server.requests["/rss.xml"] == 0


def test_a_duplicate_feed_is_refused_without_fetching(
        db, server, client, guard, campaign_id, now):
    first = add(db, server, client, guard, campaign_id, "/rss.xml", now)
    with pytest.raises(AlreadyExists, match=rf"already has the feed .* \(feed {first['id']}\)"):
        add(db, server, client, guard, campaign_id, "/rss.xml", now)
    assert server.requests["/rss.xml"] == 1


def test_viewers_cannot_add_or_remove_feeds(db, server, client, guard, campaign_id, now):
    with pytest.raises(PermissionDenied, match="adding feeds needs editor"):
        feeds.add_feed(db, VIEWER, campaign_id, server.url("/rss.xml"), client=client,
                       guard=guard, now=now, settings=POLL)
    feed = add(db, server, client, guard, campaign_id, "/rss.xml", now)
    with pytest.raises(PermissionDenied, match="removing feeds needs editor"):
        feeds.remove_feed(db, VIEWER, feed["id"], now=now)


def test_bad_input_is_refused_with_how_to_fix_it(db, client, guard, campaign_id, now):
    with pytest.raises(InvalidInput, match="give the full http"):
        feeds.add_feed(db, EDITOR, campaign_id, "ledger.example.org/feed", client=client,
                       guard=guard, now=now, settings=POLL)
    with pytest.raises(InvalidInput, match="Unknown feed kind 'podcast'"):
        feeds.add_feed(db, EDITOR, campaign_id, "https://ledger.example.org/feed",
                       client=client, guard=guard, now=now, kind="podcast", settings=POLL)
    with pytest.raises(NotFound, match="No campaign with id 999"):
        feeds.add_feed(db, EDITOR, 999, "https://ledger.example.org/feed", client=client,
                       guard=guard, now=now, settings=POLL)


def test_removing_a_feed_is_audited(db, server, client, guard, campaign_id, now):
    feed = add(db, server, client, guard, campaign_id, "/rss.xml", now)
    feeds.remove_feed(db, EDITOR, feed["id"], now=now)
    assert feeds.list_feeds(db, campaign_id) == []
    assert [e["action"] for e in audit.list_entries(db, ADMIN, entity="feed")] == [
        "remove", "add"]
    with pytest.raises(NotFound, match=f"No feed with id {feed['id']}"):
        feeds.remove_feed(db, EDITOR, feed["id"], now=now)


def test_google_news_url_builder():
    assert feeds.google_news_url(["Acme Logistics", "Local 101", "strike"], "en-US", "US") == (
        "https://news.google.com/rss/search?q=%22Acme%20Logistics%22%20OR%20%22Local%20101"
        "%22%20OR%20strike&hl=en-US&gl=US&ceid=US:en")
    assert feeds.google_news_url(["huelga"], "es-419", "US").endswith(
        "?q=huelga&hl=es-419&gl=US&ceid=US:es-419")
    assert feeds.google_news_url(["grève"], "fr", "FR").endswith(
        "?q=gr%C3%A8ve&hl=fr&gl=FR&ceid=FR:fr")
    with pytest.raises(InvalidInput, match="at least one keyword"):
        feeds.google_news_url(["  ", '""'])
    with pytest.raises(InvalidInput, match="not a country code"):
        feeds.google_news_url(["acme"], "en-US", "usa")


def test_the_google_news_feed_is_built_from_the_campaign_keywords(
        db, server, client, guard, campaign_id, now):
    server.add("/rss/search", server.routes["/google-news.xml"].body)
    feed = feeds.add_google_news_feed(db, EDITOR, campaign_id, client=client, guard=guard,
                                      now=now, endpoint=server.url("/rss/search"), settings=POLL)
    assert (feed["kind"], feed["item_count"]) == ("google_news", 2)
    asked = parse_qs(urlsplit(server.seen[-1]["path"]).query)
    assert asked == {"q": ['"Acme Logistics" OR "Local 101"'], "hl": ["en-US"],
                     "gl": ["US"], "ceid": ["US:en"]}
    bare = campaigns.create_campaign(db, ADMIN, "No words", now=now, timezone="UTC").id
    with pytest.raises(InvalidInput, match="has no keywords"):
        feeds.add_google_news_feed(db, EDITOR, bare, client=client, guard=guard, now=now,
                                   settings=POLL)


def test_the_kind_of_a_google_feed_comes_from_its_address():
    assert feeds._detect_kind("https://news.google.com/rss/search?q=acme", "rss20") == \
        "google_news"
    assert feeds._detect_kind("https://www.google.com/alerts/feeds/0123/456", "atom10") == \
        "google_alerts"


def test_outlet_feeds_are_added_with_their_outlet_and_failures_reported(
        db, server, client, guard, campaign_id, now):
    with db.begin() as conn:
        for name, path in (("Riverside Ledger", "/rss.xml"), ("Harbor Weekly", "/atom.xml"),
                           ("Gone Gazette", "/missing.xml"), ("No Feed Times", None)):
            conn.execute(outlets.insert().values(
                name=name, created_at=now, feed_url=server.url(path) if path else ""))
    report = feeds.add_outlet_feeds(db, EDITOR, campaign_id, client=client, guard=guard,
                                    now=now, settings=POLL)
    assert sorted(f["outlet"] for f in report["added"]) == ["Harbor Weekly", "Riverside Ledger"]
    assert [(f["name"], f["error"]) for f in report["failed"]] == [
        ("Gone Gazette", f"Could not add {server.url('/missing.xml')}: The server answered "
                         "404 Not Found; check the address.")]
    again = feeds.add_outlet_feeds(db, EDITOR, campaign_id, client=client, guard=guard,
                                   now=now, settings=POLL)
    assert (again["added"], sorted(again["skipped"])) == ([], ["Harbor Weekly",
                                                               "Riverside Ledger"])


# --- polling ---------------------------------------------------------------------------------


def test_the_second_poll_of_unchanged_feeds_downloads_no_bodies(
        db, server, client, guard, campaign_id, now):
    paths = ("/rss.xml", "/atom.xml", "/google-news.xml", "/alerts.xml")
    for path in paths:
        add(db, server, client, guard, campaign_id, path, now)
    sink = Collector()
    first = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=sink, force=True,
                             settings=POLL)
    assert (first.fetched, first.unchanged, first.failed, first.new_hits) == (4, 0, 0, 6)
    server.reset_counts()
    second = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(minutes=15),
                              sink=sink, settings=POLL)
    assert (second.fetched, second.unchanged, second.failed) == (1, 3, 0)
    assert {p: server.body_bytes[p] for p in paths[:3]} == dict.fromkeys(paths[:3], 0)
    assert all(server.requests[p] == 1 for p in paths)
    # Google Alerts sends no validators, so it is the one fetched in full again.
    assert server.body_bytes["/alerts.xml"] > 0
    asked = {urlsplit(s["path"]).path: s["headers"] for s in server.seen}
    assert asked["/rss.xml"]["If-None-Match"].startswith('"')
    assert asked["/rss.xml"]["If-Modified-Since"] == "Thu, 19 Nov 2026 18:00:00 GMT"
    assert "If-None-Match" not in asked["/alerts.xml"]
    assert asked["/atom.xml"]["User-Agent"] == feed_fetch.USER_AGENT
    assert second.describe() == "1 fetched, 3 unchanged, 0 failed, 1 new hit"


def test_no_feed_is_polled_before_its_next_poll(db, server, client, guard, campaign_id, now):
    add(db, server, client, guard, campaign_id, "/rss.xml", now, sink=Collector())
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(minutes=14),
                               sink=Collector(), settings=POLL)
    assert summary.describe() == "no feed due"
    assert server.requests["/rss.xml"] == 1


def test_retry_after_max_age_and_ttl_push_the_next_poll(
        db, server, client, guard, campaign_id, now):
    for path in ("/rss.xml", "/ttl.xml", "/max-age.xml"):
        add(db, server, client, guard, campaign_id, path, now)
    with db.begin() as conn:
        for path in ("/error.xml", "/busy.xml"):
            conn.execute(feeds_table.insert().values(campaign_id=campaign_id,
                                                     url=server.url(path), created_at=now))
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(),
                               settings=POLL)
    assert (summary.fetched, summary.failed) == (3, 2)
    after = {urlsplit(url).path: row for url, row in stored(db).items()}
    assert after["/rss.xml"]["next_poll_at"] == now + timedelta(minutes=15)
    assert after["/ttl.xml"]["next_poll_at"] == now + timedelta(minutes=90)
    assert after["/max-age.xml"]["next_poll_at"] == now + timedelta(hours=2)
    # A failure backs off, but never less than the server's Retry-After.
    assert after["/error.xml"]["next_poll_at"] >= now + timedelta(hours=2)
    assert after["/busy.xml"]["next_poll_at"] >= now + timedelta(hours=3)
    assert after["/busy.xml"]["last_error"] == (
        "The server answered 429 Too Many Requests; it asks us to slow down, so we will wait "
        "before asking again.")
    assert after["/error.xml"]["last_status"] == 500
    # A 304 has no <ttl>: the interval the last full fetch chose carries over.
    later = now + timedelta(minutes=90)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=later, sink=Collector(),
                               settings=POLL)
    assert (summary.unchanged, summary.fetched) == (2, 0)  # rss and ttl are due, max-age not
    after = {urlsplit(url).path: row for url, row in stored(db).items()}
    assert after["/ttl.xml"]["next_poll_at"] == later + timedelta(minutes=90)
    assert after["/ttl.xml"]["last_status"] == 304


def test_a_failing_feed_backs_off_alone_and_recovers(
        db, server, client, guard, campaign_id, now):
    good = add(db, server, client, guard, campaign_id, "/rss.xml", now, sink=Collector())
    flaky = add(db, server, client, guard, campaign_id, "/atom.xml", now, sink=Collector())
    saved = server.routes.pop("/atom.xml")
    when = now + timedelta(minutes=15)
    for failures in (1, 2, 3):
        summary = feeds.poll_feeds(db, client=client, guard=guard, now=when, sink=Collector(),
                                   force=True, settings=POLL)
        assert (summary.failed, summary.unchanged) == (1, 1)
        row, other = feeds.get_feed(db, flaky["id"]), feeds.get_feed(db, good["id"])
        assert row["failures"] == failures
        assert row["last_error"] == "The server answered 404 Not Found; check the address."
        assert row["last_success_at"] == now
        nominal = timedelta(minutes=15) * 2 ** failures
        assert nominal <= row["next_poll_at"] - when <= nominal * 1.25
        assert (other["failures"], other["last_error"]) == (0, "")
        assert other["next_poll_at"] == when + timedelta(minutes=15)
        when += timedelta(hours=3)
    server.routes["/atom.xml"] = saved
    feeds.poll_feeds(db, client=client, guard=guard, now=when, sink=Collector(), force=True,
                     settings=POLL)
    row = feeds.get_feed(db, flaky["id"])
    assert (row["failures"], row["last_error"], row["last_success_at"]) == (0, "", when)


def test_backoff_is_capped_at_a_day(db, server, client, guard, campaign_id, now):
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(campaign_id=campaign_id, failures=40,
                                                 url=server.url("/missing.xml"), created_at=now))
    feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(), settings=POLL)
    (row,) = stored(db).values()
    assert (row["failures"], row["next_poll_at"]) == (41, now + timedelta(hours=24))


def test_a_slow_feed_does_not_delay_the_others(db, server, client, guard, campaign_id, now):
    with db.begin() as conn:  # the slow feed first, so a serial poller would start with it
        for path in ("/slow.xml", "/rss.xml", "/atom.xml", "/google-news.xml", "/ttl.xml"):
            conn.execute(feeds_table.insert().values(campaign_id=campaign_id,
                                                     url=server.url(path), created_at=now))
    others = {server.url(p) for p in ("/rss.xml", "/atom.xml", "/google-news.xml", "/ttl.xml")}
    sink = Collector()

    def record(feed: dict, items: list) -> int:
        count = sink(feed, items)
        if others <= set(sink.urls):
            server.release.set()  # only now may the slow feed answer
        return count

    feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=record,
                     settings=replace(POLL, read_timeout=60))
    assert set(sink.urls[:4]) == others
    assert sink.urls[4] == server.url("/slow.xml")
    assert feeds.list_feeds(db, campaign_id)[0]["last_error"] == ""


def test_a_feed_that_never_answers_times_out_with_the_reason(
        db, server, client, guard, campaign_id, now):
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(campaign_id=campaign_id,
                                                 url=server.url("/slow.xml"), created_at=now))
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(),
                               settings=replace(POLL, read_timeout=0.5))
    assert summary.failed == 1
    (row,) = stored(db).values()
    assert row["last_error"] == "Timed out after 0.5 s waiting for 127.0.0.1 to answer."
    assert row["last_status"] is None


def test_a_feed_that_grew_past_the_limit_fails_with_the_size_error(
        db, server, client, guard, campaign_id, now):
    feed = add(db, server, client, guard, campaign_id, "/max-age.xml", now)
    other = add(db, server, client, guard, campaign_id, "/rss.xml", now)
    server.routes["/max-age.xml"] = server.routes["/huge.xml"]
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(),
                               settings=POLL)
    assert (summary.failed, summary.fetched) == (1, 1)
    assert feeds.get_feed(db, feed["id"])["last_error"].startswith(
        "The feed is larger than 5 MB (OUTREACH_FEED_MAX_MB)")
    assert feeds.get_feed(db, other["id"])["item_count"] == 2


def test_a_redirect_out_of_the_allowlist_fails_that_feed_only(
        db, server, client, guard, campaign_id, now):
    moved = server.add("/moved.xml", b"", status=302, conditional=False,
                       headers={"Location": "http://10.0.0.1/feed.xml"})
    with db.begin() as conn:
        for url in (moved, server.url("/rss.xml")):
            conn.execute(feeds_table.insert().values(campaign_id=campaign_id, url=url,
                                                     created_at=now))
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(),
                               settings=POLL)
    assert (summary.failed, summary.fetched) == (1, 1)
    assert stored(db)[moved]["last_error"].startswith(
        "Refused http://10.0.0.1/feed.xml: 10.0.0.1 is a private address.")


@pytest.mark.parametrize(("status", "moves"), [(301, True), (308, True), (302, False),
                                               (307, False)])
def test_a_permanent_redirect_moves_the_stored_address_and_a_temporary_one_does_not(
        db, server, client, guard, campaign_id, now, status, moves):
    old = server.add("/old.xml", b"", status=status, conditional=False,
                     headers={"Location": server.url("/rss.xml")})
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(campaign_id=campaign_id, url=old,
                                                 created_at=now))
    sink = Collector()
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=sink,
                               settings=POLL)
    assert (summary.fetched, summary.new_hits) == (1, 2)
    assert list(stored(db)) == [server.url("/rss.xml") if moves else old]
    with db.connect() as conn:
        moves_logged = conn.execute(sa.select(audit_log.c.actor, audit_log.c.summary)
                                    .where(audit_log.c.action == "move")).all()
    assert moves_logged == ([("feed poller", f"{old} moved for good to "
                              f"{server.url('/rss.xml')} (the server answered a permanent "
                              "redirect)")] if moves else [])
    server.reset_counts()
    feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=1), sink=sink,
                     settings=POLL)
    assert server.requests["/old.xml"] == (0 if moves else 1)
    assert server.requests["/rss.xml"] == 1


def test_a_permanent_redirect_to_a_dead_address_keeps_the_old_one(
        db, server, client, guard, campaign_id, now):
    old = server.add("/old.xml", b"", status=301, conditional=False,
                     headers={"Location": server.url("/gone.xml")})
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(campaign_id=campaign_id, url=old,
                                                 created_at=now))
    feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(), settings=POLL)
    assert stored(db)[old]["last_error"].startswith("The server answered 404")


def test_a_feed_two_campaigns_follow_is_fetched_once_and_both_get_its_items(
        db, server, client, guard, campaign_id, now):
    other = campaigns.create_campaign(db, ADMIN, "Harbor drive", now=now, timezone="UTC").id
    add(db, server, client, guard, campaign_id, "/rss.xml", now)
    feeds.add_feed(db, EDITOR, other, server.url("/rss.xml"), client=client, guard=guard,
                   now=now, settings=POLL)
    server.reset_counts()
    sink = Collector()
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=sink,
                               settings=POLL)
    assert server.requests["/rss.xml"] == 1
    assert (summary.fetched, summary.new_hits) == (2, 4)
    assert sorted(feed["campaign_id"] for feed in stored_rows(db)) == sorted(
        [campaign_id, other])
    assert all(row["last_status"] == 200 and row["etag"] for row in stored_rows(db))
    server.reset_counts()
    again = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=1),
                             sink=sink, settings=POLL)
    assert (server.requests["/rss.xml"], again.unchanged) == (1, 2)


def test_feed_health_shows_hits_a_week_and_flags_a_feed_silent_too_long(
        db, server, client, guard, campaign_id, now):
    added = add(db, server, client, guard, campaign_id, "/rss.xml", now,
                sink=feeds.hits_sink(db, now))
    assert added["new_hits"] > 0
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(
            campaign_id=campaign_id, url=server.url("/atom.xml"), title="Quiet Quarterly",
            created_at=now - timedelta(days=60),
            last_modified="Mon, 05 Oct 2026 09:00:00 GMT"))
    fortnight = timedelta(days=14)
    health = {r["title"]: r for r in feeds.feed_health(db, campaign_id, now=now,
                                                       stale_after=fortnight)}
    ledger, quiet = health["Riverside Ledger: Labor"], health["Quiet Quarterly"]
    assert (ledger["stale"], ledger["last_news_at"]) == (False, now)
    assert ledger["hits_per_week"] == round(added["new_hits"] * 7 / 28, 1)
    assert (quiet["stale"], quiet["hits_per_week"]) == (True, 0)
    assert quiet["last_news_at"] == datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    later = {r["title"]: r for r in feeds.feed_health(
        db, campaign_id, now=now + timedelta(days=15), stale_after=fortnight)}
    assert later["Riverside Ledger: Labor"]["stale"] is True


def test_a_sink_that_fails_leaves_the_feed_to_be_fetched_again(
        db, server, client, guard, campaign_id, now):
    add(db, server, client, guard, campaign_id, "/rss.xml", now)

    def broken(feed: dict, items: list) -> int:
        raise InvalidInput("the campaign's coverage query cannot be used")

    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=broken, settings=POLL)
    assert summary.failed == 1
    (row,) = stored(db).values()
    assert row["last_error"] == ("Could not record the feed's items: the campaign's coverage "
                                 "query cannot be used")
    assert (row["etag"], row["last_modified"]) == ("", "")
    again = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=1),
                             sink=Collector(), settings=POLL)
    assert (again.fetched, again.new_hits) == (1, 2)


def test_concurrency_is_bounded_in_all_and_per_host(db, campaign_id, now):
    hosts = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    guard = URLGuard(["127.0.0.0/8"])
    with FeedServer(hosts, release_timeout=0.3) as server, \
            feeds.make_client(POLL, guard) as client:
        body = rss_document("Held", sample_items(1))
        with db.begin() as conn:
            for i in range(12):
                url = server.add(f"/held/{i}.xml", body, wait_for_release=True)
                url = url.replace(hosts[0], hosts[i % 3])
                conn.execute(feeds_table.insert().values(campaign_id=campaign_id, url=url,
                                                         created_at=now))
        summary = feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=Collector(),
                                   settings=replace(POLL, concurrency=4, per_host=2))
        assert summary.fetched == 12
        assert all(server.peak_in_flight[host] <= 2 for host in hosts)
        assert 1 < server.peak_in_flight["*"] <= 4


def test_a_campaign_can_be_polled_alone(db, server, client, guard, campaign_id, now):
    other = campaigns.create_campaign(db, ADMIN, "Harbor drive", now=now, timezone="UTC").id
    add(db, server, client, guard, campaign_id, "/rss.xml", now)
    feeds.add_feed(db, EDITOR, other, server.url("/atom.xml"), client=client, guard=guard,
                   now=now, settings=POLL)
    sink = Collector()
    feeds.poll_feeds(db, client=client, guard=guard, now=now, sink=sink, campaign_id=other,
                     settings=POLL)
    assert sink.urls == [server.url("/atom.xml")]


def test_poll_settings_come_from_the_environment():
    settings = Settings.from_env({"OUTREACH_FEED_MIN_INTERVAL_MINUTES": "30",
                                  "OUTREACH_FEED_CONCURRENCY": "3",
                                  "OUTREACH_FEED_MAX_MB": "0.5"}, env_file=None)
    poll = PollSettings.from_settings(settings)
    assert (poll.min_interval, poll.concurrency, poll.per_host) == (timedelta(minutes=30), 3, 2)
    assert poll.max_bytes == 512 * 1024
    shown = {row["setting"]: row["value"] for row in settings.describe()}
    assert shown["OUTREACH_FEED_READ_TIMEOUT"] == "20"


def test_the_worker_job_turns_matching_items_into_press_hits(db, server, campaign_id, now):
    with db.begin() as conn:
        conn.execute(feeds_table.insert().values(campaign_id=campaign_id,
                                                 url=server.url("/rss.xml"), created_at=now))
    settings = Settings.from_env({"OUTREACH_URL_ALLOWLIST": "127.0.0.1"}, env_file=None)
    job = feeds.poll_job(settings)
    # Of the two stories only the strike vote names Acme Logistics or Local 101.
    assert job(db, now) == "1 fetched, 0 unchanged, 0 failed, 1 new hit"
    assert job(db, now + timedelta(minutes=15)) == "0 fetched, 1 unchanged, 0 failed, 0 new hits"


def test_relative_item_links_are_made_absolute_against_the_feed(server):
    url = server.add("/relative.xml", rss_document("Local Notes", [
        {"title": "Rally on Saturday", "link": "/2026/11/rally", "guid": "rally"}]))
    (item,) = parsed(server, "/relative.xml").items
    assert item.link == server.url("/2026/11/rally")
    assert url.endswith("/relative.xml")


def run_cli(argv: list[str], settings: Settings) -> int:
    args = build_parser(argv[0]).parse_args(argv)
    return execute(args, settings)


def test_the_command_line_adds_lists_polls_and_removes(tmp_path, server, capsys, now):
    settings = Settings.from_env({"OUTREACH_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}",
                                  "OUTREACH_URL_ALLOWLIST": "127.0.0.1"}, env_file=None)
    db = open_store(settings.database_url)
    campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC",
                              keywords=["Acme Logistics"])
    assert run_cli(["feeds", "add", server.url("/rss.xml")], settings) == 0
    assert capsys.readouterr().out.startswith(
        "Added feed 1: Riverside Ledger: Labor (rss, 2 items). Next poll ")
    assert run_cli(["feeds", "list", "--campaign", "Acme drive"], settings) == 0
    listed = capsys.readouterr().out
    assert "Riverside Ledger: Labor" in listed and server.url("/rss.xml") in listed
    assert "0.2 hits/week" in listed and "STALE" not in listed
    with db.begin() as conn:
        conn.execute(feeds_table.update().values(created_at=now - timedelta(days=400),
                                                 last_modified=""))
        conn.execute(press_hits_table.update().values(published_at=now - timedelta(days=400),
                                                      found_at=now - timedelta(days=400)))
    assert run_cli(["feeds", "list"], settings) == 0
    listed = capsys.readouterr().out
    assert "0 hits/week" in listed
    assert (f"STALE: nothing new since {now - timedelta(days=400):%Y-%m-%d %H:%M} UTC (over "
            "14 days, OUTREACH_FEED_STALE_DAYS)") in listed
    assert run_cli(["feeds", "poll", "--once", "--force"], settings) == 0
    assert capsys.readouterr().out.endswith(
        "UTC: 0 fetched, 1 unchanged, 0 failed, 0 new hits.\n")
    assert run_cli(["feeds", "remove", "1"], settings) == 0
    assert capsys.readouterr().out == "Feed 1 removed; its press hits stay.\n"
    with pytest.raises(NotFound, match="No campaign named 'Nope'"):
        run_cli(["feeds", "list", "--campaign", "Nope"], settings)
    db.dispose()


def test_feeds_move_in_and_out_as_opml(tmp_path, server, capsys, now):
    """A feed reader's OPML export (folders, a feed listed twice, a dead one) comes in with
    one command: a dry run first, then each feed's result; the campaign's feeds go back
    out as OPML that a second import finds already there."""
    settings = Settings.from_env({"OUTREACH_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}",
                                  "OUTREACH_URL_ALLOWLIST": "127.0.0.1"}, env_file=None)
    db = open_store(settings.database_url)
    campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC")
    exported = tmp_path / "reader.opml"
    exported.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My reader</title></head><body>
  <outline text="Local news">
    <outline type="rss" text="Riverside Ledger" xmlUrl="{server.url('/rss.xml')}"/>
    <outline type="rss" text="Harbor &amp; Weekly" xmlUrl="{server.url('/atom.xml')}"/>
  </outline>
  <outline type="rss" text="Ledger again" xmlUrl="{server.url('/rss.xml')}"/>
  <outline type="rss" text="Gone Gazette" xmlUrl="{server.url('/missing.xml')}"/>
  <outline text="Not a feed, a folder"/>
</body></opml>""")
    assert run_cli(["feeds", "import", str(exported), "--dry-run"], settings) == 0
    assert capsys.readouterr().out.endswith(
        "3 to add, 0 already there, 0 not feed addresses. Dry run: nothing was added.\n")
    assert feeds.list_feeds(db, 1) == []

    assert run_cli(["feeds", "import", str(exported)], settings) == 1  # one feed is dead
    out = capsys.readouterr().out
    assert f"Not added: Gone Gazette ({server.url('/missing.xml')}): " in out
    assert out.endswith("2 added, 1 failed, 0 already there.\n")
    assert sorted(f["title"] for f in feeds.list_feeds(db, 1)) == [
        "Harbor Weekly", "Riverside Ledger: Labor"]

    ours = tmp_path / "ours.opml"
    assert run_cli(["feeds", "export", str(ours)], settings) == 0
    assert sorted(f["url"] for f in read_opml(ours.read_bytes())) == [
        server.url("/atom.xml"), server.url("/rss.xml")]
    assert run_cli(["feeds", "import", str(ours)], settings) == 0
    assert capsys.readouterr().out.endswith("0 added, 0 failed, 2 already there.\n")
    db.dispose()


@pytest.mark.parametrize(("document", "says"), [
    (b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">]><opml><body>'
     b'<outline xmlUrl="&a;"/></body></opml>', "declares a DOCTYPE or entities"),
    ('<!DOCTYPE opml><opml><body/></opml>'.encode("utf-16"), "declares a DOCTYPE"),
    (b"<opml><body><outline", "the XML breaks at line 1"),
    (b"<rss><channel/></rss>", "no <opml> with a <body>"),
])
def test_a_hostile_or_wrong_opml_file_is_refused_in_words(document, says):
    with pytest.raises(InvalidInput, match=says):
        read_opml(document)


CORPUS = Path(__file__).parent / "data" / "feeds"


def test_a_story_dated_year_one_is_kept_with_its_date_unknown(
        db, server, guard, client, campaign_id, now):
    """A CMS's empty date (0001-01-01) once stored the feed and then failed every poll with
    an OverflowError in the campaign's time zone; now the story comes in undated."""
    server.add("/odd.xml", (CORPUS / "odd-dates-latin1.rss").read_bytes(),
               content_type="application/rss+xml")
    campaigns.set_query(db, ADMIN, campaign_id, "Acme OR piquetes OR asamblea OR marcha",
                        now=now)
    feed = add(db, server, client, guard, campaign_id, "/odd.xml", now,
               sink=feeds.hits_sink(db, now))
    assert (feed["item_count"], feed["new_hits"]) == (4, 4)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=1),
                               sink=feeds.hits_sink(db, now), force=True, settings=POLL)
    assert (summary.failed, summary.errors) == (0, [])


def corpus(*, pages: bool) -> list[str]:
    """The corpus files that are feeds, or (pages=True) the pages a feed address can give
    instead (a bot check, a 404), whose JSON holds the status and the error to show."""
    names = sorted(p.name for p in CORPUS.iterdir() if p.suffix != ".json")
    return [n for n in names
            if ("status" in json.loads((CORPUS / f"{n}.json").read_text("utf-8"))) == pages]


@pytest.mark.parametrize("name", corpus(pages=True))
def test_a_bot_check_or_a_404_where_a_feed_was_fails_it_in_words(
        db, server, guard, client, campaign_id, now, name):
    """A feed that worked, whose address now gives a CDN's bot check (a "Just a moment..."
    page) or a 404, is marked failing with words that say what happened and what to do; no
    hit comes from the page."""
    expected = json.loads((CORPUS / f"{name}.json").read_text("utf-8"))
    server.add("/feed", (CORPUS / "wordpress.rss").read_bytes())
    campaigns.set_query(db, ADMIN, campaign_id, "Acme OR Ledger OR found", now=now)
    feed = add(db, server, client, guard, campaign_id, "/feed", now,
               sink=feeds.hits_sink(db, now))
    headers = dict(expected["headers"])
    server.add("/feed", (CORPUS / name).read_bytes(), status=expected["status"],
               content_type=headers.pop("Content-Type"), headers=headers, conditional=False)
    summary = feeds.poll_feeds(db, client=client, guard=guard, now=now + timedelta(hours=2),
                               sink=feeds.hits_sink(db, now), force=True, settings=POLL)
    assert summary.errors == [f"{feed['url']}: {expected['error']}"]
    row = stored(db)[feed["url"]]
    assert (row["last_error"], row["last_status"], row["failures"]) == (
        expected["error"], expected["status"], 1)
    with db.connect() as conn:
        hits = conn.execute(sa.select(sa.func.count()).select_from(press_hits_table)).scalar()
    assert hits == feed["new_hits"]


# The query each corpus feed is matched against for the hits in its JSON file.
CORPUS_QUERY = "Acme OR huelga OR ordinance OR \"strike fund\""


@pytest.mark.parametrize("name", [n for n in corpus(pages=False)
                                  if "hits" in json.loads((CORPUS / f"{n}.json").read_text())])
def test_each_corpus_feed_gives_the_hits_beside_it(db, server, guard, client, campaign_id, now,
                                                  name):
    """Added to a campaign, each real-shaped feed becomes exactly the press hits in its JSON
    file: titles without Google News's suffix, links unwrapped and untracked, the outlet by
    its site, and the byline where the feed gives one."""
    expected = json.loads((CORPUS / f"{name}.json").read_text("utf-8"))["hits"]
    server.add("/feed", (CORPUS / name).read_bytes())
    campaigns.set_query(db, ADMIN, campaign_id, CORPUS_QUERY, now=now)
    feed = add(db, server, client, guard, campaign_id, "/feed", now,
               sink=feeds.hits_sink(db, now))
    got = hit_lists.list_hits(db, campaign_id, hit_lists.HitFilter(), newest_first=False)
    assert feed["new_hits"] == len(expected)
    assert [{"title": h["title"], "url": h["url"], "outlet": h["outlet"],
             "author": h["author"]} for h in got] == expected


@pytest.mark.parametrize("status", [200, 503])
def test_a_bot_check_without_the_cdns_header_is_still_told_apart(
        db, server, guard, client, campaign_id, now, status):
    """Some CDNs send their challenge as 200 or 503 with no header saying so: the page
    itself gives it away, and adding such an address says so instead of "not a feed"."""
    server.add("/feed", (CORPUS / "challenge.html").read_bytes(), status=status,
               content_type="text/html; charset=UTF-8")
    with pytest.raises(InvalidInput, match="bot check"):
        add(db, server, client, guard, campaign_id, "/feed", now)


@pytest.mark.parametrize("name", corpus(pages=False))
def test_real_shaped_feeds_parse_to_the_items_beside_them(name):
    """Each feed in tests/data/feeds, shaped like the real ones (an outlet's WordPress RSS,
    a Google News search, a Google Alerts feed with redirect-wrapped links, Atom with two
    authors and relative links, a Latin-1 feed with impossible dates), parses to the items
    in the JSON file beside it: plain text, links unwrapped, dates in UTC or unknown."""
    expected = json.loads((CORPUS / f"{name}.json").read_text("utf-8"))
    parsed = feed_parse.parse_feed((CORPUS / name).read_bytes(), {}, url=expected["url"])
    assert (parsed.title, parsed.version) == (expected["title"], expected["version"])
    got = [{**item.__dict__, "authors": list(item.authors),
            "published": item.published.isoformat() if item.published else None}
           for item in parsed.items]
    assert got == expected["items"]
