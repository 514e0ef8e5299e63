"""Press hits: canonical URLs, dedupe across feeds, outlets, bylines, release links, marks."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from support.feed_server import ATOM_TYPE, RSS_TYPE, FeedServer

from outreach import campaigns
from outreach.auth import audit
from outreach.config import Settings
from outreach.coverage import article_page
from outreach.coverage import feeds as coverage_feeds
from outreach.coverage import hits as press_hits
from outreach.coverage.fetch import PollSettings
from outreach.coverage.hits import record_items
from outreach.coverage.items import FeedItem
from outreach.coverage.story_keys import canonical_url, story_link, title_key
from outreach.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, UnsafeURL
from outreach.net import ResponseTooLarge, URLGuard
from outreach.org_settings import set_org
from outreach.presslist import contacts
from outreach.roles import Actor
from outreach.store import tables

EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")
ADMIN = Actor("ada", "admin")
QUERY = '"Acme Logistics" AND (strike OR union)'
LEDGER = "Riverside Daily Ledger"


# --- canonical URLs and title keys (no store) -----------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    # Google Alerts wraps the story, itself carrying trackers, in a redirect.
    ("https://www.google.com/url?rct=j&sa=t&url=https://www.ledger.example/news/acme-strike"
     "%3Futm_source%3Dalert%26id%3D7&ct=ga&cd=CAIyGg&usg=AOvVaw",
     "https://ledger.example/news/acme-strike?id=7"),
    ("https://google.co.uk/url?q=https://ledger.example/a&sa=U", "https://ledger.example/a"),
    ("https://news.google.com/news/url?url=https://ledger.example/b&ct=1",
     "https://ledger.example/b"),
    ("https://ledger.example/a?utm_source=bsky&utm_medium=social&page=2&fbclid=xyz&gclid=1"
     "&mc_cid=2&mc_eid=3&igshid=4&ref_src=twsrc&cmpid=5&ocid=6", "https://ledger.example/a?page=2"),
    ("https://ledger.example/a#comments", "https://ledger.example/a"),
    ("HTTPS://WWW.Ledger.Example/Story", "https://ledger.example/Story"),
    ("https://ledger.example:443/a", "https://ledger.example/a"),
    ("http://ledger.example:80/a", "http://ledger.example/a"),
    ("http://ledger.example:8080", "http://ledger.example:8080/"),
    # Google News's own article ids cannot be unwrapped: kept as they are.
    ("https://news.google.com/rss/articles/CBMiQ2h0dHBz?oc=5",
     "https://news.google.com/rss/articles/CBMiQ2h0dHBz?oc=5"),
    ("  not a link ", "not a link"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


# Trackers that the old hand-made list of 28 names left in stored links.
@pytest.mark.parametrize("tracker", [
    "_ga", "_gl", "mtm_cid", "mtm_source", "pk_cid", "pk_campaign", "s_cid", "ttclid",
    "li_fat_id", "hsa_cam", "msclkid", "yclid", "ysclid", "twclid", "elqTrackId", "oly_enc_id",
    "vero_id", "wt.mc_id", "smid", "at_medium",
])
def test_trackers_from_the_maintained_list_are_stripped(tracker):
    url = f"https://www.ledger.example/news/acme-strike?id=7&{tracker}=abc&p=12"
    assert canonical_url(url) == "https://ledger.example/news/acme-strike?id=7&p=12"
    assert story_link(url) == "https://www.ledger.example/news/acme-strike?id=7&p=12"


@pytest.mark.parametrize("content", ["id=7", "p=12", "page=2", "pid=31", "r=4", "story=acme",
                                     "article_id=9", "q=acme"])
def test_parameters_that_are_content_stay(content):
    url = f"https://ledger.example/news?{content}&utm_source=rss"
    assert canonical_url(url) == f"https://ledger.example/news?{content}"


def test_title_key_ignores_case_accents_and_the_google_news_suffix():
    plain = title_key("Riverside Daily Ledger", "Acme Logistics workers vote to strike")
    assert title_key("riverside daily ledger",
                     "ACME Logistics Workers Vote to Strike - Riverside Daily Ledger") == plain
    assert title_key("La Voz", "Huelga en Acme") == title_key("La Voz", "Huélga en ACME!")
    assert title_key("La Voz", "Huelga en Acme") != title_key("Ledger", "Huelga en Acme")
    assert title_key("", "Huelga en Acme") == ""


# --- the store --------------------------------------------------------------------------------


@pytest.fixture
def campaign(db, now):
    created = campaigns.create_campaign(db, ADMIN, "Acme drive", now=now,
                                        timezone="America/Chicago", keywords=["Acme Logistics"])
    with db.begin() as conn:
        conn.execute(tables.campaigns.update().where(tables.campaigns.c.id == created.id)
                     .values(query=QUERY))
    return created.id


@pytest.fixture
def ana(db, now):
    return contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather"}, now=now,
                                   outlet_name=LEDGER)


def story(title="Acme Logistics workers vote to strike", link="https://ledger.example/acme",
          **fields) -> FeedItem:
    return FeedItem(title=title, link=link, **fields)


def hits(db) -> list[dict]:
    hit, outlet = tables.press_hits, tables.outlets
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(hit, outlet.c.name.label("outlet"))
            .select_from(hit.outerjoin(outlet, outlet.c.id == hit.c.outlet_id))
            .order_by(hit.c.id))]


def outlet_rows(db) -> dict[str, str]:
    with db.connect() as conn:
        return dict(conn.execute(
            sa.select(tables.outlets.c.name, tables.outlets.c.domain)).all())


def add_outlet(db, now, name, domain) -> int:
    with db.begin() as conn:
        return conn.execute(tables.outlets.insert().values(
            name=name, domain=domain, created_at=now)).inserted_primary_key[0]


def pitch(db, campaign_id, journalist_id, sent_at, title="Acme workers walk out") -> int:
    """A release pitched by e-mail to one journalist at `sent_at`, as pitching.py records it."""
    with db.begin() as conn:
        release_id = conn.execute(tables.releases.insert().values(
            campaign_id=campaign_id, title=title, status="sent", created_at=sent_at,
            updated_at=sent_at)).inserted_primary_key[0]
        batch_id = conn.execute(tables.pitch_batches.insert().values(
            release_id=release_id, subject=title, created_by="ed", created_at=sent_at,
            finished_at=sent_at)).inserted_primary_key[0]
        conn.execute(tables.pitch_messages.insert().values(
            batch_id=batch_id, journalist_id=journalist_id, name="x", email="x@ledger.example",
            message_id=f"<pitch-{batch_id}@union.example>", status="sent", sent_at=sent_at))
    return release_id


def test_same_url_through_alerts_wrapper_and_trackers_is_one_hit(db, campaign, now):
    wrapped = ("https://www.google.com/url?rct=j&sa=t&url=https://www.ledger.example/acme"
               "%3Futm_source%3Dalert&ct=ga")
    first = record_items(db, campaign, [story(link=wrapped)], feed_id=None, outlet_id=None,
                         now=now)
    again = record_items(db, campaign, [story(title="Acme Logistics strike vote, updated",
                                              link="https://ledger.example/acme?fbclid=1#top")],
                         feed_id=None, outlet_id=None, now=now)
    assert len(first) == 1 and again == []
    [hit] = hits(db)
    assert hit["url"] == "https://www.ledger.example/acme"
    assert hit["canonical_url"] == "https://ledger.example/acme"


def test_same_guid_from_two_feeds_is_one_hit(db, campaign, now):
    item = story(guid="urn:ledger:story:881")
    assert len(record_items(db, campaign, [item], feed_id=None, outlet_id=None, now=now)) == 1
    moved = story(link="https://ledger.example/2026/11/acme", guid="urn:ledger:story:881")
    assert record_items(db, campaign, [moved], feed_id=None, outlet_id=None, now=now) == []
    assert len(hits(db)) == 1


def test_google_news_opaque_link_and_outlet_feed_are_one_story(db, campaign, now):
    ledger = add_outlet(db, now, LEDGER, "ledger.example")
    google = story(title=f"Acme Logistics workers vote to strike - {LEDGER}",
                   link="https://news.google.com/rss/articles/CBMiQ2h0dHBzOi8vbGVk?oc=5",
                   guid="CBMiQ2h0dHBzOi8vbGVk", source_name=LEDGER,
                   source_url="https://www.ledger.example")
    own_feed = story(link="https://ledger.example/news/acme-strike", guid="ledger-5512")
    # In one poll, and again from the outlet's own feed in the next one.
    assert len(record_items(db, campaign, [google, google], feed_id=None, outlet_id=None,
                            now=now)) == 1
    assert record_items(db, campaign, [own_feed], feed_id=None, outlet_id=ledger,
                        now=now) == []
    [hit] = hits(db)
    assert hit["outlet_id"] == ledger
    # The same headline at another outlet is another story.
    other = story(link="https://news.google.com/rss/articles/CBMiZZZ", source_name="KWRK Radio",
                  source_url="https://kwrk.example")
    assert len(record_items(db, campaign, [other], feed_id=None, outlet_id=None, now=now)) == 1


def test_outlets_from_source_and_domain_created_or_matched(db, campaign, now):
    kwrk = add_outlet(db, now, "KWRK Community Radio", "https://www.kwrk.example/")
    items = [
        # Google News names a new outlet in <source>.
        story(title="Acme Logistics strike enters day two", link="https://news.google.com/rss/1",
              source_name="The Valley Dispatch", source_url="https://valleydispatch.example"),
        # Only a link on an unknown site: the domain becomes the outlet.
        story(title="Acme Logistics union rally", link="https://www.northside.example/rally"),
        # A known outlet, by name in another case, and by domain (a subdomain of it).
        story(title="Acme Logistics strike: what we know", link="https://news.google.com/rss/2",
              source_name="kwrk community radio"),
        story(title="Acme Logistics union files charges", link="https://news.kwrk.example/x"),
    ]
    record_items(db, campaign, items, feed_id=None, outlet_id=None, now=now)
    assert [h["outlet"] for h in hits(db)] == [
        "The Valley Dispatch", "northside.example", "KWRK Community Radio",
        "KWRK Community Radio"]
    assert [h["outlet_id"] for h in hits(db)][2:] == [kwrk, kwrk]
    known = outlet_rows(db)
    assert known["The Valley Dispatch"] == "valleydispatch.example"
    assert known["northside.example"] == "northside.example"
    # A later story from the Dispatch's own site finds the outlet by its domain.
    record_items(db, campaign, [story(title="Acme Logistics union answers",
                                      link="https://valleydispatch.example/answer")],
                 feed_id=None, outlet_id=None, now=now)
    assert hits(db)[-1]["outlet"] == "The Valley Dispatch"
    assert len(outlet_rows(db)) == 3


def test_outlet_names_with_taglines_at_one_domain_are_one_outlet(db, campaign, now):
    daily = add_outlet(db, now, "Daily Example – Local News", "https://www.daily.example.org/")
    items = [
        story(title="Acme Logistics strike day one - Daily Example",
              link="https://news.google.com/rss/articles/CBMi1", source_name="Daily Example",
              source_url="https://daily.example.org"),
        story(title="Acme Logistics strike day two - The Daily Example",
              link="https://news.google.com/rss/articles/CBMi2",
              source_name="The Daily Example", source_url="https://m.daily.example.org"),
        story(title="Acme Logistics union rally", link="https://news.daily.example.org/rally"),
    ]
    record_items(db, campaign, items, feed_id=None, outlet_id=None, now=now)
    assert [h["outlet_id"] for h in hits(db)] == [daily, daily, daily]
    # Google News's " - Outlet" is not part of the headline that is stored.
    assert [h["title"] for h in hits(db)][:2] == ["Acme Logistics strike day one",
                                                  "Acme Logistics strike day two"]
    assert outlet_rows(db) == {"Daily Example – Local News": "https://www.daily.example.org/"}


def test_an_outlet_known_by_name_alone_takes_the_domain_it_is_seen_at(db, campaign, now):
    ledger = add_outlet(db, now, LEDGER, "")
    record_items(db, campaign, [story(link="https://news.google.com/rss/1", source_name=LEDGER,
                                      source_url="https://www.ledger.example")],
                 feed_id=None, outlet_id=None, now=now)
    assert outlet_rows(db) == {LEDGER: "ledger.example"}
    record_items(db, campaign, [story(title="Acme Logistics strike: day two",
                                      link="https://ledger.example/day-two")],
                 feed_id=None, outlet_id=None, now=now)
    assert [h["outlet_id"] for h in hits(db)] == [ledger, ledger]


def test_an_outlet_without_a_domain_is_known_by_its_journalists_addresses(db, campaign, now):
    ana = contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather",
                                               "email": "ana@ledger.example"},
                                  now=now, outlet_name=LEDGER)
    ledger = contacts.get_journalist(db, ana)["outlet_id"]
    record_items(db, campaign, [story(link="https://www.ledger.example/acme",
                                      authors=("Ana Quillfeather",))],
                 feed_id=None, outlet_id=None, now=now)
    [hit] = hits(db)
    assert (hit["outlet_id"], hit["journalist_id"], hit["journalist_match"]) == (
        ledger, ana, "confirmed")
    assert list(outlet_rows(db)) == [LEDGER]


def test_an_outlets_own_feed_names_it_and_keeps_its_redirected_stories(db, campaign, now):
    """Items of an outlet's own feed name no <source>: the outlet is the feed's site, named
    by the feed's title, for stories on that site and for links through a Google redirect;
    a story the feed links on another site is that site's."""
    site = {"site_name": "Riverside Ledger – Local News", "site_url": "https://ledger.example/"}
    record_items(db, campaign, [
        story(link="https://www.ledger.example/acme", **site),
        story("Acme Logistics drivers rally for strike pay",
              link="https://www.google.com/url?q=https://www.ledger.example/rally", **site),
        story("Acme Logistics strike fund grows", link="https://wire.example/fund", **site),
    ], feed_id=None, outlet_id=None, now=now)
    assert outlet_rows(db) == {"Riverside Ledger – Local News": "ledger.example",
                               "wire.example": "wire.example"}
    assert [h["outlet"] for h in hits(db)] == [
        "Riverside Ledger – Local News", "Riverside Ledger – Local News", "wire.example"]


