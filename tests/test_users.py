"""Accounts: hashing, roles enforced in the domain, lock-out, the first admin."""

from datetime import timedelta

import pytest

from outreach.auth import audit, users
from outreach.errors import AlreadyExists, InvalidInput, PermissionDenied, SignInFailed
from outreach.roles import ROLES, Actor

ROOT = Actor("root", "admin")
PASSWORD = "correct horse battery"


def sign_in(db, name, password, now):
    return users.sign_in(db, name, password, now=now, max_attempts=3, lock_minutes=15)


def test_passwords_are_salted_scrypt_hashes():
    first, second = users.hash_password(PASSWORD), users.hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert PASSWORD not in first
    assert users.verify_password(PASSWORD, first)
    assert not users.verify_password("correct horse batterY", first)
    assert not users.verify_password(PASSWORD, "garbage")


def test_add_and_sign_in(db, now):
    users.add_user(db, ROOT, "maria", "editor", PASSWORD, now=now, email=" Maria@Example.org ")
    actor = sign_in(db, "maria", PASSWORD, now)
    assert (actor.name, actor.role) == ("maria", "editor")
    assert users.actor_for_email(db, "maria@example.org") == actor
    [row] = users.list_users(db, ROOT)
    assert row.last_login_at == now


@pytest.mark.parametrize("role", ["viewer", "editor", "approver"])
def test_only_admins_manage_users(db, now, role):
    actor = Actor("someone", role)
    with pytest.raises(PermissionDenied, match="needs admin"):
        users.add_user(db, actor, "x", "viewer", PASSWORD, now=now)
    users.add_user(db, ROOT, "x", "viewer", PASSWORD, now=now)
    for attempt in (
        lambda: users.list_users(db, actor),
        lambda: users.set_role(db, actor, "x", "admin", now=now),
        lambda: users.set_disabled(db, actor, "x", True, now=now),
        lambda: users.reset_password(db, actor, "x", PASSWORD + "!", now=now),
        lambda: audit.list_entries(db, actor),
    ):
        with pytest.raises(PermissionDenied):
            attempt()


def test_bad_input_is_refused(db, now):
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        users.add_user(db, ROOT, "x", "editor", "short", now=now)
    with pytest.raises(InvalidInput, match="Unknown role 'boss'"):
        users.add_user(db, ROOT, "x", "boss", PASSWORD, now=now)
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    with pytest.raises(AlreadyExists):
        users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)


def test_wrong_name_and_wrong_password_say_the_same(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    for name, password in (("x", "nope nope nope"), ("nobody", PASSWORD)):
        with pytest.raises(SignInFailed, match="^Wrong name or password.$"):
            sign_in(db, name, password, now)


def test_repeated_failures_lock_the_account_for_a_while(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    for _ in range(2):
        with pytest.raises(SignInFailed, match="^Wrong name or password.$"):
            sign_in(db, "x", "guess guess guess", now)
    with pytest.raises(SignInFailed, match="now locked for 15 minutes"):
        sign_in(db, "x", "guess guess guess", now)
    with pytest.raises(SignInFailed, match="try again in 15 minutes"):
        sign_in(db, "x", PASSWORD, now)
    assert sign_in(db, "x", PASSWORD, now + timedelta(minutes=16)).name == "x"
    assert [e["action"] for e in audit.list_entries(db, ROOT, user="x")] == ["sign_in", "locked"]


def test_reset_password_lifts_the_lock(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    for _ in range(3):
        with pytest.raises(SignInFailed):
            sign_in(db, "x", "guess guess guess", now)
    users.reset_password(db, ROOT, "x", "a brand new passphrase", now=now)
    assert sign_in(db, "x", "a brand new passphrase", now).name == "x"


def test_disabled_accounts_cannot_sign_in(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    users.set_disabled(db, ROOT, "x", True, now=now)
    with pytest.raises(SignInFailed, match="disabled"):
        sign_in(db, "x", PASSWORD, now)
    assert users.actor_for_email(db, "") is None
    users.set_disabled(db, ROOT, "x", False, now=now)
    assert sign_in(db, "x", PASSWORD, now).name == "x"


def test_the_last_admin_stays_an_admin(db, now):
    users.add_user(db, ROOT, "boss", "admin", PASSWORD, now=now)
    with pytest.raises(InvalidInput, match="last admin"):
        users.set_role(db, ROOT, "boss", "editor", now=now)
    with pytest.raises(InvalidInput, match="last admin"):
        users.set_disabled(db, ROOT, "boss", True, now=now)
    users.add_user(db, ROOT, "deputy", "admin", PASSWORD, now=now)
    users.set_role(db, ROOT, "boss", "approver", now=now)
    assert {u.name: u.role for u in users.list_users(db, ROOT)}["boss"] == "approver"


def test_first_admin_is_created_once(db, now):
    password = users.bootstrap_admin(db, ROOT, now=now)
    assert password and len(password) >= 16
    assert sign_in(db, "admin", password, now).role == "admin"
    assert users.bootstrap_admin(db, ROOT, now=now) is None


def test_roles_are_ordered():
    assert ROLES == ("viewer", "editor", "approver", "admin")


def test_single_sign_on_matches_an_active_account_by_email(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    with pytest.raises(SignInFailed, match="users set-email NAME x@example.org"):
        users.sso_sign_in(db, "x@example.org", verified=True, now=now)
    users.set_email(db, ROOT, "x", " X@Example.org ", now=now)
    assert users.sso_sign_in(db, "x@EXAMPLE.org", verified=True, now=now).name == "x"
    users.set_disabled(db, ROOT, "x", True, now=now)
    with pytest.raises(SignInFailed):
        users.sso_sign_in(db, "x@example.org", verified=True, now=now)
    with pytest.raises(SignInFailed):
        users.sso_sign_in(db, "", verified=True, now=now)


def test_single_sign_on_needs_an_email_the_provider_verified(db, now):
    """A provider that lets anyone type an address (email_verified false or missing) would
    let a stranger sign in as the admin whose e-mail they typed."""
    users.add_user(db, ROOT, "x", "admin", PASSWORD, now=now, email="x@example.org")
    with pytest.raises(SignInFailed, match="has not verified the e-mail 'x@example.org'"):
        users.sso_sign_in(db, "x@example.org", verified=False, now=now)
    assert audit.list_entries(db, ROOT, entity="user", user="x") == []


def test_emails_are_checked_and_unique(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now, email="x@example.org")
    users.add_user(db, ROOT, "y", "editor", PASSWORD, now=now)
    with pytest.raises(InvalidInput, match="not an e-mail"):
        users.set_email(db, ROOT, "y", "nope", now=now)
    with pytest.raises(AlreadyExists):
        users.set_email(db, ROOT, "y", "x@example.org", now=now)
    with pytest.raises(PermissionDenied):
        users.set_email(db, Actor("e", "editor"), "y", "y@example.org", now=now)
