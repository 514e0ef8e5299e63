"""The press list: journalists, outlets, lists, interaction history and saved views.

Searching, filtering and paging happen in SQL so the page stays quick with tens
of thousands of journalists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach import trash
from outreach.auth import audit
from outreach.coverage.story_keys import title_key
from outreach.errors import AlreadyExists, InvalidInput, NotFound
from outreach.presslist.fields import (
    FIELDS,
    join_items,
    name_key,
    normalise_email,
    normalise_handle,
    normalise_preferred_contact,
    parse_bool,
    split_emails,
    split_items,
)
from outreach.roles import Actor, require
from outreach.store.tables import (
    INTERACTION_KINDS,
    feeds,
    interactions,
    journalist_outlets,
    journalists,
    outlets,
    pitch_messages,
    press_hits,
    press_list_members,
    press_lists,
    releases,
    saved_views,
)

# Interactions that count as contact for "last contacted".
CONTACT_KINDS = tuple(k for k in INTERACTION_KINDS if k != "note")
LIST_FIELDS = ("beats", "tags", "languages")
EDITABLE_FIELDS = (
    "name", "pronouns", "title", "email", "other_emails", "phone", "beats",
    "bluesky_handle", "x_handle", "website", "city", "region", "languages",
    "preferred_contact", "tags", "do_not_contact", "do_not_contact_reason", "notes", "source",
)
# What each text column holds at most, so a long value is refused in words, not by the
# database (the importer checks its rows against the same table).
FIELD_LIMITS = {column.name: column.type.length for column in journalists.c
                if isinstance(column.type, sa.String) and column.type.length}


@dataclass(frozen=True)
class JournalistFilter:
    """What the press-list page (or a saved view) asks for; empty means 'any'."""

    text: str = ""
    beat: str = ""
    outlet_kind: str = ""
    list_name: str = ""
    language: str = ""
    tag: str = ""
    region: str = ""
    not_contacted_in_days: int | None = None
    contacted_in_days: int | None = None
    do_not_contact: bool | None = None

    def to_json(self) -> dict:
        """The non-empty filters, for storing a saved view."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @classmethod
    def from_json(cls, data: dict) -> JournalistFilter:
        """A filter from a saved view, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _has_item(column, value: str):
    """SQL: the '; '-separated column holds `value` as a whole item, any case."""
    padded = ";" + sa.func.lower(sa.func.replace(column, "; ", ";")) + ";"
    return padded.like(f"%;{value.strip().lower()};%")


def _where(f: JournalistFilter, now: datetime | None) -> list:
    conditions = []
    if now is None and (f.not_contacted_in_days is not None or f.contacted_in_days is not None):
        raise ValueError("day filters need the current time")
    if f.text.strip():
        pattern = f"%{f.text.strip().lower()}%"
        conditions.append(sa.or_(
            sa.func.lower(journalists.c.name).like(pattern),
            sa.func.lower(outlets.c.name).like(pattern),
            sa.func.lower(journalists.c.notes).like(pattern),
        ))
    for column, value in ((journalists.c.beats, f.beat), (journalists.c.tags, f.tag),
                          (journalists.c.languages, f.language)):
        if value.strip():
            conditions.append(_has_item(column, value))
    if f.outlet_kind:
        conditions.append(outlets.c.kind == f.outlet_kind)
    if f.region.strip():
        pattern = f"%{f.region.strip().lower()}%"
        conditions.append(sa.or_(sa.func.lower(journalists.c.region).like(pattern),
                                 sa.func.lower(journalists.c.city).like(pattern)))
    if f.list_name:
        members = (
            sa.select(press_list_members.c.journalist_id)
            .join(press_lists, press_lists.c.id == press_list_members.c.list_id)
            .where(press_lists.c.name == f.list_name)
        )
        conditions.append(journalists.c.id.in_(members))
    if f.not_contacted_in_days is not None:
        since = now - timedelta(days=f.not_contacted_in_days)
        conditions.append(sa.or_(journalists.c.last_contacted_at.is_(None),
                                 journalists.c.last_contacted_at < since))
    if f.contacted_in_days is not None:
        since = now - timedelta(days=f.contacted_in_days)
        conditions.append(journalists.c.last_contacted_at >= since)
    if f.do_not_contact is not None:
        conditions.append(journalists.c.do_not_contact.is_(f.do_not_contact))
    return conditions


_FROM = journalists.outerjoin(outlets, outlets.c.id == journalists.c.outlet_id)


def search(
    db: Engine, f: JournalistFilter, *, now: datetime | None = None, limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """One page of matching journalists (by name) and how many match in all."""
    conditions = _where(f, now)
    query = (
        sa.select(
            journalists.c.id, journalists.c.name, journalists.c.title,
            outlets.c.name.label("outlet"), journalists.c.email, journalists.c.beats,
            journalists.c.region, journalists.c.city, journalists.c.languages,
            journalists.c.tags, journalists.c.last_contacted_at, journalists.c.do_not_contact,
        )
        .select_from(_FROM)
        .where(*conditions)
        .order_by(sa.func.lower(journalists.c.name), journalists.c.id)
        .limit(limit)
        .offset(offset)
    )
    count = sa.select(sa.func.count()).select_from(_FROM).where(*conditions)
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        total = conn.execute(count).scalar_one()
    return rows, total


def count(db: Engine, f: JournalistFilter, *, now: datetime | None = None) -> int:
    """How many journalists match, without fetching them."""
    with db.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(_FROM).where(*_where(f, now))
        ).scalar_one()


def _memberships(db: Engine, ids: list[int]) -> dict[int, list[str]]:
    query = (
        sa.select(press_list_members.c.journalist_id, press_lists.c.name)
        .join(press_lists, press_lists.c.id == press_list_members.c.list_id)
        .where(press_list_members.c.journalist_id.in_(ids))
        .order_by(press_lists.c.name)
    )
    found: dict[int, list[str]] = {}
    with db.connect() as conn:
        for jid, name in conn.execute(query):
            found.setdefault(jid, []).append(name)
    return found


def get_journalist(db: Engine, journalist_id: int) -> dict:
    """One journalist with outlets, lists, history and stories, for their own page."""
    with db.connect() as conn:
        row = conn.execute(
            sa.select(journalists, outlets.c.name.label("outlet"))
            .select_from(_FROM).where(journalists.c.id == journalist_id)
        ).first()
        if row is None:
            raise NotFound(f"No journalist with id {journalist_id}.")
        other_outlets = list(conn.execute(
            sa.select(outlets.c.name)
            .join(journalist_outlets, journalist_outlets.c.outlet_id == outlets.c.id)
            .where(journalist_outlets.c.journalist_id == journalist_id)
            .order_by(outlets.c.name)
        ).scalars())
        stories = [dict(r._mapping) for r in conn.execute(
            sa.select(press_hits.c.published_at, press_hits.c.title, press_hits.c.url)
            .where(press_hits.c.journalist_id == journalist_id,
                   press_hits.c.journalist_match != "suggested", press_hits.c.hidden.is_(False))
            .order_by(press_hits.c.published_at.desc())
        )]
    journalist = dict(row._mapping)
    journalist["other_outlets"] = other_outlets
    journalist["lists"] = _memberships(db, [journalist_id]).get(journalist_id, [])
    journalist["history"] = list_interactions(db, journalist_id)
    journalist["stories"] = stories
    return journalist


def clean_fields(changes: dict) -> dict:
    """Validate and normalise edited fields; raise InvalidInput naming the bad one."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    clean = {}
    for name, value in changes.items():
        try:
            clean[name] = _clean_field(name, value)
        except InvalidInput as exc:
            raise InvalidInput(f"{FIELDS[name]}: {exc}") from None
        limit = FIELD_LIMITS.get(name)
        if limit and isinstance(clean[name], str) and len(clean[name]) > limit:
            raise InvalidInput(f"{FIELDS[name]}: {len(clean[name])} characters is too long; "
                               f"at most {limit} fit (put longer text in Notes).")
    return clean