def test_the_same_story_through_three_feeds_is_one_hit_with_the_byline(db, now):
    """An outlet's WordPress feed, a Google News search and a Google Alert, from the corpus,
    served locally: the story is stored once, at the outlet, by the journalist on file."""
    acme = campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC",
                                     keywords=["Acme Logistics"]).id
    dana = contacts.add_journalist(db, EDITOR, {"name": "Dana Quill",
                                                "email": "dana@daily.example.org"},
                                   now=now, outlet_name="Daily Example – Local News")
    with db.begin() as conn:
        conn.execute(tables.outlets.update().values(domain="daily.example.org"))
    corpus = Path(__file__).parent / "data" / "feeds"
    guard = URLGuard(allowlist=["127.0.0.1"])
    settings = PollSettings.from_settings(Settings())
    with FeedServer() as server, coverage_feeds.make_client(settings, guard) as client:
        # Google News and the Alert, which name no author, come first.
        for path, name, kind in [("/news.rss", "google-news.rss", RSS_TYPE),
                                 ("/alerts.atom", "google-alerts.atom", ATOM_TYPE),
                                 ("/daily.rss", "wordpress.rss", RSS_TYPE)]:
            url = server.add(path, (corpus / name).read_bytes(), content_type=kind)
            coverage_feeds.add_feed(db, EDITOR, acme, url, client=client, guard=guard,
                                    now=now, sink=coverage_feeds.hits_sink(db, now),
                                    settings=settings)
    vote = [h for h in hits(db) if "vote 94%" in h["title"]]
    assert len(vote) == 1
    [hit] = vote
    assert hit["title"] == "Acme Logistics workers vote 94% to authorize strike"
    assert hit["outlet"] == "Daily Example – Local News"
    assert (hit["author"], hit["journalist_id"], hit["journalist_match"]) == (
        "Dana Quill", dana, "confirmed")
    assert [e["kind"] for e in contacts.list_interactions(db, dana)] == ["covered"]
    assert sorted(outlet_rows(db)) == ["Daily Example – Local News", "ledger.example.org"]


