"""`users ...`, `vault rotate-key` and `audit`: who may sign in, their secrets, and the log."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, time
from zoneinfo import ZoneInfo

from outreach import campaigns, clock
from outreach.auth import audit, sessions, throttle, users, vault
from outreach.cli import actions, command
from outreach.cli.output import add_json, print_json
from outreach.config import Settings
from outreach.errors import InvalidInput
from outreach.roles import ROLE_HELP, ROLES
from outreach.store import open_store


def read_password(args) -> str:
    """A new password from stdin (--password-stdin) or typed twice at a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInput("The two passwords differ; nothing was changed.")
    return first


def cmd_users_add(args, settings: Settings) -> int:
    user = users.add_user(open_store(settings.database_url), args.actor, args.name, args.role,
                          read_password(args), email=args.email, now=clock.utcnow())
    print(f"Added {user.name} ({user.role}).")
    return 0


def cmd_users_list(args, settings: Settings) -> int:
    found = users.list_users(open_store(settings.database_url), args.actor)
    if args.json:
        print_json([{"name": u.name, "role": u.role, "email": u.email, "disabled": u.disabled,
                     "sign_in_wait_until": u.wait_until} for u in found])
        return 0
    for u in found:
        flags = ["disabled"] if u.disabled else []
        if u.wait_until and u.wait_until > clock.utcnow():
            flags.append(f"sign-in waits until {u.wait_until:%Y-%m-%d %H:%M:%S} UTC")
        print(f"{u.name:<20} {u.role:<9} {u.email:<30} {', '.join(flags)}".rstrip())
    return 0


def cmd_users_set_role(args, settings: Settings) -> int:
    users.set_role(open_store(settings.database_url), args.actor, args.name, args.role,
                   now=clock.utcnow())
    print(f"{args.name} is now {args.role}.")
    return 0


def cmd_users_disable(args, settings: Settings) -> int:
    disable = args.action == "disable"
    users.set_disabled(open_store(settings.database_url), args.actor, args.name, disable,
                       now=clock.utcnow())
    print(f"{args.name} is {'disabled' if disable else 'enabled'}.")
    return 0


def cmd_users_set_email(args, settings: Settings) -> int:
    users.set_email(open_store(settings.database_url), args.actor, args.name, args.email,
                    now=clock.utcnow())
    print(f"{args.name} now signs on with {args.email or 'no e-mail'}.")
    return 0


def cmd_users_reset_password(args, settings: Settings) -> int:
    users.reset_password(open_store(settings.database_url), args.actor, args.name,
                         read_password(args), now=clock.utcnow())
    print(f"New password set for {args.name}; any wait to sign in is lifted.")
    return 0


def cmd_users_waiting(args, settings: Settings) -> int:
    found = throttle.waiting(open_store(settings.database_url), args.actor,
                             now=clock.utcnow())
    if args.json:
        print_json([{"kind": w.kind, "subject": w.subject, "failures": w.failures,
                     "wait_until": w.wait_until} for w in found])
        return 0
    if not found:
        print("No name or address is waiting to sign in.")
    for w in found:
        print(f"{w.kind:<7} {w.subject:<40} {w.failures:>4} failures  "
              f"waits until {w.wait_until:%Y-%m-%d %H:%M:%S} UTC")
    return 0


def cmd_users_lift_wait(args, settings: Settings) -> int:
    if not (args.name or args.address):
        raise InvalidInput("Name a user (NAME) or an address (--address ADDRESS) to lift "
                           "the wait of; `users waiting` lists them.")
    throttle.clear(open_store(settings.database_url), args.actor, name=args.name or "",
                   address=args.address, now=clock.utcnow())
    print(f"{' and '.join(filter(None, (args.name, args.address)))} may sign in again "
          "at once; its failed sign-ins are forgotten.")
    return 0


def cmd_users_sign_out(args, settings: Settings) -> int:
    ended = sessions.sign_out_everywhere(open_store(settings.database_url), args.actor,
                                         args.name, now=clock.utcnow())
    print(f"{args.name} is signed out everywhere ({ended} open session(s) ended).")
    return 0


def cmd_users_bootstrap(args, settings: Settings) -> int:
    password = users.bootstrap_admin(open_store(settings.database_url), args.actor,
                                     now=clock.utcnow())
    if password:
        print("Created the first account. Sign in with\n"
              f"  name:     admin\n  password: {password}\n"
              "This is shown once: note it now, then add accounts for the committee under "
              "Settings > Users.")
    return 0