def _clean_field(name: str, value):
    if name == "do_not_contact":
        return value if isinstance(value, bool) else parse_bool(str(value))
    text = "" if value is None else str(value).strip()
    if name == "name" and not text:
        raise InvalidInput("a journalist needs a name.")
    if name == "email" and text:
        return normalise_email(text)
    if name == "other_emails":
        return join_items(normalise_email(e) for e in split_items(text))
    if name in ("bluesky_handle", "x_handle") and text:
        return normalise_handle(text, "bluesky" if name == "bluesky_handle" else "x")
    if name in LIST_FIELDS:
        return join_items(split_items(text))
    if name == "preferred_contact" and text:
        return normalise_preferred_contact(text)
    return text


def update_journalist(
    db: Engine, actor: Actor, journalist_id: int, changes: dict, *, now: datetime
) -> list[str]:
    """Apply validated edits (editors); return the fields that changed, audited. An
    "outlet" change names the outlet (a new name adds it; empty clears it)."""
    require(actor, "editor", "editing journalists")
    changes = dict(changes)
    outlet_name = changes.pop("outlet", None)
    clean = clean_fields(changes)
    with db.begin() as conn:
        row = conn.execute(
            sa.select(journalists).where(journalists.c.id == journalist_id)
        ).first()
        if row is None:
            raise NotFound(f"No journalist with id {journalist_id}.")
        if outlet_name is not None:
            clean["outlet_id"] = _outlet_id(conn, outlet_name, now) \
                if outlet_name.strip() else None
        for email in _emails(clean):
            holder = _holder_of(conn, email, besides=journalist_id)
            if holder:
                raise AlreadyExists(f"{holder} already has {email}: one address, one person.")
        changed = {k: v for k, v in clean.items() if getattr(row, k) != v}
        dnc = changed.get("do_not_contact", row.do_not_contact)
        reason = changed.get("do_not_contact_reason", row.do_not_contact_reason)
        if dnc and not reason:
            raise InvalidInput(f"{FIELDS['do_not_contact_reason']}: say why this journalist "
                               "must not be contacted, so the next volunteer knows.")
        if changed:
            conn.execute(journalists.update().where(journalists.c.id == journalist_id)
                         .values(**changed, updated_at=now))
            audit.record(conn, actor, entity="journalist", entity_id=journalist_id,
                         action="edit", summary=f"{row.name}: {', '.join(sorted(changed))}",
                         now=now)
    return sorted(changed)