def test_merging_two_outlets_keeps_their_hits_and_journalists(db, campaign, ana, now):
    ledger = contacts.get_journalist(db, ana)["outlet_id"]
    tagline = add_outlet(db, now, "Riverside Ledger – Local News", "ledger.example")
    bo = contacts.add_journalist(db, EDITOR, {"name": "Bo Lindqvist"}, now=now,
                                 outlet_name="Riverside Ledger – Local News")
    with db.begin() as conn:
        conn.execute(tables.journalist_outlets.insert().values(journalist_id=ana,
                                                               outlet_id=tagline))
    record_items(db, campaign, [story(link="https://ledger.example/acme")], feed_id=None,
                 outlet_id=None, now=now)
    with pytest.raises(PermissionDenied):
        contacts.merge_outlets(db, VIEWER, LEDGER, "Riverside Ledger – Local News", now=now)
    with pytest.raises(InvalidInput, match="pick two different outlets"):
        contacts.merge_outlets(db, EDITOR, LEDGER, LEDGER.upper(), now=now)
    assert contacts.merge_outlets(db, EDITOR, LEDGER, "Riverside Ledger – Local News",
                                  now=now) == {"journalists": 1, "feeds": 0, "hits": 1}
    assert outlet_rows(db) == {LEDGER: "ledger.example"}
    assert contacts.get_journalist(db, bo)["outlet_id"] == ledger
    [hit] = hits(db)
    assert (hit["outlet_id"], hit["title_key"]) == (ledger, title_key(LEDGER, hit["title"]))
    with db.connect() as conn:
        assert conn.execute(sa.select(tables.journalist_outlets)).all() == []
    # The same story from the outlet's own site is still the one hit.
    assert record_items(db, campaign, [story(link="https://news.google.com/rss/9",
                                             source_name=LEDGER)],
                        feed_id=None, outlet_id=None, now=now) == []
    [entry] = audit.list_entries(db, ADMIN, entity="outlet")
    assert entry["action"] == "merge"
    assert entry["summary"].startswith(f"Riverside Ledger – Local News merged into {LEDGER}")
    with pytest.raises(NotFound, match="No outlet called 'Gone'"):
        contacts.merge_outlets(db, EDITOR, LEDGER, "Gone", now=now)


