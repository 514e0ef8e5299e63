"""Pitching an approved release: one personalised e-mail per journalist, and a delivery log.

    plan_pitch   who gets it, who is skipped and why (nothing written)
    preview      the e-mail one journalist would get
    eml_files    the same e-mails as .eml files, to send from one's own mail client
    create_batch the plan written down: one pending row per recipient
    send_batch   send the pending rows over SMTP, at a polite rate; also resumes a batch

Nobody may get a pitch twice. A journalist with a sent or pending e-mail for a release
is left out of its next pitches, unless the committee asks to send again to those
already pitched (`again`); even then, never while their e-mail still waits in a batch.
create_batch checks this again under a lock on the release, so two clicks, two tabs or
two processes cannot queue one person twice. Before a message is handed to the server its row
records `attempted_at`; after the server accepts it the row becomes `sent` in
the same transaction as the journalist's history entry. A row found attempted
but not sent was interrupted mid-send (a crash, a killed process): it may have
arrived, so it is marked failed for a person to check, never sent again.
"""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit, vault
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.errors import ConfigError, InvalidInput, NotFound, OutreachError
from outreach.org_settings import OrgSettings, get_org
from outreach.pitching.mailer import (
    ConnectionFailed,
    DeliveryUnknown,
    SendFailed,
    SmtpSender,
    eml_bytes,
)
from outreach.presslist.contacts import log_interaction
from outreach.releases import protected_names, templates
from outreach.releases.drafts import format_embargo
from outreach.roles import Actor, require
from outreach.store.tables import (
    campaigns,
    journalists,
    outlets,
    pitch_batches,
    pitch_messages,
    press_hits,
    press_list_members,
    press_lists,
    releases,
)

log = logging.getLogger(__name__)

PITCH_TEMPLATE = "pitch_email.en"
APPROVED_STATES = ("approved", "sent")
INTERRUPTED = ("interrupted while sending; not retried so that nobody gets it twice — "
               "check your sent mail")
MAYBE_DELIVERED = ("It may have arrived: not retried so that nobody gets it twice — check "
                   "your sent mail.")
