"""Campaigns and their timeline of key events: what every other page is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.config import check_timezone
from outreach.coverage.query import compile_query
from outreach.errors import AlreadyExists, ConfigError, InvalidInput, NotFound
from outreach.roles import Actor, require
from outreach.store.tables import CAMPAIGN_EVENT_KINDS, campaign_events, campaigns


@dataclass(frozen=True)
class Campaign:
    """A campaign: an organizing drive, contract fight or strike."""

    id: int
    name: str
    employer: str
    union_name: str
    description: str
    timezone: str
    start_date: date | None
    keywords: list[str]
    query: str = ""  # the coverage query (coverage_query.py); "" when none is set
    news_language: str = "en-US"  # the Google News edition searched for coverage
    news_country: str = "US"


@dataclass(frozen=True)
class CampaignEvent:
    """A dated moment on a campaign's timeline, charted by later pages."""

    id: int
    campaign_id: int
    event_date: date
    title: str
    kind: str
    notes: str


def _campaign(row) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        employer=row.employer,
        union_name=row.union_name,
        description=row.description,
        timezone=row.timezone,
        start_date=row.start_date,
        keywords=list(row.keywords or []),
        query=row.query,
        news_language=row.news_language,
        news_country=row.news_country,
    )


def create_campaign(
    db: Engine,
    actor: Actor,
    name: str,
    *,
    now: datetime,
    timezone: str,
    employer: str = "",
    union_name: str = "",
    description: str = "",
    start_date: date | None = None,
    keywords: list[str] | None = None,
) -> Campaign:
    """Add a campaign (admins); its name must be new and its time zone a real IANA zone."""
    require(actor, "admin", "adding campaigns")
    name = name.strip()
    if not name:
        raise InvalidInput("A campaign needs a name.")
    try:
        check_timezone(timezone, "Campaign time zone")
    except ConfigError as exc:
        raise InvalidInput(str(exc)) from None
    cleaned = [k.strip() for k in (keywords or []) if k.strip()]
    with db.begin() as conn:
        taken = conn.execute(
            sa.select(campaigns.c.id).where(campaigns.c.name == name)
        ).first()
        if taken:
            raise AlreadyExists(f"A campaign named {name!r} already exists.")
        new_id = conn.execute(
            campaigns.insert().values(
                name=name,
                employer=employer.strip(),
                union_name=union_name.strip(),
                description=description.strip(),
                timezone=timezone,
                start_date=start_date,
                keywords=cleaned,
                created_at=now,
            )
        ).inserted_primary_key[0]
        audit.record(conn, actor, entity="campaign", entity_id=new_id, action="add",
                     summary=name, now=now)
    return get_campaign(db, new_id)


def get_campaign(db: Engine, campaign_id: int) -> Campaign:
    """The campaign with this id, or NotFound."""
    with db.connect() as conn:
        row = conn.execute(
            sa.select(campaigns).where(campaigns.c.id == campaign_id)
        ).first()
    if row is None:
        raise NotFound(f"No campaign with id {campaign_id}.")
    return _campaign(row)


def find_campaign(db: Engine, name: str) -> Campaign:
    """The campaign with this exact name, or NotFound listing the known names."""
    with db.connect() as conn:
        row = conn.execute(
            sa.select(campaigns).where(campaigns.c.name == name.strip())
        ).first()
    if row is None:
        known = ", ".join(c.name for c in list_campaigns(db)) or "none yet"
        raise NotFound(f"No campaign named {name!r} (known campaigns: {known}).")
    return _campaign(row)


def resolve_campaign(db: Engine, name: str | None) -> int:
    """The id of the campaign named `name`, or of the only campaign when no name is given:
    what the commands' `--campaign NAME` means."""
    if name:
        return find_campaign(db, name).id
    found = list_campaigns(db)
    if len(found) != 1:
        known = ", ".join(c.name for c in found) or "none yet"
        raise InvalidInput(f"Say which campaign with --campaign NAME (known campaigns: {known}).")
    return found[0].id