def add_journalist(db: Engine, actor: Actor, values: dict, *, now: datetime,
                   outlet_name: str = "") -> int:
    """Add one journalist by hand (editors); refuses one already on file (the same e-mail,
    or the same name at the same outlet), naming who."""
    require(actor, "editor", "adding journalists")
    clean = clean_fields({"name": "", **values})
    with db.begin() as conn:
        for email in _emails(clean):
            same_email = _holder_of(conn, email)
            if same_email:
                raise AlreadyExists(f"{same_email} is already on file with {email}: "
                                    "edit them instead.")
        outlet_id = _outlet_id(conn, outlet_name, now) if outlet_name.strip() else None
        key = name_key(clean["name"])
        same_name = next((name for name in conn.execute(sa.select(journalists.c.name).where(
            journalists.c.outlet_id == outlet_id)).scalars() if name_key(name) == key),
            None) if outlet_id else None
        if same_name:
            outlet = conn.execute(sa.select(outlets.c.name).where(outlets.c.id == outlet_id)
                                  ).scalar()
            raise AlreadyExists(f"{same_name} at {outlet} is already on file: edit them instead.")
        new_id = conn.execute(journalists.insert().values(
            **clean, outlet_id=outlet_id, created_at=now, updated_at=now
        )).inserted_primary_key[0]
        audit.record(conn, actor, entity="journalist", entity_id=new_id, action="add",
                     summary=clean["name"], now=now)
    return new_id


def _emails(clean: dict) -> list[str]:
    """The addresses among cleaned fields: the e-mail and the other e-mails."""
    return [e for e in (clean.get("email", ""), *split_emails(clean.get("other_emails", "")))
            if e]


def _holder_of(conn: sa.Connection, email: str, besides: int | None = None) -> str | None:
    """The name of the journalist (other than `besides`) who has `email`, as their address
    or one of their others."""
    query = sa.select(journalists.c.name, journalists.c.email, journalists.c.other_emails).where(
        (journalists.c.email == email)
        | journalists.c.other_emails.contains(email, autoescape=True))
    if besides is not None:
        query = query.where(journalists.c.id != besides)
    for name, primary, others in conn.execute(query):
        if email == primary or email in split_emails(others):
            return name
    return None


