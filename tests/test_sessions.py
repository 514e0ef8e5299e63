"""Server-side sign-in sessions: start, check, idle and absolute expiry, every way to end."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from outreach.auth import audit, sessions, users
from outreach.errors import PermissionDenied
from outreach.roles import Actor
from outreach.store.tables import user_sessions

ROOT = Actor("root", "admin")
PASSWORD = "correct horse battery"
IDLE = timedelta(hours=12)
WEEK = timedelta(days=7)


@pytest.fixture
def people(db, now):
    for name, role in (("ana", "admin"), ("luis", "editor"), ("rosa", "approver")):
        users.add_user(db, ROOT, name, role, PASSWORD, now=now)
    return {u.name: Actor(u.name, u.role, u.id) for u in users.list_users(db, ROOT)}


def test_a_session_signs_its_user_in_until_it_ends(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    check = sessions.check_session(db, token, now=now + timedelta(hours=1), idle=IDLE)
    assert check.actor == people["luis"]
    sessions.end_session(db, token, now=now + timedelta(hours=2))
    check = sessions.check_session(db, token, now=now + timedelta(hours=3), idle=IDLE)
    assert check.actor is None and check.ended == "You have signed out."


def test_the_store_keeps_only_a_hash_of_the_token(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    with db.connect() as conn:
        stored = conn.execute(sa.select(user_sessions.c.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64
    assert sessions.check_session(db, stored, now=now, idle=IDLE).actor is None


def test_unknown_or_empty_tokens_sign_nobody_in(db, now, people):
    assert sessions.check_session(db, "", now=now, idle=IDLE) == sessions.SessionCheck(None)
    assert sessions.check_session(db, "made-up", now=now, idle=IDLE).actor is None


def test_activity_keeps_a_session_alive_and_idleness_ends_it(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    later = now
    for _ in range(5):  # a click every 11 hours for two days
        later += timedelta(hours=11)
        assert sessions.check_session(db, token, now=later, idle=IDLE).actor is not None
    check = sessions.check_session(db, token, now=later + timedelta(hours=13), idle=IDLE)
    assert check.actor is None
    assert check.ended == "You were signed out after 12 hours without activity."
    # Once ended, activity does not bring it back.
    assert sessions.check_session(db, token, now=later, idle=IDLE).actor is None


def test_a_session_ends_at_its_absolute_expiry_however_active(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=timedelta(days=1))
    for hours in (8, 16, 23):
        assert sessions.check_session(db, token, now=now + timedelta(hours=hours),
                                      idle=IDLE).actor
    check = sessions.check_session(db, token, now=now + timedelta(hours=24), idle=IDLE)
    assert check.actor is None and "expired" in check.ended


def test_signing_in_again_rotates_the_token(db, now, people):
    first = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    second = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK,
                                    replaces=first)
    assert second != first
    assert sessions.check_session(db, first, now=now, idle=IDLE).actor is None
    assert sessions.check_session(db, second, now=now, idle=IDLE).actor == people["luis"]


def test_the_role_is_read_fresh_on_every_check(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    users.set_role(db, ROOT, "luis", "approver", now=now)
    assert sessions.check_session(db, token, now=now, idle=IDLE).actor.role == "approver"


def test_an_admin_signs_someone_out_everywhere(db, now, people):
    phone = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    laptop = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    other = sessions.start_session(db, people["rosa"], now=now, lifetime=WEEK)
    assert sessions.open_sessions(db, people["luis"].user_id, now=now) == 2
    assert sessions.sign_out_everywhere(db, people["ana"], "luis", now=now) == 2
    for token in (phone, laptop):
        check = sessions.check_session(db, token, now=now, idle=IDLE)
        assert check.actor is None and check.ended == (
            "You were signed out on every device by ana.")
    assert sessions.check_session(db, other, now=now, idle=IDLE).actor == people["rosa"]
    entry = audit.list_entries(db, ROOT, user="ana")[0]
    assert (entry["action"], entry["entity_id"]) == ("sign_out_everywhere", "luis")


def test_only_admins_sign_others_out_but_anyone_can_sign_themself_out(db, now, people):
    token = sessions.start_session(db, people["rosa"], now=now, lifetime=WEEK)
    with pytest.raises(PermissionDenied):
        sessions.sign_out_everywhere(db, people["luis"], "rosa", now=now)
    assert sessions.check_session(db, token, now=now, idle=IDLE).actor is not None
    assert sessions.sign_out_everywhere(db, people["rosa"], "rosa", now=now) == 1
    assert sessions.check_session(db, token, now=now, idle=IDLE).ended == (
        "You were signed out on every device.")


def test_disabling_or_a_new_password_ends_open_sessions(db, now, people):
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    users.reset_password(db, ROOT, "luis", "a brand new passphrase", now=now)
    assert sessions.check_session(db, token, now=now, idle=IDLE).ended == (
        "Your password was changed; sign in with the new one.")
    token = sessions.start_session(db, people["luis"], now=now, lifetime=WEEK)
    users.set_disabled(db, ROOT, "luis", True, now=now)
    assert sessions.check_session(db, token, now=now, idle=IDLE).ended == (
        "Your account was disabled; ask an admin.")
    users.set_disabled(db, ROOT, "luis", False, now=now)
    assert sessions.check_session(db, token, now=now, idle=IDLE).actor is None
