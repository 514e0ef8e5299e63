"""Committee approval: votes on a version of a release or post, and the rule that counts them.

Votes belong to one version; an edit voids them (they stay in the record, marked
void), so the committee always approves exactly the words that go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.errors import InvalidInput
from outreach.org_settings import ApprovalRule
from outreach.roles import Actor, require
from outreach.store.tables import VOTE_DECISIONS, users, votes

SUBJECTS = ("release", "post")


@dataclass(frozen=True)
class Vote:
    """One approver's decision on one version, with their comment."""

    voter: str
    decision: str
    comment: str
    version: int
    cast_at: datetime
    voided_at: datetime | None


@dataclass(frozen=True)
class Tally:
    """Where a vote stands: approvals, rejections, how many are needed, and the outcome."""

    approvals: int
    rejections: int
    needed: int
    state: str  # "approved", "changes_requested" or "pending"

    def describe(self) -> str:
        """'1 of 2 approvals needed; no rejections' and the like."""
        rejected = f"{self.rejections} rejection{'s' if self.rejections != 1 else ''}"
        return f"{self.approvals} of {self.needed} approvals needed; {rejected}"


def approver_names(db: Engine) -> list[str]:
    """Enabled accounts that may vote (approvers and admins)."""
    with db.connect() as conn:
        return list(conn.execute(
            sa.select(users.c.name)
            .where(users.c.role.in_(("approver", "admin")), users.c.disabled.is_(False))
            .order_by(users.c.name)
        ).scalars())


def needed(rule: ApprovalRule, approver_count: int) -> int:
    """How many approvals the rule asks for, given how many approvers there are."""
    if rule.kind == "majority":
        return approver_count // 2 + 1
    return rule.n


def tally(current: list[Vote], rule: ApprovalRule, approver_count: int) -> Tally:
    """Count the active votes: any rejection asks for changes, enough approvals approve."""
    approvals = sum(v.decision == "approve" for v in current)
    rejections = sum(v.decision == "reject" for v in current)
    need = needed(rule, approver_count)
    if rejections:
        state = "changes_requested"
    elif approvals >= need:
        state = "approved"
    else:
        state = "pending"
    return Tally(approvals, rejections, need, state)


def _vote(row) -> Vote:
    return Vote(row.voter, row.decision, row.comment, row.version, row.cast_at, row.voided_at)


def cast_vote(
    conn: sa.Connection, actor: Actor, subject: str, subject_id: int, version: int,
    decision: str, comment: str, *, now: datetime,
) -> None:
    """Record `actor`'s vote on this version, replacing their earlier vote on it."""
    require(actor, "approver", "voting")
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}")
    if decision not in VOTE_DECISIONS:
        raise InvalidInput(f"A vote is {' or '.join(VOTE_DECISIONS)}, not {decision!r}.")
    if decision == "reject" and not comment.strip():
        raise InvalidInput("Say what should change, so the drafters know what to fix.")
    conn.execute(
        votes.update()
        .where(votes.c.subject == subject, votes.c.subject_id == subject_id,
               votes.c.voter == actor.name, votes.c.voided_at.is_(None))
        .values(voided_at=now)
    )
    conn.execute(votes.insert().values(
        subject=subject, subject_id=subject_id, version=version, voter=actor.name,
        decision=decision, comment=comment.strip(), cast_at=now,
    ))


def void_votes(conn: sa.Connection, subject: str, subject_id: int, *, now: datetime) -> int:
    """Void every active vote (an edit changed the words); return how many."""
    return conn.execute(
        votes.update()
        .where(votes.c.subject == subject, votes.c.subject_id == subject_id,
               votes.c.voided_at.is_(None))
        .values(voided_at=now)
    ).rowcount


def active_votes(conn: sa.Connection, subject: str, subject_id: int) -> list[Vote]:
    """The votes that count now, oldest first."""
    rows = conn.execute(
        sa.select(votes)
        .where(votes.c.subject == subject, votes.c.subject_id == subject_id,
               votes.c.voided_at.is_(None))
        .order_by(votes.c.cast_at, votes.c.id)
    ).all()
    return [_vote(r) for r in rows]


def vote_record(db: Engine, subject: str, subject_id: int) -> list[Vote]:
    """Every vote ever cast, void ones included, oldest first."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(votes)
            .where(votes.c.subject == subject, votes.c.subject_id == subject_id)
            .order_by(votes.c.cast_at, votes.c.id)
        ).all()
    return [_vote(r) for r in rows]


def minutes(record: list[Vote], *, title: str, rule: ApprovalRule, timezone) -> str:
    """The vote record as Markdown minutes for the committee's files."""
    lines = [f"# Approval minutes: {title}", "", f"Rule: {rule.describe()}.", ""]
    if not record:
        lines.append("No votes have been cast.")
    for v in record:
        when = v.cast_at.astimezone(timezone).strftime("%Y-%m-%d %H:%M %Z")
        status = " (void: the text changed afterwards)" if v.voided_at else ""
        comment = f": “{v.comment}”" if v.comment else ""
        lines.append(f"- {when}, version {v.version}: **{v.voter}** voted "
                     f"{v.decision}{comment}{status}")
    return "\n".join(lines) + "\n"