def _outlet_id(conn: sa.Connection, name: str, now: datetime) -> int:
    limit = outlets.c.name.type.length
    if len(name.strip()) > limit:
        raise InvalidInput(f"Outlet: {len(name.strip())} characters is too long; at most "
                           f"{limit} fit.")
    found = conn.execute(
        sa.select(outlets.c.id).where(sa.func.lower(outlets.c.name) == name.strip().lower())
    ).scalar()
    if found is None:
        found = conn.execute(outlets.insert().values(name=name.strip(), created_at=now)
                             ).inserted_primary_key[0]
    return found


def _list_id(conn: sa.Connection, name: str, now: datetime) -> int:
    name = name.strip()
    if not name:
        raise InvalidInput("A press list needs a name.")
    found = conn.execute(sa.select(press_lists.c.id).where(press_lists.c.name == name)).scalar()
    if found is None:
        found = conn.execute(press_lists.insert().values(name=name, created_at=now)
                             ).inserted_primary_key[0]
    return found


def bulk_add_to_list(
    db: Engine, actor: Actor, ids: list[int], list_name: str, *, now: datetime
) -> int:
    """Put journalists on a press list (created when new); return how many were added."""
    require(actor, "editor", "changing press lists")
    with db.begin() as conn:
        list_id = _list_id(conn, list_name, now)
        already = set(conn.execute(
            sa.select(press_list_members.c.journalist_id)
            .where(press_list_members.c.list_id == list_id)
        ).scalars())
        new = [i for i in dict.fromkeys(ids) if i not in already]
        if new:
            conn.execute(press_list_members.insert(),
                         [{"list_id": list_id, "journalist_id": i} for i in new])
        audit.record(conn, actor, entity="press_list", entity_id=list_name.strip(),
                     action="add_members", summary=f"{len(new)} added", now=now)
    return len(new)


def bulk_tag(db: Engine, actor: Actor, ids: list[int], tag: str, *, now: datetime) -> int:
    """Add a tag to journalists that lack it; return how many changed."""
    require(actor, "editor", "tagging journalists")
    tag = tag.strip()
    if not tag or ";" in tag or "," in tag:
        raise InvalidInput("A tag is one word or phrase without ';' or ','.")
    changed = 0
    with db.begin() as conn:
        for jid, tags in conn.execute(
            sa.select(journalists.c.id, journalists.c.tags).where(journalists.c.id.in_(ids))
        ).all():
            items = split_items(tags)
            if tag.lower() not in (t.lower() for t in items):
                conn.execute(journalists.update().where(journalists.c.id == jid)
                             .values(tags=join_items([*items, tag]), updated_at=now))
                changed += 1
        audit.record(conn, actor, entity="journalist", action="tag",
                     summary=f"{tag!r} on {changed}", now=now)
    return changed


def bulk_do_not_contact(
    db: Engine, actor: Actor, ids: list[int], reason: str, *, now: datetime
) -> int:
    """Mark journalists do-not-contact with a reason; return how many."""
    require(actor, "editor", "marking do-not-contact")
    if not reason.strip():
        raise InvalidInput("Say why they must not be contacted, so the next volunteer knows.")
    with db.begin() as conn:
        count = conn.execute(
            journalists.update().where(journalists.c.id.in_(ids)).values(
                do_not_contact=True, do_not_contact_reason=reason.strip(), updated_at=now)
        ).rowcount
        audit.record(conn, actor, entity="journalist", action="do_not_contact",
                     summary=f"{count}: {reason.strip()}", now=now)
    return count


