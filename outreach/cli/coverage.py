"""`coverage export|report` and `feeds ...`: press hits out to files, and the feeds that
find them."""

from __future__ import annotations

from datetime import datetime, timedelta

from outreach import campaigns
from outreach.campaigns import resolve_campaign
from outreach.cli import actions, add_campaign, command
from outreach.cli.files import read_bytes, repeat, write_text
from outreach.cli.output import add_json, print_json
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.coverage import hit_lists, watch
from outreach.coverage.clip_report import build as build_clip_report
from outreach.coverage.clip_report import render_csv, render_html
from outreach.coverage.feeds import (
    KINDS,
    add_edgar_feed,
    add_feed,
    add_feeds,
    add_google_news_feed,
    add_outlet_feeds,
    feed_health,
    fetching,
    hits_sink,
    list_feeds,
    plan_feeds,
    poll_feeds,
    remove_feed,
)
from outreach.coverage.opml import read_opml, write_opml
from outreach.store import open_store


def cmd_coverage_export(args, settings) -> int:
    """`coverage export FILE.csv`: every visible hit of a campaign, or those since a day."""
    db = open_store(settings.database_url)
    since = campaigns.parse_date(args.since) if args.since else None
    campaign_id = campaigns.resolve_campaign(db, args.campaign)
    count = hit_lists.export_csv(db, campaign_id, args.file, since=since)
    print(f"Wrote {count} press hits to {args.file}.")
    return 0


def cmd_coverage_report(args, settings) -> int:
    """`coverage report`: the clip report for a date range as HTML, and CSV if asked."""
    db = open_store(settings.database_url)
    report = build_clip_report(db, campaigns.resolve_campaign(db, args.campaign),
                   campaigns.parse_date(args.since), campaigns.parse_date(args.until))
    write_text(args.html, render_html(report))
    written = [args.html]
    if args.csv:
        write_text(args.csv, render_csv(report), encoding="utf-8-sig")
        written.append(args.csv)
    print(f"Clip report for {report.campaign}, {report.since} to {report.until}: "
          f"{report.total} clips; wrote {' and '.join(written)}.")
    return 0


def _add_coverage(subparsers) -> None:
    sub = actions(command(subparsers, "coverage"))
    p = sub.add_parser(
        "export", help="write a campaign's press hits to a CSV file",
        description="Write the campaign's press hits (hidden ones left out), oldest first, to "
        "FILE as CSV. Times are in the campaign's time zone. Cells that a spreadsheet would "
        "run as formulas get a leading '.",
    )
    p.add_argument("file", metavar="FILE.csv", help="the CSV file to write (replaced if it "
                   "exists)")
    add_campaign(p)
    p.add_argument("--since", metavar="DATE", default="",
                   help="only hits from this day on, YYYY-MM-DD in the campaign's time zone")
    p.set_defaults(func=cmd_coverage_export)
    p = sub.add_parser(
        "report", help="write a clip report for a date range (HTML to print, CSV)",
        description="Write the clip report for the days from --since to --until (both "
        "included, in the campaign's time zone): a summary, then every clip with headline, "
        "outlet, date, author, link and tone. Open the HTML file in a browser and print it "
        "to PDF.",
    )
    p.add_argument("--since", metavar="DATE", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--until", metavar="DATE", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--html", metavar="FILE", required=True, help="the HTML file to write")
    p.add_argument("--csv", metavar="FILE", default="",
                   help="also write the clips to this CSV file")
    add_campaign(p)
    p.set_defaults(func=cmd_coverage_report)