def test_matched_terms_are_stored_and_other_stories_are_not(db, campaign, now):
    items = [
        story(title="Acme Logistics drivers weigh their options",
              summary="Talk of a strike grows.", link="https://ledger.example/1"),
        story(title="Acme Insurance posts record profit", summary="No union here.",
              link="https://ledger.example/2"),
        story(title="Strike at the port", link="https://ledger.example/3"),
    ]
    new = record_items(db, campaign, items, feed_id=None, outlet_id=None, now=now)
    [hit] = hits(db)
    assert new == [hit["id"]] and hit["matched_terms"] == ["Acme Logistics", "strike"]
    assert hit["snippet"] == "Talk of a strike grows." and hit["source"] == "feed"


def test_keywords_stand_in_for_a_missing_query_and_neither_matches_nothing(db, now):
    keyworded = campaigns.create_campaign(db, ADMIN, "Keywords only", now=now,
                                          timezone="UTC", keywords=["Acme", "walk out"]).id
    bare = campaigns.create_campaign(db, ADMIN, "Nothing set", now=now, timezone="UTC").id
    items = [story(title="Drivers walk-out at Acme", link="https://ledger.example/w"),
             story(title="Weather", link="https://ledger.example/x")]
    assert len(record_items(db, keyworded, items, feed_id=None, outlet_id=None, now=now)) == 1
    assert hits(db)[0]["matched_terms"] == ["Acme", "walk out"]
    assert record_items(db, bare, items, feed_id=None, outlet_id=None, now=now) == []


