"""The demo fills every part of the store with fictional data, all or nothing."""

import csv

import pytest
import sqlalchemy as sa

from outreach.campaigns import find_campaign, list_events
from outreach.coverage import feeds, hit_lists
from outreach.errors import OutreachError
from outreach.insights import metrics
from outreach.ops import demo
from outreach.presslist import contacts
from outreach.releases import drafts as releases
from outreach.social import queue as post_queue
from outreach.store.tables import journalists, outlets


def test_demo_fills_every_page(db, now):
    counts = demo.load_demo(db, now)
    assert counts["journalists"] == 40 and counts["outlets"] == 10
    campaign = find_campaign(db, demo.DEMO_CAMPAIGN)
    assert len(list_events(db, campaign.id)) >= 5
    assert releases.count_by_status(db, campaign.id)["draft"] >= 1
    posts = post_queue.count_by_status(db, campaign.id)
    assert posts["scheduled"] > 0 and posts["published"] > 0
    assert post_queue.upcoming_posts(db, campaign.id, now)
    assert len(feeds.list_feeds(db, campaign.id)) >= 1
    assert hit_lists.count_hits(db, campaign.id) >= 5
    assert len(metrics.follower_series(db, campaign.id)) > 100
    assert {x["name"] for x in contacts.list_press_lists(db)} >= {"Labor beat"}
    assert contacts.count(db, contacts.JournalistFilter(list_name="Spanish-language"))


def test_demo_releases_tell_only_the_demo_campaign_s_story(db, now):
    """The templates' samples are another fictional union's story (Northgate, in
    Riverbend): not a word of it may leak into the demo's releases."""
    demo.load_demo(db, now)
    campaign = find_campaign(db, demo.DEMO_CAMPAIGN)
    for row in releases.list_releases(db, campaign.id):
        body = releases.get_release(db, row["id"]).body
        for stranger in ("Northgate", "Riverbend", "Rosa Delgado", "Marcus Bell"):
            assert stranger not in body, (row["title"], stranger)
        assert "Acme" in body


def test_demo_refuses_a_store_with_data_unless_forced(db, now):
    demo.load_demo(db, now)
    with pytest.raises(OutreachError, match="--force"):
        demo.load_demo(db, now)
    demo.load_demo(db, now, force=True)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(journalists)).scalar() == 40
        assert conn.execute(sa.select(sa.func.count()).select_from(outlets)).scalar() == 10


def test_a_failed_demo_leaves_nothing_behind(db, now, monkeypatch):
    monkeypatch.setattr(demo, "HITS", ((-1, 99, "Broken hit", 0),))
    with pytest.raises(IndexError):
        demo.load_demo(db, now)
    assert demo.is_empty(db)


def test_sample_press_list_is_fictional():
    with open(demo.SAMPLE_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40
    for row in rows:
        assert row["Email"].endswith(".test"), row["Email"]
        assert row["Phone"].startswith("555-01"), row["Phone"]
        assert not row["Bluesky"] or row["Bluesky"].endswith(".test")
