"""Who is acting and what their role lets them do. Domain functions call `require`."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from outreach.errors import PermissionDenied

# Lowest to highest: each role can do what the ones before it can.
ROLES = ("viewer", "editor", "approver", "admin")

ROLE_HELP = {
    "viewer": "reads everything, changes nothing",
    "editor": "edits contacts, drafts, posts and feeds",
    "approver": "an editor who also votes on releases and posts",
    "admin": "an approver who also manages users, settings and credentials",
}


@dataclass(frozen=True)
class Actor:
    """The person (or the command line) doing something, with their role."""

    name: str
    role: str
    user_id: int | None = None


def can(actor: Actor, role: str) -> bool:
    """True when `actor`'s role is `role` or above."""
    return ROLES.index(actor.role) >= ROLES.index(role)


def require(actor: Actor, role: str, action: str) -> None:
    """Raise PermissionDenied unless `actor` is at least `role`."""
    if not can(actor, role):
        raise PermissionDenied(
            f"{actor.name} has the {actor.role} role; {action} needs {role} or above."
        )


def cli_actor() -> Actor:
    """The command line acts as an admin: whoever runs it has the machine already."""
    return Actor(name=f"cli:{getpass.getuser()}", role="admin")
