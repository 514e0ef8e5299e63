"""`campaigns ...`: the campaigns every other command is about, and their timelines."""

from __future__ import annotations

from outreach import campaigns, clock
from outreach.cli import actions, command
from outreach.cli.output import add_json, print_json
from outreach.config import Settings
from outreach.store import open_store
from outreach.store.tables import CAMPAIGN_EVENT_KINDS


def cmd_campaigns_add(args, settings: Settings) -> int:
    campaign = campaigns.create_campaign(
        open_store(settings.database_url),
        args.actor,
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
    found = campaigns.list_campaigns(open_store(settings.database_url))
    if args.json:
        print_json(found)
        return 0
    if not found:
        print("No campaigns yet. Add one: python -m outreach campaigns add NAME")
    for c in found:
        who = " / ".join(x for x in (c.employer, c.union_name) if x)
        print(f"{c.id:>4}  {c.name}" + (f"  ({who})" if who else "") + f"  [{c.timezone}]")
    return 0


def cmd_campaigns_set_query(args, settings: Settings) -> int:
    engine = open_store(settings.database_url)
    campaign = campaigns.find_campaign(engine, args.name)
    campaigns.set_query(engine, args.actor, campaign.id, args.query, now=clock.utcnow())
    print(f"Coverage query for {campaign.name!r}: {args.query.strip()}" if args.query.strip()
          else f"Cleared the coverage query of {campaign.name!r}; its keywords are used.")
    return 0


def cmd_campaigns_set_news(args, settings: Settings) -> int:
    engine = open_store(settings.database_url)
    campaign = campaigns.find_campaign(engine, args.name)
    campaigns.set_news_edition(engine, args.actor, campaign.id, args.language, args.country,
                               now=clock.utcnow())
    print(f"Google News for {campaign.name!r}: {args.language} / {args.country.upper()}. "
          "Add its feed with `feeds add-google-news`.")
    return 0


def cmd_campaigns_event(args, settings: Settings) -> int:
    engine = open_store(settings.database_url)
    campaign = campaigns.find_campaign(engine, args.name)
    event = campaigns.add_event(
        engine,
        args.actor,
        campaign.id,
        event_date=campaigns.parse_date(args.date),
        title=args.title,
        kind=args.kind,
        notes=args.notes,
        now=clock.utcnow(),
    )
    print(f"Added {event.event_date} {event.title!r} to {campaign.name!r}.")
    return 0


def add_parsers(subparsers) -> None:
    """`campaigns add|list|event|set-query|set-news`."""
    p = command(subparsers, "campaigns")
    csub = actions(p)
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
    add_json(a)
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

