"""The spokesperson roster: members who may speak to the press, kept apart from journalists."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach import trash
from outreach.auth import audit
from outreach.errors import InvalidInput, NotFound
from outreach.presslist.fields import join_items, split_items
from outreach.roles import Actor, require
from outreach.store.tables import spokespeople

FIELDS = ("name", "union_role", "phone", "languages", "topics", "media_trained",
          "available_from", "available_to", "notes")


def _clean(values: dict) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    clean = dict(values)
    for key in ("name", "union_role", "phone", "notes"):
        if key in clean:
            clean[key] = (clean[key] or "").strip()
    for key in ("languages", "topics"):
        if key in clean:
            clean[key] = join_items(split_items(clean[key] or ""))
    if "name" in clean and not clean["name"]:
        raise InvalidInput("name: a spokesperson needs a name.")
    start, end = clean.get("available_from"), clean.get("available_to")
    for key in ("available_from", "available_to"):
        if clean.get(key) is not None and not isinstance(clean[key], date):
            raise InvalidInput(f"{key}: give a date (YYYY-MM-DD) or leave it empty.")
    if start and end and end < start:
        raise InvalidInput("available_to: the end of availability is before its start.")
    return clean


def add_spokesperson(db: Engine, actor: Actor, values: dict, *, now: datetime) -> int:
    """Add a member to the roster (editors)."""
    require(actor, "editor", "editing the spokesperson roster")
    clean = _clean({"name": "", **values})
    with db.begin() as conn:
        new_id = conn.execute(spokespeople.insert().values(
            **clean, created_at=now, updated_at=now)).inserted_primary_key[0]
        audit.record(conn, actor, entity="spokesperson", entity_id=new_id, action="add",
                     summary=clean["name"], now=now)
    return new_id


def update_spokesperson(db: Engine, actor: Actor, spokesperson_id: int, changes: dict, *,
                        now: datetime) -> None:
    """Edit a roster entry (editors); the whole change is checked before it is written."""
    require(actor, "editor", "editing the spokesperson roster")
    with db.begin() as conn:
        row = conn.execute(sa.select(spokespeople)
                           .where(spokespeople.c.id == spokesperson_id)).first()
        if row is None:
            raise NotFound(f"No spokesperson with id {spokesperson_id}.")
        merged = _clean({**{k: getattr(row, k) for k in FIELDS}, **changes})
        conn.execute(spokespeople.update().where(spokespeople.c.id == spokesperson_id)
                     .values(**merged, updated_at=now))
        audit.record(conn, actor, entity="spokesperson", entity_id=spokesperson_id,
                     action="edit", summary=", ".join(sorted(changes)), now=now)


def remove_spokesperson(db: Engine, actor: Actor, spokesperson_id: int, *,
                        now: datetime) -> None:
    """Take someone off the roster (editors); undoable for 30 days."""
    require(actor, "editor", "editing the spokesperson roster")
    with db.begin() as conn:
        found = trash.rows_of(conn, spokespeople, spokespeople.c.id == spokesperson_id)
        if not found:
            raise NotFound(f"No spokesperson with id {spokesperson_id}.")
        trash.keep(conn, actor, entity="spokesperson", entity_id=spokesperson_id,
                   label=f"{found[0]['name']} (spokesperson)",
                   rows={"spokespeople": found}, now=now)
        conn.execute(spokespeople.delete().where(spokespeople.c.id == spokesperson_id))


def roster(db: Engine, *, on: date | None = None) -> list[dict]:
    """The roster by name; with `on`, only those available that day."""
    query = sa.select(*(spokespeople.c[k] for k in ("id", *FIELDS))).order_by(
        sa.func.lower(spokespeople.c.name))
    if on is not None:
        query = query.where(
            sa.or_(spokespeople.c.available_from.is_(None), spokespeople.c.available_from <= on),
            sa.or_(spokespeople.c.available_to.is_(None), spokespeople.c.available_to >= on),
        )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
