"""Press releases, advisories and statements: drafts from templates, versions, approval, export.

A release is filled in from a template; every save is a new version, and an
edit voids the votes on the previous one. Nothing leaves without a DRAFT
watermark until the committee's rule is met.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.campaigns import get_campaign
from outreach.errors import InvalidInput, NotFound
from outreach.org_settings import ApprovalRule, OrgSettings, get_org
from outreach.presslist import spokespeople
from outreach.releases import approval, protected_names, templates
from outreach.roles import Actor, require
from outreach.store import queries
from outreach.store.tables import RELEASE_STATES, release_versions, releases

EXPORT_FORMATS = ("md", "html", "txt", "docx")
EDITABLE_STATES = ("draft", "in_review", "changes_requested", "approved")


@dataclass(frozen=True)
class Release:
    """A release as the page shows it."""

    id: int
    campaign_id: int
    title: str
    kind: str
    status: str
    template: str
    fields: dict
    version: int
    body: str
    embargo_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime


def _release(row) -> Release:
    return Release(row.id, row.campaign_id, row.title, row.kind, row.status, row.template,
                   dict(row.fields or {}), row.version, row.body, row.embargo_at,
                   row.approved_at, row.updated_at)


def format_embargo(when: datetime, timezone: str) -> str:
    """An embargo time as reporters read it: 'Thursday, December 3, 2026, 6:00 AM CST'."""
    local = when.astimezone(ZoneInfo(timezone))
    return (f"{local:%A, %B} {local.day}, {local.year}, "
            f"{local.strftime('%I:%M %p').lstrip('0')} {local.tzname()}")


def _title(template: templates.Template, values: dict) -> str:
    for name in ("headline", "title", "subject"):
        if str(values.get(name) or "").strip():
            return str(values[name]).strip()[:300]
    return template.label


def _rendered(db: Engine, template: templates.Template, values: dict, campaign_id: int,
              embargo_at: datetime | None, org: OrgSettings) -> str:
    embargo = format_embargo(embargo_at, get_campaign(db, campaign_id).timezone) \
        if embargo_at else None
    return templates.render(template, values, org=org, fmt="md", embargo=embargo)


def get_release(db: Engine, release_id: int) -> Release:
    """One release, or NotFound."""
    with db.connect() as conn:
        row = conn.execute(sa.select(releases).where(releases.c.id == release_id)).first()
    if row is None:
        raise NotFound(f"No release with id {release_id}.")
    return _release(row)


def create_release(
    db: Engine, actor: Actor, campaign_id: int, template_name: str, values: dict, *,
    now: datetime, embargo_at: datetime | None = None,
) -> int:
    """Start a draft from a template (editors); it is saved as version 1."""
    require(actor, "editor", "drafting releases")
    template = templates.get_template(db, template_name)
    clean = templates.check_values(template, values)
    body = _rendered(db, template, clean, campaign_id, embargo_at, get_org(db))
    with db.begin() as conn:
        new_id = conn.execute(releases.insert().values(
            campaign_id=campaign_id, title=_title(template, clean), kind=template.kind,
            status="draft", body=body, template=template.name, fields=clean, version=1,
            embargo_at=embargo_at, created_at=now, updated_at=now,
        )).inserted_primary_key[0]
        _add_version(conn, new_id, 1, _title(template, clean), clean, body, embargo_at,
                     actor, now)
        audit.record(conn, actor, entity="release", entity_id=new_id, action="create",
                     summary=f"{template.name}: {_title(template, clean)}", now=now)
    return new_id


def _add_version(conn, release_id, number, title, values, body, embargo_at, actor, now):
    conn.execute(release_versions.insert().values(
        release_id=release_id, number=number, title=title, fields=values, body=body,
        embargo_at=embargo_at, created_by=actor.name, created_at=now,
    ))


def save_release(
    db: Engine, actor: Actor, release_id: int, values: dict, *, now: datetime,
    embargo_at: datetime | None = None,
) -> int:
    """Save an edit as a new version (editors); votes on earlier versions are voided.

    An approved or in-review release goes back to review; one with changes
    requested goes back to draft. A sent release cannot change.
    """
    require(actor, "editor", "editing releases")
    current = get_release(db, release_id)
    if current.status not in EDITABLE_STATES:
        raise InvalidInput(f"Release {release_id} was already sent; start a new one instead.")
    template = templates.get_template(db, current.template)
    clean = templates.check_values(template, values)
    body = _rendered(db, template, clean, current.campaign_id, embargo_at, get_org(db))
    if clean == current.fields and body == current.body and embargo_at == current.embargo_at:
        return current.version
    status = {"approved": "in_review", "changes_requested": "draft"}.get(
        current.status, current.status)
    number = current.version + 1
    with db.begin() as conn:
        voided = approval.void_votes(conn, "release", release_id, now=now)
        conn.execute(releases.update().where(releases.c.id == release_id).values(
            title=_title(template, clean), body=body, fields=clean, version=number,
            embargo_at=embargo_at, status=status, approved_at=None, updated_at=now,
        ))
        _add_version(conn, release_id, number, _title(template, clean), clean, body,
                     embargo_at, actor, now)
        audit.record(conn, actor, entity="release", entity_id=release_id, action="edit",
                     summary=f"version {number}" + (f"; {voided} votes voided" if voided else ""),
                     now=now)
    return number


def submit(db: Engine, actor: Actor, release_id: int, *, now: datetime) -> None:
    """Send a draft to the committee (editors); refused if it names a protected member."""
    require(actor, "editor", "submitting releases")
    current = get_release(db, release_id)
    if current.status not in ("draft", "changes_requested"):
        raise InvalidInput(f"Release {release_id} is {current.status.replace('_', ' ')}; "
                           "only a draft can be submitted.")
    protected_names.require_clean(db, current.body, "release")
    with db.begin() as conn:
        conn.execute(releases.update().where(releases.c.id == release_id)
                     .values(status="in_review", updated_at=now))
        audit.record(conn, actor, entity="release", entity_id=release_id, action="submit",
                     summary=f"version {current.version}", now=now)


def rule_for(db: Engine, release: Release, org: OrgSettings | None = None) -> ApprovalRule:
    """The committee's rule for this release: the shorter rapid-response one when it applies."""
    org = org or get_org(db)
    if release.template and templates.get_template(db, release.template).rapid_response:
        return org.rapid_response_rule
    return org.release_rule


