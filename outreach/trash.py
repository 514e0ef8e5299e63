"""Deletes that can be undone for a while: what a delete removed, kept to put back.

A delete removes the row for real (so no query anywhere needs to skip deleted rows)
and keeps, in `deleted_records`, a snapshot of it and of the rows that hung on it
(list memberships, history), plus the links other rows held to it (a press hit's
journalist) so that undoing it restores those links too. Snapshots older than
RETENTION are no longer offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.errors import InvalidInput, NotFound
from outreach.roles import Actor, require
from outreach.store.tables import UTCDateTime, deleted_records, metadata

RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class Link:
    """Rows of `table` whose `column` pointed at the deleted row, set back on undo."""

    table: str
    column: str
    ids: tuple[int, ...]
    value: int


def rows_of(conn: sa.Connection, table: sa.Table, where) -> list[dict]:
    """The rows a delete is about to remove, as they are."""
    return [dict(r._mapping) for r in conn.execute(sa.select(table).where(where))]


def _json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _from_json(column: sa.Column, value):
    if value is None or not isinstance(value, str):
        return value
    if isinstance(column.type, UTCDateTime | sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    return value


def keep(conn: sa.Connection, actor: Actor, *, entity: str, entity_id: object, label: str,
         rows: dict[str, list[dict]], links: list[Link] = (), now: datetime,
         audit_summary: str | None = None, unique: dict[str, str] | None = None) -> int:
    """Remember what a delete removes, in the delete's own transaction; returns the
    record's id. `rows` maps a table name to its rows, in the order to put them back;
    `unique` names a column per table that must still be free when they come back
    (beyond the store's own unique constraints)."""
    snapshot = {
        "unique": unique or {},
        "rows": {name: [{k: _json(v) for k, v in row.items()} for row in found]
                 for name, found in rows.items()},
        "links": [{"table": li.table, "column": li.column, "ids": list(li.ids),
                   "value": li.value} for li in links],
    }
    record_id = conn.execute(deleted_records.insert().values(
        entity=entity, entity_id=str(entity_id), label=label, snapshot=snapshot,
        deleted_by=actor.name, deleted_at=now)).inserted_primary_key[0]
    audit.record(conn, actor, entity=entity, entity_id=entity_id, action="delete",
                 summary=label if audit_summary is None else audit_summary, now=now)
    return record_id


def recently_deleted(db: Engine, *, now: datetime, entities: tuple[str, ...]) -> list[dict]:
    """What was deleted in the last RETENTION and can still be put back, newest first."""
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(deleted_records.c.id, deleted_records.c.entity,
                      deleted_records.c.label, deleted_records.c.deleted_by,
                      deleted_records.c.deleted_at)
            .where(deleted_records.c.entity.in_(entities),
                   deleted_records.c.restored_at.is_(None),
                   deleted_records.c.deleted_at > now - RETENTION)
            .order_by(deleted_records.c.deleted_at.desc(), deleted_records.c.id.desc()))]


def restore(db: Engine, actor: Actor, record_id: int, *, now: datetime) -> str:
    """Put a deleted row back with what hung on it (editors: undoing a delete only adds
    back what an editor may add); returns its label. Refused, with nothing written, when
    something took its place meanwhile."""
    require(actor, "editor", "undoing a delete")
    with db.begin() as conn:
        record = conn.execute(sa.select(deleted_records)
                              .where(deleted_records.c.id == record_id)).first()
        if record is None or record.restored_at is not None \
                or record.deleted_at <= now - RETENTION:
            raise NotFound("That delete can no longer be undone (already undone, or older "
                           f"than {RETENTION.days} days).")
        for name, column in record.snapshot.get("unique", {}).items():
            table = metadata.tables[name]
            taken = [row[column] for row in record.snapshot["rows"][name] if row[column]
                     and conn.execute(sa.select(table.c.id)
                                      .where(table.c[column] == row[column])).first()]
            if taken:
                raise InvalidInput(f"{record.label} cannot be put back: {', '.join(taken)} "
                                   "is on file again since. Merge the two by hand instead.")
        try:
            with conn.begin_nested():
                for name, found in record.snapshot["rows"].items():
                    table = metadata.tables[name]
                    if found:
                        conn.execute(table.insert(), [
                            {k: _from_json(table.c[k], v) for k, v in row.items()}
                            for row in found])
                for link in record.snapshot["links"]:
                    table = metadata.tables[link["table"]]
                    if link["ids"]:
                        conn.execute(table.update().where(table.c.id.in_(link["ids"]))
                                     .values({link["column"]: link["value"]}))
        except sa.exc.IntegrityError:
            raise InvalidInput(
                f"{record.label} cannot be put back: something with the same name or "
                "address was added since. Rename or delete that one first.") from None
        conn.execute(deleted_records.update().where(deleted_records.c.id == record_id)
                     .values(restored_at=now, restored_by=actor.name))
        audit.record(conn, actor, entity=record.entity, entity_id=record.entity_id,
                     action="restore", summary=record.label
                     if record.entity != "protected_name" else "", now=now)
    return record.label