# A subject's own "EMBARGOED:" without the time gives way to one that says until when.
_BARE_EMBARGO = re.compile(r"^\s*EMBARGOED\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PitchRecipient:
    """A journalist who will get the pitch, with what personalises it."""

    journalist_id: int
    name: str
    email: str
    outlet: str
    latest_story: str


@dataclass(frozen=True)
class SkippedRecipient:
    """A journalist left out of the pitch, and why (do not contact, no e-mail, duplicate)."""

    journalist_id: int
    name: str
    email: str
    reason: str


@dataclass(frozen=True)
class PitchPlan:
    """Who a release would be pitched to, before anything is written or sent."""

    release_id: int
    release_title: str
    note: str
    embargo: str
    subject: str
    recipients: tuple[PitchRecipient, ...]
    skipped: tuple[SkippedRecipient, ...]
    again: bool = False
    already_pitched: int = 0
    """How many of the chosen journalists were sent this release before: skipped, or
    recipients again when `again`."""


@dataclass(frozen=True)
class BatchResult:
    """What one run of send_batch did, and where the whole batch stands afterwards."""

    batch_id: int
    sent: int
    failed: int
    interrupted: int
    totals: dict[str, int]

    def describe(self) -> str:
        """'Batch 7: 5 sent, 1 failed, 2 skipped.' over the whole batch."""
        return describe_batch(self.batch_id, self.totals)


def describe_batch(batch_id: int, totals: dict[str, int]) -> str:
    """"Batch 7: 3 sent, 1 failed.": a batch's totals in a line."""
    counts = ", ".join(f"{n} {status}" for status, n in totals.items() if n)
    return f"Batch {batch_id}: {counts or 'nobody in it'}."


@dataclass(frozen=True)
class _Release:
    """What every e-mail of a pitch shares: the release, its embargo, the sender."""

    id: int
    campaign_id: int
    timezone: str
    title: str
    text: str
    embargo: str
    org: OrgSettings
    template: templates.Template
    from_domain: str


def first_name(name: str) -> str:
    """The first word of a name, for 'Hi Ana,'."""
    words = name.split()
    return words[0] if words else name


def _load_release(db: Engine, release_id: int) -> _Release:
    with db.connect() as conn:
        row = conn.execute(
            sa.select(releases, campaigns.c.timezone)
            .join(campaigns, campaigns.c.id == releases.c.campaign_id)
            .where(releases.c.id == release_id)
        ).first()
    if row is None:
        raise NotFound(f"No release with id {release_id}.")
    if row.status not in APPROVED_STATES:
        raise InvalidInput(f"Release {release_id} is not approved yet; nothing is sent before "
                           "the committee approves it.")
    org = get_org(db)
    sender = parseaddr(org.smtp_from)[1]
    if "@" not in sender:
        raise ConfigError("Set the From address of pitch e-mails (Settings, Pitch e-mail) "
                          "before pitching.")
    embargo = format_embargo(row.embargo_at, row.timezone) if row.embargo_at else ""
    if row.template:
        text = templates.render(templates.get_template(db, row.template), row.fields or {},
                                org=org, fmt="txt", embargo=embargo or None)
    else:
        text = row.body
    return _Release(id=row.id, campaign_id=row.campaign_id, timezone=row.timezone,
                    title=row.title, text=text, embargo=embargo, org=org,
                    template=templates.get_template(db, PITCH_TEMPLATE),
                    from_domain=sender.rpartition("@")[2])


def _compose(release: _Release, recipient: PitchRecipient, note: str) -> tuple[str, str]:
    """Subject and plain-text body for one journalist.

    Whatever the e-mail template says, an embargoed pitch states its embargo, with
    the time, in the subject and in the body.
    """
    offered = {
        "first_name": first_name(recipient.name), "outlet": recipient.outlet, "note": note,
        "latest_story": recipient.latest_story, "release_title": release.title,
        "release_text": release.text, "embargo": release.embargo,
    }
    # The template declares which of these it uses, and refuses any other.
    declared = {f.name for f in release.template.fields}
    values = {k: v for k, v in offered.items() if k in declared}
    embargo = release.embargo or None
    subject = templates.render_subject(release.template, values, org=release.org,
                                       embargo=embargo)
    body = templates.render(release.template, values, org=release.org, fmt="txt",
                            embargo=embargo)
    if embargo and embargo not in subject:
        subject = f"EMBARGOED until {embargo}: {_BARE_EMBARGO.sub('', subject)}"
    if embargo and embargo not in body:
        body = f"EMBARGOED until {embargo}\n\n{body}"
    return " ".join(subject.split()), body


def _require_clean(db: Engine, names: list[str], composed: list[tuple[str, str]]) -> None:
    """The protected-names gate over each e-mail (subject and body), with `names` the
    recipients; raises NamesProtected saying whose e-mails name a member, and which words."""
    check = protected_names.checker(db)
    texts = [f"{subject}\n\n{body}" for subject, body in composed]
    if not check("\n\n".join(texts)):  # one scan in the usual case, nobody named
        return
    named = {name: check(f"{subject}\n\n{body}")
             for name, (subject, body) in zip(names, composed, strict=True)}
    named = {name: found for name, found in named.items() if found}
    if not named:
        return
    who = sorted(named)
    whom = ", ".join(who[:3]) + (f" and {len(who) - 3} more" if len(who) > 3 else "")
    words = ", ".join(sorted({repr(m.text) for found in named.values() for m in found}))
    raise protected_names.NamesProtected(
        f"This pitch e-mail names a protected member ({words}) in the e-mail to {whom}. It "
        "comes from the release, the note, or what the e-mail quotes about the journalist "
        "(outlet, latest story): change that, or leave them out of this pitch.")


def _address(name: str, email: str) -> Address | None:
    """The To address, or None when the e-mail cannot be addressed (a typo on file)."""
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, MessageError):  # IndexError: the stdlib on "x@"
        return None


def _message(release: _Release, recipient: PitchRecipient, note: str, *,
             message_id: str = "") -> EmailMessage:
    subject, body = _compose(release, recipient, note)
    message = EmailMessage()
    message["From"] = release.org.smtp_from
    message["To"] = _address(recipient.name, recipient.email)
    if release.org.smtp_reply_to:
        message["Reply-To"] = release.org.smtp_reply_to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message


def _parts(message: EmailMessage) -> tuple[str, str]:
    """A composed message's subject and body as they will be read."""
    return str(message["Subject"]), message.get_content()


