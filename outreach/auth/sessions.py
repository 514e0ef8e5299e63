"""Server-side sign-in sessions: what keeps a browser signed in across reloads and links.

A session is a random token the browser keeps in an HttpOnly cookie; the store keeps
only its SHA-256, so a copy of the database signs nobody in. A session ends when its
user signs out, when an admin signs the user out everywhere, when the account is
disabled or its password reset, after `idle` without activity, or at its absolute
expiry, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.errors import NotFound, PermissionDenied
from outreach.roles import Actor, can
from outreach.store.tables import user_sessions, users

COOKIE_NAME = "umd_session"
# Activity is written down at most this often, not on every click.
SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionCheck:
    """The user a session token stands for, or why it no longer stands for anyone."""

    actor: Actor | None
    ended: str = ""  # why the session ended, in words, when actor is None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Engine, actor: Actor, *, now: datetime, lifetime: timedelta,
                  replaces: str = "") -> str:
    """A new session for a user who just signed in; returns the token for the cookie.

    `replaces` is the token the browser held before, ended here so that a sign-in
    always rotates the token (a token planted before sign-in is worthless after it).
    """
    token = secrets.token_urlsafe(32)
    with db.begin() as conn:
        if replaces:
            _end(conn, user_sessions.c.token_hash == _hash(replaces), now, "signed in again")
        conn.execute(user_sessions.insert().values(
            user_id=actor.user_id, token_hash=_hash(token), created_at=now,
            last_seen_at=now, expires_at=now + lifetime))
    return token


def check_session(db: Engine, token: str, *, now: datetime, idle: timedelta) -> SessionCheck:
    """The signed-in user for `token`, noting the activity; or why there is none."""
    if not token:
        return SessionCheck(None)
    with db.begin() as conn:
        row = conn.execute(
            sa.select(user_sessions, users.c.name, users.c.role, users.c.disabled)
            .join(users, users.c.id == user_sessions.c.user_id)
            .where(user_sessions.c.token_hash == _hash(token))
        ).first()
        if row is None:
            return SessionCheck(None)
        if row.revoked_at is not None:
            return SessionCheck(None, row.revoked_reason or "You were signed out.")
        ended = ""
        if row.disabled:
            ended = "Your account was disabled; ask an admin."
        elif now >= row.expires_at:
            ended = "Your sign-in expired; please sign in again."
        elif now - row.last_seen_at > idle:
            hours = idle.total_seconds() / 3600
            ended = (f"You were signed out after {hours:g} hour{'s' if hours != 1 else ''} "
                     "without activity.")
        if ended:
            _end(conn, user_sessions.c.id == row.id, now, ended)
            return SessionCheck(None, ended)
        if now - row.last_seen_at >= SEEN_RESOLUTION:
            conn.execute(user_sessions.update().where(user_sessions.c.id == row.id)
                         .values(last_seen_at=now))
    return SessionCheck(Actor(row.name, row.role, row.user_id))


def end_session(db: Engine, token: str, *, now: datetime,
                reason: str = "You have signed out.") -> None:
    """Sign this browser out: its token stops working at once."""
    if token:
        with db.begin() as conn:
            _end(conn, user_sessions.c.token_hash == _hash(token), now, reason)


def end_user_sessions(conn: sa.Connection, user_id: int, *, now: datetime,
                      reason: str) -> int:
    """End every open session of one user, in the caller's transaction; returns how many."""
    return _end(conn, user_sessions.c.user_id == user_id, now, reason)


def sign_out_everywhere(db: Engine, actor: Actor, name: str, *, now: datetime) -> int:
    """End all of `name`'s sessions on every device (admins for anyone, a user for
    themself); returns how many were open."""
    if name != actor.name and not can(actor, "admin"):
        raise PermissionDenied("Signing someone else out needs the admin role.")
    with db.begin() as conn:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar()
        if user_id is None:
            raise NotFound(f"No user named {name!r}.")
        ended = end_user_sessions(
            conn, user_id, now=now,
            reason="You were signed out on every device" +
            ("." if name == actor.name else f" by {actor.name}."))
        audit.record(conn, actor, entity="user", entity_id=name, action="sign_out_everywhere",
                     summary=f"{ended} open session(s) ended", now=now)
    return ended


def open_sessions(db: Engine, user_id: int, *, now: datetime) -> int:
    """How many unexpired, unrevoked sessions a user has."""
    with db.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(user_sessions)
            .where(user_sessions.c.user_id == user_id, user_sessions.c.revoked_at.is_(None),
                   user_sessions.c.expires_at > now)
        ).scalar_one()


def _end(conn: sa.Connection, where, now: datetime, reason: str) -> int:
    return conn.execute(
        user_sessions.update().where(where, user_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:200])
    ).rowcount