def add_interaction(
    db: Engine, actor: Actor, journalist_id: int, kind: str, *, happened_at: datetime,
    now: datetime, notes: str = "", release_id: int | None = None,
    press_hit_id: int | None = None,
) -> None:
    """Log a pitch, call, reply, interview...; contact kinds move 'last contacted'."""
    require(actor, "editor", "logging interactions")
    if kind not in INTERACTION_KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}; use one of {', '.join(INTERACTION_KINDS)}.")
    with db.begin() as conn:
        name = conn.execute(sa.select(journalists.c.name)
                            .where(journalists.c.id == journalist_id)).scalar()
        if name is None:
            raise NotFound(f"No journalist with id {journalist_id}.")
        log_interaction(conn, journalist_id, kind, happened_at=happened_at,
                        by_user=actor.name, now=now, notes=notes.strip(),
                        release_id=release_id, press_hit_id=press_hit_id)
        audit.record(conn, actor, entity="journalist", entity_id=journalist_id,
                     action=f"log_{kind}", summary=name, now=now)


def log_interaction(
    conn: sa.Connection, journalist_id: int, kind: str, *, happened_at: datetime,
    by_user: str, now: datetime, notes: str = "", release_id: int | None = None,
    press_hit_id: int | None = None,
) -> None:
    """Write one history entry in the caller's transaction (pitches sent, stories found
    use it too); a contact kind moves 'last contacted' forward, never back."""
    conn.execute(interactions.insert().values(
        journalist_id=journalist_id, happened_at=happened_at, kind=kind, by_user=by_user,
        release_id=release_id, press_hit_id=press_hit_id, notes=notes, created_at=now,
    ))
    if kind in CONTACT_KINDS:
        conn.execute(journalists.update().where(
            journalists.c.id == journalist_id,
            sa.or_(journalists.c.last_contacted_at.is_(None),
                   journalists.c.last_contacted_at < happened_at),
        ).values(last_contacted_at=happened_at))