def _details(conn: sa.Connection, campaign_id: int, ids: list[int]) -> dict[int, tuple[str, str]]:
    """journalist id -> (outlet name, title of their newest story on the campaign)."""
    outlet_of = dict(conn.execute(
        sa.select(journalists.c.id, outlets.c.name)
        .join(outlets, outlets.c.id == journalists.c.outlet_id)
        .where(journalists.c.id.in_(ids))
    ).all())
    latest: dict[int, tuple[datetime, str]] = {}
    for jid, title, published, found in conn.execute(
        sa.select(press_hits.c.journalist_id, press_hits.c.title, press_hits.c.published_at,
                  press_hits.c.found_at)
        .where(press_hits.c.campaign_id == campaign_id, press_hits.c.journalist_id.in_(ids),
               press_hits.c.journalist_match != "suggested", press_hits.c.hidden.is_(False))
    ):
        when = published or found
        if jid not in latest or when > latest[jid][0]:
            latest[jid] = (when, title)
    return {i: (outlet_of.get(i) or "", latest[i][1] if i in latest else "") for i in ids}


def _target_ids(conn: sa.Connection, list_name: str | None,
                journalist_ids: list[int] | None) -> list[int]:
    ids = list(dict.fromkeys(journalist_ids or []))
    if list_name:
        list_id = conn.execute(
            sa.select(press_lists.c.id).where(press_lists.c.name == list_name)).scalar()
        if list_id is None:
            raise NotFound(f"No press list named {list_name!r}.")
        ids += [i for i in conn.execute(
            sa.select(press_list_members.c.journalist_id)
            .where(press_list_members.c.list_id == list_id)).scalars() if i not in ids]
    elif not ids:
        raise InvalidInput("Choose a press list or journalists to pitch.")
    return ids


@dataclass(frozen=True)
class _Earlier:
    """A journalist's earlier e-mail for the same release: sent (when) or still pending."""

    status: str
    when: datetime
    batch_id: int


def _earlier_pitches(conn: sa.Connection, release_id: int,
                     ids: list[int]) -> dict[int, _Earlier]:
    """journalist id -> their e-mail for this release that blocks another: a pending one
    (it is still to go out) before the latest sent one."""
    found: dict[int, _Earlier] = {}
    for jid, status, sent_at, created_at, batch_id in conn.execute(
        sa.select(pitch_messages.c.journalist_id, pitch_messages.c.status,
                  pitch_messages.c.sent_at, pitch_batches.c.created_at, pitch_batches.c.id)
        .join(pitch_batches, pitch_batches.c.id == pitch_messages.c.batch_id)
        .where(pitch_batches.c.release_id == release_id,
               pitch_messages.c.journalist_id.in_(ids),
               pitch_messages.c.status.in_(("sent", "pending")))
    ):
        earlier = _Earlier(status, sent_at or created_at, batch_id)
        known = found.get(jid)
        if known is None or _weight(known) < _weight(earlier):
            found[jid] = earlier
    return found


def _weight(earlier: _Earlier) -> tuple[bool, datetime]:
    return earlier.status == "pending", earlier.when


_REPEATS = ("already pitched", "already queued")


def _repeat_reason(earlier: _Earlier | None, again: bool, tz: str) -> str:
    """Why a journalist is not pitched this release once more, or "" when they may be."""
    if earlier is None:
        return ""
    if earlier.status == "pending":
        return f"already queued for this release in batch {earlier.batch_id}"
    if again:
        return ""
    local = earlier.when.astimezone(ZoneInfo(tz))
    return f"already pitched this release on {local:%Y-%m-%d %H:%M} ({tz})"