def test_author_at_the_outlet_is_confirmed_and_logged_as_covered(db, campaign, ana, now):
    published = now - timedelta(hours=5)
    record_items(db, campaign, [story(authors=("By Ana Quillfeather",), published=published,
                                      source_name=LEDGER)],
                 feed_id=None, outlet_id=None, now=now)
    [hit] = hits(db)
    assert (hit["journalist_id"], hit["journalist_match"]) == (ana, "confirmed")
    assert hit["author"] == "Ana Quillfeather"
    [entry] = contacts.list_interactions(db, ana)
    assert entry["kind"] == "covered" and entry["by_user"] == "coverage"
    assert entry["story"] == entry["notes"] == "Acme Logistics workers vote to strike"
    assert entry["happened_at"] == published
    assert press_hits.suggested_matches(db, campaign) == []


def test_every_co_author_of_a_story_is_credited(db, campaign, ana, now):
    bo = contacts.add_journalist(db, EDITOR, {"name": "Bo Lindqvist"}, now=now,
                                 outlet_name=LEDGER)
    cam = contacts.add_journalist(db, EDITOR, {"name": "Cam Ortiz"}, now=now,
                                  outlet_name="KWRK Radio")
    ledger = contacts.get_journalist(db, ana)["outlet_id"]
    record_items(db, campaign, [story(authors=("By Ana Quillfeather, Bo Lindqvist and "
                                               "Dee Unknown",))],
                 feed_id=None, outlet_id=ledger, now=now)
    [hit] = hits(db)
    assert hit["author"] == "Ana Quillfeather, Bo Lindqvist, Dee Unknown"
    assert (hit["journalist_id"], hit["journalist_match"]) == (ana, "confirmed")
    for jid in (ana, bo):
        [entry] = contacts.list_interactions(db, jid)
        assert (entry["kind"], entry["story"]) == ("covered", hit["title"])
    assert contacts.list_interactions(db, cam) == []
    # An editor naming another lead leaves the co-author's credit in place.
    press_hits.confirm_journalist(db, EDITOR, hit["id"], cam, now=now)
    assert [e["kind"] for e in contacts.list_interactions(db, bo)] == ["covered"]
    assert [e["kind"] for e in contacts.list_interactions(db, cam)] == ["covered"]
    assert contacts.list_interactions(db, ana) == []


