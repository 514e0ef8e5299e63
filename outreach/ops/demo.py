"""Fictional demo data, so that every page shows something real on first run.

Everything here is invented: outlets and e-mail addresses use the `.test`
domain, phone numbers the 555-01xx range. Journalists come from
`press_lists/sample.csv`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.config import SHIPPED_DIR
from outreach.coverage.query import compile_query
from outreach.coverage.story_keys import title_key
from outreach.errors import OutreachError
from outreach.org_settings import OrgSettings, get_org
from outreach.releases import templates
from outreach.roles import Actor
from outreach.social.publisher import new_key
from outreach.store.tables import (
    campaign_events,
    campaigns,
    feeds,
    follower_snapshots,
    interactions,
    journalists,
    org_settings,
    outlets,
    post_metrics,
    post_parts,
    posts,
    press_hits,
    press_list_members,
    press_lists,
    release_versions,
    releases,
    social_accounts,
    spokespeople,
)

SAMPLE_CSV = SHIPPED_DIR / "press_lists" / "sample.csv"
DEMO_CAMPAIGN = "Acme Logistics Contract Fight"
DEMO_TZ = "America/Chicago"
DEMO_ACTOR = Actor("demo loader", "admin")

# name, domain, kind, region, language
OUTLETS = (
    ("Riverside Daily Ledger", "riversideledger.test", "daily paper", "Riverside", "en"),
    ("Channel 7 Metro News", "ch7metro.test", "TV", "Riverside metro", "en"),
    ("KWRK Community Radio", "kwrk.test", "radio", "Valley City", "en"),
    ("The Valley Dispatch", "valleydispatch.test", "online", "Valley City", "en"),
    ("Continental Wire Service", "continentalwire.test", "wire", "national", "en"),
    ("Freight & Logistics Weekly", "freightweekly.test", "trade", "national", "en"),
    ("The Labor Herald", "laborherald.test", "labor press", "state", "en"),
    ("La Voz del Valle", "lavozdelvalle.test", "community/ethnic-language media",
     "Valley City", "es"),
    ("State University Courier", "sucourier.test", "student", "Riverside", "en"),
    ("Northside Neighbors", "northsideneighbors.test", "community/ethnic-language media",
     "Northside", "en"),
)

LIST_DESCRIPTIONS = {
    "Labor beat": "Reporters who cover work, unions and the economy.",
    "Local TV & radio": "Assignment desks and producers for broadcast.",
    "Spanish-language": "Spanish-language outlets and bilingual reporters.",
    "Rapid response": "Who gets a rapid response the same morning: the labor beat and the "
                      "broadcast desks.",
}
# A demo journalist on any of these lists is also on the rapid-response list.
RAPID_RESPONSE_FROM = ("Labor beat", "Local TV & radio")

# days from today, kind, title
EVENTS = (
    (-56, "bargaining", "First bargaining session"),
    (-35, "rally", "Rally at the Riverside distribution center"),
    (-21, "bargaining", "Management walks out of bargaining"),
    (-14, "strike_vote", "Strike authorization vote: 94% yes"),
    (-5, "picket", "Informational picket, all three shifts"),
    (6, "walkout", "Strike deadline"),
)

# days from today, kind, status, title
# days from today, template, status, fields that replace the template's samples
# Every field is the demo's own: a template's samples tell another (fictional) union's story.
DOLORES = {"name": "Dolores Ferreira-Quint", "role": "chief steward on the night shift",
           "phone": "555-0190", "languages": "English; Spanish"}
MARCUS = {"name": "Marcus Obi-Lindqvist", "role": "a member of the bargaining committee",
          "phone": "555-0191", "languages": "English"}
RELEASES = (
    (-14, "press_release.en", "sent", {
        "headline": "Acme Logistics workers vote 94% to authorize strike",
        "subheadline": "1,200 warehouse workers demand safe staffing and heat protection",
        "city": "RIVERSIDE",
        "lede": "Warehouse workers at Acme Logistics' Riverside distribution center voted "
                "94 percent on Thursday to authorize a strike if the company does not "
                "agree to a fair first contract.",
        "body": "Workers have bargained since October over staffing levels, heat inside "
                "the warehouse and pay that has not kept up with rent.\n\nThe union "
                "will return to the table next week.",
        "quote": "Nobody wants to strike. We want Acme to take our safety seriously.",
        "spokesperson": DOLORES,
    }),
    (-6, "media_advisory.en", "in_review", {
        "headline": "Media advisory: picket line at shift change", "city": "RIVERSIDE",
        "summary": "Acme Logistics warehouse workers will picket the Riverside distribution "
                   "center at the 6 a.m. shift change, a week before their strike deadline.",
        "what": "An informational picket and short press conference at the main gate as the "
                "night shift leaves and the day shift arrives.",
        "start_time": "05:30", "end_time": "07:00",
        "where": "Acme Logistics Riverside distribution center, main gate on Depot Road "
                 "(fictional address)",
        "who": "Warehouse workers from all three shifts, the bargaining committee, and "
               "community supporters.",
        "why": "Workers voted 94% to authorize a strike over staffing, heat inside the "
               "warehouse and pay that has not kept up with rent.",
        "visuals": ["Workers from all three shifts on the picket line at dawn",
                    "Hand-made signs about heat inside the warehouse"],
        "onsite_contact": {"name": "Local 101 Media Desk", "phone": "555-0199",
                           "email": "media@local101.test"},
    }),
    (-1, "statement.en", "draft", {
        "headline": "Statement on Acme's latest contract offer", "city": "RIVERSIDE",
        "spokesperson": MARCUS,
        "occasion": "on Acme Logistics' latest contract offer",
        "statement": "Acme's offer does nothing about the heat inside the Riverside "
                     "warehouse and leaves staffing exactly where it is. Our members "
                     "will read it, discuss it on every shift and vote on it.\n\n"
                     "We are ready to meet every day until the strike deadline to reach a "
                     "fair first contract.",
        "background": "Workers at the Riverside distribution center voted 94% to authorize "
                      "a strike. The strike deadline is in six days.",
    }),
)
ORG = {
    "union_name": "Warehouse Workers United, Local 101",
    "boilerplate": "Warehouse Workers United, Local 101 represents 1,200 warehouse workers "
                   "in the Riverside region. (Fictional demo data.)",
    "media_contact_name": "Local 101 Media Desk",
    "media_contact_phone": "555-0199",
    "media_contact_email": "media@local101.test",
}

POST_TEXTS = (
    "Bargaining starts today. We are 1,200 warehouse workers asking for safe "
    "staffing and fair pay. #AcmeContract",
    "Thank you to everyone who came to the rally! Photos from the Riverside "
    "distribution center. #AcmeContract",
    "Management walked out of bargaining today. We are still at the table. "
    "#AcmeContract",
    "94% YES. Acme Logistics workers have voted to authorize a strike. "
    "#AcmeContract",
    "Informational pickets on all three shifts today. Honk if you support us!",
    "We stand with our coworkers. Read our statement on Acme's offer.",
)

# days after a start of the campaign, outlet index, title, author index
HITS = (
    (-55, 0, "Acme Logistics warehouse workers open contract talks", 0),
    (-34, 1, "Hundreds rally outside Acme distribution center", 1),
    (-34, 7, "Trabajadores de Acme Logistics marchan por un contrato justo", 7),
    (-20, 5, "Acme Logistics bargaining stalls as union cites staffing", 5),
    (-13, 4, "Acme Logistics workers authorize strike", 4),
    (-13, 6, "94% strike vote at Acme: what comes next", 6),
    (-12, 2, "Listener call-in: the Acme Logistics strike vote", 2),
    (-4, 3, "Pickets ring Acme warehouse on all three shifts", 3),
)

# Which stories count as coverage; see coverage_query.py.
DEMO_QUERY = ('(Acme OR "Warehouse Workers United" OR "Local 101") AND (union OR strike OR '
              'workers OR pickets OR trabajadores OR bargaining OR contract)')
TONES = ("neutral", "positive", "", "neutral", "positive", "positive", "", "negative")


def is_empty(db: Engine) -> bool:
    """True when the store holds no campaigns and no journalists."""
    with db.connect() as conn:
        for table in (campaigns, journalists):
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
                return False
    return True


def _read_sample(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz).astimezone(UTC)


def load_demo(
    db: Engine, now: datetime, *, force: bool = False, actor: Actor = DEMO_ACTOR
) -> dict[str, int]:
    """Load the demo campaign and press list in one transaction; return counts.

    Refuses a store that already holds data unless `force`, which replaces the
    demo campaign and adds the sample outlets, journalists and lists not yet there.
    """
    if not force and not is_empty(db):
        raise OutreachError(
            "The database already holds data; the demo was not loaded. "
            "Use --force to add the demo campaign anyway."
        )
    tz = ZoneInfo(DEMO_TZ)
    today = now.astimezone(tz).date()
    org = replace(get_org(db), **ORG)
    sample = _read_sample(SAMPLE_CSV)
    counts: dict[str, int] = {}
    with db.begin() as conn:
        conn.execute(campaigns.delete().where(campaigns.c.name == DEMO_CAMPAIGN))
        for key, value in ORG.items():
            conn.execute(org_settings.delete().where(org_settings.c.key == key))
            conn.execute(org_settings.insert().values(key=key, value=value, updated_at=now,
                                                      updated_by=actor.name))
        outlet_ids = _load_outlets(conn, now)
        journalist_ids = _load_journalists(conn, sample, outlet_ids, now)
        counts["outlets"] = len(outlet_ids)
        counts["journalists"] = len(journalist_ids)
        counts["lists"] = _load_lists(conn, sample, journalist_ids, now)
        campaign_id = conn.execute(
            campaigns.insert().values(
                name=DEMO_CAMPAIGN,
                employer="Acme Logistics",
                union_name="Warehouse Workers United, Local 101",
                description=(
                    "1,200 warehouse workers at Acme Logistics' Riverside "
                    "distribution center fighting for a first contract: safe "
                    "staffing, heat protection and fair pay."
                ),
                timezone=DEMO_TZ,
                start_date=today + timedelta(days=-60),
                keywords=["Acme Logistics", "Warehouse Workers United", "Local 101"],
                query=DEMO_QUERY,
                created_at=now,
            )
        ).inserted_primary_key[0]
        conn.execute(
            campaign_events.insert(),
            [
                {"campaign_id": campaign_id, "event_date": today + timedelta(days=d),
                 "kind": kind, "title": title, "notes": "", "created_at": now}
                for d, kind, title in EVENTS
            ],
        )
        counts["events"] = len(EVENTS)
        for row in _release_rows(db, campaign_id, today, tz, org):
            version = {k: row[k] for k in ("title", "fields", "body", "created_at")}
            release_id = conn.execute(releases.insert().values(**row)).inserted_primary_key[0]
            conn.execute(release_versions.insert().values(
                release_id=release_id, number=1, embargo_at=None, created_by=actor.name,
                **version))
        counts["releases"] = len(RELEASES)
        counts.update(_load_social(conn, campaign_id, today, tz, now))
        counts.update(_load_post_metrics(conn, campaign_id, now))
        counts.update(_load_coverage(conn, campaign_id, today, tz, outlet_ids, sample,
                                     journalist_ids, now))
        counts.update(_load_history(conn, campaign_id, sample, journalist_ids, today, tz, now))
        audit.record(conn, actor, entity="campaign", entity_id=campaign_id,
                     action="load_demo", summary=DEMO_CAMPAIGN, now=now)
    return counts


# name, role in the union, languages, topics, media-trained
SPOKESPEOPLE = (
    ("Dolores Ferreira-Quint", "Chief steward, night shift", "English; Spanish",
     "heat; staffing", True),
    ("Marcus Obi-Lindqvist", "Bargaining committee", "English", "pay; bargaining", True),
    ("Tuyet Halvard", "Picker, day shift", "English; Vietnamese", "injuries; quotas", False),
)


def _load_history(
    conn: sa.Connection, campaign_id: int, sample: list[dict[str, str]],
    journalist_ids: dict[str, int], today: date, tz: ZoneInfo, now: datetime,
) -> dict[str, int]:
    if not conn.execute(sa.select(sa.func.count()).select_from(spokespeople)).scalar_one():
        conn.execute(spokespeople.insert(), [
            {"name": name, "union_role": role, "phone": f"555-019{i}", "languages": langs,
             "topics": topics, "media_trained": trained, "available_from": today,
             "available_to": today + timedelta(days=60), "created_at": now,
             "updated_at": now}
            for i, (name, role, langs, topics, trained) in enumerate(SPOKESPEOPLE)
        ])
    release_id = conn.execute(sa.select(releases.c.id).where(
        releases.c.campaign_id == campaign_id, releases.c.status == "sent")).scalar()
    history = []
    for i, row in enumerate(sample):
        if "labor" not in row["Beats"]:
            continue
        jid = journalist_ids[row["Email"].strip().lower()]
        pitched = _at(today + timedelta(days=-14), 10, 0, tz)
        history.append({"journalist_id": jid, "happened_at": pitched, "kind": "pitched",
                        "by_user": "demo loader", "release_id": release_id,
                        "notes": "Strike vote release", "created_at": now})
        last = pitched
        if i % 3 == 0:
            last = pitched + timedelta(hours=3)
            history.append({"journalist_id": jid, "happened_at": last,
                            "kind": "replied", "by_user": "demo loader", "release_id": None,
                            "notes": "Asked for a worker to interview", "created_at": now})
        conn.execute(journalists.update().where(journalists.c.id == jid)
                     .values(last_contacted_at=last))
    conn.execute(interactions.insert(), history)
    return {"spokespeople": len(SPOKESPEOPLE), "interactions": len(history)}


def _release_rows(db: Engine, campaign_id: int, today: date, tz: ZoneInfo,
                  org: OrgSettings) -> list[dict]:
    rows = []
    for day, name, status, fields in RELEASES:
        template = templates.get_template(db, name)
        when = today + timedelta(days=day)
        dated = {"date": when.isoformat()}
        if any(f.name == "when" for f in template.fields):  # an advisory's event: next day
            dated["when"] = (when + timedelta(days=1)).isoformat()
        values = templates.check_values(template, {
            **templates.sample_values(template), **dated, **fields})
        rows.append({
            "campaign_id": campaign_id, "title": fields["headline"], "kind": template.kind,
            "status": status, "template": name, "fields": values, "version": 1,
            "body": templates.render(template, values, org=org, fmt="md"),
            "created_at": _at(when, 9, 0, tz), "updated_at": _at(when, 11, 30, tz),
            "approved_at": _at(when, 10, 0, tz) if status == "sent" else None,
        })
    return rows


def _load_outlets(conn: sa.Connection, now: datetime) -> dict[str, int]:
    ids = {}
    for name, domain, kind, region, language in OUTLETS:
        found = conn.execute(sa.select(outlets.c.id).where(outlets.c.name == name)).scalar()
        if found is None:
            found = conn.execute(
                outlets.insert().values(
                    name=name, domain=domain, kind=kind, region=region,
                    language=language, feed_url=f"https://{domain}/rss.xml",
                    created_at=now,
                )
            ).inserted_primary_key[0]
        ids[name] = found
    return ids


def _load_journalists(
    conn: sa.Connection, sample: list[dict[str, str]], outlet_ids: dict[str, int],
    now: datetime,
) -> dict[str, int]:
    ids = {}
    for row in sample:
        email = row["Email"].strip().lower()
        found = conn.execute(
            sa.select(journalists.c.id).where(journalists.c.email == email)
        ).scalar()
        if found is None:
            found = conn.execute(
                journalists.insert().values(
                    name=row["Name"], title=row["Title"],
                    outlet_id=outlet_ids.get(row["Outlet"]), email=email,
                    phone=row["Phone"], beats=row["Beats"],
                    bluesky_handle=row["Bluesky"], x_handle=row["X"].lstrip("@"),
                    city=row["City"], created_at=now, updated_at=now,
                )
            ).inserted_primary_key[0]
        ids[email] = found
    return ids


def _load_lists(
    conn: sa.Connection, sample: list[dict[str, str]], journalist_ids: dict[str, int],
    now: datetime,
) -> int:
    list_ids = {}
    for name, description in LIST_DESCRIPTIONS.items():
        found = conn.execute(
            sa.select(press_lists.c.id).where(press_lists.c.name == name)
        ).scalar()
        if found is None:
            found = conn.execute(
                press_lists.insert().values(name=name, description=description,
                                            created_at=now)
            ).inserted_primary_key[0]
        list_ids[name] = found
    existing = {tuple(r) for r in conn.execute(sa.select(press_list_members))}
    members = []
    for row in sample:
        jid = journalist_ids[row["Email"].strip().lower()]
        names = [n for n in (n.strip() for n in row["Lists"].split(";")) if n]
        if any(n in RAPID_RESPONSE_FROM for n in names):
            names.append("Rapid response")
        for name in names:
            if (list_ids[name], jid) not in existing:
                members.append({"list_id": list_ids[name], "journalist_id": jid})
    if members:
        conn.execute(press_list_members.insert(), members)
    return len(list_ids)


def _load_social(
    conn: sa.Connection, campaign_id: int, today: date, tz: ZoneInfo, now: datetime
) -> dict[str, int]:
    accounts = {}
    for platform, handle, base, gain in (
        ("bluesky", "local101.bsky.test", 310, 9.0),
        ("x", "local101_demo", 820, 4.0),
    ):
        conn.execute(
            social_accounts.delete().where(
                social_accounts.c.platform == platform, social_accounts.c.handle == handle
            )
        )
        accounts[platform] = conn.execute(
            social_accounts.insert().values(
                campaign_id=campaign_id, platform=platform, handle=handle, created_at=now
            )
        ).inserted_primary_key[0]
        snapshots = []
        for day in range(-60, 1):
            # Steady growth with a jump after each event on the timeline.
            bumps = sum(
                60 / (1 + math.exp(-(day - d))) for d, _, _ in EVENTS if d <= 0
            )
            followers = int(base + gain * (day + 60) + bumps * gain / 4)
            snapshots.append({
                "account_id": accounts[platform],
                "taken_at": _at(today + timedelta(days=day), 8, 0, tz),
                "followers": followers, "following": 120 + (day + 60) // 3,
                "posts_count": 40 + (day + 60) // 2,
            })
        conn.execute(follower_snapshots.insert(), snapshots)
    rows = []
    for i, text in enumerate(POST_TEXTS):
        day = EVENTS[i][0] if i < len(EVENTS) - 1 else -1
        for platform, account_id in accounts.items():
            published = _at(today + timedelta(days=day), 10, 15, tz)
            rows.append({
                "campaign_id": campaign_id, "account_id": account_id, "text": text,
                "status": "published", "scheduled_at": published,
                "published_at": published,
                "remote_url": f"https://{platform}.example.org/local101/{i + 1}",
                "created_at": published - timedelta(hours=2),
            })
    upcoming = (
        (1, 7, 0, "Picket at shift change, 6 AM at Gate 3. Bring water. #AcmeContract"),
        (2, 12, 30, "Why we may strike: a thread from Acme warehouse workers."),
        (4, 18, 0, "Community potluck for strikers' families Thursday at the union hall."),
        (6, 6, 0, "The strike deadline is today. Here is how you can support us."),
    )
    for day, hour, minute, text in upcoming:
        when = _at(today + timedelta(days=day), hour, minute, tz)
        for account_id in accounts.values():
            rows.append({
                "campaign_id": campaign_id, "account_id": account_id, "text": text,
                "status": "scheduled", "scheduled_at": when, "published_at": None,
                "remote_url": "", "created_at": now,
            })
    rows.append({
        "campaign_id": campaign_id, "account_id": accounts["bluesky"],
        "text": "Draft: thank-you post for supporters after the deadline.",
        "status": "draft", "scheduled_at": None, "published_at": None,
        "remote_url": "", "created_at": now,
    })
    for row in rows:
        post_id = conn.execute(posts.insert().values(**row, version=1)).inserted_primary_key[0]
        conn.execute(post_parts.insert().values(
            post_id=post_id, position=0, text=row["text"], key=new_key(),
            remote_id=row["remote_url"], remote_url=row["remote_url"],
            published_at=row["published_at"]))
    return {"accounts": len(accounts), "posts": len(rows), "snapshots": 2 * 61}


# How much each published post (in POST_TEXTS order) drew, relative to the others, and each
# platform's engagement for a post of weight 1; X also reports impressions.
POST_WEIGHTS = (0.6, 0.9, 1.1, 2.6, 1.3, 0.7)
PLATFORM_ENGAGEMENT = {"bluesky": 46, "x": 24}
IMPRESSIONS_PER_ENGAGEMENT = {"x": 31}
# Engagement is read at widening intervals for 14 days after publishing (hours).
READ_HOURS = (1, 3, 6, 12, 24, 48, 96, 168, 336)


def _load_post_metrics(conn: sa.Connection, campaign_id: int, now: datetime) -> dict[str, int]:
    """Engagement reads of the demo's published posts: cumulative counts that rise fast in
    the first hours and level off, as real posts do."""
    published = conn.execute(
        sa.select(post_parts.c.id, posts.c.id.label("post_id"), posts.c.published_at,
                  posts.c.text, social_accounts.c.platform)
        .join(posts, posts.c.id == post_parts.c.post_id)
        .join(social_accounts, social_accounts.c.id == posts.c.account_id)
        .where(posts.c.campaign_id == campaign_id, posts.c.status == "published",
               post_parts.c.position == 0)
    ).all()
    rows = []
    for part in published:
        total = PLATFORM_ENGAGEMENT[part.platform] * POST_WEIGHTS[POST_TEXTS.index(part.text)]
        reads = [hours for hours in READ_HOURS
                 if part.published_at + timedelta(hours=hours, minutes=7) <= now]
        for hours in reads:
            reached = total * (1 - math.exp(-hours / 10))
            rows.append({
                "part_id": part.id, "taken_at": part.published_at + timedelta(hours=hours,
                                                                              minutes=7),
                "likes": round(reached * 0.6), "reposts": round(reached * 0.22),
                "replies": round(reached * 0.1), "quotes": round(reached * 0.08),
                "impressions": (round(reached * IMPRESSIONS_PER_ENGAGEMENT[part.platform])
                                if part.platform in IMPRESSIONS_PER_ENGAGEMENT else None),
            })
        # Counted as read already, so the worker does not ask fictional posts for more.
        conn.execute(posts.update().where(posts.c.id == part.post_id)
                     .values(metrics_reads=len(reads)))
    if rows:
        conn.execute(post_metrics.insert(), rows)
    # The accounts are fictional too: the worker leaves them alone for a day, as the feeds.
    conn.execute(social_accounts.update().where(social_accounts.c.campaign_id == campaign_id)
                 .values(metrics_next_at=now + timedelta(days=1)))
    return {"post metrics": len(rows)}


def _load_coverage(
    conn: sa.Connection, campaign_id: int, today: date, tz: ZoneInfo,
    outlet_ids: dict[str, int], sample: list[dict[str, str]],
    journalist_ids: dict[str, int], now: datetime,
) -> dict[str, int]:
    feed_rows = [
        (OUTLETS[0][0] + " news", f"https://{OUTLETS[0][1]}/rss.xml", "rss",
         outlet_ids[OUTLETS[0][0]]),
        (OUTLETS[6][0], f"https://{OUTLETS[6][1]}/rss.xml", "rss", outlet_ids[OUTLETS[6][0]]),
        ("Google News: Acme Logistics",
         "https://news.google.com/rss/search?q=%22Acme+Logistics%22&hl=en-US&gl=US&ceid=US:en",
         "google_news", None),
    ]
    feed_ids = [
        conn.execute(
            feeds.insert().values(
                campaign_id=campaign_id, title=title, url=url, kind=kind, outlet_id=outlet_id,
                last_success_at=now - timedelta(minutes=20), last_error="",
                last_polled_at=now - timedelta(minutes=20), item_count=len(HITS),
                # The outlets are fictional: the worker leaves these feeds alone for a day.
                next_poll_at=now + timedelta(days=1), created_at=now,
            )
        ).inserted_primary_key[0]
        for title, url, kind, outlet_id in feed_rows
    ]
    hits = []
    query = compile_query(DEMO_QUERY)
    for number, (day, outlet_index, title, author_index) in enumerate(HITS):
        outlet_name, domain = OUTLETS[outlet_index][0], OUTLETS[outlet_index][1]
        author = sample[author_index]
        published = _at(today + timedelta(days=day), 15, 40, tz)
        slug = "-".join(title.lower().split()[:6]).replace(":", "")
        hits.append({
            "campaign_id": campaign_id,
            "feed_id": feed_ids[-1],
            "outlet_id": outlet_ids[outlet_name],
            "journalist_id": journalist_ids[author["Email"].strip().lower()],
            "title": title,
            "url": f"https://{domain}/news/{slug}",
            "author": author["Name"],
            "published_at": published,
            "snippet": f"{title}. Workers at Acme Logistics' Riverside warehouse...",
            "found_at": published + timedelta(minutes=35),
            "canonical_url": f"https://{domain.removeprefix('www.')}/news/{slug}",
            "guid": f"https://{domain}/news/{slug}",
            "title_key": title_key(outlet_name, title),
            "matched_terms": list(query.match_item(title, "Workers at Acme Logistics") or ()),
            "tone": TONES[number],
            "spokesperson_quoted": number % 3 != 2,
            "key_message": number % 2 == 0,
            "journalist_match": "confirmed",
        })
    conn.execute(press_hits.insert(), hits)
    return {"feeds": len(feed_ids), "hits": len(hits)}
