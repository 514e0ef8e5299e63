"""The press list's domain: SQL filters and paging, validated edits, bulk actions, history."""

from datetime import date, timedelta

import pytest

from outreach.auth import audit
from outreach.errors import AlreadyExists, InvalidInput, PermissionDenied
from outreach.ops import demo
from outreach.presslist import contacts, spokespeople
from outreach.presslist.contacts import JournalistFilter
from outreach.roles import Actor

EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")
ADMIN = Actor("ada", "admin")


@pytest.fixture
def press(db, now):
    demo.load_demo(db, now)
    return db


def names(rows):
    return [r["name"] for r in rows]


def test_search_pages_in_sql_order(press, now):
    first, total = contacts.search(press, JournalistFilter(), now=now, limit=15)
    second, _ = contacts.search(press, JournalistFilter(), now=now, limit=15, offset=15)
    assert total == 40 and len(first) == 15 and len(second) == 15
    everyone = names(contacts.search(press, JournalistFilter(), now=now, limit=100)[0])
    assert names(first) + names(second) == everyone[:30]
    assert everyone == sorted(everyone, key=str.lower)


@pytest.mark.parametrize(
    ("f", "check"),
    [
        (JournalistFilter(text="quillfeather"), lambda r: r["name"] == "Ana Quillfeather"),
        (JournalistFilter(text="la voz"), lambda r: r["outlet"] == "La Voz del Valle"),
        (JournalistFilter(beat="LABOR"), lambda r: "labor" in r["beats"].split("; ")),
        (JournalistFilter(outlet_kind="TV"), lambda r: r["outlet"] == "Channel 7 Metro News"),
        (JournalistFilter(region="valley"), lambda r: "Valley" in r["city"]),
        (JournalistFilter(list_name="Spanish-language"), lambda r: True),
    ],
)
def test_filters(press, now, f, check):
    rows, total = contacts.search(press, f, now=now, limit=100)
    assert 0 < total < 40 and len(rows) == total
    assert all(check(r) for r in rows)


def test_beat_matches_whole_items_only(press, now):
    contacts.update_journalist(press, EDITOR, 1, {"beats": "collaboration"}, now=now)
    rows, _ = contacts.search(press, JournalistFilter(beat="labor"), now=now, limit=100)
    assert 1 not in [r["id"] for r in rows]


def test_contact_recency_and_saved_views(press, now):
    stale = JournalistFilter(beat="labor", not_contacted_in_days=30)
    recent = JournalistFilter(beat="labor", contacted_in_days=30)
    labor = contacts.count(press, JournalistFilter(beat="labor"))
    assert contacts.count(press, stale, now=now) == 0
    assert contacts.count(press, recent, now=now) == labor
    later = now + timedelta(days=45)
    assert contacts.count(press, stale, now=later) == labor
    contacts.save_view(press, EDITOR, "labor reporters not contacted in 30 days", stale, now=now)
    assert contacts.list_views(press)["labor reporters not contacted in 30 days"] == stale
    with pytest.raises(AlreadyExists):
        contacts.save_view(press, EDITOR, "labor reporters not contacted in 30 days", stale,
                           now=now)
    contacts.delete_view(press, EDITOR, "labor reporters not contacted in 30 days", now=now)
    assert contacts.list_views(press) == {}


def test_edits_are_validated_normalised_and_audited(press, now):
    changed = contacts.update_journalist(press, EDITOR, 1, {
        "email": " Ana.Q@Example.org ", "x_handle": "https://x.com/anaq", "tags": "ally; ally, tv",
    }, now=now)
    assert changed == ["email", "tags", "x_handle"]
    person = contacts.get_journalist(press, 1)
    assert (person["email"], person["x_handle"], person["tags"]) == (
        "ana.q@example.org", "anaq", "ally; tv")
    assert audit.list_entries(press, ADMIN, entity="journalist")[0]["summary"].endswith(
        "email, tags, x_handle")
    for change, says in (({"email": "not-an-email"}, "^Email: "), ({"name": " "}, "^Name: "),
                         ({"preferred_contact": "pigeon"}, "^Preferred Contact: "),
                         ({"do_not_contact": True}, "^Do Not Contact Reason: say why"),
                         ({"phone": "5" * 61}, "^Phone: 61 characters is too long; at most 60"),
                         ({"x_handle": "a" * 51}, "^X: "),
                         ({"outlet": "O" * 201}, "^Outlet: 201 characters is too long"),
                         ({"shoe_size": "9"}, "Unknown field")):
        with pytest.raises(InvalidInput, match=says):
            contacts.update_journalist(press, EDITOR, 1, change, now=now)
    assert contacts.get_journalist(press, 1)["email"] == "ana.q@example.org"
    with pytest.raises(PermissionDenied):
        contacts.update_journalist(press, VIEWER, 1, {"title": "Editor"}, now=now)


