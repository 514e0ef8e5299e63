"""Accounts: hashing, roles enforced in the domain, the sign-in throttle, the first admin."""

import base64
import hashlib
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from outreach.auth import audit, throttle, users
from outreach.errors import AlreadyExists, InvalidInput, PermissionDenied, SignInFailed
from outreach.roles import ROLES, Actor
from outreach.store.tables import sign_in_failures
from outreach.store.tables import users as users_table

ROOT = Actor("root", "admin")
PASSWORD = "correct horse battery"
LIMITS = throttle.Limits(free=3, client_max_wait=timedelta(minutes=15))
HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def sign_in(db, name, password, now, client=HOME, limits=LIMITS):
    return users.sign_in(db, name, password, client=client, now=now, limits=limits)


def refusal(db, name, password, now, client=HOME, limits=LIMITS) -> str:
    """The message a refused sign-in gives."""
    with pytest.raises(SignInFailed) as refused:
        sign_in(db, name, password, now, client, limits)
    return str(refused.value)


def cheapen(db, name: str) -> None:
    """Store `name`'s password at a low scrypt cost, so a test of the throttle that makes
    many wrong guesses does not pay 128 MiB for each (the cost is read from the hash)."""
    with db.begin() as conn:
        conn.execute(users_table.update().where(users_table.c.name == name)
                     .values(password_hash=_scrypt_hash(PASSWORD, 2**10)))


def counts(db) -> dict[tuple[str, str], int]:
    """The failures the store holds, by (kind, name or address)."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(sign_in_failures)).all()
    return {(r.kind, r.subject): r.failures for r in rows}


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


WRONG_AND_WAIT = "Wrong name or password. Too many failed sign-ins: the next try must wait "


def test_failures_past_the_free_ones_make_the_name_wait_longer_each_time(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    for _ in range(3):
        assert refusal(db, "x", "guess guess guess", now) == "Wrong name or password."
    assert refusal(db, "x", "guess guess guess", now) == WRONG_AND_WAIT + "5 seconds."
    # During the wait even the right password is not checked.
    assert refusal(db, "x", PASSWORD, now + timedelta(seconds=2)) == (
        "Too many failed sign-ins from here or for this name. Wait 3 seconds, then try again.")
    later = now + timedelta(seconds=5)
    assert refusal(db, "x", "guess guess guess", later) == WRONG_AND_WAIT + "10 seconds."
    assert "Wait 10 seconds" in refusal(db, "x", PASSWORD, later)
    assert sign_in(db, "x", PASSWORD, later + timedelta(seconds=10)).name == "x"
    # A successful sign-in forgets the failures: the free ones are free again.
    assert counts(db) == {}
    assert refusal(db, "x", "guess guess guess", later) == "Wrong name or password."


def test_waiting_attempts_are_neither_checked_nor_counted(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    for _ in range(4):
        refusal(db, "x", "guess guess guess", now)
    for _ in range(20):
        assert refusal(db, "x", PASSWORD, now).startswith("Too many failed sign-ins from here")
    assert counts(db) == {("name", "x"): 4, ("client", HOME): 4}
    # Hammering during the wait did not make it longer.
    assert sign_in(db, "x", PASSWORD, now + timedelta(seconds=5)).name == "x"


def test_unknown_names_are_refused_and_throttled_word_for_word_like_known_ones(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    said = {}
    for name, client in (("x", HOME), ("nobody", ELSEWHERE)):
        said[name] = [refusal(db, name, "guess guess guess", now + timedelta(seconds=s), client)
                      for s in (0, 0, 0, 0, 1, 5, 6)]
    assert said["x"] == said["nobody"]
    assert said["x"][-2:] == [WRONG_AND_WAIT + "10 seconds.",
                              "Too many failed sign-ins from here or for this name. Wait 9 "
                              "seconds, then try again."]


def test_a_guesser_at_one_address_keeps_the_owner_out_for_a_minute_at_most(db, now):
    users.add_user(db, ROOT, "admin", "admin", PASSWORD, now=now)
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "admin")
    at = now
    for _ in range(12):  # each guess after the previous wait has passed
        message = refusal(db, "admin", "guess guess guess", at)
        at += timedelta(minutes=15)
    assert message == WRONG_AND_WAIT + "15 minutes."
    at -= timedelta(minutes=15)
    # The guesser's address waits 15 minutes, whatever name it tries next...
    assert "Wait 15 minutes" in refusal(db, "x", PASSWORD, at + timedelta(seconds=1))
    # ...while the admin, from their own address, waits one minute at most.
    assert "Wait 1 minute," in refusal(db, "admin", PASSWORD, at, ELSEWHERE)
    assert sign_in(db, "admin", PASSWORD, at + timedelta(minutes=1), ELSEWHERE).name == "admin"
    assert "Wait 14 minutes" in refusal(db, "admin", PASSWORD, at + timedelta(minutes=1))


def test_counts_are_forgotten_a_day_after_the_last_failure(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    for _ in range(4):
        refusal(db, "x", "guess guess guess", now)
    assert refusal(db, "x", "guess guess guess", now + timedelta(days=1, seconds=1)) == (
        "Wrong name or password.")
    assert counts(db) == {("name", "x"): 1, ("client", HOME): 1}


def test_ten_parallel_wrong_guesses_are_all_counted(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    roomy = throttle.Limits(free=20, client_max_wait=timedelta(minutes=15))
    refused = []
    start = threading.Barrier(10)

    def guess():
        start.wait()
        refused.append(refusal(db, "x", "guess guess guess", now, limits=roomy))

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == ["Wrong name or password."] * 10
    assert counts(db) == {("name", "x"): 10, ("client", HOME): 10}


def test_parallel_guesses_past_the_free_ones_are_not_checked(db, now):
    """Counted before the check: a burst gets only the free guesses and one more."""
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    refused = []
    start = threading.Barrier(8)

    def guess():
        start.wait()
        refused.append(refusal(db, "x", "guess guess guess", now))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(m.startswith("Wrong name or password.") for m in refused) == 4
    assert counts(db) == {("name", "x"): 4, ("client", HOME): 4}


def test_an_admin_lifts_a_wait_and_the_audit_log_says_so(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    for _ in range(4):
        refusal(db, "x", "guess guess guess", now)
    [waiting_name] = [u.wait_until for u in users.list_users(db, ROOT)]
    assert waiting_name == now + timedelta(seconds=5)
    assert {(w.kind, w.subject) for w in throttle.waiting(db, ROOT, now=now)} == {
        ("name", "x"), ("client", HOME)}
    with pytest.raises(PermissionDenied):
        throttle.clear(db, Actor("e", "editor"), name="x", now=now)
    assert throttle.clear(db, ROOT, name="x", address=HOME, now=now) == 2
    assert sign_in(db, "x", PASSWORD, now).name == "x"
    assert {(e["actor"], e["entity"], e["entity_id"]) for e in audit.list_entries(db, ROOT)
            if e["action"] == "clear_throttle"} == {("root", "address", HOME),
                                                    ("root", "user", "x")}


def test_reset_password_lifts_the_wait(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    cheapen(db, "x")
    for _ in range(4):
        refusal(db, "x", "guess guess guess", now)
    users.reset_password(db, ROOT, "x", "a brand new passphrase", now=now)
    assert sign_in(db, "x", "a brand new passphrase", now, ELSEWHERE).name == "x"


def _scrypt_hash(password: str, n: int) -> str:
    """A hash in the stored format, made with scrypt cost `n`."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}$8$1${b64(salt).decode()}${b64(digest).decode()}"