def plan_pitch(db: Engine, release_id: int, *, list_name: str | None = None,
               journalist_ids: list[int] | None = None, note: str = "",
               again: bool = False) -> PitchPlan:
    """Who would get the pitch of an approved release, and who is skipped and why.

    Recipients are the press list's members and/or the given journalists, by name.
    Do-not-contact journalists, those without an e-mail, second journalists sharing an
    e-mail, and those already sent this release (unless `again`) or still queued for it
    are skipped with the reason, so the committee sees them.
    """
    release = _load_release(db, release_id)
    with db.connect() as conn:
        ids = _target_ids(conn, list_name, journalist_ids)
        rows = conn.execute(
            sa.select(journalists.c.id, journalists.c.name, journalists.c.email,
                      journalists.c.do_not_contact, journalists.c.do_not_contact_reason)
            .where(journalists.c.id.in_(ids))
            .order_by(sa.func.lower(journalists.c.name), journalists.c.id)
        ).all()
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise NotFound(f"No journalist with id {', '.join(map(str, missing))}.")
        details = _details(conn, release.campaign_id, ids)
        earlier = _earlier_pitches(conn, release.id, ids)
    recipients, skipped, seen = [], [], {}
    already = 0
    for row in rows:
        email = row.email.strip()
        reason = ""
        if row.do_not_contact:
            reason = f"do not contact: {row.do_not_contact_reason or 'no reason given'}"
        elif not email:
            reason = "no e-mail address on file"
        elif _address(row.name, email) is None:
            reason = f"the e-mail address {email!r} is not valid"
        elif email.lower() in seen:
            reason = f"same e-mail as {seen[email.lower()]}, who gets it"
        else:
            before = earlier.get(row.id)
            already += before is not None and before.status == "sent"
            reason = _repeat_reason(before, again, release.timezone)
        if reason:
            skipped.append(SkippedRecipient(row.id, row.name, email, reason))
            continue
        seen[email.lower()] = row.name
        recipients.append(PitchRecipient(row.id, row.name, email, *details[row.id]))
    note = note.strip()
    if note:
        protected_names.require_clean(db, note, "pitch note")
    composed = [_compose(release, recipients[0], note)] if recipients else []
    # A journalist's latest story or outlet can name a member too. Each e-mail is the first
    # with another journalist's details: the first is checked whole and the others' details
    # alone, so a plan stays quick (send_batch and eml_files check every e-mail whole).
    composed += [("", f"{first_name(r.name)}\n{r.outlet}\n{r.latest_story}")
                 for r in recipients[1:]]
    _require_clean(db, [r.name for r in recipients], composed)
    subject = composed[0][0] if composed else ""
    return PitchPlan(release_id=release.id, release_title=release.title, note=note,
                     embargo=release.embargo, subject=subject, recipients=tuple(recipients),
                     skipped=tuple(skipped), again=again, already_pitched=already)


def _recipient(plan: PitchPlan, journalist_id: int) -> PitchRecipient:
    for recipient in plan.recipients:
        if recipient.journalist_id == journalist_id:
            return recipient
    raise NotFound(f"Journalist {journalist_id} is not among this pitch's recipients.")


def preview(db: Engine, plan: PitchPlan, journalist_id: int) -> EmailMessage:
    """The e-mail one recipient of the plan would get (without Date and Message-ID,
    which are set when it is sent)."""
    return _message(_load_release(db, plan.release_id), _recipient(plan, journalist_id),
                    plan.note)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "journalist"


def eml_files(db: Engine, plan: PitchPlan) -> dict[str, bytes]:
    """Every recipient's e-mail as an .eml file (file name -> bytes), to send from one's
    own mail client instead of over SMTP.

    Each is marked unsent (X-Unsent: 1) so Outlook opens it as a draft ready to send.
    Nothing is logged in the journalists' history: only the sender knows what went out.
    """
    release = _load_release(db, plan.release_id)
    messages = [_message(release, recipient, plan.note) for recipient in plan.recipients]
    _require_clean(db, [r.name for r in plan.recipients], [_parts(m) for m in messages])
    files = {}
    for number, (recipient, message) in enumerate(zip(plan.recipients, messages, strict=True),
                                                  start=1):
        message["X-Unsent"] = "1"
        files[f"{number:03d}-{_slug(recipient.name)}.eml"] = eml_bytes(message)
    return files


def eml_zip(db: Engine, plan: PitchPlan) -> bytes:
    """eml_files packed in one zip, for a single download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in eml_files(db, plan).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def message_id(batch_id: int, journalist_id: int, domain: str) -> str:
    """The Message-ID of one pitch: fixed when the batch is written, so a reply, a bounce
    or the sent folder can be matched to its row."""
    return f"<pitch-{batch_id}-{journalist_id}@{domain}>"


def _lock_release(conn: sa.Connection, release_id: int) -> None:
    """Hold the release's row until the transaction ends, so that batches for one release
    are written one at a time. A write, not SELECT ... FOR UPDATE: SQLite ignores that,
    but a first statement that writes makes it take its write lock (waiting its busy
    timeout), as PostgreSQL takes the row's lock."""
    conn.execute(releases.update().where(releases.c.id == release_id)
                 .values(updated_at=releases.c.updated_at))


def _nobody_new(skipped: list[SkippedRecipient]) -> InvalidInput:
    message = ("Nobody new to pitch: every journalist chosen has already been pitched this "
               "release or is queued for it, and nothing was queued.")
    if any(s.reason.startswith("already pitched") for s in skipped):
        message += (" To e-mail those already pitched once more, choose to send again to "
                    "them (command line: pitch send --again).")
    return InvalidInput(message)


