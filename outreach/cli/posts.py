"""`accounts ...` and `post ...`: the same operations as the Social page."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime

from outreach.auth import vault
from outreach.campaigns import resolve_campaign
from outreach.cli import actions, add_campaign, add_votes, command, voter
from outreach.cli.files import read_bytes, read_text
from outreach.cli.output import add_json, print_json
from outreach.clock import utcnow
from outreach.errors import InvalidInput
from outreach.net import URLGuard
from outreach.org_settings import get_org
from outreach.social import accounts
from outreach.social import queue as post_queue
from outreach.social import text as social_text
from outreach.social.images import MAX_FILE_BYTES, prepare_image
from outreach.store import open_store


def _secret_input(args, prompt: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def cmd_add_bluesky(args, settings) -> int:
    db = open_store(settings.database_url)
    account_id = accounts.connect_bluesky(
        db, vault.Vault.open(settings, db), args.actor, resolve_campaign(db, args.campaign),
        args.handle, _secret_input(args, "App password: "), service_url=args.service,
        now=utcnow(), guard=URLGuard(settings.url_allowlist))
    print(f"Connected Bluesky {args.handle} (account {account_id}); the app password is "
          "in the vault.")
    return 0


def cmd_add_x(args, settings) -> int:
    db = open_store(settings.database_url)
    if args.password_stdin:
        lines = [sys.stdin.readline().rstrip("\n") for _ in accounts.X_KEYS]
    else:
        lines = [getpass.getpass(f"{key}: ") for key in accounts.X_KEYS]
    account_id = accounts.connect_x(db, vault.Vault.open(settings, db), args.actor,
                                    resolve_campaign(db, args.campaign),
                                    dict(zip(accounts.X_KEYS, lines, strict=True)),
                                    now=utcnow())
    print(f"Connected the X account (account {account_id}); its keys are in the vault.")
    return 0


def cmd_list(args, settings) -> int:
    rows = accounts.list_all(open_store(settings.database_url))
    if args.json:
        print_json([{k: r[k] for k in ("id", "campaign_id", "platform", "handle",
                                       "verified_at")} for r in rows])
        return 0
    if not rows:
        print("No accounts connected: python -m outreach accounts add-bluesky --handle H")
    for r in rows:
        checked = (f"checked {r['verified_at']:%Y-%m-%d %H:%M} UTC" if r["verified_at"]
                   else "never checked")
        print(f"{r['id']:>4}  {r['platform']:<8} {r['handle']:<32} {checked}")
    return 0


def cmd_check(args, settings) -> int:
    db = open_store(settings.database_url)
    the_vault = vault.Vault.open(settings, db)
    ids = [a["id"] for a in accounts.list_all(db)]
    guard = URLGuard(settings.url_allowlist)
    results = [accounts.check_account(db, the_vault, i, now=utcnow(), guard=guard) for i in ids]
    print("\n".join(results) or "No accounts connected.")
    return 1 if any("FAILED" in r for r in results) else 0


def _account_id(db, handle: str) -> int:
    return accounts.find(db, handle)["id"]


def _when(text: str) -> datetime:
    if text == "now":
        return utcnow()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time; write 2026-12-03T06:00-06:00, now or next.") from None
    if when.tzinfo is None:
        raise InvalidInput("Give the time with its offset, e.g. 2026-12-03T06:00-06:00.")
    return when


def _platform(db, account_id: int) -> str:
    return accounts.get(db, account_id)["platform"]


def _text(args) -> str:
    text = read_text(args.file) if args.file else args.text
    if not text:
        raise InvalidInput("Give the post with --text or --file.")
    return text


def _parts(args, text: str, platform: str) -> list[str]:
    return social_text.split_thread(text, platform, number=args.number) \
        if args.thread else [text]


def cmd_schedule(args, settings) -> int:
    db = open_store(settings.database_url)
    text = _text(args)
    if len(args.alt) != len(args.image):
        raise InvalidInput("Give one --alt TEXT for each --image PATH, in the same order.")
    variants = []
    for handle in args.account:
        account_id = _account_id(db, handle)
        platform = _platform(db, account_id)
        images = tuple(prepare_image(read_bytes(path, limit=MAX_FILE_BYTES), alt, platform)
                       for path, alt in zip(args.image, args.alt, strict=True))
        variants.append(post_queue.Variant(account_id, _parts(args, text, platform), images))
    at = post_queue.next_free_slot(db, variants[0].account_id, after=utcnow()) \
        if args.at == "next" else _when(args.at)
    for problem in accounts.publishing_problems(
            db, settings, [v.account_id for v in variants]).values():
        print(f"warning: {problem}", file=sys.stderr)
    ids = post_queue.create_posts(db, args.actor, variants, now=utcnow(), at=at,
                                  kind="quote" if args.quote else "post",
                                  target_url=args.quote)
    for post_id, variant in zip(ids, variants, strict=True):
        status = post_queue.get_post(db, post_id)["status"]
        print(f"Post {post_id}: {len(variant.parts)} part(s), {status.replace('_', ' ')} "
              f"for {at:%Y-%m-%d %H:%M %Z}"
              + (" (needs the committee's approval first)" if status == "draft" else "")
              + ".")
    return 0


def cmd_edit(args, settings) -> int:
    db = open_store(settings.database_url)
    post = post_queue.get_post(db, args.id)
    parts = _parts(args, _text(args), _platform(db, post["account_id"]))
    status = post_queue.edit_post(db, args.actor, args.id, parts, now=utcnow(),
                                  alts=args.alt or None)
    print(f"Post {args.id}: {len(parts)} part(s), {status.replace('_', ' ')}"
          + (" (submit it for approval again)" if status == "draft" else "") + ".")
    return 0


def cmd_slots(args, settings) -> int:
    db = open_store(settings.database_url)
    account_id = _account_id(db, args.account)
    if args.clear or args.set:
        slots = [post_queue.parse_slot(text) for text in args.set]
        post_queue.set_slot_plan(db, args.actor, account_id, slots, now=utcnow())
    plan = accounts.get(db, account_id)["slot_plan"]
    print(f"{args.account}: {post_queue.describe_slots(plan)}")
    return 0


def cmd_cost(args, settings) -> int:
    db = open_store(settings.database_url)
    campaign_id = resolve_campaign(db, args.campaign)
    try:
        month = datetime.strptime(args.month, "%Y-%m") if args.month else utcnow()
    except ValueError:
        raise InvalidInput(f"{args.month!r} is not a month; write YYYY-MM.") from None
    total, requests = post_queue.x_month_cost(db, campaign_id, year=month.year,
                                              month=month.month, prices=get_org(db).x_prices)
    print(f"X in {month:%Y-%m}: {requests} post request(s), about ${total:.3f}.")
    return 0


def cmd_post_list(args, settings) -> int:
    db = open_store(settings.database_url)
    rows = post_queue.queue(db, status=args.status)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No posts.")
    for r in rows:
        when = f"{r['scheduled_at']:%Y-%m-%d %H:%M} UTC" if r["scheduled_at"] else "unscheduled"
        error = f"  ({r['last_error']})" if r["last_error"] else ""
        print(f"{r['id']:>5}  {r['status']:<11} {when:<21} {r['platform']:<8} "
              f"{r['account']:<24} {r['text'][:50]!r}{error}")
    return 0


def cmd_submit(args, settings) -> int:
    """`post submit ID`: ask the committee to approve a draft (and its variants)."""
    post_queue.submit_post(open_store(settings.database_url), args.actor, args.id,
                           now=utcnow())
    print(f"Post {args.id} is in review: the committee's approvers can vote on it "
          f"(`post approve|reject {args.id}`).")
    return 0


def cmd_vote(args, settings) -> int:
    """`post approve|reject ID [--comment]`: a vote, as the user `--as` names."""
    db = open_store(settings.database_url)
    tally = post_queue.vote_post(db, voter(args), args.id, args.action, args.comment,
                                 now=utcnow())
    status = post_queue.get_post(db, args.id)["status"].replace("_", " ")
    print(f"{args.actor.name} voted to {args.action} post {args.id}. {tally.describe()}. "
          f"It is {status}.")
    return 0


def cmd_cancel(args, settings) -> int:
    post_queue.cancel_post(open_store(settings.database_url), args.actor, args.id,
                           now=utcnow())
    print(f"Post {args.id} cancelled.")
    return 0


def cmd_retry(args, settings) -> int:
    post_queue.retry_post(open_store(settings.database_url), args.actor, args.id,
                          now=utcnow())
    print(f"Post {args.id} is back in the queue.")
    return 0


def add_parsers(subparsers) -> None:
    """`accounts ...` and `post ...`."""
    sub = actions(command(subparsers, "accounts"))
    a = sub.add_parser("add-bluesky", help="connect a Bluesky account with an app password")
    a.add_argument("--handle", required=True, help="e.g. local101.bsky.social")
    a.add_argument("--service", default=accounts.DEFAULT_BLUESKY_SERVICE,
                   help="the account's server (default: https://bsky.social)")
    add_campaign(a)
    a.add_argument("--password-stdin", action="store_true",
                   help="read the app password from stdin instead of prompting")
    a.set_defaults(func=cmd_add_bluesky)
    a = sub.add_parser("add-x", help="connect an X account with its API key/secret and "
                       "access token/secret")
    add_campaign(a)
    a.add_argument("--password-stdin", action="store_true",
                   help="read the four keys from stdin, one per line, in the order "
                   + ", ".join(accounts.X_KEYS))
    a.set_defaults(func=cmd_add_x)
    a = sub.add_parser("list", help="connected accounts")
    add_json(a)
    a.set_defaults(func=cmd_list)
    a = sub.add_parser("check", help="sign in to every account with its stored credentials")
    a.set_defaults(func=cmd_check)
    a = sub.add_parser("slots", help="show or set an account's weekly posting slots")
    a.add_argument("account", metavar="HANDLE")
    a.add_argument("--set", action="append", default=[], metavar='"Mon 09:00"',
                   help="a weekly slot in the campaign's time zone; repeat for each slot "
                   "(replaces the plan)")
    a.add_argument("--clear", action="store_true", help="remove every slot")
    a.set_defaults(func=cmd_slots)

    sub = actions(command(subparsers, "post"))
    a = sub.add_parser("schedule", help="schedule a post or thread")
    a.add_argument("--account", required=True, action="append",
                   help="the account's handle; repeat to post from several accounts")
    a.add_argument("--at", required=True,
                   help="ISO 8601 time with offset, now, or next (the first account's next "
                   "free slot)")
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
    a = sub.add_parser("edit", help="change the words of a post that has not gone out")
    a.add_argument("id", type=int, metavar="ID")
    a.add_argument("--text", default="", help="the new text")
    a.add_argument("--file", default="", help="read the new text from this file")
    a.add_argument("--thread", action="store_true", help="split long text into a thread")
    a.add_argument("--number", action="store_true", help="number a thread's parts 1/n")
    a.add_argument("--alt", action="append", default=[], metavar="TEXT",
                   help="new alt text for the post's images, once per image, in order")
    a.set_defaults(func=cmd_edit)
    a = sub.add_parser("list", help="the queue")
    a.add_argument("--status", default=None, help="only posts in this state")
    add_json(a)
    a.set_defaults(func=cmd_post_list)
    a = sub.add_parser("submit", help="ask the committee to approve a draft post")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_submit)
    add_votes(sub, "post", cmd_vote)
    a = sub.add_parser("cost", help="what the month's X posts cost (prices in Settings)")
    a.add_argument("--month", default="", metavar="YYYY-MM", help="default: this month")
    add_campaign(a)
    a.set_defaults(func=cmd_cost)
    a = sub.add_parser("cancel", help="cancel a post that has not gone out")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_cancel)
    a = sub.add_parser("retry", help="put a failed or held post back in the queue")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_retry)