def cmd_vault_rotate_key(args, settings: Settings) -> int:
    print(vault.rotate_key(open_store(settings.database_url), settings, args.actor,
                           now=clock.utcnow()))
    return 0


def cmd_audit(args, settings: Settings) -> int:
    since = None
    if args.since:
        since = datetime.combine(campaigns.parse_date(args.since), time(),
                                 ZoneInfo(settings.timezone))
    entries = audit.list_entries(open_store(settings.database_url), args.actor, since=since,
                                 user=args.user, entity=args.entity, limit=args.limit)
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print("No audit entries match.")
    for e in reversed(entries):
        target = f"{e['entity']} {e['entity_id']}".strip()
        summary = f": {e['summary']}" if e["summary"] else ""
        print(f"{e['at']:%Y-%m-%d %H:%M:%S} UTC  {e['actor']:<16} {e['action']:<14} "
              f"{target}{summary}")
    return 0


def add_parsers(subparsers) -> None:
    """`users ...`, `vault rotate-key` and `audit`."""
    p = command(subparsers, "users")
    usub = actions(p)

    def with_password(parser):
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of stdin "
                            "instead of prompting")
        return parser

    a = with_password(usub.add_parser("add", help="add a user"))
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", required=True, choices=ROLES,
                   help="; ".join(f"{r}: {h}" for r, h in ROLE_HELP.items()))
    a.add_argument("--email", default="", help="e-mail, used to match single sign-on")
    a.set_defaults(func=cmd_users_add)
    a = usub.add_parser("list", help="list users, their roles and sign-in waits")
    add_json(a)
    a.set_defaults(func=cmd_users_list)
    a = usub.add_parser("set-role", help="change a user's role")
    a.add_argument("name", metavar="NAME")
    a.add_argument("role", metavar="ROLE", choices=ROLES, help=", ".join(ROLES))
    a.set_defaults(func=cmd_users_set_role)
    a = usub.add_parser("set-email", help="set the e-mail that single sign-on matches")
    a.add_argument("name", metavar="NAME")
    a.add_argument("email", metavar="EMAIL", help="empty ('') clears it")
    a.set_defaults(func=cmd_users_set_email)
    for action, text in (("disable", "stop a user from signing in"),
                         ("enable", "let a disabled user sign in again")):
        a = usub.add_parser(action, help=text)
        a.add_argument("name", metavar="NAME")
        a.set_defaults(func=cmd_users_disable)
    a = with_password(usub.add_parser("reset-password",
                                      help="set a new password and lift any wait to "
                                      "sign in"))
    a.add_argument("name", metavar="NAME")
    a.set_defaults(func=cmd_users_reset_password)
    a = usub.add_parser("waiting", help="names and addresses that must wait before their "
                        "next sign-in attempt, after failed ones")
    add_json(a)
    a.set_defaults(func=cmd_users_waiting)
    a = usub.add_parser("lift-wait", help="let a name or an address try to sign in again "
                        "at once, forgetting its failed sign-ins")
    a.add_argument("name", metavar="NAME", nargs="?", default="")
    a.add_argument("--address", default="", help="a client address from `users waiting`")
    a.set_defaults(func=cmd_users_lift_wait)
    a = usub.add_parser("sign-out", help="sign a user out of the dashboard on every device")
    a.add_argument("name", metavar="NAME")
    a.set_defaults(func=cmd_users_sign_out)
    a = usub.add_parser("bootstrap", help="when there are no users, create 'admin' with a "
                        "random password and print it once")
    a.set_defaults(func=cmd_users_bootstrap)

    p = command(subparsers, "vault")
    vsub = actions(p)
    a = vsub.add_parser("rotate-key", help="re-encrypt every credential under a new key")
    a.set_defaults(func=cmd_vault_rotate_key)

    p = command(subparsers, "audit")
    p.add_argument("--since", default="", help="YYYY-MM-DD, in OUTREACH_TIMEZONE")
    p.add_argument("--user", default=None, help="only this user (e.g. admin, cli:root)")
    p.add_argument("--entity", default=None, help="only this kind (user, campaign, ...)")
    p.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    add_json(p)
    p.set_defaults(func=cmd_audit)