def test_unsure_matches_wait_for_an_editor(db, campaign, ana, now):
    elsewhere = contacts.add_journalist(db, EDITOR, {"name": "Bo Lindqvist"}, now=now,
                                        outlet_name="Freight Weekly")
    record_items(db, campaign, [
        # A misspelt byline at Ana's outlet.
        story(authors=("A. Quilfeather",), source_name=LEDGER),
        # Bo's exact name, at an outlet not on his record (freelance?).
        story(title="Acme Logistics union: the view from the docks",
              link="https://valleydispatch.example/docks", authors=("BO LINDQVIST",),
              source_name="The Valley Dispatch"),
        # Nobody we know.
        story(title="Acme Logistics strike ends", link="https://ledger.example/ends",
              authors=("Staff reports",), source_name=LEDGER),
    ], feed_id=None, outlet_id=None, now=now)
    suggested = press_hits.suggested_matches(db, campaign)
    assert {(s["journalist"], s["journalist_outlet"], s["author"]) for s in suggested} == {
        ("Ana Quillfeather", LEDGER, "A. Quilfeather"),
        ("Bo Lindqvist", "Freight Weekly", "BO LINDQVIST")}
    assert hits(db)[2]["journalist_id"] is None and hits(db)[2]["journalist_match"] == ""
    assert contacts.list_interactions(db, ana) == []

    misspelt = next(s["id"] for s in suggested if s["journalist_id"] == ana)
    press_hits.confirm_journalist(db, EDITOR, misspelt, ana, now=now)
    [entry] = contacts.list_interactions(db, ana)
    assert (entry["kind"], entry["by_user"]) == ("covered", "ed")
    assert [s["journalist"] for s in press_hits.suggested_matches(db, campaign)] == [
        "Bo Lindqvist"]
    # Wrong after all: it moves to Bo, then to nobody, and leaves no history behind.
    press_hits.confirm_journalist(db, EDITOR, misspelt, elsewhere, now=now)
    assert contacts.list_interactions(db, ana) == []
    assert [e["kind"] for e in contacts.list_interactions(db, elsewhere)] == ["covered"]
    press_hits.confirm_journalist(db, EDITOR, misspelt, None, now=now)
    assert contacts.list_interactions(db, elsewhere) == []
    assert hits(db)[0]["journalist_match"] == ""
    assert "clear_journalist" in [e["action"] for e in audit.list_entries(db, ADMIN)]


def test_journalists_extra_outlet_counts_as_theirs(db, campaign, ana, now):
    radio = add_outlet(db, now, "KWRK Community Radio", "kwrk.example")
    with db.begin() as conn:
        conn.execute(tables.journalist_outlets.insert().values(journalist_id=ana,
                                                               outlet_id=radio))
    record_items(db, campaign, [story(link="https://kwrk.example/acme",
                                      authors=("Ana Quillfeather",))],
                 feed_id=None, outlet_id=None, now=now)
    assert hits(db)[0]["journalist_match"] == "confirmed"


def test_a_story_soon_after_a_pitch_is_that_releases_coverage(db, campaign, ana, now):
    release = pitch(db, campaign, ana, now - timedelta(days=3))
    record_items(db, campaign, [
        story(authors=("Ana Quillfeather",), published=now, source_name=LEDGER),
        story(title="Acme Logistics strike, a month on", link="https://ledger.example/later",
              authors=("Ana Quillfeather",), published=now + timedelta(days=30),
              source_name=LEDGER),
    ], feed_id=None, outlet_id=None, now=now)
    inside, outside = hits(db)
    assert inside["release_id"] == release and outside["release_id"] is None
    coverage = press_hits.release_coverage(db, release)
    assert [c["title"] for c in coverage] == ["Acme Logistics workers vote to strike"]
    assert coverage[0]["journalist"] == "Ana Quillfeather" and coverage[0]["outlet"] == LEDGER
    history = contacts.list_interactions(db, ana)
    assert {(e["story"], e["release"]) for e in history} == {
        ("Acme Logistics workers vote to strike", "Acme workers walk out"),
        ("Acme Logistics strike, a month on", None)}


