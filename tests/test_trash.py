"""Keeping the press list by hand: add, edit every field, lists, and deletes that undo."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from outreach import trash
from outreach.auth import audit
from outreach.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from outreach.ops import demo
from outreach.presslist import contacts, spokespeople
from outreach.presslist.contacts import JournalistFilter
from outreach.releases import protected_names
from outreach.roles import Actor
from outreach.store.tables import interactions, pitch_batches, pitch_messages, press_hits

EDITOR = Actor("ed", "editor")
APPROVER = Actor("ap", "approver")
ADMIN = Actor("ada", "admin")
VIEWER = Actor("vi", "viewer")
PRESS = ("journalist", "press_list", "spokesperson")


@pytest.fixture
def press(db, now):
    demo.load_demo(db, now)
    return db


def journalist(db, name: str) -> dict:
    rows, _ = contacts.search(db, JournalistFilter(text=name), limit=5)
    return contacts.get_journalist(db, next(r["id"] for r in rows if r["name"] == name))


def test_add_by_hand_refuses_who_is_already_on_file(press, now):
    ana = journalist(press, "Ana Quillfeather")
    with pytest.raises(AlreadyExists, match="Ana Quillfeather is already on file with"):
        contacts.add_journalist(press, EDITOR, {"name": "A. Q.", "email": ana["email"]},
                                now=now)
    with pytest.raises(AlreadyExists, match="Ana Quillfeather at Riverside Daily Ledger"):
        contacts.add_journalist(press, EDITOR, {"name": "ana quillfeather"}, now=now,
                                outlet_name="Riverside Daily Ledger")
    with pytest.raises(AlreadyExists, match="Ana Quillfeather is already on file with"):
        contacts.add_journalist(press, EDITOR, {"name": "Rae Noon",
                                                "other_emails": f"rae@example.org; {ana['email']}"},
                                now=now)
    with pytest.raises(AlreadyExists, match="Ana Quillfeather at Riverside Daily Ledger"):
        contacts.add_journalist(press, EDITOR, {"name": "  ANA   Quillfeather "}, now=now,
                                outlet_name="riverside daily ledger")
    with pytest.raises(InvalidInput, match="^X: "):
        contacts.add_journalist(press, EDITOR, {"name": "Rae Noon", "x_handle": "no spaces"},
                                now=now)
    new_id = contacts.add_journalist(press, EDITOR, {
        "name": "Rae Noon", "email": " Rae@Example.ORG ",
        "bluesky_handle": "https://bsky.app/profile/rae.bsky.test"}, now=now,
        outlet_name="Northside Neighbors")
    rae = contacts.get_journalist(press, new_id)
    assert (rae["email"], rae["bluesky_handle"], rae["outlet"]) == (
        "rae@example.org", "rae.bsky.test", "Northside Neighbors")


def test_every_field_and_the_outlet_can_be_edited(press, now):
    ana = journalist(press, "Ana Quillfeather")
    changed = contacts.update_journalist(press, EDITOR, ana["id"], {
        "phone": "555-0111", "x_handle": "@ana_q", "notes": "Prefers mornings.",
        "pronouns": "she/her", "website": "https://ledger.example.org/ana",
        "outlet": "The Labor Herald"}, now=now)
    assert changed == ["notes", "outlet_id", "phone", "pronouns", "website", "x_handle"]
    ana = contacts.get_journalist(press, ana["id"])
    assert (ana["phone"], ana["x_handle"], ana["outlet"]) == ("555-0111", "ana_q",
                                                              "The Labor Herald")
    other = journalist(press, "Marcus Brightwater")
    with pytest.raises(AlreadyExists, match="Ana Quillfeather already has .*: one address"):
        contacts.update_journalist(press, EDITOR, other["id"], {"email": ana["email"]},
                                   now=now)


def test_press_lists_are_created_renamed_emptied_and_deleted(press, now):
    contacts.create_press_list(press, EDITOR, "Strike day", "Who we call first", now=now)
    with pytest.raises(AlreadyExists):
        contacts.create_press_list(press, EDITOR, "Strike day", now=now)
    ana = journalist(press, "Ana Quillfeather")
    contacts.bulk_add_to_list(press, EDITOR, [ana["id"]], "Strike day", now=now)
    contacts.update_press_list(press, EDITOR, "Strike day", new_name="Strike morning",
                               description="Who we call at 6 a.m.", now=now)
    lists = {x["name"]: x for x in contacts.list_press_lists(press)}
    assert lists["Strike morning"]["members"] == 1
    assert lists["Strike morning"]["description"] == "Who we call at 6 a.m."
    assert contacts.remove_from_list(press, EDITOR, [ana["id"]], "Strike morning",
                                     now=now) == 1
    assert "Strike morning" not in journalist(press, "Ana Quillfeather")["lists"]
    assert contacts.delete_press_list(press, EDITOR, "Labor beat", now=now) == 20
    assert "Labor beat" not in journalist(press, "Ana Quillfeather")["lists"]
    [record] = trash.recently_deleted(press, now=now, entities=PRESS)
    assert record["label"] == "Labor beat (press list, 20 members)"
    trash.restore(press, EDITOR, record["id"], now=now)
    assert "Labor beat" in journalist(press, "Ana Quillfeather")["lists"]
    assert {x["name"]: x["members"] for x in contacts.list_press_lists(press)}[
        "Labor beat"] == 20


def test_a_deleted_journalist_comes_back_with_lists_history_and_links(press, now):
    ana = journalist(press, "Ana Quillfeather")
    with press.begin() as conn:
        hit = conn.execute(sa.select(press_hits.c.id)).scalars().first()
        conn.execute(press_hits.update().where(press_hits.c.id == hit)
                     .values(journalist_id=ana["id"]))
        batch = conn.execute(pitch_batches.insert().values(
            release_id=1, subject="Vote", created_by="ed", created_at=now)
        ).inserted_primary_key[0]
        conn.execute(pitch_messages.insert().values(
            batch_id=batch, journalist_id=ana["id"], name="Ana", email=ana["email"],
            message_id="<x@example.org>", status="sent"))
    before = journalist(press, "Ana Quillfeather")
    assert contacts.delete_journalist(press, EDITOR, ana["id"], now=now) == "Ana Quillfeather"
    assert contacts.count(press, JournalistFilter(text="Quillfeather")) == 0
    with press.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(interactions).where(
            interactions.c.journalist_id == ana["id"])).scalar_one() == 0
    [record] = trash.recently_deleted(press, now=now, entities=PRESS)
    assert trash.restore(press, EDITOR, record["id"], now=now) == "Ana Quillfeather (journalist)"
    after = journalist(press, "Ana Quillfeather")
    for key in ("id", "email", "lists", "history", "outlet", "last_contacted_at"):
        assert after[key] == before[key], key
    with press.connect() as conn:
        assert conn.execute(sa.select(press_hits.c.journalist_id)
                            .where(press_hits.c.id == hit)).scalar_one() == ana["id"]
        assert conn.execute(sa.select(pitch_messages.c.journalist_id)
                            .where(pitch_messages.c.batch_id == batch)).scalar_one() == ana["id"]
    assert trash.recently_deleted(press, now=now, entities=PRESS) == []
    actions = [e["action"] for e in audit.list_entries(press, ADMIN, entity="journalist")]
    assert actions[:2] == ["restore", "delete"]
    with pytest.raises(NotFound, match="can no longer be undone"):
        trash.restore(press, EDITOR, record["id"], now=now)


def test_undo_is_refused_when_the_address_is_on_file_again(press, now):
    ana = journalist(press, "Ana Quillfeather")
    contacts.delete_journalist(press, EDITOR, ana["id"], now=now)
    contacts.add_journalist(press, EDITOR, {"name": "Ana Q.", "email": ana["email"]},
                            now=now)
    [record] = trash.recently_deleted(press, now=now, entities=PRESS)
    with pytest.raises(InvalidInput, match="is on file again since"):
        trash.restore(press, EDITOR, record["id"], now=now)
    assert contacts.count(press, JournalistFilter(text="Ana Q")) == 1


def test_undo_lasts_thirty_days(press, now):
    roster = spokespeople.roster(press)
    spokespeople.remove_spokesperson(press, EDITOR, roster[0]["id"], now=now)
    later = now + timedelta(days=31)
    assert trash.recently_deleted(press, now=later, entities=PRESS) == []
    [record] = trash.recently_deleted(press, now=now, entities=PRESS)
    with pytest.raises(NotFound):
        trash.restore(press, EDITOR, record["id"], now=later)
    trash.restore(press, EDITOR, record["id"], now=now + timedelta(days=29))
    assert spokespeople.roster(press) == roster


def test_a_protected_name_is_removed_by_an_approver_and_put_back_by_an_editor(db, now):
    """Removing protection needs an approver; undoing that removal protects again, which
    any editor may do (as adding a name)."""
    entry = protected_names.add_protected(db, EDITOR, "Pat Doe", ["Patty"], now=now)
    with pytest.raises(PermissionDenied):
        protected_names.update_protected(db, EDITOR, entry.id, "Pat Doe", [], now=now)
    edited = protected_names.update_protected(db, EDITOR, entry.id, "Patricia Doe",
                                              ["Patty", "Pat D."], now=now)
    assert (edited.name, edited.aliases) == ("Patricia Doe", ("Patty", "Pat D."))
    protected_names.remove_protected(db, APPROVER, "Patricia Doe", now=now)
    [record] = trash.recently_deleted(db, now=now, entities=("protected_name",))
    with pytest.raises(PermissionDenied):
        trash.restore(db, VIEWER, record["id"], now=now)
    trash.restore(db, EDITOR, record["id"], now=now)
    assert protected_names.check_text(db, "Thanks, Pat D.!")
    written = repr(audit.list_entries(db, ADMIN, entity="protected_name")).casefold()
    assert "pat" not in written
