"""`python -m outreach ...`: the same operations as the dashboard, for scripts."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import Engine

from outreach import campaigns, clock, store
from outreach.auth import audit, sessions, users, vault
from outreach.cli import social as social_commands
from outreach.config import Settings
from outreach.coverage import clip_report, feeds
from outreach.errors import InvalidInput, OutreachError
from outreach.insights import digest, metrics
from outreach.ops import backup, demo, worker
from outreach.ops.status import format_status, store_status
from outreach.org_settings import get_org
from outreach.pitching import pitches as pitching
from outreach.presslist import importing as contacts_import
from outreach.releases import protected_names, templates
from outreach.roles import ROLE_HELP, cli_actor
from outreach.safety import URLGuard
from outreach.social import accounts, publishing
from outreach.social import text as social_text
from outreach.social.adapters import linkcard
from outreach.store import make_engine, upgrade_to_head
from outreach.store.migrate import head_revision
from outreach.store.tables import CAMPAIGN_EVENT_KINDS, ROLES


def open_store(settings: Settings) -> Engine:
    """The engine for the configured store, upgraded to the newest revision."""
    return store.open_store(settings.database_url)


def cmd_migrate(args, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    applied = upgrade_to_head(engine)
    if applied:
        print(f"Applied {', '.join(applied)}; the database is at {head_revision()}.")
    else:
        print(f"Already up to date at {head_revision()}.")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    engine = open_store(settings)
    if args.if_empty and not demo.is_empty(engine):
        print("The database already holds data; demo data not loaded.")
        return 0
    counts = demo.load_demo(engine, clock.utcnow(), force=args.force, actor=cli_actor())
    print(
        f"Loaded the demo campaign {demo.DEMO_CAMPAIGN!r}: "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + "."
    )
    return 0


def cmd_status(args, settings: Settings) -> int:
    status = store_status(open_store(settings), clock.utcnow())
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0


def cmd_campaigns_add(args, settings: Settings) -> int:
    campaign = campaigns.create_campaign(
        open_store(settings),
        cli_actor(),
        args.name,
        now=clock.utcnow(),
        timezone=args.timezone or settings.timezone,
        employer=args.employer,
        union_name=args.union,
        description=args.description,
        start_date=campaigns.parse_date(args.start_date) if args.start_date else None,
        keywords=args.keyword,
    )
    print(f"Added campaign {campaign.name!r} (id {campaign.id}, {campaign.timezone}).")
    return 0


def cmd_campaigns_list(args, settings: Settings) -> int:
    found = campaigns.list_campaigns(open_store(settings))
    if args.json:
        print(json.dumps([
            {**c.__dict__, "start_date": c.start_date.isoformat() if c.start_date else None}
            for c in found
        ], indent=2))
        return 0
    if not found:
        print("No campaigns yet. Add one: python -m outreach campaigns add NAME")
    for c in found:
        who = " / ".join(x for x in (c.employer, c.union_name) if x)
        print(f"{c.id:>4}  {c.name}" + (f"  ({who})" if who else "") + f"  [{c.timezone}]")
    return 0


def cmd_campaigns_set_query(args, settings: Settings) -> int:
    engine = open_store(settings)
    campaign = campaigns.find_campaign(engine, args.name)
    campaigns.set_query(engine, cli_actor(), campaign.id, args.query, now=clock.utcnow())
    print(f"Coverage query for {campaign.name!r}: {args.query.strip()}" if args.query.strip()
          else f"Cleared the coverage query of {campaign.name!r}; its keywords are used.")
    return 0


def cmd_campaigns_set_news(args, settings: Settings) -> int:
    engine = open_store(settings)
    campaign = campaigns.find_campaign(engine, args.name)
    campaigns.set_news_edition(engine, cli_actor(), campaign.id, args.language, args.country,
                               now=clock.utcnow())
    print(f"Google News for {campaign.name!r}: {args.language} / {args.country.upper()}. "
          "Add its feed with `feeds add-google-news`.")
    return 0


def cmd_campaigns_event(args, settings: Settings) -> int:
    engine = open_store(settings)
    campaign = campaigns.find_campaign(engine, args.name)
    event = campaigns.add_event(
        engine,
        cli_actor(),
        campaign.id,
        event_date=campaigns.parse_date(args.date),
        title=args.title,
        kind=args.kind,
        notes=args.notes,
        now=clock.utcnow(),
    )
    print(f"Added {event.event_date} {event.title!r} to {campaign.name!r}.")
    return 0


def read_password(args) -> str:
    """A new password from stdin (--password-stdin) or typed twice at a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InvalidInput("The two passwords differ; nothing was changed.")
    return first


