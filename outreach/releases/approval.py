"""Committee approval: votes on a version of a release or post, and the rule that counts them.

Votes belong to one version; an edit voids them (they stay in the record, marked
void), so the committee always approves exactly the words that go out.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    """Where a vote stands: approvals from those who may vote, rejections, how many the
    rule needs, who has still to vote, and the outcome."""

    approvals: int
    rejections: int
    needed: int
    state: str  # "approved", "changes_requested" or "pending"
    waiting_for: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # the approvers who wrote it, and so do not vote
    eligible: int = 0  # approvers who may vote: every approver but the authors

    def describe(self) -> str:
        """'1 of 2 approvals; waiting for: Ana, Luis' and the like."""
        text = f"{self.approvals} of {self.needed} approval{'s' if self.needed != 1 else ''}"
        if self.rejections:
            text += f"; {self.rejections} rejection{'s' if self.rejections != 1 else ''}"
        if self.state == "pending" and self.waiting_for:
            text += f"; waiting for: {', '.join(self.waiting_for)}"
        return text

    def problem(self) -> str:
        """Why the rule cannot be met by this committee, in words; empty when it can."""
        if self.state != "pending" or self.eligible >= self.needed:
            return ""
        besides = f" besides the author ({', '.join(self.authors)})" if self.authors else ""
        who = f"{self.eligible} approver{'s' if self.eligible != 1 else ''}"
        return (f"This needs {self.needed} approval{'s' if self.needed != 1 else ''}, but "
                f"only {who}{besides} can vote: add an approver under Settings > Users, "
                "or change the rule under Settings > Committee.")


def approver_names(db: Engine) -> list[str]:
    """Enabled accounts that may vote (approvers and admins)."""
    with db.connect() as conn:
        return list(conn.execute(
            sa.select(users.c.name)
            .where(users.c.role.in_(("approver", "admin")), users.c.disabled.is_(False))
            .order_by(users.c.name)
        ).scalars())


def needed(rule: ApprovalRule, eligible: int) -> int:
    """How many approvals the rule asks for, given how many approvers may vote."""
    if rule.kind == "majority":
        return eligible // 2 + 1
    return rule.n


def rule_problem(rule: ApprovalRule, approvers: int) -> str:
    """Why a rule cannot be met by a committee of `approvers`, whoever writes (an author
    who is an approver does not vote on their own words); empty when it can."""
    if rule.kind == "majority":
        if approvers >= 2:
            return ""
        return ("There is no approver yet: add one under Settings > Users." if not approvers
                else "There is one approver, who cannot approve what they wrote themselves: "
                "add a second approver under Settings > Users.")
    if approvers - 1 >= rule.n:
        return ""
    return (f"At least {rule.n} approval{'s' if rule.n != 1 else ''} from someone other than "
            f"the author needs {rule.n + 1} approvers when an approver writes it; the committee "
            f"has {approvers}. Add approvers under Settings > Users, or lower N.")


def tally(current: list[Vote], rule: ApprovalRule, approvers: list[str],
          authors: Iterable[str] = ()) -> Tally:
    """Count the active votes of those who may vote (never an author's): any rejection
    asks for changes, enough approvals approve."""
    authors = tuple(sorted(set(authors)))
    eligible = [name for name in approvers if name not in authors]
    counted = [v for v in current if v.voter not in authors]
    approvals = sum(v.decision == "approve" for v in counted)
    rejections = sum(v.decision == "reject" for v in counted)
    need = needed(rule, len(eligible))
    if rejections:
        state = "changes_requested"
    elif approvals >= need:
        state = "approved"
    else:
        state = "pending"
    voted = {v.voter for v in counted}
    return Tally(approvals, rejections, need, state,
                 waiting_for=tuple(n for n in eligible if n not in voted),
                 authors=tuple(a for a in authors if a in approvers), eligible=len(eligible))


def _vote(row) -> Vote:
    return Vote(row.voter, row.decision, row.comment, row.version, row.cast_at, row.voided_at)


def cast_vote(
    conn: sa.Connection, actor: Actor, subject: str, subject_id: int, version: int,
    decision: str, comment: str, *, now: datetime, authors: Iterable[str] = (),
) -> None:
    """Record `actor`'s vote on this version, replacing their earlier vote on it; an
    author of the words may not vote on them."""
    require(actor, "approver", "voting")
    if actor.name in set(authors):
        raise InvalidInput("You wrote this version, so your vote cannot count toward its "
                           "approval; ask another approver.")
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
