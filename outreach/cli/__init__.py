"""`python -m outreach ...`: the same operations as the dashboard, for scripts.

One module per command group. The top level only names the commands: a command's module,
and the libraries it needs (SQLAlchemy, the platform SDKs, pandas), are imported when that
command runs, so `--help` and quick commands start in a blink.

The exit codes are listed in EPILOG (and at the end of `--help`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from outreach import __version__

# Each command: the module under outreach.cli that builds and runs it, and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "migrate": ("ops", "upgrade the database to the newest revision"),
    "demo": ("ops", "load fictional demo data into an empty database"),
    "status": ("ops", "counts per campaign and the worker's heartbeat"),
    "campaigns": ("campaigns", "add and list campaigns and their events"),
    "users": ("auth", "manage the accounts that sign in to the dashboard"),
    "vault": ("auth", "the encrypted credential store"),
    "audit": ("auth", "print the audit log: who changed what, when"),
    "backup": ("ops", "write a consistent snapshot of the database to FILE, safe while the "
               "app runs"),
    "restore": ("ops", "restore a backup FILE into an empty database"),
    "settings": ("committee", "the committee's own settings: approval rules, media contact, "
                 "SMTP, X prices"),
    "journalists": ("presslist", "add, edit, remove and list journalists"),
    "lists": ("presslist", "add, remove and list press lists"),
    "spokespeople": ("presslist", "the spokesperson roster: add, edit, remove, list"),
    "contacts": ("presslist", "import and export the press list (CSV, XLSX)"),
    "templates": ("releases", "list release and pitch templates"),
    "release": ("releases", "press releases, advisories and statements"),
    "guard": ("releases", "the protected-names list, and checking a text against it"),
    "pitch": ("pitching", "e-mail an approved release to journalists"),
    "social": ("social", "count a post's length on Bluesky or X, split long text into a "
               "thread"),
    "accounts": ("posts", "connect and check Bluesky and X accounts"),
    "post": ("posts", "schedule, list, cancel and retry posts"),
    "coverage": ("coverage", "export press hits and clip reports"),
    "feeds": ("coverage", "a campaign's coverage feeds, and polling them"),
    "metrics": ("insights", "follower and engagement snapshots"),
    "digest": ("insights", "the committee's weekly digest (Markdown or HTML)"),
    "worker": ("ops", "run due work in a loop, with a heartbeat"),
}

EPILOG = """exit codes:
  0    done
  1    refused or failed (the reason is on stderr); for `guard check`, names were found,
       and for `social count`, the text is too long
  2    the command line was wrong (usage on stderr)
  141  the output was cut off (e.g. piped into `head`)"""

DESCRIPTION = (
    "Union Media Desk: press list, releases, social posts and coverage for a union's media "
    "committee. Settings come from the environment and .env (see .env.example)."
)


def command(subparsers, name: str, **kwargs) -> argparse.ArgumentParser:
    """Add the parser of command `name`, with the help declared in COMMANDS."""
    return subparsers.add_parser(name, help=COMMANDS[name][1], **kwargs)


def actions(parser: argparse.ArgumentParser):
    """The subcommands of a command group (`feeds add`, `feeds list`, ...)."""
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def add_campaign(parser: argparse.ArgumentParser,
                 help: str = "the campaign (needed when there are several)") -> None:
    """The --campaign NAME option, declared here once for every command that takes it."""
    parser.add_argument("--campaign", metavar="NAME", default=None, help=help)


def add_votes(sub, what: str, func) -> None:
    """`approve ID` and `reject ID --comment C` for a post or a release."""
    for decision, text in (("approve", f"vote to approve a {what} in review (needs --as NAME)"),
                           ("reject", f"ask for changes to a {what} in review, saying what "
                            "(needs --as NAME)")):
        p = sub.add_parser(decision, help=text)
        p.add_argument("id", type=int, metavar="ID")
        p.add_argument("--comment", default="", required=decision == "reject",
                       help="what should change (required to reject)")
        p.set_defaults(func=func)


def voter(args: argparse.Namespace):
    """The committee member a vote is cast as: never the command line's own admin, which
    could otherwise approve alone."""
    if args.actor.user_id is None:
        from outreach.errors import PermissionDenied

        raise PermissionDenied("A vote is a committee member's: add --as NAME (or set "
                               "OUTREACH_USER) to vote as that dashboard user.")
    return args.actor


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the line, if any: the first word that is not an option (or the
    NAME of `--as NAME`)."""
    words = iter(argv)
    for word in words:
        if word == "--as":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command named, and the chosen one's module built in full."""
    # Installed, the command is `outreach`; from a checkout, `python -m outreach`.
    prog = "outreach" if os.path.basename(sys.argv[0]) == "outreach" else "python -m outreach"
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--as", dest="acting_as", metavar="NAME", default=os.environ.get("OUTREACH_USER", ""),
        help="act as this dashboard user, with their role, and sign the audit log with their "
        "name (default: OUTREACH_USER; without either, the command line acts as an admin "
        "named cli:<your login>). Votes need a user.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if chosen in COMMANDS:
        importlib.import_module(f"outreach.cli.{COMMANDS[chosen][0]}").add_parsers(sub)
    for name in COMMANDS:
        if name not in sub.choices:
            command(sub, name)
    return parser


def execute(args: argparse.Namespace, settings) -> int:
    """Run parsed `args` with `settings`, as the user `--as` names (or the command line's
    own admin): the actor every command passes to the domain is `args.actor`."""
    from outreach.roles import cli_actor

    if args.acting_as:
        from outreach.auth.users import actor_named
        from outreach.store import open_store

        args.actor = actor_named(open_store(settings.database_url), args.acting_as)
    else:
        args.actor = cli_actor()
    return args.func(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print a message and return 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_chosen(argv)).parse_args(argv)
    # Here, not at the top: `--help` and a mistyped command need neither.
    from outreach.config import Settings
    from outreach.errors import OutreachError

    try:
        settings = Settings.from_env()
        logging.basicConfig(level=settings.log_level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if settings.log_level != "DEBUG":
            logging.getLogger("alembic").setLevel(logging.WARNING)
        return execute(args, settings)
    except OutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