def list_campaigns(db: Engine) -> list[Campaign]:
    """All campaigns, by name."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(campaigns).order_by(campaigns.c.name)).all()
    return [_campaign(r) for r in rows]


def set_query(db: Engine, actor: Actor, campaign_id: int, query: str, *, now: datetime) -> None:
    """Set a campaign's coverage query (editors); refuse a malformed one with its position."""
    require(actor, "editor", "setting a campaign's coverage query")
    text = query.strip()
    if text:
        # The query as typed, so that error positions point where the user looks.
        compile_query(query)
    with db.begin() as conn:
        updated = conn.execute(
            campaigns.update().where(campaigns.c.id == campaign_id).values(query=text)
        )
        if updated.rowcount == 0:
            raise NotFound(f"No campaign with id {campaign_id}.")
        audit.record(conn, actor, entity="campaign", entity_id=campaign_id, action="set_query",
                     summary=text or "query cleared", now=now)


_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")
_COUNTRY = re.compile(r"[A-Z]{2}")


def check_news_edition(language: str, country: str) -> None:
    """Refuse a Google News edition that is not a language code and a country code."""
    if not _LANGUAGE.fullmatch(language):
        raise InvalidInput(f"{language!r} is not a language code; write e.g. en-US, es-419, fr.")
    if not _COUNTRY.fullmatch(country):
        raise InvalidInput(f"{country!r} is not a country code; write two capitals, e.g. US.")


def set_news_edition(db: Engine, actor: Actor, campaign_id: int, language: str, country: str,
                     *, now: datetime) -> None:
    """Set the Google News edition (language, country) the campaign's news feed searches
    (editors); a feed already added keeps its own address."""
    require(actor, "editor", "setting a campaign's news edition")
    language, country = language.strip(), country.strip().upper()
    check_news_edition(language, country)
    with db.begin() as conn:
        updated = conn.execute(campaigns.update().where(campaigns.c.id == campaign_id)
                               .values(news_language=language, news_country=country))
        if updated.rowcount == 0:
            raise NotFound(f"No campaign with id {campaign_id}.")
        audit.record(conn, actor, entity="campaign", entity_id=campaign_id,
                     action="set_news_edition", summary=f"{language} / {country}", now=now)


def add_event(
    db: Engine,
    actor: Actor,
    campaign_id: int,
    *,
    event_date: date,
    title: str,
    now: datetime,
    kind: str = "other",
    notes: str = "",
) -> CampaignEvent:
    """Put a key event (strike vote, rally, bargaining session...) on the timeline (editors)."""
    require(actor, "editor", "adding events")
    title = title.strip()
    if not title:
        raise InvalidInput("An event needs a title.")
    if kind not in CAMPAIGN_EVENT_KINDS:
        raise InvalidInput(
            f"Unknown event kind {kind!r}; use one of {', '.join(CAMPAIGN_EVENT_KINDS)}."
        )
    get_campaign(db, campaign_id)
    with db.begin() as conn:
        new_id = conn.execute(
            campaign_events.insert().values(
                campaign_id=campaign_id,
                event_date=event_date,
                title=title,
                kind=kind,
                notes=notes.strip(),
                created_at=now,
            )
        ).inserted_primary_key[0]
        audit.record(conn, actor, entity="campaign_event", entity_id=new_id, action="add",
                     summary=f"{event_date} {title}", now=now)
    return next(e for e in list_events(db, campaign_id) if e.id == new_id)


def list_events(db: Engine, campaign_id: int) -> list[CampaignEvent]:
    """A campaign's events in date order."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(campaign_events)
            .where(campaign_events.c.campaign_id == campaign_id)
            .order_by(campaign_events.c.event_date, campaign_events.c.id)
        ).all()
    return [
        CampaignEvent(
            id=r.id,
            campaign_id=r.campaign_id,
            event_date=r.event_date,
            title=r.title,
            kind=r.kind,
            notes=r.notes,
        )
        for r in rows
    ]


def parse_date(text: str) -> date:
    """Parse YYYY-MM-DD, with an error that shows the expected form."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01."
        ) from None
