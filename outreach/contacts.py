"""Journalists, outlets and press lists: read side used by the dashboard and demo."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.store.tables import journalists, outlets, press_list_members, press_lists


def list_journalists(db: Engine, *, list_name: str | None = None, limit: int = 1000) -> list[dict]:
    """Journalists with their outlet and lists, by name; optionally one list's members."""
    lists_of = (
        sa.select(
            press_list_members.c.journalist_id,
            press_lists.c.name,
        )
        .join(press_lists, press_lists.c.id == press_list_members.c.list_id)
    )
    query = (
        sa.select(
            journalists.c.id,
            journalists.c.name,
            journalists.c.title,
            outlets.c.name.label("outlet"),
            journalists.c.email,
            journalists.c.beats,
            journalists.c.city,
            journalists.c.bluesky_handle,
            journalists.c.x_handle,
            journalists.c.do_not_contact,
        )
        .select_from(journalists.outerjoin(outlets, outlets.c.id == journalists.c.outlet_id))
        .order_by(journalists.c.name, journalists.c.id)
        .limit(limit)
    )
    if list_name:
        members = lists_of.where(press_lists.c.name == list_name).subquery()
        query = query.where(journalists.c.id.in_(sa.select(members.c.journalist_id)))
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        memberships: dict[int, list[str]] = {}
        for jid, name in conn.execute(lists_of.order_by(press_lists.c.name)):
            memberships.setdefault(jid, []).append(name)
    for row in rows:
        row["lists"] = ", ".join(memberships.get(row["id"], []))
    return rows


def list_outlets(db: Engine) -> list[dict]:
    """Outlets with how many journalists each has on file."""
    count = sa.func.count(journalists.c.id).label("journalists")
    query = (
        sa.select(
            outlets.c.name, outlets.c.kind, outlets.c.region, outlets.c.language,
            outlets.c.domain, count,
        )
        .select_from(outlets.outerjoin(journalists, journalists.c.outlet_id == outlets.c.id))
        .group_by(outlets.c.id)
        .order_by(outlets.c.name)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def list_press_lists(db: Engine) -> list[dict]:
    """Press lists with their member counts."""
    count = sa.func.count(press_list_members.c.journalist_id).label("members")
    query = (
        sa.select(press_lists.c.name, press_lists.c.description, count)
        .select_from(
            press_lists.outerjoin(
                press_list_members, press_list_members.c.list_id == press_lists.c.id
            )
        )
        .group_by(press_lists.c.id)
        .order_by(press_lists.c.name)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_journalists(db: Engine) -> int:
    """How many journalists are on file."""
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(journalists)).scalar_one()