def create_batch(db: Engine, actor: Actor, plan: PitchPlan, *, now: datetime,
                 queue: bool = False) -> int:
    """Write the plan down as a batch (editors and above): one pending row per recipient
    and one skipped row, with the reason, per skipped journalist. Returns the batch id.

    Who was pitched meanwhile (another click, tab or process) is checked again under a
    lock on the release and skipped likewise; a plan left with nobody new is refused.
    With `queue`, the worker sends it (see send_queued); otherwise the caller does."""
    require(actor, "editor", "pitching journalists")
    if not plan.recipients:
        if any(s.reason.startswith(_REPEATS) for s in plan.skipped):
            raise _nobody_new(list(plan.skipped))
        raise InvalidInput("Nobody to pitch: every journalist chosen was skipped.")
    release = _load_release(db, plan.release_id)
    with db.begin() as conn:
        _lock_release(conn, release.id)
        earlier = _earlier_pitches(conn, release.id,
                                   [r.journalist_id for r in plan.recipients])
        recipients, skipped = [], list(plan.skipped)
        for r in plan.recipients:
            reason = _repeat_reason(earlier.get(r.journalist_id), plan.again, release.timezone)
            if reason:
                skipped.append(SkippedRecipient(r.journalist_id, r.name, r.email, reason))
            else:
                recipients.append(r)
        if not recipients:
            raise _nobody_new(skipped)
        batch_id = conn.execute(pitch_batches.insert().values(
            release_id=plan.release_id, subject=plan.subject, note=plan.note,
            created_by=actor.name, created_at=now, queued=queue,
        )).inserted_primary_key[0]
        conn.execute(pitch_messages.insert(), [
            {"batch_id": batch_id, "journalist_id": r.journalist_id, "name": r.name,
             "email": r.email, "status": "pending", "detail": "",
             "message_id": message_id(batch_id, r.journalist_id, release.from_domain)}
            for r in recipients
        ] + [
            {"batch_id": batch_id, "journalist_id": s.journalist_id, "name": s.name,
             "email": s.email, "status": "skipped", "detail": s.reason, "message_id": ""}
            for s in skipped
        ])
        again = sum(1 for r in recipients if r.journalist_id in earlier)
        audit.record(conn, actor, entity="pitch_batch", entity_id=batch_id, action="create",
                     summary=f"release {plan.release_id}: {len(recipients)} to send"
                     + (f" ({again} again)" if again else "") + f", {len(skipped)} skipped",
                     now=now)
    return batch_id


def _batch(conn: sa.Connection, batch_id: int):
    row = conn.execute(sa.select(pitch_batches).where(pitch_batches.c.id == batch_id)).first()
    if row is None:
        raise NotFound(f"No pitch batch with id {batch_id}.")
    return row


def _totals(conn: sa.Connection, batch_id: int) -> dict[str, int]:
    counts = dict(conn.execute(
        sa.select(pitch_messages.c.status, sa.func.count())
        .where(pitch_messages.c.batch_id == batch_id).group_by(pitch_messages.c.status)
    ).all())
    return {status: counts.get(status, 0)
            for status in ("sent", "failed", "held", "pending", "skipped")}


def _mark(conn: sa.Connection, row_id: int, **values) -> None:
    conn.execute(pitch_messages.update().where(
        pitch_messages.c.id == row_id, pitch_messages.c.status == "pending").values(**values))


def _record_sent(conn: sa.Connection, batch, release_id: int, row, sent_at: datetime) -> None:
    """Mark one row sent, with the journalist's history entry and the release's state,
    in the caller's transaction so none of them can exist without the others."""
    # Unconditional: it did go out, even if a concurrent resume took it for interrupted.
    conn.execute(pitch_messages.update().where(pitch_messages.c.id == row.id)
                 .values(status="sent", sent_at=sent_at, detail=""))
    if row.journalist_id is not None:
        log_interaction(conn, row.journalist_id, "pitched", happened_at=sent_at,
                        by_user=batch.created_by, now=sent_at, release_id=release_id,
                        notes=f"Pitch e-mail (batch {batch.id}): {batch.subject}")
    conn.execute(releases.update().where(releases.c.id == release_id,
                                         releases.c.status == "approved")
                 .values(status="sent", updated_at=sent_at))