def cmd_users_add(args, settings: Settings) -> int:
    user = users.add_user(open_store(settings), cli_actor(), args.name, args.role,
                          read_password(args), email=args.email, now=clock.utcnow())
    print(f"Added {user.name} ({user.role}).")
    return 0


def cmd_users_list(args, settings: Settings) -> int:
    for u in users.list_users(open_store(settings), cli_actor()):
        flags = ["disabled"] if u.disabled else []
        if u.locked_until and u.locked_until > clock.utcnow():
            flags.append(f"locked until {u.locked_until:%Y-%m-%d %H:%M} UTC")
        print(f"{u.name:<20} {u.role:<9} {u.email:<30} {', '.join(flags)}".rstrip())
    return 0


def cmd_users_set_role(args, settings: Settings) -> int:
    users.set_role(open_store(settings), cli_actor(), args.name, args.role,
                   now=clock.utcnow())
    print(f"{args.name} is now {args.role}.")
    return 0


def cmd_users_disable(args, settings: Settings) -> int:
    disable = args.action == "disable"
    users.set_disabled(open_store(settings), cli_actor(), args.name, disable,
                       now=clock.utcnow())
    print(f"{args.name} is {'disabled' if disable else 'enabled'}.")
    return 0


def cmd_users_set_email(args, settings: Settings) -> int:
    users.set_email(open_store(settings), cli_actor(), args.name, args.email,
                    now=clock.utcnow())
    print(f"{args.name} now signs on with {args.email or 'no e-mail'}.")
    return 0


def cmd_users_reset_password(args, settings: Settings) -> int:
    users.reset_password(open_store(settings), cli_actor(), args.name, read_password(args),
                         now=clock.utcnow())
    print(f"New password set for {args.name}; any lock is lifted.")
    return 0


def cmd_users_sign_out(args, settings: Settings) -> int:
    ended = sessions.sign_out_everywhere(open_store(settings), cli_actor(), args.name,
                                         now=clock.utcnow())
    print(f"{args.name} is signed out everywhere ({ended} open session(s) ended).")
    return 0


def cmd_users_bootstrap(args, settings: Settings) -> int:
    password = users.bootstrap_admin(open_store(settings), cli_actor(), now=clock.utcnow())
    if password:
        print("Created the first account. Sign in with\n"
              f"  name:     admin\n  password: {password}\n"
              "This is shown once: note it now, then add accounts for the committee under "
              "Settings > Users.")
    return 0


def cmd_vault_rotate_key(args, settings: Settings) -> int:
    print(vault.rotate_key(open_store(settings), settings, cli_actor(), now=clock.utcnow()))
    return 0


def cmd_audit(args, settings: Settings) -> int:
    since = None
    if args.since:
        since = datetime.combine(campaigns.parse_date(args.since), time(),
                                 ZoneInfo(settings.timezone))
    entries = audit.list_entries(open_store(settings), cli_actor(), since=since,
                                 user=args.user, entity=args.entity, limit=args.limit)
    if not entries:
        print("No audit entries match.")
    for e in reversed(entries):
        target = f"{e['entity']} {e['entity_id']}".strip()
        summary = f": {e['summary']}" if e["summary"] else ""
        print(f"{e['at']:%Y-%m-%d %H:%M:%S} UTC  {e['actor']:<16} {e['action']:<14} "
              f"{target}{summary}")
    return 0


