"""`settings get|set`: the committee's own settings, as an admin edits them on the Settings
page (approval rules, boilerplate and media contact, SMTP, pitch rate, X prices)."""

from __future__ import annotations

from dataclasses import fields

from outreach import clock
from outreach.cli import actions, command
from outreach.cli.output import add_json, print_json
from outreach.errors import InvalidInput
from outreach.org_settings import OrgSettings, describe_value, get_org, parse_text, set_org
from outreach.store import open_store


def cmd_get(args, settings) -> int:
    """`settings get [KEY]`: one setting's value, or every setting."""
    org = get_org(open_store(settings.database_url))
    known = [f.name for f in fields(OrgSettings)]
    if args.key and args.key not in known:
        raise InvalidInput(f"Unknown setting {args.key!r}; known: {', '.join(known)}.")
    values = {key: getattr(org, key) for key in ([args.key] if args.key else known)}
    if args.json:
        print_json(values)
    elif args.key:
        print(describe_value(values[args.key]))
    else:
        for key, value in values.items():
            print(f"{key:<24} {describe_value(value)}")
    return 0


def cmd_set(args, settings) -> int:
    """`settings set KEY VALUE`: admins only, checked before it is written, audited."""
    value = parse_text(args.key, args.value)
    set_org(open_store(settings.database_url), args.actor, {args.key: value},
            now=clock.utcnow())
    print(f"{args.key} is now {describe_value(value)}.")
    return 0


def add_parsers(subparsers) -> None:
    """`settings get [KEY]` and `settings set KEY VALUE`."""
    names = ", ".join(f.name for f in fields(OrgSettings))
    sub = actions(command(subparsers, "settings", description="The committee's settings, "
                          "kept in the store (machine settings come from .env: see "
                          f".env.example). Keys: {names}."))
    p = sub.add_parser("get", help="print one setting, or all of them")
    p.add_argument("key", metavar="KEY", nargs="?", default="", help="e.g. release_rule")
    add_json(p)
    p.set_defaults(func=cmd_get)
    p = sub.add_parser("set", help="change a setting (admins)",
                       description="Change one setting. Rules are majority or 'at_least N'; "
                       "yes/no settings take yes or no.")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.set_defaults(func=cmd_set)