def send_batch(db: Engine, batch_id: int, sender_factory: Callable[[], SmtpSender], *,
               clock: Callable[[], datetime], sleep: Callable[[float], None],
               rate_per_minute: int) -> BatchResult:
    """Send a batch's pending e-mails, at most `rate_per_minute` a minute; run it again to
    resume an interrupted batch.

    A refused message is marked failed with the server's reply and the next one is
    tried; a journalist marked do-not-contact since the batch was written is skipped.
    A message interrupted mid-send (now, or in an earlier run that crashed) is marked
    failed and never sent again. When no connection can be had, what was not attempted
    stays pending and ConnectionFailed is raised, for a later resume. The release
    becomes "sent" with the first message that goes out.
    `sender_factory()` gives a fresh SmtpSender; tests aim it at a local server.
    """
    if rate_per_minute < 1:
        raise InvalidInput("The sending rate must be at least 1 e-mail a minute.")
    with db.connect() as conn:
        batch = _batch(conn, batch_id)
    release = _load_release(db, batch.release_id)
    with db.begin() as conn:
        interrupted = conn.execute(pitch_messages.update().where(
            pitch_messages.c.batch_id == batch_id, pitch_messages.c.status == "pending",
            pitch_messages.c.attempted_at.is_not(None),
        ).values(status="failed", detail=INTERRUPTED)).rowcount
        pending = conn.execute(
            sa.select(pitch_messages).where(pitch_messages.c.batch_id == batch_id,
                                            pitch_messages.c.status == "pending")
            .order_by(pitch_messages.c.id)
        ).all()
        # Marked do-not-contact since the batch was written (a resume may come days later).
        barred = dict(conn.execute(
            sa.select(journalists.c.id, journalists.c.do_not_contact_reason).where(
                journalists.c.id.in_([r.journalist_id for r in pending]),
                journalists.c.do_not_contact.is_(True))
        ).all())
        for row in pending:
            if row.journalist_id in barred:
                _mark(conn, row.id, status="skipped",
                      detail=f"do not contact: {barred[row.journalist_id] or 'no reason given'}")
        pending = [r for r in pending if r.journalist_id not in barred]
        details = _details(conn, release.campaign_id,
                           [r.journalist_id for r in pending if r.journalist_id is not None])
    # Every message is composed before the first is sent: a template error stops the
    # batch before anyone gets anything.
    outgoing = [(row, _message(release, PitchRecipient(
        row.journalist_id, row.name, row.email, *details.get(row.journalist_id, ("", ""))),
        batch.note, message_id=row.message_id)) for row in pending]
    try:
        _require_clean(db, [row.name for row, _ in outgoing], [_parts(m) for _, m in outgoing])
    except protected_names.NamesProtected:
        return _hold(db, batch, [row.id for row, _ in outgoing], interrupted, clock())
    counts = {"sent": 0, "failed": 0}
    try:
        if outgoing:
            _deliver(db, batch, release.id, outgoing, sender_factory, clock=clock, sleep=sleep,
                     interval=60.0 / rate_per_minute, counts=counts)
    except ConnectionFailed as exc:
        with db.begin() as conn:
            _audit_run(conn, batch, f"stopped, {exc}", counts, interrupted, clock())
        raise
    with db.begin() as conn:
        if batch.finished_at is None or outgoing or interrupted:
            finished = clock()
            conn.execute(pitch_batches.update().where(pitch_batches.c.id == batch_id)
                         .values(finished_at=finished))
            _audit_run(conn, batch, "finished", counts, interrupted, finished)
        totals = _totals(conn, batch_id)
    return BatchResult(batch_id, counts["sent"], counts["failed"], interrupted, totals)


def _hold(db: Engine, batch, row_ids: list[int], interrupted: int,
          now: datetime) -> BatchResult:
    """Hold a batch whose e-mails now name a protected member: nothing of it is sent, and
    its waiting rows say why (the words are not repeated: any member may read the rows)."""
    log.warning("pitch batch %s held: it names a protected member", batch.id)
    with db.begin() as conn:
        conn.execute(pitch_messages.update().where(
            pitch_messages.c.id.in_(row_ids), pitch_messages.c.status == "pending",
        ).values(status="held", detail=protected_names.HELD))
        conn.execute(pitch_batches.update().where(pitch_batches.c.id == batch.id)
                     .values(finished_at=now, last_error=protected_names.HELD))
        _audit_run(conn, batch, "held, it names a protected member", {"sent": 0, "failed": 0},
                   interrupted, now)
        totals = _totals(conn, batch.id)
    return BatchResult(batch.id, 0, 0, interrupted, totals)


