"""`migrate`, `demo`, `status`, `backup`, `restore` and `worker`: running the desk."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from outreach import clock
from outreach.cli import command
from outreach.cli.output import add_json, print_json
from outreach.config import Settings
from outreach.ops import backup, demo, worker
from outreach.ops.jobs import worker_jobs
from outreach.ops.status import format_status, store_status
from outreach.store import make_engine, open_store, upgrade_to_head
from outreach.store.migrate import head_revision


def cmd_migrate(args, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    applied = upgrade_to_head(engine)
    if applied:
        print(f"Applied {', '.join(applied)}; the database is at {head_revision()}.")
    else:
        print(f"Already up to date at {head_revision()}.")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    engine = open_store(settings.database_url)
    if args.if_empty and not demo.is_empty(engine):
        print("The database already holds data; demo data not loaded.")
        return 0
    counts = demo.load_demo(engine, clock.utcnow(), force=args.force, actor=args.actor)
    print(
        f"Loaded the demo campaign {demo.DEMO_CAMPAIGN!r}: "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + "."
    )
    return 0


def cmd_status(args, settings: Settings) -> int:
    status = store_status(open_store(settings.database_url), clock.utcnow())
    if args.json:
        print_json(status)
    else:
        print(format_status(status))
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


def cmd_worker(args, settings: Settings) -> int:
    engine = open_store(settings.database_url)
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


def add_parsers(subparsers) -> None:
    """`migrate`, `demo`, `status`, `backup`, `restore` and `worker`."""
    p = command(subparsers, "migrate")
    p.set_defaults(func=cmd_migrate)

    p = command(subparsers, "demo")
    p.add_argument("--force", action="store_true",
                   help="load even when the database holds data (replaces the demo campaign)")
    p.add_argument("--if-empty", action="store_true",
                   help="load only when the database is empty; otherwise do nothing")
    p.set_defaults(func=cmd_demo)

    p = command(subparsers, "status")
    add_json(p)
    p.set_defaults(func=cmd_status)

    p = command(subparsers, "backup")
    p.add_argument("file", metavar="FILE",
                   help="SQLite stores get a SQLite file; PostgreSQL a gzip'd JSON export")
    p.set_defaults(func=cmd_backup)
    p = command(subparsers, "restore")
    p.add_argument("file", metavar="FILE", help="a file written by `backup` (either kind)")
    p.set_defaults(func=cmd_restore)

    p = command(subparsers, "worker")
    p.add_argument("--once", action="store_true", help="run one pass and exit")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between passes (default: OUTREACH_WORKER_INTERVAL)")
    p.set_defaults(func=cmd_worker)
