"""Local accounts: scrypt-hashed passwords, roles, sign-in behind the throttle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit, throttle
from outreach.auth.sessions import end_user_sessions
from outreach.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SignInFailed,
)
from outreach.roles import ROLES, Actor, require
from outreach.store.tables import sign_in_failures, users

# scrypt cost: 2**17 x 8 x 128 bytes = 128 MiB per hash, about half a second. Hashes
# stored with other parameters still verify and are redone with these at next sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SCRYPT_MAXMEM = 2 * 128 * SCRYPT_N * SCRYPT_R
MIN_PASSWORD_LENGTH = 10
WRONG = "Wrong name or password."


@dataclass(frozen=True)
class UserRow:
    """A user as an admin sees them: never the password hash."""

    id: int
    name: str
    email: str
    role: str
    disabled: bool
    wait_until: datetime | None
    last_login_at: datetime | None


def hash_password(password: str) -> str:
    """A salted scrypt hash that records its own parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, maxmem=SCRYPT_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), maxmem=SCRYPT_MAXMEM, dklen=len(expected))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with other scrypt parameters than today's."""
    return stored.split("$")[1:4] != [str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]


def _unmatchable_hash() -> str:
    """A hash no password matches, at today's cost: checked when the name is unknown, so
    a wrong name takes as long as a wrong password."""
    b64 = base64.b64encode
    return (f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(secrets.token_bytes(16)).decode()}"
            f"${b64(secrets.token_bytes(32)).decode()}")


def check_password_rules(password: str) -> None:
    """Refuse a password too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters; "
            "a few unrelated words make a good one."
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")


def _row(conn: sa.Connection, name: str):
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"No user named {name!r}.")
    return row


def add_user(
    db: Engine, actor: Actor, name: str, role: str, password: str, *, now: datetime,
    email: str = "",
) -> UserRow:
    """Create an account (admins only)."""
    require(actor, "admin", "adding users")
    name = name.strip()
    if not name:
        raise InvalidInput("A user needs a name.")
    _check_role(role)
    check_password_rules(password)
    with db.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise AlreadyExists(f"A user named {name!r} already exists.")
        new_id = conn.execute(users.insert().values(
            name=name, email=email.strip().lower(), role=role,
            password_hash=hash_password(password), created_at=now, updated_at=now,
        )).inserted_primary_key[0]
        audit.record(conn, actor, entity="user", entity_id=name, action="add",
                     summary=f"role {role}", now=now)
    return next(u for u in list_users(db, actor) if u.id == new_id)


def list_users(db: Engine, actor: Actor) -> list[UserRow]:
    """Every account, by name (admins only)."""
    require(actor, "admin", "listing users")
    waits = sign_in_failures.alias("waits")
    joined = users.outerjoin(waits, sa.and_(waits.c.kind == "name",
                                            waits.c.subject == users.c.name))
    with db.connect() as conn:
        rows = conn.execute(sa.select(users, waits.c.wait_until).select_from(joined)
                            .order_by(users.c.name)).all()
    return [UserRow(r.id, r.name, r.email, r.role, r.disabled, r.wait_until,
                    r.last_login_at) for r in rows]


def _other_active_admins(conn: sa.Connection, name: str) -> int:
    return conn.execute(
        sa.select(sa.func.count()).where(
            users.c.role == "admin", users.c.disabled.is_(False), users.c.name != name
        )
    ).scalar_one()


def set_role(db: Engine, actor: Actor, name: str, role: str, *, now: datetime) -> None:
    """Change a user's role (admins only); the last active admin keeps theirs."""
    require(actor, "admin", "changing roles")
    _check_role(role)
    with db.begin() as conn:
        row = _row(conn, name)
        if row.role == "admin" and role != "admin" and not _other_active_admins(conn, name):
            raise InvalidInput(f"{name} is the last admin; make someone else admin first.")
        conn.execute(users.update().where(users.c.id == row.id)
                     .values(role=role, updated_at=now))
        audit.record(conn, actor, entity="user", entity_id=name, action="set_role",
                     summary=f"{row.role} -> {role}", now=now)


def set_disabled(db: Engine, actor: Actor, name: str, disabled: bool, *, now: datetime) -> None:
    """Disable (or re-enable) an account (admins only); never the last active admin."""
    require(actor, "admin", "disabling users")
    with db.begin() as conn:
        row = _row(conn, name)
        if disabled and row.role == "admin" and not _other_active_admins(conn, name):
            raise InvalidInput(f"{name} is the last admin and cannot be disabled.")
        conn.execute(users.update().where(users.c.id == row.id)
                     .values(disabled=disabled, updated_at=now))
        if disabled:
            end_user_sessions(conn, row.id, now=now,
                              reason="Your account was disabled; ask an admin.")
        audit.record(conn, actor, entity="user", entity_id=name,
                     action="disable" if disabled else "enable", now=now)


