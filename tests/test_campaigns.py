"""Campaigns and their timelines, on both backends."""

from datetime import date

import pytest

from outreach import campaigns
from outreach.auth.audit import list_entries
from outreach.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from outreach.roles import Actor

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")


def test_add_and_find_a_campaign(db, now):
    added = campaigns.create_campaign(
        db, ADMIN, "  Acme first contract ", now=now, timezone="America/Chicago",
        employer="Acme", union_name="Local 101", keywords=["Acme", " ", "strike "],
        start_date=date(2026, 9, 1),
    )
    assert added.name == "Acme first contract"
    assert added.keywords == ["Acme", "strike"]
    assert campaigns.find_campaign(db, "Acme first contract") == added
    assert [c.name for c in campaigns.list_campaigns(db)] == ["Acme first contract"]


def test_duplicate_name_is_refused(db, now):
    campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    with pytest.raises(AlreadyExists, match="already exists"):
        campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    assert len(campaigns.list_campaigns(db)) == 1


@pytest.mark.parametrize(
    ("name", "tz", "says"),
    [("", "UTC", "needs a name"), ("X", "Nowhere/Land", "not a known IANA time zone")],
)
def test_bad_campaign_input_writes_nothing(db, now, name, tz, says):
    with pytest.raises(InvalidInput, match=says):
        campaigns.create_campaign(db, ADMIN, name, now=now, timezone=tz)
    assert campaigns.list_campaigns(db) == []


def test_unknown_campaign_lists_the_known_ones(db, now):
    campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    with pytest.raises(NotFound, match="known campaigns: Drive"):
        campaigns.find_campaign(db, "Drvie")


def test_events_come_back_in_date_order(db, now):
    c = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    campaigns.add_event(db, ADMIN, c.id, event_date=date(2026, 12, 5), title="Rally", kind="rally",
                        now=now)
    campaigns.add_event(db, ADMIN, c.id, event_date=date(2026, 11, 30), title="Strike vote",
                        kind="strike_vote", now=now)
    assert [e.title for e in campaigns.list_events(db, c.id)] == ["Strike vote", "Rally"]


def test_bad_events_are_refused(db, now):
    c = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    with pytest.raises(InvalidInput, match="Unknown event kind"):
        campaigns.add_event(db, ADMIN, c.id, event_date=date(2026, 12, 5), title="X", kind="party",
                            now=now)
    with pytest.raises(InvalidInput, match="needs a title"):
        campaigns.add_event(db, ADMIN, c.id, event_date=date(2026, 12, 5), title=" ", now=now)
    with pytest.raises(NotFound):
        campaigns.add_event(db, ADMIN, c.id + 99, event_date=date(2026, 12, 5), title="X", now=now)
    assert campaigns.list_events(db, c.id) == []


def test_dates_must_be_iso():
    assert campaigns.parse_date("2026-12-01") == date(2026, 12, 1)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        campaigns.parse_date("12/01/2026")


def test_roles_are_enforced_and_writes_are_audited(db, now):
    with pytest.raises(PermissionDenied,
                       match="ed has the editor role; adding campaigns needs admin or above"):
        campaigns.create_campaign(db, EDITOR, "Drive", now=now, timezone="UTC")
    c = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    with pytest.raises(PermissionDenied):
        campaigns.add_event(db, VIEWER, c.id, event_date=date(2026, 12, 5), title="X", now=now)
    campaigns.add_event(db, EDITOR, c.id, event_date=date(2026, 12, 5), title="Rally", now=now)
    log = list_entries(db, ADMIN)
    assert [(e["actor"], e["entity"], e["action"]) for e in log] == [
        ("ed", "campaign_event", "add"), ("ada", "campaign", "add")]
    assert log[0]["summary"] == "2026-12-05 Rally"