def test_a_pitch_to_a_colleague_links_the_outlets_story(db, campaign, ana, now):
    editor_desk = contacts.add_journalist(db, EDITOR, {"name": "Cam Ortiz"}, now=now,
                                          outlet_name=LEDGER)
    release = pitch(db, campaign, editor_desk, now - timedelta(days=10))
    published = now - timedelta(days=1)
    record_items(db, campaign, [story(published=published, source_name=LEDGER)],
                 feed_id=None, outlet_id=None, now=now)
    assert hits(db)[0]["release_id"] is None  # nine days: outside the default week
    set_org(db, ADMIN, {"coverage_window_days": 14}, now=now)
    # Another campaign's later pitch never claims this campaign's story.
    other = campaigns.create_campaign(db, ADMIN, "Other drive", now=now, timezone="UTC").id
    theirs = pitch(db, other, ana, now - timedelta(days=2), title="Other news")
    record_items(db, campaign, [story(title="Acme Logistics strike: day two",
                                      link="https://ledger.example/day2", published=published,
                                      source_name=LEDGER)],
                 feed_id=None, outlet_id=None, now=now)
    assert hits(db)[1]["release_id"] == release
    assert [c["title"] for c in press_hits.release_coverage(db, release)] == [
        "Acme Logistics strike: day two"]
    assert press_hits.release_coverage(db, theirs) == []


def test_the_coverage_window_must_be_a_day_or_more(db, now):
    with pytest.raises(InvalidInput, match="coverage_window_days"):
        set_org(db, ADMIN, {"coverage_window_days": 0}, now=now)


def test_marks_and_hiding(db, campaign, ana, now):
    release = pitch(db, campaign, ana, now - timedelta(days=1))
    record_items(db, campaign, [story(authors=("Ana Quillfeathers",), source_name=LEDGER)],
                 feed_id=None, outlet_id=None, now=now)
    hit_id = hits(db)[0]["id"]
    press_hits.mark_hit(db, EDITOR, hit_id, tone="positive", spokesperson_quoted=True,
                        key_message=True, now=now)
    marked = press_hits.release_coverage(db, release)[0]
    assert (marked["tone"], marked["spokesperson_quoted"], marked["key_message"]) == (
        "positive", True, True)
    press_hits.mark_hit(db, EDITOR, hit_id, tone="", now=now)
    assert hits(db)[0]["tone"] == "" and hits(db)[0]["key_message"] is True
    with pytest.raises(InvalidInput, match="positive, neutral or negative"):
        press_hits.mark_hit(db, EDITOR, hit_id, tone="glowing", now=now)
    press_hits.mark_hit(db, EDITOR, hit_id, hidden=True, now=now)
    assert press_hits.release_coverage(db, release) == []
    # A hidden story stays hidden: the next poll does not bring it back.
    assert record_items(db, campaign, [story()], feed_id=None, outlet_id=None, now=now) == []
    assert [e["action"] for e in audit.list_entries(db, ADMIN, entity="press_hit")] == [
        "mark", "mark", "mark"]


def test_concurrent_pollers_store_a_story_once(db, campaign, now):
    items = [story(title=f"Acme Logistics strike, report {n}",
                   link=f"https://ledger.example/{n}", source_name=LEDGER) for n in range(5)]
    start = threading.Barrier(3)
    results, errors = [], []

    def poll():
        start.wait()
        try:
            results.append(record_items(db, campaign, items, feed_id=None, outlet_id=None,
                                        now=now))
        except Exception as exc:  # reported below, with the other thread's outcome
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 5]
    assert len(hits(db)) == 5 and list(outlet_rows(db)) == [LEDGER]


# --- pasted by hand -----------------------------------------------------------------------