def cmd_backup(args, settings: Settings) -> int:
    info = backup.backup(make_engine(settings.database_url), Path(args.file))
    rows = sum(info.counts.values())
    print(f"Wrote {info.path} ({info.kind}, revision {info.revision}, {rows} rows in "
          f"{len(info.counts)} tables). Keep the vault key apart from it.")
    return 0


def cmd_restore(args, settings: Settings) -> int:
    info = backup.restore(make_engine(settings.database_url), Path(args.file))
    rows = sum(info.counts.values())
    print(f"Restored {rows} rows from {info.path} ({info.kind}, revision "
          f"{info.source_revision}); the database is at {info.revision}.")
    return 0


def worker_jobs(settings: Settings, stop: threading.Event) -> list[tuple[str, worker.Job]]:
    """The work each pass does, with what it needs from this process."""
    wid = worker.worker_id()

    def pause(seconds: float) -> None:
        if stop.wait(seconds):
            raise InterruptedError("the worker is stopping")

    cards = linkcard.card_fetcher(httpx.Client(), URLGuard(settings.url_allowlist))

    def posts(db: Engine, now) -> str:
        org = get_org(db)
        return publishing.publish_due(
            db, wid, accounts.publisher_for(db, vault.Vault.open(settings, db), now=now),
            clock=clock.utcnow, late_after=timedelta(minutes=org.late_after_minutes),
            hold_late=org.hold_late_posts, card_fetcher=cards)

    return [
        ("posts", posts),
        ("pitches", lambda db, now: pitching.send_queued(db, settings, wid, now=now,
                                                         sleep=pause)),
        ("feeds", feeds.poll_job(settings)),
        ("metrics", metrics.snapshot_job(settings)),
    ]


