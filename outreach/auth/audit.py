"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.roles import Actor, require
from outreach.store.tables import audit_log


def record(
    conn: sa.Connection,
    actor: Actor,
    *,
    entity: str,
    action: str,
    now: datetime,
    entity_id: object = "",
    summary: str = "",
) -> None:
    """Log one write; call it inside the transaction that makes the write."""
    conn.execute(
        audit_log.insert().values(
            at=now, actor=actor.name, entity=entity, entity_id=str(entity_id),
            action=action, summary=summary,
        )
    )


def list_entries(
    db: Engine,
    actor: Actor,
    *,
    since: datetime | None = None,
    user: str | None = None,
    entity: str | None = None,
    limit: int = 1000,
) -> list[dict]:
    """Audit entries newest first, filtered by time, acting user and entity (admins only)."""
    require(actor, "admin", "reading the audit log")
    query = sa.select(
        audit_log.c.at, audit_log.c.actor, audit_log.c.entity, audit_log.c.entity_id,
        audit_log.c.action, audit_log.c.summary,
    ).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if user:
        query = query.where(audit_log.c.actor == user)
    if entity:
        query = query.where(audit_log.c.entity == entity)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def entities(db: Engine) -> list[str]:
    """The kinds of thing the log mentions, for a filter."""
    with db.connect() as conn:
        return list(conn.execute(
            sa.select(audit_log.c.entity).distinct().order_by(audit_log.c.entity)
        ).scalars())