def _moment(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def _describe_added(feed: dict) -> str:
    return (f"Added feed {feed['id']}: {feed['title']} ({feed['kind']}, "
            f"{feed['item_count']} items). Next poll {_moment(feed['next_poll_at'])}.")


def cmd_feeds_add(args, settings: Settings) -> int:
    """`feeds add URL`: fetch the feed once, add it, record its matching stories."""
    db = open_store(settings.database_url)
    now = utcnow()
    with fetching(settings) as how:
        feed = add_feed(db, args.actor, resolve_campaign(db, args.campaign), args.url,
                        **how, now=now, kind=args.kind,
                        sink=hits_sink(db, now))
    print(_describe_added(feed) + f" {feed['new_hits']} new hits.")
    return 0


def cmd_feeds_add_google_news(args, settings: Settings) -> int:
    """`feeds add-google-news`: the campaign's Google News search feed."""
    db = open_store(settings.database_url)
    now = utcnow()
    with fetching(settings) as how:
        feed = add_google_news_feed(db, args.actor, resolve_campaign(db, args.campaign),
                                    **how, now=now,
                                    sink=hits_sink(db, now))
    print(_describe_added(feed) + f" {feed['new_hits']} new hits.")
    return 0


def cmd_feeds_watch_edgar(args, settings: Settings) -> int:
    """`feeds watch-edgar CIK|TICKER`: watch a company's SEC filings (as watch items)."""
    db = open_store(settings.database_url)
    now = utcnow()
    with fetching(settings) as how:
        feed = add_edgar_feed(db, args.actor, resolve_campaign(db, args.campaign), args.company,
                              **how, now=now, sink=hits_sink(db, now))
    print(_describe_added(feed) + " Its filings are on the Employer watch tab.")
    return 0


def cmd_feeds_watch_items(args, settings: Settings) -> int:
    """`feeds watch-items`: the employer watch, newest first, important forms labelled."""
    db = open_store(settings.database_url)
    items = watch.list_items(db, resolve_campaign(db, args.campaign))
    if not items:
        print("Nothing watched yet: add the employer's filings with `feeds watch-edgar CIK|TICKER` "
              "or its newsroom with `feeds add URL --kind employer`.")
    for item in items:
        when = item["published_at"] or item["found_at"]
        label = f" [{item['label']}]" if item["label"] else ""
        print(f"{when:%Y-%m-%d}  {item['title']}{label}\n    {item['link']}")
    return 0


def cmd_feeds_add_outlets(args, settings: Settings) -> int:
    """`feeds add-outlets`: every outlet's feed; exit 1 if any could not be added."""
    db = open_store(settings.database_url)
    now = utcnow()
    with fetching(settings) as how:
        report = add_outlet_feeds(db, args.actor, resolve_campaign(db, args.campaign),
                                  **how, now=now,
                                  sink=hits_sink(db, now))
    return _print_report(report)


def _print_report(report: dict[str, list]) -> int:
    """Each feed's outcome, then the counts; 1 when any feed could not be added."""
    for feed in report["added"]:
        print(_describe_added(feed))
    for failed in report["failed"]:
        print(f"Not added: {failed['name'] or failed['url']} ({failed['url']}): "
              f"{failed['error']}")
    if report["skipped"]:
        print("Already there: " + ", ".join(report["skipped"]))
    print(f"{len(report['added'])} added, {len(report['failed'])} failed, "
          f"{len(report['skipped'])} already there.")
    return 1 if report["failed"] else 0


def cmd_feeds_import(args, settings: Settings) -> int:
    """`feeds import FILE.opml`: every feed in a feed reader's export, fetched side by side;
    with --dry-run, what would be added, fetching nothing."""
    db = open_store(settings.database_url)
    campaign_id = resolve_campaign(db, args.campaign)
    wanted = read_opml(read_bytes(args.file))
    if args.dry_run:
        plan = plan_feeds(db, campaign_id, wanted)
        for feed in plan["new"]:
            print(f"Would add: {feed['name'] or feed['url']} ({feed['url']})")
        for failed in plan["failed"]:
            print(f"Cannot add: {failed['name'] or failed['url']}: {failed['error']}")
        print(f"{len(plan['new'])} to add, {len(plan['skipped'])} already there, "
              f"{len(plan['failed'])} not feed addresses. Dry run: nothing was added.")
        return 0
    now = utcnow()
    with fetching(settings) as how:
        report = add_feeds(db, args.actor, campaign_id, wanted, **how,
                           now=now, sink=hits_sink(db, now))
    return _print_report(report)


def cmd_feeds_export(args, settings: Settings) -> int:
    """`feeds export FILE.opml`: the campaign's feeds, for a feed reader or another desk."""
    db = open_store(settings.database_url)
    campaign = campaigns.get_campaign(db, resolve_campaign(db, args.campaign))
    rows = list_feeds(db, campaign.id)
    write_text(args.file, write_opml(f"{campaign.name}: coverage feeds",
                                     [{"title": r["title"], "url": r["url"]} for r in rows]))
    print(f"Wrote {len(rows)} feeds of {campaign.name!r} to {args.file}.")
    return 0


def cmd_feeds_list(args, settings: Settings) -> int:
    """`feeds list`: each feed's health, for checking that coverage still comes in: last
    success, last error, next poll, hits a week, and STALE for a feed silent too long."""
    db = open_store(settings.database_url)
    stale_after = timedelta(days=settings.feed_stale_days)
    rows = feed_health(db, resolve_campaign(db, args.campaign), now=utcnow(),
                       stale_after=stale_after)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No feeds yet: python -m outreach feeds add URL")
    for r in rows:
        state = f"FAILING x{r['failures']}: {r['last_error']}" if r["failures"] else "ok"
        if r["stale"]:
            state += (f"; STALE: nothing new since {_moment(r['last_news_at'])} "
                      f"(over {settings.feed_stale_days} days, OUTREACH_FEED_STALE_DAYS)")
        print(f"{r['id']:>4}  {r['kind']:<13} {r['title'][:40]:<40} {r['item_count']:>4} items"
              f"  {r['hits_per_week']:g} hits/week"
              f"  last success {_moment(r['last_success_at'])}"
              f"  next poll {_moment(r['next_poll_at'])}  {state}\n      {r['url']}")
    return 0


def cmd_feeds_remove(args, settings: Settings) -> int:
    """`feeds remove ID`."""
    remove_feed(open_store(settings.database_url), args.actor, args.id, now=utcnow())
    print(f"Feed {args.id} removed; its press hits stay.")
    return 0


def cmd_feeds_poll(args, settings: Settings) -> int:
    """`feeds poll [--once]`: poll due feeds now, then every worker interval."""
    db = open_store(settings.database_url)
    campaign_id = resolve_campaign(db, args.campaign) if args.campaign else None

    def step() -> None:
        now = utcnow()
        with fetching(settings) as how:
            summary = poll_feeds(db, **how, now=now,
                                 sink=hits_sink(db, now), force=args.force,
                                 campaign_id=campaign_id)
        for error in summary.errors:
            print(f"  failed: {error}")
        print(f"{_moment(now)}: {summary.describe()}.", flush=True)

    return repeat(step, interval=settings.worker_interval, once=args.once)


def _add_feeds(subparsers) -> None:
    sub = actions(command(subparsers, "feeds"))
    a = sub.add_parser("add", help="fetch an RSS or Atom feed once and add it")
    a.add_argument("url", metavar="URL")
    add_campaign(a)
    a.add_argument("--kind", default=None, choices=KINDS,
                   help="override the kind detected from the address and the feed")
    a.set_defaults(func=cmd_feeds_add)
    a = sub.add_parser("add-google-news",
                       help="add the Google News search feed for the campaign's keywords")
    add_campaign(a)
    a.set_defaults(func=cmd_feeds_add_google_news)
    a = sub.add_parser("watch-edgar", help="watch a company's SEC EDGAR filings by its CIK "
                       "or stock ticker",
                       description="Add the company's EDGAR filings feed to the employer "
                       "watch (kept apart from press hits). EDGAR asks for a contact e-mail: "
                       "set OUTREACH_EDGAR_CONTACT first.")
    a.add_argument("company", metavar="CIK|TICKER",
                   help="the company's EDGAR number (e.g. 0000320193) or its ticker (e.g. ACME)")
    add_campaign(a)
    a.set_defaults(func=cmd_feeds_watch_edgar)
    a = sub.add_parser("watch-items", help="the employer watch: filings and newsroom items, "
                       "newest first")
    add_campaign(a)
    a.set_defaults(func=cmd_feeds_watch_items)
    a = sub.add_parser("add-outlets", help="add the feed of every outlet that has one")
    add_campaign(a)
    a.set_defaults(func=cmd_feeds_add_outlets)
    a = sub.add_parser("import", help="add every feed in an OPML file (a feed reader's export)",
                       description="Add every feed FILE.opml lists to the campaign, fetching "
                       "them side by side; each is checked as `feeds add` checks one, and "
                       "one that fails is reported while the others are added.")
    a.add_argument("file", metavar="FILE.opml")
    add_campaign(a)
    a.add_argument("--dry-run", action="store_true",
                   help="list what would be added; fetch and add nothing")
    a.set_defaults(func=cmd_feeds_import)
    a = sub.add_parser("export", help="write the campaign's feeds to an OPML file")
    a.add_argument("file", metavar="FILE.opml", help="the file to write (replaced)")
    add_campaign(a)
    a.set_defaults(func=cmd_feeds_export)
    a = sub.add_parser("list", help="feeds with last success, last error, next poll, hits a "
                       "week, and STALE for one silent too long")
    add_campaign(a)
    add_json(a)
    a.set_defaults(func=cmd_feeds_list)
    a = sub.add_parser("remove", help="remove a feed (its press hits stay)")
    a.add_argument("id", type=int, metavar="ID")
    a.set_defaults(func=cmd_feeds_remove)
    a = sub.add_parser("poll", help="fetch the due feeds and record new press hits, every "
                       "OUTREACH_WORKER_INTERVAL seconds until Ctrl-C")
    a.add_argument("--once", action="store_true", help="one pass, then exit")
    a.add_argument("--force", action="store_true",
                   help="fetch every feed now, even those not due")
    add_campaign(a, "only this campaign's feeds")
    a.set_defaults(func=cmd_feeds_poll)


def add_parsers(subparsers) -> None:
    """`coverage export|report` and `feeds add|add-google-news|watch-edgar|watch-items|
    add-outlets|list|remove|poll`."""
    _add_coverage(subparsers)
    _add_feeds(subparsers)