def list_interactions(db: Engine, journalist_id: int) -> list[dict]:
    """A journalist's history, newest first, with the linked release or story title."""
    query = (
        sa.select(
            interactions.c.happened_at, interactions.c.kind, interactions.c.by_user,
            releases.c.title.label("release"), press_hits.c.title.label("story"),
            interactions.c.notes,
        )
        .select_from(
            interactions.outerjoin(releases, releases.c.id == interactions.c.release_id)
            .outerjoin(press_hits, press_hits.c.id == interactions.c.press_hit_id)
        )
        .where(interactions.c.journalist_id == journalist_id)
        .order_by(interactions.c.happened_at.desc(), interactions.c.id.desc())
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def save_view(db: Engine, actor: Actor, name: str, f: JournalistFilter, *,
              now: datetime) -> None:
    """Name the current filters, e.g. 'labor reporters not contacted in 30 days'."""
    require(actor, "editor", "saving views")
    name = name.strip()
    if not name:
        raise InvalidInput("A saved view needs a name.")
    with db.begin() as conn:
        if conn.execute(sa.select(saved_views.c.id).where(saved_views.c.name == name)).first():
            raise AlreadyExists(f"A view named {name!r} already exists.")
        conn.execute(saved_views.insert().values(name=name, filters=f.to_json(),
                                                 created_by=actor.name, created_at=now))
        audit.record(conn, actor, entity="saved_view", entity_id=name, action="add", now=now)


def list_views(db: Engine) -> dict[str, JournalistFilter]:
    """Saved views by name."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(saved_views.c.name, saved_views.c.filters)
                            .order_by(saved_views.c.name)).all()
    return {name: JournalistFilter.from_json(data) for name, data in rows}


def delete_view(db: Engine, actor: Actor, name: str, *, now: datetime) -> None:
    """Forget a saved view."""
    require(actor, "editor", "deleting views")
    with db.begin() as conn:
        conn.execute(saved_views.delete().where(saved_views.c.name == name))
        audit.record(conn, actor, entity="saved_view", entity_id=name, action="delete",
                     now=now)


def facet_values(db: Engine) -> dict[str, list[str]]:
    """The values the filters can offer: beats, tags, languages, lists, outlet kinds."""
    with db.connect() as conn:
        values = {
            field: sorted({item for (text,) in conn.execute(
                sa.select(getattr(journalists.c, field)).distinct()
            ) for item in split_items(text)}, key=str.lower)
            for field in LIST_FIELDS
        }
        values["lists"] = list(conn.execute(
            sa.select(press_lists.c.name).order_by(press_lists.c.name)).scalars())
        values["outlet_kinds"] = [k for k in conn.execute(
            sa.select(outlets.c.kind).distinct().order_by(outlets.c.kind)).scalars() if k]
    return values


def list_outlets(db: Engine) -> list[dict]:
    """Outlets with how many journalists each has on file."""
    count = sa.func.count(journalists.c.id).label("journalists")
    query = (
        sa.select(
            outlets.c.name, outlets.c.kind, outlets.c.region, outlets.c.language,
            outlets.c.domain, outlets.c.feed_url, count,
        )
        .select_from(outlets.outerjoin(journalists, journalists.c.outlet_id == outlets.c.id))
        .group_by(outlets.c.id)
        .order_by(outlets.c.name)
    )
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _outlet_row(conn: sa.Connection, name: str):
    row = conn.execute(sa.select(outlets).where(
        sa.func.lower(outlets.c.name) == name.strip().lower())).first()
    if row is None:
        raise NotFound(f"No outlet called {name.strip()!r}: pick one from the outlets list.")
    return row


def merge_outlets(db: Engine, actor: Actor, keep: str, merged: str, *, now: datetime) -> dict:
    """Make two outlets that are one (editors): `merged`'s journalists, press hits and feeds
    move to `keep`, which takes its domain, feed and details where it has none; `merged` is
    then deleted. Returns {"journalists", "hits", "feeds"}: how many moved."""
    require(actor, "editor", "merging outlets")
    with db.begin() as conn:
        kept, gone = _outlet_row(conn, keep), _outlet_row(conn, merged)
        if kept.id == gone.id:
            raise InvalidInput(f"{kept.name!r} is one outlet already: pick two different "
                               "outlets to merge.")
        moved = {
            "journalists": conn.execute(journalists.update().where(
                journalists.c.outlet_id == gone.id).values(outlet_id=kept.id)).rowcount,
            "feeds": conn.execute(feeds.update().where(feeds.c.outlet_id == gone.id)
                                  .values(outlet_id=kept.id)).rowcount,
        }
        already = sa.select(journalist_outlets.c.journalist_id).where(
            journalist_outlets.c.outlet_id == kept.id)
        conn.execute(journalist_outlets.update().where(
            journalist_outlets.c.outlet_id == gone.id,
            journalist_outlets.c.journalist_id.not_in(already)).values(outlet_id=kept.id))
        conn.execute(journalist_outlets.delete().where(journalist_outlets.c.outlet_id == gone.id))
        conn.execute(journalist_outlets.delete().where(
            journalist_outlets.c.outlet_id == kept.id,
            journalist_outlets.c.journalist_id.in_(
                sa.select(journalists.c.id).where(journalists.c.outlet_id == kept.id))))
        hits = conn.execute(sa.select(press_hits.c.id, press_hits.c.title)
                            .where(press_hits.c.outlet_id == gone.id)).all()
        for hit_id, title in hits:  # the story's key names its outlet
            conn.execute(press_hits.update().where(press_hits.c.id == hit_id).values(
                outlet_id=kept.id, title_key=title_key(kept.name, title)))
        moved["hits"] = len(hits)
        details = ("domain", "kind", "region", "language", "feed_url")
        filled = {c: getattr(gone, c) for c in details if not getattr(kept, c)}
        if filled:
            conn.execute(outlets.update().where(outlets.c.id == kept.id).values(**filled))
        conn.execute(outlets.delete().where(outlets.c.id == gone.id))
        audit.record(conn, actor, entity="outlet", entity_id=kept.id, action="merge",
                     summary=f"{gone.name} merged into {kept.name}: "
                             + ", ".join(f"{n} {k}" for k, n in moved.items()), now=now)
    return moved


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


def delete_journalist(db: Engine, actor: Actor, journalist_id: int, *, now: datetime) -> str:
    """Delete a journalist with their lists and history (editors); undoable for 30 days
    from "Recently deleted", links from press hits and pitches included. Returns the name."""
    require(actor, "editor", "deleting journalists")
    with db.begin() as conn:
        row = conn.execute(sa.select(journalists.c.name)
                           .where(journalists.c.id == journalist_id)).first()
        if row is None:
            raise NotFound(f"No journalist with id {journalist_id}.")
        links = [trash.Link(table.name, "journalist_id", tuple(conn.execute(
            sa.select(table.c.id).where(table.c.journalist_id == journalist_id)).scalars()),
            journalist_id) for table in (press_hits, pitch_messages)]
        hanging = (journalist_outlets, press_list_members, interactions)
        trash.keep(conn, actor, entity="journalist", entity_id=journalist_id,
                   label=f"{row.name} (journalist)", now=now, links=links,
                   unique={"journalists": "email"},
                   rows={"journalists": trash.rows_of(conn, journalists,
                                                      journalists.c.id == journalist_id)}
                   | {table.name: trash.rows_of(conn, table,
                                                table.c.journalist_id == journalist_id)
                      for table in hanging})
        for table in hanging:
            conn.execute(table.delete().where(table.c.journalist_id == journalist_id))
        conn.execute(journalists.delete().where(journalists.c.id == journalist_id))
    return row.name


def create_press_list(db: Engine, actor: Actor, name: str, description: str = "", *,
                      now: datetime) -> int:
    """A new, empty press list (editors)."""
    require(actor, "editor", "changing press lists")
    name = name.strip()
    if not name:
        raise InvalidInput("A press list needs a name.")
    with db.begin() as conn:
        if conn.execute(sa.select(press_lists.c.id).where(press_lists.c.name == name)).first():
            raise AlreadyExists(f"There is already a press list named {name!r}.")
        list_id = conn.execute(press_lists.insert().values(
            name=name, description=description.strip(), created_at=now)).inserted_primary_key[0]
        audit.record(conn, actor, entity="press_list", entity_id=name, action="create", now=now)
    return list_id


def update_press_list(db: Engine, actor: Actor, name: str, *, new_name: str,
                      description: str, now: datetime) -> None:
    """Rename a press list or change its description (editors)."""
    require(actor, "editor", "changing press lists")
    new_name = new_name.strip()
    if not new_name:
        raise InvalidInput("A press list needs a name.")
    with db.begin() as conn:
        list_id = _existing_list(conn, name)
        if new_name != name and conn.execute(
                sa.select(press_lists.c.id).where(press_lists.c.name == new_name)).first():
            raise AlreadyExists(f"There is already a press list named {new_name!r}.")
        conn.execute(press_lists.update().where(press_lists.c.id == list_id).values(
            name=new_name, description=description.strip()))
        audit.record(conn, actor, entity="press_list", entity_id=new_name, action="edit",
                     summary=f"was {name}" if new_name != name else "description", now=now)


def delete_press_list(db: Engine, actor: Actor, name: str, *, now: datetime) -> int:
    """Delete a press list, not its journalists (editors); undoable for 30 days. Returns
    how many members it had."""
    require(actor, "editor", "changing press lists")
    with db.begin() as conn:
        list_id = _existing_list(conn, name)
        members = trash.rows_of(conn, press_list_members,
                                press_list_members.c.list_id == list_id)
        trash.keep(conn, actor, entity="press_list", entity_id=name,
                   label=f"{name} (press list, {len(members)} members)", now=now,
                   rows={"press_lists": trash.rows_of(conn, press_lists,
                                                      press_lists.c.id == list_id),
                         "press_list_members": members})
        conn.execute(press_list_members.delete().where(press_list_members.c.list_id == list_id))
        conn.execute(press_lists.delete().where(press_lists.c.id == list_id))
    return len(members)


def remove_from_list(db: Engine, actor: Actor, ids: list[int], list_name: str, *,
                     now: datetime) -> int:
    """Take journalists off a press list (editors); returns how many were on it."""
    require(actor, "editor", "changing press lists")
    with db.begin() as conn:
        list_id = _existing_list(conn, list_name)
        removed = conn.execute(press_list_members.delete().where(
            press_list_members.c.list_id == list_id,
            press_list_members.c.journalist_id.in_(ids))).rowcount
        audit.record(conn, actor, entity="press_list", entity_id=list_name,
                     action="remove_members", summary=f"{removed} removed", now=now)
    return removed


def _existing_list(conn: sa.Connection, name: str) -> int:
    found = conn.execute(sa.select(press_lists.c.id).where(press_lists.c.name == name)).scalar()
    if found is None:
        raise NotFound(f"No press list named {name!r}.")
    return found