def _deliver(db: Engine, batch, release_id: int, outgoing: list,
             sender_factory: Callable[[], SmtpSender], *, clock: Callable[[], datetime],
             sleep: Callable[[float], None], interval: float, counts: dict[str, int]) -> None:
    """Send each (row, message) over one connection, `interval` seconds apart at least."""
    last_start: datetime | None = None
    with sender_factory() as sender:
        for row, message in outgoing:
            if last_start is not None:
                wait = interval - (clock() - last_start).total_seconds()
                if wait > 0:
                    sleep(min(wait, interval))
            last_start = now = clock()
            with db.begin() as conn:
                claimed = conn.execute(pitch_messages.update().where(
                    pitch_messages.c.id == row.id, pitch_messages.c.status == "pending",
                    pitch_messages.c.attempted_at.is_(None),
                ).values(attempted_at=now)).rowcount
            if not claimed:  # another run of this batch took it meanwhile
                continue
            message["Date"] = format_datetime(now)
            try:
                sender.send(message)
            except (SendFailed, DeliveryUnknown) as exc:
                detail = str(exc) if isinstance(exc, SendFailed) else f"{exc} {MAYBE_DELIVERED}"
                with db.begin() as conn:
                    _mark(conn, row.id, status="failed", detail=detail)
                counts["failed"] += 1
                log.warning("pitch batch %s: message %s failed: %s", batch.id, row.id, detail)
            except ConnectionFailed:
                with db.begin() as conn:  # nothing went out: leave it for a resume
                    _mark(conn, row.id, attempted_at=None)
                raise
            else:
                with db.begin() as conn:
                    _record_sent(conn, batch, release_id, row, clock())
                counts["sent"] += 1
                log.info("pitch batch %s: message %s sent", batch.id, row.id)


def _audit_run(conn: sa.Connection, batch, how: str, counts: dict[str, int],
               interrupted: int, now: datetime) -> None:
    # A batch is sent on behalf of the editor who created it.
    audit.record(conn, Actor(batch.created_by, "editor"), entity="pitch_batch",
                 entity_id=batch.id, action="send", now=now,
                 summary=f"{how}: {counts['sent']} sent, {counts['failed']} failed, "
                 f"{interrupted} found interrupted")


def make_sender_factory(db: Engine, settings: Settings) -> Callable[[], SmtpSender]:
    """The real sender, from the committee's SMTP settings and the vault's password."""
    org = get_org(db)
    if not org.smtp_host:
        raise ConfigError("Set the SMTP server of pitch e-mails (Settings, Pitch e-mail) "
                          "before sending.")
    password = ""
    if org.smtp_user:
        password = vault.reveal(db, vault.Vault.open(settings, db), vault.SMTP_CREDENTIAL)
        if password is None:
            raise ConfigError(f"The SMTP user is {org.smtp_user} but no SMTP password is "
                              "stored: set it under Settings, Credentials.")
    return partial(SmtpSender, org.smtp_host, org.smtp_port, org.smtp_security,
                   org.smtp_user, password)


def _resume_hint(batch_id: int, exc: ConnectionFailed) -> ConnectionFailed:
    return ConnectionFailed(f"{str(exc).rstrip('.')}. What was not sent is kept in batch "
                            f"{batch_id}: send it later with `python -m outreach pitch resume "
                            f"--batch {batch_id}`.")


def send_now(db: Engine, actor: Actor, plan: PitchPlan, settings: Settings, *,
             now: datetime) -> int:
    """Create a batch and send it in this process (the CLI does), at the committee's rate;
    return the batch id (see batch_status)."""
    factory = make_sender_factory(db, settings)
    batch_id = create_batch(db, actor, plan, now=now)
    try:
        send_batch(db, batch_id, factory, clock=utcnow, sleep=time.sleep,
                   rate_per_minute=get_org(db).pitch_rate_per_minute)
    except ConnectionFailed as exc:
        raise _resume_hint(batch_id, exc) from None
    return batch_id


def resume(db: Engine, batch_id: int, settings: Settings) -> BatchResult:
    """Send, in this process, what an interrupted batch has not attempted yet; nobody gets
    it twice."""
    try:
        return send_batch(db, batch_id, make_sender_factory(db, settings), clock=utcnow,
                          sleep=time.sleep, rate_per_minute=get_org(db).pitch_rate_per_minute)
    except ConnectionFailed as exc:
        raise _resume_hint(batch_id, exc) from None


# A claim older than this is taken to be a worker that died mid-batch.
CLAIM_TIMEOUT = timedelta(minutes=15)