def test_bulk_actions(press, now):
    assert contacts.bulk_add_to_list(press, EDITOR, [1, 2, 2, 3], "Rally day", now=now) == 3
    assert contacts.bulk_add_to_list(press, EDITOR, [1, 4], "Rally day", now=now) == 1
    assert contacts.count(press, JournalistFilter(list_name="Rally day")) == 4
    assert contacts.bulk_tag(press, EDITOR, [1, 2], "friendly", now=now) == 2
    assert contacts.bulk_tag(press, EDITOR, [1, 2], "Friendly", now=now) == 0
    with pytest.raises(InvalidInput, match="say|Say"):
        contacts.bulk_do_not_contact(press, EDITOR, [3], " ", now=now)
    assert contacts.bulk_do_not_contact(press, EDITOR, [3], "Outed a member", now=now) == 1
    assert contacts.count(press, JournalistFilter(do_not_contact=True)) == 1
    for action in (lambda: contacts.bulk_tag(press, VIEWER, [1], "x", now=now),
                   lambda: contacts.bulk_add_to_list(press, VIEWER, [1], "x", now=now),
                   lambda: contacts.bulk_do_not_contact(press, VIEWER, [1], "x", now=now)):
        with pytest.raises(PermissionDenied):
            action()


def test_history_moves_last_contacted(press, now):
    jid = contacts.add_journalist(press, EDITOR, {"name": "Nia Testwell"}, now=now,
                                  outlet_name="New Outlet Weekly")
    assert contacts.get_journalist(press, jid)["last_contacted_at"] is None
    contacts.add_interaction(press, EDITOR, jid, "note", happened_at=now, now=now,
                             notes="Met at the rally")
    assert contacts.get_journalist(press, jid)["last_contacted_at"] is None
    contacts.add_interaction(press, EDITOR, jid, "called", happened_at=now, now=now)
    contacts.add_interaction(press, EDITOR, jid, "emailed", happened_at=now - timedelta(days=3),
                             now=now)
    person = contacts.get_journalist(press, jid)
    assert person["last_contacted_at"] == now and person["outlet"] == "New Outlet Weekly"
    # Newest first; the note and the call share a time, so the later entry comes first.
    assert [h["kind"] for h in person["history"]] == ["called", "note", "emailed"]
    with pytest.raises(InvalidInput, match="Unknown kind"):
        contacts.add_interaction(press, EDITOR, jid, "gossiped", happened_at=now, now=now)


def test_journalist_page_shows_stories_and_pitches(press):
    ana = contacts.get_journalist(press, 1)
    assert ana["stories"] and ana["stories"][0]["title"].startswith("Acme Logistics")
    assert any(h["release"] for h in ana["history"])


def test_spokesperson_roster(db, now):
    sid = spokespeople.add_spokesperson(db, EDITOR, {
        "name": "Rosa Testa", "languages": "Spanish, English", "media_trained": True,
        "available_from": date(2026, 12, 1), "available_to": date(2026, 12, 31)}, now=now)
    assert spokespeople.roster(db)[0]["languages"] == "Spanish; English"
    assert spokespeople.roster(db, on=date(2026, 11, 30)) == []
    assert len(spokespeople.roster(db, on=date(2026, 12, 15))) == 1
    with pytest.raises(InvalidInput, match="before its start"):
        spokespeople.update_spokesperson(db, EDITOR, sid, {"available_to": date(2026, 11, 1)},
                                         now=now)
    with pytest.raises(PermissionDenied):
        spokespeople.add_spokesperson(db, VIEWER, {"name": "X"}, now=now)
    spokespeople.remove_spokesperson(db, EDITOR, sid, now=now)
    assert spokespeople.roster(db) == []
