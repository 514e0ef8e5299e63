"""The committee's own settings, kept in the store and edited by admins on the Settings page.

Things that belong to the organisation rather than to one machine: the union's
boilerplate and media contact for releases, the SMTP server for pitches, and the
approval rules. (Machine settings, like the database URL, live in config.py.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.errors import InvalidInput
from outreach.presslist.fields import parse_bool
from outreach.roles import Actor, require
from outreach.store.tables import org_settings

SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class ApprovalRule:
    """How many approvers must say yes: `at_least` N of them, or a `majority` of all."""

    kind: str = "majority"
    n: int = 2

    def describe(self) -> str:
        """'a majority of approvers' or 'at least 2 approvers'."""
        if self.kind == "majority":
            return "a majority of approvers"
        return f"at least {self.n} approver{'s' if self.n != 1 else ''}"

    @classmethod
    def parse(cls, value: dict | ApprovalRule) -> ApprovalRule:
        """A rule from stored JSON, checked."""
        rule = value if isinstance(value, ApprovalRule) else cls(**value)
        if rule.kind not in ("majority", "at_least"):
            raise InvalidInput(f"Unknown approval rule {rule.kind!r}: use majority or at_least.")
        if rule.kind == "at_least" and not (isinstance(rule.n, int) and rule.n >= 1):
            raise InvalidInput("An 'at least N approvers' rule needs N of 1 or more.")
        return rule


@dataclass(frozen=True)
class OrgSettings:
    """Everything the committee sets once and every release, pitch and vote uses."""

    union_name: str = ""
    boilerplate: str = ""
    media_contact_name: str = ""
    media_contact_phone: str = ""
    media_contact_email: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_reply_to: str = ""
    pitch_rate_per_minute: int = 20
    release_rule: ApprovalRule = ApprovalRule()
    rapid_response_rule: ApprovalRule = ApprovalRule("at_least", 2)
    post_rule: ApprovalRule = ApprovalRule("at_least", 1)
    posts_need_approval: bool = True
    late_after_minutes: int = 30
    hold_late_posts: bool = False
    # A story published this many days after a pitch counts as that release's coverage.
    coverage_window_days: int = 7
    # What X bills per request, in dollars (PLATFORMS.md); shown before posts are scheduled.
    x_price_post: float = 0.015
    x_price_post_with_url: float = 0.20

    @property
    def x_prices(self) -> dict[str, float]:
        """The X price table in the shape social.x.estimate_cost takes."""
        return {"post": self.x_price_post, "post_with_url": self.x_price_post_with_url}


_RULES = ("release_rule", "rapid_response_rule", "post_rule")


def get_org(db: Engine) -> OrgSettings:
    """The stored settings, with defaults for anything never set."""
    with db.connect() as conn:
        stored = dict(conn.execute(sa.select(org_settings.c.key, org_settings.c.value)).all())
    known = {f.name for f in fields(OrgSettings)}
    values = {k: v for k, v in stored.items() if k in known}
    for name in _RULES:
        if name in values:
            values[name] = ApprovalRule.parse(values[name])
    return OrgSettings(**values)


def _check(org: OrgSettings) -> None:
    if org.smtp_security not in SMTP_SECURITY:
        raise InvalidInput(f"smtp_security: use one of {', '.join(SMTP_SECURITY)}.")
    if not (isinstance(org.smtp_port, int) and 0 < org.smtp_port < 65536):
        raise InvalidInput("smtp_port: a port number from 1 to 65535 (587 for STARTTLS, "
                           "465 for TLS).")
    if not (isinstance(org.pitch_rate_per_minute, int) and org.pitch_rate_per_minute >= 1):
        raise InvalidInput("pitch_rate_per_minute: at least 1.")
    if not (isinstance(org.late_after_minutes, int) and org.late_after_minutes >= 1):
        raise InvalidInput("late_after_minutes: at least 1.")
    if not (isinstance(org.coverage_window_days, int) and org.coverage_window_days >= 1):
        raise InvalidInput("coverage_window_days: a whole number of days, at least 1.")
    for name in ("x_price_post", "x_price_post_with_url"):
        value = getattr(org, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidInput(f"{name}: a price in dollars, 0 or more (e.g. 0.015).")
    for name in _RULES:
        ApprovalRule.parse(getattr(org, name))


def parse_text(key: str, text: str):
    """A setting's value from the words a person typed (`settings set KEY VALUE`): numbers,
    yes/no, and rules as "majority" or "at_least 2"; refused in words when it cannot be."""
    kinds = {f.name: f.type for f in fields(OrgSettings)}
    if key not in kinds:
        raise InvalidInput(f"Unknown setting {key!r}; known: {', '.join(kinds)}.")
    kind, text = kinds[key], text.strip()
    if key in _RULES:
        words = text.replace(":", " ").replace("_", " ").split()
        if words == ["majority"]:
            return ApprovalRule("majority")
        if len(words) == 3 and words[:2] == ["at", "least"] and words[2].isdigit():
            return ApprovalRule.parse({"kind": "at_least", "n": int(words[2])})
        raise InvalidInput(f"{key}: write majority or 'at_least N', e.g. at_least 2.")
    if kind == "bool":
        try:
            return parse_bool(text)
        except InvalidInput:
            raise InvalidInput(f"{key}: write yes or no.") from None
    if kind in ("int", "float"):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            raise InvalidInput(f"{key}: {text!r} is not a {'whole ' if kind == 'int' else ''}"
                               "number.") from None
    return text


def describe_value(value) -> str:
    """A setting's value as `settings get` prints it, and `parse_text` reads it back."""
    if isinstance(value, ApprovalRule):
        return "majority" if value.kind == "majority" else f"at_least {value.n}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def set_org(db: Engine, actor: Actor, changes: dict, *, now: datetime) -> OrgSettings:
    """Change some settings (admins only); all are checked before any is written."""
    require(actor, "admin", "changing the committee's settings")
    known = {f.name for f in fields(OrgSettings)}
    unknown = set(changes) - known
    if unknown:
        raise InvalidInput(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    parsed = {k: ApprovalRule.parse(v) if k in _RULES else v for k, v in changes.items()}
    current = get_org(db)
    updated = replace(current, **parsed)
    _check(updated)
    with db.begin() as conn:
        for key, value in parsed.items():
            stored = asdict(value) if isinstance(value, ApprovalRule) else value
            done = conn.execute(org_settings.update().where(org_settings.c.key == key).values(
                value=stored, updated_at=now, updated_by=actor.name)).rowcount
            if not done:
                conn.execute(org_settings.insert().values(
                    key=key, value=stored, updated_at=now, updated_by=actor.name))
        audit.record(conn, actor, entity="settings", action="edit",
                     summary=", ".join(sorted(parsed)), now=now)
    return updated
