"""`accounts ...` and `post ...` on the command line: the same operations as the Social page."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from outreach import scheduling, vault
from outreach.errors import InvalidInput, NotFound
from outreach.roles import cli_actor
from outreach.social import accounts
from outreach.social import text as social_text
from outreach.social.images import prepare_image
from outreach.store import open_store
from outreach.store.tables import campaigns, social_accounts
from outreach.worker import utcnow


def _secret_input(args, prompt: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def _campaign_id(db, name: str | None) -> int:
    with db.connect() as conn:
        rows = conn.execute(sa.select(campaigns.c.id, campaigns.c.name)).all()
    if name:
        found = [i for i, n in rows if n == name]
        if not found:
            raise NotFound(f"No campaign named {name!r}.")
        return found[0]
    if len(rows) != 1:
        raise InvalidInput("Say which campaign with --campaign NAME.")
    return rows[0][0]


def cmd_add_bluesky(args, settings) -> int:
    db = open_store(settings.database_url)
    account_id = accounts.connect_bluesky(
        db, vault.Vault.open(settings), cli_actor(), _campaign_id(db, args.campaign),
        args.handle, _secret_input(args, "App password: "), service_url=args.service,
        now=utcnow())
    print(f"Connected Bluesky {args.handle} (account {account_id}); the app password is "
          "in the vault.")
    return 0


def cmd_add_x(args, settings) -> int:
    db = open_store(settings.database_url)
    if args.password_stdin:
        lines = [sys.stdin.readline().rstrip("\n") for _ in accounts.X_KEYS]
    else:
        lines = [getpass.getpass(f"{key}: ") for key in accounts.X_KEYS]
    account_id = accounts.connect_x(db, vault.Vault.open(settings), cli_actor(),
                                    _campaign_id(db, args.campaign),
                                    dict(zip(accounts.X_KEYS, lines, strict=True)),
                                    now=utcnow())
    print(f"Connected the X account (account {account_id}); its keys are in the vault.")
    return 0


def cmd_list(args, settings) -> int:
    db = open_store(settings.database_url)
    with db.connect() as conn:
        rows = conn.execute(sa.select(social_accounts).order_by(social_accounts.c.id)).all()
    if not rows:
        print("No accounts connected: python -m outreach accounts add-bluesky --handle H")
    for r in rows:
        checked = (f"checked {r.verified_at:%Y-%m-%d %H:%M} UTC" if r.verified_at
                   else "never checked")
        print(f"{r.id:>4}  {r.platform:<8} {r.handle:<32} {checked}")
    return 0


def cmd_check(args, settings) -> int:
    db = open_store(settings.database_url)
    the_vault = vault.Vault.open(settings)
    with db.connect() as conn:
        ids = list(conn.execute(sa.select(social_accounts.c.id)).scalars())
    results = [accounts.check_account(db, the_vault, i, now=utcnow()) for i in ids]
    print("\n".join(results) or "No accounts connected.")
    return 1 if any("FAILED" in r for r in results) else 0


def _account_id(db, handle: str) -> int:
    with db.connect() as conn:
        found = conn.execute(sa.select(social_accounts.c.id).where(
            social_accounts.c.handle == handle.lstrip("@").lower())).scalar()
    if found is None:
        raise NotFound(f"No connected account {handle!r}; see `accounts list`.")
    return found


def _when(text: str) -> datetime:
    if text == "now":
        return utcnow()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time; write 2026-12-03T06:00-06:00 or now.") from None
    if when.tzinfo is None:
        raise InvalidInput("Give the time with its offset, e.g. 2026-12-03T06:00-06:00.")
    return when


def cmd_schedule(args, settings) -> int:
    db = open_store(settings.database_url)
    account_id = _account_id(db, args.account)
    with db.connect() as conn:
        platform = conn.execute(sa.select(social_accounts.c.platform).where(
            social_accounts.c.id == account_id)).scalar_one()
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.text
    if not text:
        raise InvalidInput("Give the post with --text or --file.")
    parts = social_text.split_thread(text, platform, number=args.number) \
        if args.thread else [text]
    if len(args.alt) != len(args.image):
        raise InvalidInput("Give one --alt TEXT for each --image PATH, in the same order.")
    images = [prepare_image(Path(path).read_bytes(), alt, platform)
              for path, alt in zip(args.image, args.alt, strict=True)]
    post_id = scheduling.create_post(db, cli_actor(), account_id, parts, now=utcnow(),
                                     at=_when(args.at), images=images,
                                     kind="quote" if args.quote else "post",
                                     target_url=args.quote)
    status = scheduling.get_post(db, post_id)["status"]
    print(f"Post {post_id}: {len(parts)} part(s), {status.replace('_', ' ')}"
          + (" (needs the committee's approval first)" if status == "draft" else "") + ".")
    return 0


def cmd_post_list(args, settings) -> int:
    db = open_store(settings.database_url)
    rows = scheduling.queue(db, status=args.status)
    if not rows:
        print("No posts.")
    for r in rows:
        when = f"{r['scheduled_at']:%Y-%m-%d %H:%M} UTC" if r["scheduled_at"] else "unscheduled"
        error = f"  ({r['last_error']})" if r["last_error"] else ""
        print(f"{r['id']:>5}  {r['status']:<11} {when:<21} {r['platform']:<8} "
              f"{r['account']:<24} {r['text'][:50]!r}{error}")
    return 0


def cmd_cancel(args, settings) -> int:
    scheduling.cancel_post(open_store(settings.database_url), cli_actor(), args.id,
                           now=utcnow())
    print(f"Post {args.id} cancelled.")
    return 0


def cmd_retry(args, settings) -> int:
    scheduling.retry_post(open_store(settings.database_url), cli_actor(), args.id,
                          now=utcnow())
    print(f"Post {args.id} is back in the queue.")
    return 0


def add_cli_parsers(subparsers) -> None:
    """Register `accounts ...` and `post ...`."""
    p = subparsers.add_parser("accounts", help="connect and check Bluesky and X accounts")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = sub.add_parser("add-bluesky", help="connect a Bluesky account with an app password")
    a.add_argument("--handle", required=True, help="e.g. local101.bsky.social")
    a.add_argument("--service", default=accounts.DEFAULT_BLUESKY_SERVICE,
                   help="the account's server (default: https://bsky.social)")
    a.add_argument("--campaign", default=None, help="the campaign (if there are several)")
    a.add_argument("--password-stdin", action="store_true",
                   help="read the app password from stdin instead of prompting")
    a.set_defaults(func=cmd_add_bluesky)
    a = sub.add_parser("add-x", help="connect an X account with its API key/secret and "
                       "access token/secret")
    a.add_argument("--campaign", default=None, help="the campaign (if there are several)")
    a.add_argument("--password-stdin", action="store_true",
                   help="read the four keys from stdin, one per line, in the order "
                   + ", ".join(accounts.X_KEYS))
    a.set_defaults(func=cmd_add_x)
    a = sub.add_parser("list", help="connected accounts")
    a.set_defaults(func=cmd_list)
    a = sub.add_parser("check", help="sign in to every account with its stored credentials")
    a.set_defaults(func=cmd_check)

    p = subparsers.add_parser("post", help="schedule, list, cancel and retry posts")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = sub.add_parser("schedule", help="schedule a post or thread")
    a.add_argument("--account", required=True, help="the account's handle")
    a.add_argument("--at", required=True, help="ISO 8601 time with offset, or now")
    a.add_argument("--text", default="", help="the post's text")
    a.add_argument("--file", default="", help="read the text from this file")
    a.add_argument("--image", action="append", default=[], metavar="PATH",
                   help="attach an image (up to 4; location data is removed)")
    a.add_argument("--alt", action="append", default=[], metavar="TEXT",
                   help="alt text for each --image, in the same order (required)")
    a.add_argument("--quote", default="", metavar="URL",
                   help="quote another account's post (Bluesky or X address)")
    a.add_argument("--thread", action="store_true", help="split long text into a thread")
    a.add_argument("--number", action="store_true", help="number a thread's parts 1/n")
    a.set_defaults(func=cmd_schedule)
    a = sub.add_parser("list", help="the queue")
    a.add_argument("--status", default=None, help="only posts in this state")
    a.set_defaults(func=cmd_post_list)
    a = sub.add_parser("cancel", help="cancel a post that has not gone out")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_cancel)
    a = sub.add_parser("retry", help="put a failed or held post back in the queue")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_retry)