def reset_password(db: Engine, actor: Actor, name: str, password: str, *, now: datetime) -> None:
    """Set a new password and lift any wait on the name (admins only); the user's open
    sessions end, so whoever knew the old password is signed out everywhere."""
    require(actor, "admin", "resetting passwords")
    check_password_rules(password)
    with db.begin() as conn:
        row = _row(conn, name)
        conn.execute(users.update().where(users.c.id == row.id).values(
            password_hash=hash_password(password), updated_at=now))
        conn.execute(sign_in_failures.delete().where(sign_in_failures.c.kind == "name",
                                                     sign_in_failures.c.subject == row.name))
        end_user_sessions(conn, row.id, now=now,
                          reason="Your password was changed; sign in with the new one.")
        audit.record(conn, actor, entity="user", entity_id=name, action="reset_password",
                     now=now)


def sign_in(
    db: Engine, name: str, password: str, *, client: str | None, now: datetime,
    limits: throttle.Limits,
) -> Actor:
    """Check a name and password from the client at address `client`, behind the throttle
    (see throttle.py): while the name or the address must wait, the password is not even
    checked. Every refusal reads the same whether or not the name exists.

    A hash stored with older scrypt parameters is redone with today's on success.
    """
    name = name.strip()
    counted = throttle.count_attempt(db, name=name, client=client, now=now, limits=limits)
    if counted.wait_now:
        raise SignInFailed(f"Too many failed sign-ins from here or for this name. Wait "
                           f"{throttle.in_words(counted.wait_now)}, then try again.")
    with db.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if not verify_password(password, row.password_hash if row else _unmatchable_hash()):
        raise SignInFailed(WRONG + (
            f" Too many failed sign-ins: the next try must wait "
            f"{throttle.in_words(counted.wait_next)}." if counted.wait_next else ""))
    if row.disabled:
        raise SignInFailed("This account is disabled; ask an admin.")
    rehashed = {"password_hash": hash_password(password)} if needs_rehash(
        row.password_hash) else {}
    actor = Actor(row.name, row.role, row.id)
    with db.begin() as conn:
        throttle.clear_after_sign_in(conn, name=name, client=client)
        conn.execute(users.update().where(users.c.id == row.id)
                     .values(last_login_at=now, **rehashed))
        audit.record(conn, actor, entity="user", entity_id=row.name, action="sign_in",
                     summary="password rehashed" if rehashed else "", now=now)
    return actor


def active_actor(db: Engine, user_id: int) -> Actor | None:
    """The current role of an enabled account, re-read on every page run."""
    with db.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    if row is None or row.disabled:
        return None
    return Actor(row.name, row.role, row.id)


def actor_named(db: Engine, name: str) -> Actor:
    """The enabled account called `name`, to act as on the command line (`--as NAME`)."""
    with db.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name.strip())).first()
    if row is None:
        raise NotFound(f"No user is called {name!r}; `users list` shows who can act.")
    if row.disabled:
        raise PermissionDenied(f"{row.name}'s account is disabled; an admin can enable it.")
    return Actor(row.name, row.role, row.id)


def actor_for_email(db: Engine, email: str) -> Actor | None:
    """The enabled local account with this e-mail, for single sign-on."""
    email = email.strip().lower()
    if not email:
        return None
    with db.connect() as conn:
        row = conn.execute(sa.select(users).where(
            users.c.email == email, users.c.disabled.is_(False)
        )).first()
    return None if row is None else Actor(row.name, row.role, row.id)


def sso_sign_in(db: Engine, email: str, *, verified: bool, now: datetime) -> Actor:
    """Map an identity provider's verified e-mail to a local account and its role. An
    e-mail the provider has not verified is anyone's to type, so it signs nobody in."""
    if not verified:
        raise SignInFailed(f"Your identity provider has not verified the e-mail {email!r}; "
                           "verify it there, then sign in again.")
    actor = actor_for_email(db, email)
    if actor is None:
        raise SignInFailed(
            f"No active account here has the e-mail {email!r}. Ask an admin to run "
            f"`python -m outreach users set-email NAME {email}`."
        )
    with db.begin() as conn:
        conn.execute(users.update().where(users.c.id == actor.user_id)
                     .values(last_login_at=now))
        audit.record(conn, actor, entity="user", entity_id=actor.name, action="sign_in",
                     summary="single sign-on", now=now)
    return actor


def set_email(db: Engine, actor: Actor, name: str, email: str, *, now: datetime) -> None:
    """Set the e-mail that single sign-on matches (admins only); empty clears it."""
    require(actor, "admin", "changing e-mail addresses")
    email = email.strip().lower()
    if email and "@" not in email:
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    with db.begin() as conn:
        row = _row(conn, name)
        if email and conn.execute(sa.select(users.c.id).where(
                users.c.email == email, users.c.id != row.id)).first():
            raise AlreadyExists(f"Another user already has the e-mail {email}.")
        conn.execute(users.update().where(users.c.id == row.id)
                     .values(email=email, updated_at=now))
        audit.record(conn, actor, entity="user", entity_id=name, action="set_email",
                     summary=email or "cleared", now=now)


def bootstrap_admin(db: Engine, actor: Actor, *, now: datetime) -> str | None:
    """When there are no users at all, create `admin` and return its random password."""
    with db.connect() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one():
            return None
    password = secrets.token_urlsafe(12)
    add_user(db, actor, "admin", "admin", password, now=now)
    return password