def vote(
    db: Engine, actor: Actor, release_id: int, decision: str, comment: str = "", *,
    now: datetime,
) -> approval.Tally:
    """An approver's vote on the current version; the release is approved or sent back
    as soon as the committee's rule says so."""
    require(actor, "approver", "voting on releases")
    current = get_release(db, release_id)
    if current.status != "in_review":
        raise InvalidInput(f"Release {release_id} is {current.status.replace('_', ' ')}; "
                           "votes are taken while it is in review.")
    if decision == "approve":
        protected_names.require_clean(db, current.body, "release")
    rule = rule_for(db, current)
    approvers = approval.approver_names(db)
    with db.begin() as conn:
        authors = release_authors(conn, release_id)
        approval.cast_vote(conn, actor, "release", release_id, current.version, decision,
                           comment, now=now, authors=authors)
        result = approval.tally(approval.active_votes(conn, "release", release_id), rule,
                                approvers, authors)
        if result.state != "pending":
            conn.execute(releases.update().where(releases.c.id == release_id).values(
                status=result.state, updated_at=now,
                approved_at=now if result.state == "approved" else None,
            ))
        audit.record(conn, actor, entity="release", entity_id=release_id,
                     action=f"vote_{decision}", summary=result.describe(), now=now)
    return result


def release_authors(conn: sa.Connection, release_id: int) -> set[str]:
    """Who wrote the words being voted on: whoever saved the first version and whoever
    saved the current one. Their votes do not count toward its approval."""
    numbers = release_versions.c.number
    first_and_last = sa.select(sa.func.min(numbers), sa.func.max(numbers)).where(
        release_versions.c.release_id == release_id)
    low, high = conn.execute(first_and_last).one()
    return set(conn.execute(sa.select(release_versions.c.created_by).where(
        release_versions.c.release_id == release_id,
        release_versions.c.number.in_((low, high)))).scalars())


def current_tally(db: Engine, release: Release) -> approval.Tally:
    """Where the vote on the current version stands, and who has still to vote."""
    with db.connect() as conn:
        active = approval.active_votes(conn, "release", release.id)
        authors = release_authors(conn, release.id)
    return approval.tally(active, rule_for(db, release), approval.approver_names(db), authors)


def versions(db: Engine, release_id: int) -> list[dict]:
    """Every saved version, newest first."""
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(release_versions.c.number, release_versions.c.title,
                      release_versions.c.created_by, release_versions.c.created_at,
                      release_versions.c.body)
            .where(release_versions.c.release_id == release_id)
            .order_by(release_versions.c.number.desc())
        )]


def diff(db: Engine, release_id: int, older: int, newer: int) -> str:
    """A unified diff between two versions' text, line by line."""
    bodies = {v["number"]: v["body"] for v in versions(db, release_id)}
    missing = [n for n in (older, newer) if n not in bodies]
    if missing:
        raise NotFound(f"Release {release_id} has no version {missing[0]}.")
    return "".join(difflib.unified_diff(
        bodies[older].splitlines(keepends=True), bodies[newer].splitlines(keepends=True),
        fromfile=f"version {older}", tofile=f"version {newer}",
    )) or "The two versions are the same."