ARTICLE = """<!doctype html><html><head>
<title>Acme strike | Valley Dispatch</title>
<meta property="og:title" content="Acme Logistics drivers vote to strike">
<meta property="og:site_name" content="The Valley Dispatch">
<meta property="og:description" content="Drivers at Acme Logistics voted 94% to strike.">
<meta property="article:published_time" content="2026-11-19T08:30:00-05:00">
<meta property="article:author" content="https://facebook.example/anaq">
<link rel="canonical" href="/news/acme-strike">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "The Valley Dispatch"},
  {"@type": "NewsArticle", "headline": "Acme drivers vote to strike",
   "author": [{"@type": "Person", "name": "Ana Quillfeather"}]}]}
</script>
</head><body><h1>Acme Logistics drivers vote to strike</h1></body></html>"""


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.startswith("/old"):
            self.send_response(301)
            self.send_header("Location", "/news/acme-strike?utm_source=newsletter")
            self.end_headers()
            return
        found = self.path.startswith(("/news/", "/files/", "/huge"))
        body = ARTICLE.encode() if found else b"not here"
        if self.path.startswith("/huge"):
            body += b" " * article_page.MAX_PAGE_BYTES
        self.send_response(200 if found else 404)
        pdf = self.path.startswith("/files/")
        self.send_header("Content-Type", "application/pdf" if pdf else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # the reader may stop before the end
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client():
    with httpx.Client(timeout=5, trust_env=False, headers={"User-Agent": "test"}) as client:
        yield client


GUARD = URLGuard(allowlist=["127.0.0.1"])


def test_add_hit_by_url_reads_the_pages_metadata(db, campaign, client, site, now):
    dispatch = contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather"}, now=now,
                                       outlet_name="The Valley Dispatch")
    hit_id = press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/old-link", client=client,
                                       guard=GUARD, now=now)
    [hit] = hits(db)
    assert hit["id"] == hit_id and hit["source"] == "manual"
    assert hit["title"] == "Acme Logistics drivers vote to strike"
    assert hit["author"] == "Ana Quillfeather" and hit["outlet"] == "The Valley Dispatch"
    assert hit["published_at"] == datetime(2026, 11, 19, 13, 30, tzinfo=UTC)
    assert hit["snippet"] == "Drivers at Acme Logistics voted 94% to strike."
    assert hit["canonical_url"] == f"{site}/news/acme-strike"
    assert hit["url"] == f"{site}/news/acme-strike"  # where the link led, without trackers
    assert hit["matched_terms"] == ["Acme Logistics", "strike"]
    assert (hit["journalist_id"], hit["journalist_match"]) == (dispatch, "confirmed")
    assert contacts.list_interactions(db, dispatch)[0]["by_user"] == "ed"
    # The page's own address, pasted again, or the same story from a feed: already on file.
    with pytest.raises(AlreadyExists, match=f"press hit #{hit_id} .*Valley Dispatch"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/news/acme-strike#top",
                                  client=client, guard=GUARD, now=now)
    assert record_items(db, campaign, [story(link=f"{site}/news/acme-strike?utm_medium=rss")],
                        feed_id=None, outlet_id=None, now=now) == []


def test_add_hit_by_url_refuses_private_addresses_and_dead_links(db, campaign, client, site,
                                                                 now):
    with pytest.raises(UnsafeURL, match="loopback"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/news/acme-strike",
                                  client=client, guard=URLGuard(), now=now)
    with pytest.raises(UnsafeURL, match="private"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, "http://10.0.0.7/admin",
                                  client=client, guard=GUARD, now=now)
    with pytest.raises(InvalidInput, match="HTTP 404"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/gone", client=client,
                                  guard=GUARD, now=now)
    with pytest.raises(InvalidInput, match=r"not a web page \(application/pdf\)"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/files/clip.pdf",
                                  client=client, guard=GUARD, now=now)
    with pytest.raises(ResponseTooLarge, match="sent more than"):
        press_hits.add_hit_by_url(db, EDITOR, campaign, f"{site}/huge", client=client,
                                  guard=GUARD, now=now)
    assert hits(db) == []


def test_viewers_cannot_change_press_hits(db, campaign, ana, client, site, now):
    record_items(db, campaign, [story(authors=("Ana Quillfeather",), source_name=LEDGER)],
                 feed_id=None, outlet_id=None, now=now)
    hit_id = hits(db)[0]["id"]
    for attempt in (
        lambda: press_hits.mark_hit(db, VIEWER, hit_id, tone="negative", now=now),
        lambda: press_hits.confirm_journalist(db, VIEWER, hit_id, None, now=now),
        lambda: press_hits.add_hit_by_url(db, VIEWER, campaign, f"{site}/news/x",
                                          client=client, guard=GUARD, now=now),
    ):
        with pytest.raises(PermissionDenied, match="viewer"):
            attempt()
    [hit] = hits(db)
    assert (hit["tone"], hit["journalist_match"]) == ("", "confirmed")


def test_page_metadata_fallbacks():
    page = article_page.read_page_meta("""<html><head><title> Acme strike ends </title>
        <meta name="author" content="By Bo Li">
        <meta name="description" content="A deal at last.">
        <script type="application/ld+json">{"@type": "NewsArticle",
          "datePublished": "2026-11-18", "publisher": {"name": "KWRK"}}</script>
        <script type="application/ld+json">{not json</script>
        </head></html>""", "https://kwrk.example/acme")
    assert page == article_page.PageInfo(
        title="Acme strike ends", authors=("By Bo Li",),
        published=datetime(2026, 11, 18, tzinfo=UTC), description="A deal at last.",
        site_name="KWRK", canonical="")


def test_a_broken_campaign_query_is_reported(db, campaign, now):
    with db.begin() as conn:
        conn.execute(tables.campaigns.update().values(query="Acme AND"))
    with pytest.raises(InvalidInput, match="Campaign 'Acme drive'.*after AND"):
        record_items(db, campaign, [story()], feed_id=None, outlet_id=None, now=now)
