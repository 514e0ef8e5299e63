"""`metrics snapshot` and `digest`: follower counts taken by hand, and the weekly digest."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from outreach import campaigns
from outreach.cli import actions, add_campaign, command
from outreach.cli.files import repeat, write_text
from outreach.clock import utcnow
from outreach.insights import analytics
from outreach.insights.digest import build as build_digest
from outreach.insights.digest import render_html as digest_html
from outreach.insights.digest import render_markdown as digest_markdown
from outreach.insights.metrics import snapshot_job
from outreach.store import open_store


def cmd_digest(args, settings) -> int:
    """`digest`: one week's digest as Markdown on stdout, or written to --html/--md files."""
    db = open_store(settings.database_url)
    campaign_id = campaigns.resolve_campaign(db, args.campaign)
    if args.week:
        year, week = analytics.parse_week(args.week)
    else:
        zone = ZoneInfo(campaigns.get_campaign(db, campaign_id).timezone)
        year, week = analytics.last_full_week(utcnow(), zone)
    digest = build_digest(db, campaign_id, year, week)
    if not (args.html or args.md):
        print(digest_markdown(digest), end="")
        return 0
    written = []
    if args.html:
        write_text(args.html, digest_html(digest))
        written.append(args.html)
    if args.md:
        write_text(args.md, digest_markdown(digest))
        written.append(args.md)
    print(f"Digest for {digest.campaign}, {digest.label} ({digest.monday} to {digest.sunday}): "
          f"{digest.posts} posts, {digest.press_hits} press hits; wrote "
          f"{' and '.join(written)}.")
    return 0


def cmd_snapshot(args, settings) -> int:
    """`metrics snapshot [--once]`: take the due snapshots, printing each pass's summary."""
    db = open_store(settings.database_url)
    job = snapshot_job(settings)

    def step() -> None:
        now = utcnow()
        print(f"{now:%Y-%m-%d %H:%M} UTC: {job(db, now)}.", flush=True)

    return repeat(step, interval=settings.worker_interval, once=args.once)


def add_parsers(subparsers) -> None:
    """`metrics snapshot [--once]` and `digest`."""
    sub = actions(command(subparsers, "metrics"))
    a = sub.add_parser("snapshot", help="read the due accounts' and posts' counts, every "
                       "OUTREACH_WORKER_INTERVAL seconds until Ctrl-C")
    a.add_argument("--once", action="store_true", help="one pass, then exit")
    a.set_defaults(func=cmd_snapshot)
    p = command(
        subparsers, "digest",
        description="Write one ISO week's digest (Monday to Sunday in the campaign's time "
        "zone): posts published and their engagement, new followers, press hits, and releases "
        "sent with the coverage they earned. Prints Markdown unless --html or --md is given.",
    )
    p.add_argument("--week", metavar="YYYY-Www", default="",
                   help="the ISO week, e.g. 2026-W48 (default: last full week)")
    add_campaign(p)
    p.add_argument("--html", metavar="FILE", default="", help="write the HTML digest here")
    p.add_argument("--md", metavar="FILE", default="", help="write the Markdown digest here")
    p.set_defaults(func=cmd_digest)