def test_the_shipped_scrypt_cost_is_at_least_2_to_the_17():
    assert users.SCRYPT_N >= 2**17
    assert users.hash_password(PASSWORD).startswith(f"scrypt${users.SCRYPT_N}$8$1$")


def test_a_hash_with_an_older_cost_still_signs_in_and_is_redone(db, now):
    users.add_user(db, ROOT, "x", "editor", "placeholder words", now=now)
    with db.begin() as conn:
        conn.execute(users_table.update().values(password_hash=_scrypt_hash(PASSWORD, 2**14)))
    assert sign_in(db, "x", PASSWORD, now).name == "x"
    with db.connect() as conn:
        stored = conn.execute(sa.select(users_table.c.password_hash)).scalar_one()
    assert stored.startswith(f"scrypt${2**17}$8$1$")
    assert users.verify_password(PASSWORD, stored)
    assert [e["summary"] for e in audit.list_entries(db, ROOT, user="x")] == [
        "password rehashed"]
    assert sign_in(db, "x", PASSWORD, now).name == "x"
    assert sorted(e["summary"] for e in audit.list_entries(db, ROOT, user="x")) == [
        "", "password rehashed"]


def test_an_unknown_name_costs_as_much_time_as_a_wrong_password(db, now):
    users.add_user(db, ROOT, "x", "editor", PASSWORD, now=now)
    roomy = throttle.Limits(free=20, client_max_wait=timedelta(minutes=15))

    def fastest(name):
        times = []
        for _ in range(2):
            started = time.perf_counter()
            refusal(db, name, "guess guess guess", now, limits=roomy)
            times.append(time.perf_counter() - started)
        return min(times)

    assert fastest("nobody") > 0.5 * fastest("x")


@pytest.mark.parametrize(("seconds", "words"), [
    (0.2, "1 second"), (40, "40 seconds"), (60, "1 minute"), (61, "2 minutes"),
    (900, "15 minutes")])
def test_waits_are_said_in_words(seconds, words):
    assert throttle.in_words(timedelta(seconds=seconds)) == words


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