def cmd_worker(args, settings: Settings) -> int:
    engine = open_store(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    interval = args.interval or settings.worker_interval
    runs_with = {row["setting"]: row["value"] for row in settings.describe()}
    runs_with["OUTREACH_WORKER_INTERVAL"] = f"{interval:g}"  # --interval wins over .env
    passes = worker.run(
        engine, interval=interval, stop=stop, once=args.once,
        jobs=worker_jobs(settings, stop), settings=runs_with,
    )
    if args.once:
        print(f"One pass done: {worker.worker_status(engine, clock.utcnow()).last_summary}")
    else:
        print(f"Worker stopped after {passes} passes.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with help for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m outreach",
        description="Union Media Desk: press list, releases, social posts and "
        "coverage for a union's media committee. Settings come from the "
        "environment and .env (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("migrate", help="upgrade the database to the newest revision")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="load fictional demo data into an empty database")
    p.add_argument("--force", action="store_true",
                   help="load even when the database holds data (replaces the demo campaign)")
    p.add_argument("--if-empty", action="store_true",
                   help="load only when the database is empty; otherwise do nothing")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", help="counts per campaign and the worker's heartbeat")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("campaigns", help="add and list campaigns and their events")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = csub.add_parser("add", help="add a campaign")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--employer", default="", help="the employer the campaign is about")
    a.add_argument("--union", default="", help="the union or local running it")
    a.add_argument("--timezone", default="",
                   help="IANA time zone, e.g. America/Chicago (default: OUTREACH_TIMEZONE)")
    a.add_argument("--description", default="", help="a sentence or two about it")
    a.add_argument("--start-date", default="", help="YYYY-MM-DD")
    a.add_argument("--keyword", action="append", default=[],
                   help="a keyword for coverage searches; repeat for several")
    a.set_defaults(func=cmd_campaigns_add)
    a = csub.add_parser("list", help="list campaigns")
    a.add_argument("--json", action="store_true", help="print JSON for machines")
    a.set_defaults(func=cmd_campaigns_list)
    a = csub.add_parser("event", help="add a key event to a campaign's timeline")
    a.add_argument("name", metavar="NAME", help="the campaign's name")
    a.add_argument("--date", required=True, help="YYYY-MM-DD")
    a.add_argument("--title", required=True, help="what happens, e.g. 'Strike vote'")
    a.add_argument("--kind", default="other", choices=CAMPAIGN_EVENT_KINDS,
                   help="kind of event (default: other)")
    a.add_argument("--notes", default="", help="anything the committee should know")
    a.set_defaults(func=cmd_campaigns_event)
    a = csub.add_parser("set-query", help="set the query that picks the campaign's press hits")
    a.add_argument("name", metavar="NAME", help="the campaign's name")
    a.add_argument("query", metavar="QUERY",
                   help='phrases, AND, OR, NOT and parentheses, e.g. \'"Acme Logistics" AND '
                   '(union OR strike) NOT "Acme Insurance"\'; "" clears it')
    a.set_defaults(func=cmd_campaigns_set_query)
    a = csub.add_parser("set-news", help="the Google News edition the campaign's news feed "
                        "searches")
    a.add_argument("name", metavar="NAME", help="the campaign's name")
    a.add_argument("--language", required=True, help="e.g. en-US, es-419, fr")
    a.add_argument("--country", required=True, help="two letters, e.g. US")
    a.set_defaults(func=cmd_campaigns_set_news)

    p = sub.add_parser("users", help="manage the accounts that sign in to the dashboard")
    usub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

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
    a = usub.add_parser("list", help="list users, their roles and locks")
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
                                      help="set a new password and lift any lock"))
    a.add_argument("name", metavar="NAME")
    a.set_defaults(func=cmd_users_reset_password)
    a = usub.add_parser("sign-out", help="sign a user out of the dashboard on every device")
    a.add_argument("name", metavar="NAME")
    a.set_defaults(func=cmd_users_sign_out)
    a = usub.add_parser("bootstrap", help="when there are no users, create 'admin' with a "
                        "random password and print it once")
    a.set_defaults(func=cmd_users_bootstrap)

    p = sub.add_parser("vault", help="the encrypted credential store")
    vsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = vsub.add_parser("rotate-key", help="re-encrypt every credential under a new key")
    a.set_defaults(func=cmd_vault_rotate_key)

    p = sub.add_parser("audit", help="print the audit log: who changed what, when")
    p.add_argument("--since", default="", help="YYYY-MM-DD, in OUTREACH_TIMEZONE")
    p.add_argument("--user", default=None, help="only this user (e.g. admin, cli:root)")
    p.add_argument("--entity", default=None, help="only this kind (user, campaign, ...)")
    p.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("backup", help="write a consistent snapshot of the database to FILE, "
                       "safe while the app runs")
    p.add_argument("file", metavar="FILE",
                   help="SQLite stores get a SQLite file; PostgreSQL a gzip'd JSON export")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup FILE into an empty database")
    p.add_argument("file", metavar="FILE", help="a file written by `backup` (either kind)")
    p.set_defaults(func=cmd_restore)

    contacts_import.add_cli_parsers(sub)
    templates.add_cli_parsers(sub)
    protected_names.add_cli_parsers(sub)
    pitching.add_cli_parsers(sub)
    social_text.add_cli_parsers(sub)
    social_commands.add_cli_parsers(sub)
    clip_report.add_cli_parsers(sub)
    feeds.add_cli_parsers(sub)
    metrics.add_cli_parsers(sub)
    digest.add_cli_parsers(sub)

    p = sub.add_parser("worker", help="run due work in a loop, with a heartbeat")
    p.add_argument("--once", action="store_true", help="run one pass and exit")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between passes (default: OUTREACH_WORKER_INTERVAL)")
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print a message and return 1."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if settings.log_level != "DEBUG":
            logging.getLogger("alembic").setLevel(logging.WARNING)
        return args.func(args, settings)
    except OutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
