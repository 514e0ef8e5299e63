"""The sign-in throttle: failed sign-ins counted per name and per client address.

Policy. A name, and a client address, each get `free` failures without delay. Every
further failure makes that name or address wait before its next attempt is even
checked: 5 seconds, then twice as long after each failure, up to a cap. Counts are
forgotten a day after the last failure, and a successful sign-in clears the name's
and the address's counts.

The two caps differ on purpose. The address's wait falls on whoever guesses from it,
so it grows to `client_max_wait` (15 minutes by default): one address gets a few dozen
guesses a day. The name's wait falls on its real owner too, wherever they sign in
from, so it stops at NAME_MAX_WAIT (one minute): an attacker hammering `admin` from one
address soon waits 15 minutes per guess, while the admin at another address waits at
most a minute; attackers spread over many addresses still get only about one guess a
minute at any name. An attempt told to wait is not counted, so hammering during a wait
neither tests a password nor makes the wait longer.

Each attempt is counted before its password is checked (one upsert that adds 1 unless
the row is waiting), so parallel guesses cannot slip through between a read and a write.
Names are counted whether or not an account has them, so the throttle says nothing
about which names exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.roles import Actor, require
from outreach.store.tables import sign_in_failures as failures_table

FIRST_WAIT = timedelta(seconds=5)
NAME_MAX_WAIT = timedelta(minutes=1)
FORGET_AFTER = timedelta(days=1)
# Where the server cannot tell the client's address, all such clients share one count.
UNKNOWN_CLIENT = "unknown"
SUBJECT_LENGTH = 100


@dataclass(frozen=True)
class Limits:
    """How many failures are free, and the longest wait an address can be given."""

    free: int
    client_max_wait: timedelta

    def wait_after(self, failures: int, cap: timedelta) -> timedelta:
        """The wait after the `failures`-th failure in a row: none while free, then doubling."""
        extra = failures - self.free
        if extra <= 0:
            return timedelta(0)
        # Past 2**20 the wait has long reached any cap; the bound keeps the number small.
        return min(cap, FIRST_WAIT * 2 ** min(extra - 1, 20))


@dataclass(frozen=True)
class Counted:
    """What counting an attempt found: how long it must wait now (then it was not
    counted and its password must not be checked), or how long the next attempt must
    wait should this one fail."""

    wait_now: timedelta
    wait_next: timedelta


@dataclass(frozen=True)
class Waiting:
    """A name or address that must wait before its next sign-in attempt is checked."""

    kind: str
    subject: str
    failures: int
    wait_until: datetime


def client_key(address: str | None) -> str:
    """The key an address is counted under; UNKNOWN_CLIENT when the server has none."""
    return (address or "").strip()[:SUBJECT_LENGTH] or UNKNOWN_CLIENT


def _upsert(conn: sa.Connection):
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(
        failures_table)


def _count(conn: sa.Connection, kind: str, subject: str, now: datetime) -> int | None:
    """Add this attempt to the row's count and return the new count, or None when the
    row is waiting (then nothing is counted)."""
    t = failures_table
    stmt = _upsert(conn).values(kind=kind, subject=subject, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.kind, t.c.subject],
        set_={"failures": t.c.failures + 1, "last_failure_at": now},
        where=sa.or_(t.c.wait_until.is_(None), t.c.wait_until <= now),
    ).returning(t.c.failures)
    return conn.execute(stmt).scalar_one_or_none()


def _wait_until(conn: sa.Connection, kind: str, subject: str) -> datetime:
    t = failures_table
    return conn.execute(sa.select(t.c.wait_until).where(
        t.c.kind == kind, t.c.subject == subject)).scalar_one()


def count_attempt(
    db: Engine, *, name: str, client: str | None, now: datetime, limits: Limits,
) -> Counted:
    """Count a sign-in attempt against `client` and `name` before its password is
    checked, unless either is still waiting from earlier failures."""
    t = failures_table
    with db.begin() as conn:
        conn.execute(t.delete().where(t.c.last_failure_at < now - FORGET_AFTER,
                                      sa.or_(t.c.wait_until.is_(None), t.c.wait_until < now)))
    next_wait = timedelta(0)
    with db.connect() as conn, conn.begin() as transaction:
        # Always the address first, then the name: concurrent attempts lock in one order.
        for kind, subject, cap in (("client", client_key(client), limits.client_max_wait),
                                   ("name", name[:SUBJECT_LENGTH], NAME_MAX_WAIT)):
            failures = _count(conn, kind, subject, now)
            if failures is None:
                waiting = _wait_until(conn, kind, subject) - now
                transaction.rollback()
                return Counted(wait_now=waiting, wait_next=timedelta(0))
            wait = limits.wait_after(failures, cap)
            if wait:
                conn.execute(t.update().where(t.c.kind == kind, t.c.subject == subject)
                             .values(wait_until=now + wait))
                next_wait = max(next_wait, wait)
    return Counted(wait_now=timedelta(0), wait_next=next_wait)


def clear_after_sign_in(conn: sa.Connection, *, name: str, client: str | None) -> None:
    """Forget the failures of a name and address that just signed in successfully."""
    t = failures_table
    for kind, subject in (("client", client_key(client)), ("name", name[:SUBJECT_LENGTH])):
        conn.execute(t.delete().where(t.c.kind == kind, t.c.subject == subject))


def clear(db: Engine, actor: Actor, *, name: str = "", address: str = "",
          now: datetime) -> int:
    """Lift the wait and forget the failures of a name or a client address (admins only),
    recorded in the audit log; returns how many counts were cleared."""
    require(actor, "admin", "lifting sign-in waits")
    t = failures_table
    cleared = 0
    with db.begin() as conn:
        for kind, subject, entity in (("name", name.strip(), "user"),
                                      ("client", address.strip(), "address")):
            if not subject:
                continue
            cleared += conn.execute(t.delete().where(
                t.c.kind == kind, t.c.subject == subject[:SUBJECT_LENGTH])).rowcount
            audit.record(conn, actor, entity=entity, entity_id=subject[:120],
                         action="clear_throttle", now=now)
    return cleared


def waiting(db: Engine, actor: Actor, *, now: datetime) -> list[Waiting]:
    """Every name and address that must wait before its next attempt (admins only),
    longest wait first."""
    require(actor, "admin", "seeing sign-in waits")
    t = failures_table
    with db.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.wait_until > now)
                            .order_by(t.c.wait_until.desc(), t.c.kind, t.c.subject)).all()
    return [Waiting(r.kind, r.subject, r.failures, r.wait_until) for r in rows]


def in_words(wait: timedelta) -> str:
    """A wait as a person says it, rounded up: "40 seconds", "1 minute", "15 minutes"."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