def export(db: Engine, release_id: int, fmt: str) -> bytes:
    """The release as md, html, txt or docx; watermarked DRAFT until it is approved.

    An export leaves the building: its words pass the protected-names gate as they are
    exported, so a release approved before a name was protected is refused, not exported.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"Unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    current = get_release(db, release_id)
    draft = current.status not in ("approved", "sent")
    if not current.template:
        protected_names.require_clean(db, current.body, "release")
        text = ("DRAFT — NOT FOR RELEASE\n\n" if draft else "") + current.body
        return text.encode()
    template = templates.get_template(db, current.template)
    org = get_org(db)
    embargo = format_embargo(current.embargo_at, get_campaign(db, current.campaign_id).timezone) \
        if current.embargo_at else None
    # The plain-text rendering holds every word of every format, with no markup between them.
    protected_names.require_clean(db, templates.render(
        template, current.fields, org=org, fmt="txt", draft=draft, embargo=embargo), "release")
    if fmt == "docx":
        return templates.render_docx(template, current.fields, org=org, draft=draft,
                                     embargo=embargo)
    return templates.render(template, current.fields, org=org, fmt=fmt, draft=draft,
                            embargo=embargo).encode()


def release_minutes(db: Engine, release_id: int) -> str:
    """The vote record of a release as Markdown minutes."""
    current = get_release(db, release_id)
    zone = ZoneInfo(get_campaign(db, current.campaign_id).timezone)
    return approval.minutes(approval.vote_record(db, "release", release_id),
                            title=current.title, rule=rule_for(db, current), timezone=zone)


def list_releases(db: Engine, campaign_id: int, *, status: str | None = None) -> list[dict]:
    """A campaign's releases, newest change first, optionally in one state."""
    query = (
        sa.select(
            releases.c.id, releases.c.title, releases.c.kind, releases.c.status,
            releases.c.version, releases.c.updated_at,
        )
        .where(releases.c.campaign_id == campaign_id)
        .order_by(releases.c.updated_at.desc(), releases.c.id.desc())
    )
    if status:
        query = query.where(releases.c.status == status)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def count_by_status(db: Engine, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's releases are in each state (every state listed)."""
    return queries.count_by_status(db, releases, campaign_id, RELEASE_STATES)


def rapid_responses(db: Engine) -> list[templates.Template]:
    """The templates for a rapid response (ICE at the workplace, a firing, a ULP charge)."""
    return [t for t in templates.list_templates(db) if t.rapid_response]


def rapid_response_start(db: Engine, campaign_id: int, template_name: str, *,
                         today: date) -> dict:
    """A rapid response filled in with what the desk already knows, so that in the first
    hour a volunteer types only the headline, what happened and the quote: today's date,
    the campaign's employer, the dateline of its latest release, and the first
    media-trained spokesperson available today. The org's contact and boilerplate are
    added by the template itself."""
    template = templates.get_template(db, template_name)
    campaign = get_campaign(db, campaign_id)
    with db.connect() as conn:
        dated = conn.execute(
            sa.select(releases.c.fields).where(releases.c.campaign_id == campaign_id)
            .order_by(releases.c.updated_at.desc(), releases.c.id.desc())
        ).scalars().all()
    city = next((f["city"] for f in dated if isinstance(f, dict) and f.get("city")), "")
    available = spokespeople.roster(db, on=today)
    speaker = next((p for p in available if p["media_trained"]), None) or next(
        iter(available), None)
    known = {"date": today.isoformat(), "employer": campaign.employer, "city": city}
    values = {}
    for field in template.fields:
        if field.type == "spokesperson" and speaker:
            values[field.name] = {"name": speaker["name"], "role": speaker["union_role"],
                                  "phone": speaker["phone"],
                                  "languages": speaker["languages"]}
        elif known.get(field.name):
            values[field.name] = known[field.name]
    return values


def start_rapid_response(db: Engine, actor: Actor, campaign_id: int, template_name: str,
                         values: dict, *, now: datetime) -> int:
    """Save a rapid response and send it to the committee in one step (editors); a text
    that names a protected member is refused before anything is written."""
    require(actor, "editor", "drafting releases")
    template = templates.get_template(db, template_name)
    if not template.rapid_response:
        raise InvalidInput(f"{template.label} is not a rapid-response template.")
    clean = templates.check_values(template, values)
    protected_names.require_clean(
        db, _rendered(db, template, clean, campaign_id, None, get_org(db)), "release")
    release_id = create_release(db, actor, campaign_id, template_name, clean, now=now)
    submit(db, actor, release_id, now=now)
    return release_id