def claim_queued_batch(db: Engine, worker_id: str, *, now: datetime) -> int | None:
    """Atomically claim the oldest unfinished queued batch for this worker, or None.

    A claim is one UPDATE guarded by the old claim, so two workers never send the
    same batch; a claim left by a worker that died expires after CLAIM_TIMEOUT.
    """
    with db.connect() as conn:
        candidates = list(conn.execute(
            sa.select(pitch_batches.c.id, pitch_batches.c.claimed_at)
            .where(pitch_batches.c.queued.is_(True), pitch_batches.c.finished_at.is_(None))
            .order_by(pitch_batches.c.created_at, pitch_batches.c.id)
        ))
    for batch_id, claimed_at in candidates:
        if claimed_at is not None and now - claimed_at < CLAIM_TIMEOUT:
            continue
        guard_old = (pitch_batches.c.claimed_at.is_(None) if claimed_at is None
                     else pitch_batches.c.claimed_at == claimed_at)
        with db.begin() as conn:
            won = conn.execute(
                pitch_batches.update()
                .where(pitch_batches.c.id == batch_id, guard_old)
                .values(claimed_by=worker_id, claimed_at=now)
            ).rowcount
        if won:
            return batch_id
    return None


def send_queued(db: Engine, settings: Settings, worker_id: str, *, now: datetime,
                sleep: Callable[[float], None] = time.sleep) -> str:
    """Worker job: send every queued batch this worker can claim; a one-line summary.

    `sleep` paces the sending; it raises InterruptedError when the worker is stopping,
    and the batch is left for the next pass.
    """
    done: list[str] = []
    seen: set[int] = set()
    while (batch_id := claim_queued_batch(db, worker_id, now=now)) not in (None, *seen):
        seen.add(batch_id)
        try:
            result = send_batch(db, batch_id, make_sender_factory(db, settings),
                                clock=utcnow, sleep=sleep,
                                rate_per_minute=get_org(db).pitch_rate_per_minute)
        except (OutreachError, InterruptedError) as exc:
            # Release the claim: the next pass (or another worker) carries on from here.
            stopped = isinstance(exc, InterruptedError)
            with db.begin() as conn:
                conn.execute(pitch_batches.update().where(pitch_batches.c.id == batch_id)
                             .values(last_error="" if stopped else str(exc),
                                     claimed_at=None, claimed_by=""))
            done.append(f"batch {batch_id}: {'paused, the worker is stopping' if stopped else exc}")
            break
        if not result.totals["held"]:
            with db.begin() as conn:
                conn.execute(pitch_batches.update().where(pitch_batches.c.id == batch_id)
                             .values(last_error=""))
        done.append(result.describe())
    return "; ".join(done) or "nothing to send"


def get_batch(db: Engine, batch_id: int) -> dict:
    """A batch with its release's title and how many of its e-mails are in each state."""
    with db.connect() as conn:
        batch = _batch(conn, batch_id)
        title = conn.execute(sa.select(releases.c.title)
                             .where(releases.c.id == batch.release_id)).scalar()
        return {**batch._mapping, "release_title": title, "totals": _totals(conn, batch_id)}


def release_batches(db: Engine, release_id: int) -> list[dict]:
    """A release's pitch batches, newest first, with their counts and any sending error."""
    with db.connect() as conn:
        ids = list(conn.execute(
            sa.select(pitch_batches.c.id).where(pitch_batches.c.release_id == release_id)
            .order_by(pitch_batches.c.created_at.desc(), pitch_batches.c.id.desc())
        ).scalars())
    return [get_batch(db, batch_id) for batch_id in ids]


def unfinished_batch(db: Engine, release_id: int) -> dict | None:
    """The release's newest batch still queued or being sent (see get_batch), or None.

    While there is one, the dashboard offers no new pitch of the release."""
    with db.connect() as conn:
        batch_id = conn.execute(
            sa.select(pitch_batches.c.id)
            .where(pitch_batches.c.release_id == release_id,
                   pitch_batches.c.finished_at.is_(None))
            .order_by(pitch_batches.c.created_at.desc(), pitch_batches.c.id.desc())
        ).scalar()
    return None if batch_id is None else get_batch(db, batch_id)


def batch_status(db: Engine, batch_id: int) -> list[dict]:
    """Each recipient of a batch: name, email, status, detail and when it was sent."""
    with db.connect() as conn:
        _batch(conn, batch_id)
        return [dict(r._mapping) for r in conn.execute(
            sa.select(pitch_messages.c.journalist_id, pitch_messages.c.name,
                      pitch_messages.c.email, pitch_messages.c.status,
                      pitch_messages.c.detail, pitch_messages.c.sent_at)
            .where(pitch_messages.c.batch_id == batch_id).order_by(pitch_messages.c.id)
        )]
