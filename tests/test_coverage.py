"""Coverage read side, CSV export and the clip report, on SQLite and PostgreSQL."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from outreach import campaigns
from outreach.cli import build_parser, execute
from outreach.coverage import clip_report, hit_lists
from outreach.coverage.hit_lists import HitFilter
from outreach.errors import InvalidInput, NotFound
from outreach.roles import Actor
from outreach.store.tables import journalists, outlets, press_hits, releases

ADMIN = Actor("ada", "admin")


@dataclass
class World:
    """One campaign in Chicago time with three outlets, two journalists and a release."""

    campaign_id: int
    daily: int
    tv: int
    labor: int
    ana: int
    ben: int
    release: int


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def world(db, now) -> World:
    campaign = campaigns.create_campaign(db, ADMIN, "Acme Contract Fight", now=now,
                                         timezone="America/Chicago")
    with db.begin() as conn:
        def outlet(name, kind):
            return conn.execute(outlets.insert().values(
                name=name, kind=kind, domain=f"{name.split()[0].lower()}.example.org",
                created_at=now)).inserted_primary_key[0]

        daily = outlet("Riverside Daily", "daily paper")
        tv = outlet("Channel 7 News", "TV")
        labor = outlet("Labor Beat Weekly", "labor press")

        def journalist(name, outlet_id):
            return conn.execute(journalists.insert().values(
                name=name, outlet_id=outlet_id, created_at=now,
                updated_at=now)).inserted_primary_key[0]

        ana = journalist("Ana Ruiz", daily)
        ben = journalist("Ben Okafor", tv)
        release = conn.execute(releases.insert().values(
            campaign_id=campaign.id, title="Workers vote to authorise a strike",
            created_at=now, updated_at=now)).inserted_primary_key[0]
    return World(campaign.id, daily, tv, labor, ana, ben, release)


def add_hit(db, world: World, title: str, published: datetime | None, **values) -> int:
    row = {
        "campaign_id": world.campaign_id, "title": title,
        "url": "https://riverside.example.org/news/" + re.sub(r"\W+", "-", title.lower()),
        "published_at": published, "found_at": published or utc(2026, 11, 20, 12),
        "outlet_id": world.daily, **values,
    }
    with db.begin() as conn:
        return conn.execute(press_hits.insert().values(**row)).inserted_primary_key[0]


@pytest.fixture
def hits(db, world) -> dict[str, int]:
    """Seven visible hits across 3-5 November 2026 (Chicago) and one hidden one."""
    return {
        # 04:30 UTC on the 3rd is 22:30 on the 2nd in Chicago (CST, UTC-6).
        "late": add_hit(db, world, "Night shift walks out at Acme", utc(2026, 11, 3, 4, 30),
                        author="Ana Ruiz", journalist_id=world.ana,
                        journalist_match="confirmed", tone="positive",
                        spokesperson_quoted=True, matched_terms=["Acme", "walkout"]),
        "vote": add_hit(db, world, "Acme workers vote to strike", utc(2026, 11, 3, 15),
                        author="Ana Ruiz", journalist_id=world.ana, tone="positive",
                        spokesperson_quoted=True, key_message=True, release_id=world.release,
                        matched_terms=["Acme"]),
        "tv": add_hit(db, world, "Pickets at the Acme gate", utc(2026, 11, 3, 23),
                      outlet_id=world.tv, author="Ben Okafor", journalist_id=world.ben,
                      tone="neutral"),
        "guess": add_hit(db, world, "Acme says talks continue", utc(2026, 11, 4, 16),
                         outlet_id=world.tv, author="B. Okafor", journalist_id=world.ben,
                         journalist_match="suggested", tone="negative"),
        "labor": add_hit(db, world, "100% solidarity on the Acme line", utc(2026, 11, 5, 14),
                         outlet_id=world.labor, author="Sam Lee", spokesperson_quoted=True),
        "undated": add_hit(db, world, "Rally draws hundreds to Acme", None,
                           outlet_id=world.labor, found_at=utc(2026, 11, 5, 18)),
        "anonymous": add_hit(db, world, "Acme strike: what to know", utc(2026, 11, 5, 20),
                             outlet_id=None),
        "hidden": add_hit(db, world, "Acme Bakery wins pie contest", utc(2026, 11, 4, 12),
                          hidden=True, tone="positive"),
    }


def ids(rows) -> set[int]:
    return {row["id"] for row in rows}


def test_list_hits_leaves_hidden_out_unless_asked(db, world, hits):
    listed = hit_lists.list_hits(db, world.campaign_id, HitFilter())
    assert hits["hidden"] not in ids(listed)
    assert len(listed) == 7
    assert [r["id"] for r in listed][:2] == [hits["anonymous"], hits["undated"]]
    every = hit_lists.list_hits(db, world.campaign_id, HitFilter(include_hidden=True))
    assert hits["hidden"] in ids(every)
    assert hit_lists.count_hits(db, world.campaign_id) == 7
    assert "Acme Bakery wins pie contest" not in {
        h["title"] for h in hit_lists.latest_hits(db, world.campaign_id)}


def test_list_hits_carries_names_and_details(db, world, hits):
    vote = next(h for h in hit_lists.list_hits(db, world.campaign_id, HitFilter())
                if h["id"] == hits["vote"])
    assert vote["outlet"] == "Riverside Daily" and vote["outlet_kind"] == "daily paper"
    assert vote["journalist"] == "Ana Ruiz"
    assert vote["release"] == "Workers vote to authorise a strike"
    assert vote["matched_terms"] == ["Acme"]
    assert vote["date"] == utc(2026, 11, 3, 15)
    undated = next(h for h in hit_lists.list_hits(db, world.campaign_id, HitFilter())
                   if h["id"] == hits["undated"])
    assert undated["published_at"] is None and undated["date"] == utc(2026, 11, 5, 18)
    assert undated["matched_terms"] == []


@pytest.mark.parametrize(("flt", "expected"), [
    (HitFilter(since=date(2026, 11, 3)), {"vote", "tv", "guess", "labor", "undated",
                                          "anonymous"}),
    (HitFilter(until=date(2026, 11, 2)), {"late"}),
    (HitFilter(since=date(2026, 11, 3), until=date(2026, 11, 3)), {"vote", "tv"}),
    (HitFilter(outlet_kind="TV"), {"tv", "guess"}),
    (HitFilter(tone="positive"), {"late", "vote"}),
    (HitFilter(tone=""), {"labor", "undated", "anonymous"}),
    (HitFilter(spokesperson_quoted=True), {"late", "vote", "labor"}),
    (HitFilter(spokesperson_quoted=False, outlet_kind="labor press"), {"undated"}),
    (HitFilter(key_message=True), {"vote"}),
    (HitFilter(text="acme WORKERS"), {"vote"}),
    (HitFilter(text="%"), {"labor"}),  # a literal percent sign, not a wildcard
    (HitFilter(text="  "), {"late", "vote", "tv", "guess", "labor", "undated", "anonymous"}),
    (HitFilter(tone="positive", include_hidden=True), {"late", "vote", "hidden"}),
])
def test_filters(db, world, hits, flt, expected):
    assert ids(hit_lists.list_hits(db, world.campaign_id, flt)) == {hits[k] for k in expected}


def test_filter_by_outlet_and_journalist_ignores_unconfirmed_suggestions(db, world, hits):
    by_tv = hit_lists.list_hits(db, world.campaign_id, HitFilter(outlet_id=world.tv))
    assert ids(by_tv) == {hits["tv"], hits["guess"]}
    by_ben = hit_lists.list_hits(db, world.campaign_id, HitFilter(journalist_id=world.ben))
    assert ids(by_ben) == {hits["tv"]}
    guess = next(h for h in by_tv if h["id"] == hits["guess"])
    assert guess["journalist"] is None and guess["journalist_match"] == "suggested"


def test_limit_and_oldest_first(db, world, hits):
    oldest = hit_lists.list_hits(db, world.campaign_id, HitFilter(), limit=2, newest_first=False)
    assert [h["id"] for h in oldest] == [hits["late"], hits["vote"]]


def test_backwards_range_and_unknown_campaign_are_clear_errors(db, world, hits):
    with pytest.raises(InvalidInput, match="give the earlier date first"):
        hit_lists.list_hits(db, world.campaign_id,
                           HitFilter(since=date(2026, 11, 5), until=date(2026, 11, 1)))
    with pytest.raises(NotFound, match="No campaign with id 999"):
        hit_lists.hits_per_day(db, 999, HitFilter())


def test_hits_per_day_counts_days_in_the_campaign_zone(db, world, hits):
    per_day = hit_lists.hits_per_day(db, world.campaign_id, HitFilter())
    assert per_day == [
        {"day": date(2026, 11, 2), "hits": 1},  # 04:30 UTC on the 3rd, evening in Chicago
        {"day": date(2026, 11, 3), "hits": 2},  # 23:00 UTC is 17:00 in Chicago
        {"day": date(2026, 11, 4), "hits": 1},  # the hidden hit does not count
        {"day": date(2026, 11, 5), "hits": 3},  # the undated hit counts when it was found
    ]
    padded = hit_lists.hits_per_day(
        db, world.campaign_id, HitFilter(since=date(2026, 11, 1), until=date(2026, 11, 4),
                                         outlet_kind="TV"))
    assert padded == [{"day": date(2026, 11, d), "hits": n}
                      for d, n in ((1, 0), (2, 0), (3, 1), (4, 1))]
    assert hit_lists.hits_per_day(db, world.campaign_id, HitFilter(tone="none such")) == []


def test_hits_by_outlet_and_kind(db, world, hits):
    by_outlet = hit_lists.hits_by_outlet(db, world.campaign_id, HitFilter())
    assert [(r["outlet"], r["kind"], r["hits"]) for r in by_outlet] == [
        ("Channel 7 News", "TV", 2),
        ("Labor Beat Weekly", "labor press", 2),
        ("Riverside Daily", "daily paper", 2),
        (hit_lists.UNKNOWN_OUTLET, hit_lists.NO_OUTLET_KIND, 1),
    ]
    by_kind = hit_lists.hits_by_outlet_kind(db, world.campaign_id,
                                           HitFilter(since=date(2026, 11, 3)))
    assert by_kind == [
        {"kind": "labor press", "hits": 2}, {"kind": "TV", "hits": 2},
        {"kind": "daily paper", "hits": 1}, {"kind": hit_lists.NO_OUTLET_KIND, "hits": 1},
    ]


def test_hits_by_journalist_falls_back_to_the_byline(db, world, hits):
    rows = hit_lists.hits_by_journalist(db, world.campaign_id, HitFilter())
    assert [(r["journalist"], r["on_press_list"], r["hits"]) for r in rows] == [
        ("Ana Ruiz", True, 2),
        ("No byline", False, 2),
        ("B. Okafor", False, 1),  # only suggested: counted under the byline until confirmed
        ("Ben Okafor", True, 1),
        ("Sam Lee", False, 1),
    ]
    assert sum(r["hits"] for r in rows) == 7
    assert rows[0]["journalist_id"] == world.ana


def test_spokesperson_share(db, world, hits):
    assert hit_lists.spokesperson_share(db, world.campaign_id, HitFilter()) == (3, 7)
    assert hit_lists.spokesperson_share(db, world.campaign_id, HitFilter(outlet_kind="TV")) \
        == (0, 2)
    assert hit_lists.spokesperson_share(db, world.campaign_id, HitFilter(tone="x")) == (0, 0)


def test_events_between_for_chart_markers(db, world, now):
    for day, title, kind in ((1, "Strike vote", "strike_vote"), (4, "Rally", "rally"),
                             (9, "Bargaining", "bargaining")):
        campaigns.add_event(db, ADMIN, world.campaign_id, event_date=date(2026, 11, day),
                            title=title, kind=kind, now=now)
    found = hit_lists.events_between(db, world.campaign_id, date(2026, 11, 1), date(2026, 11, 4))
    assert found == [
        {"event_date": date(2026, 11, 1), "title": "Strike vote", "kind": "strike_vote"},
        {"event_date": date(2026, 11, 4), "title": "Rally", "kind": "rally"},
    ]
    assert len(hit_lists.events_between(db, world.campaign_id, None, None)) == 3


def test_export_csv_round_trips_and_neutralises_formulas(db, world, hits, tmp_path):
    add_hit(db, world, "=cmd|' /C calc'!A0", utc(2026, 11, 6, 12), author="@attacker",
            tone="neutral")
    path = tmp_path / "hits.csv"
    assert hit_lists.export_csv(db, world.campaign_id, path) == 8
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == hit_lists.EXPORT_COLUMNS
    assert len(rows) == 8 and "Acme Bakery wins pie contest" not in {r["headline"] for r in rows}
    vote = rows[1]
    assert vote == {
        "published": "2026-11-03 09:00", "headline": "Acme workers vote to strike",
        "outlet": "Riverside Daily", "outlet type": "daily paper", "author": "Ana Ruiz",
        "journalist": "Ana Ruiz",
        "link": "https://riverside.example.org/news/acme-workers-vote-to-strike",
        "tone": "positive", "spokesperson quoted": "yes", "key message": "yes",
        "matched terms": "Acme", "release": "Workers vote to authorise a strike",
    }
    assert rows[0]["published"] == "2026-11-02 22:30"
    assert rows[0]["matched terms"] == "Acme; walkout"
    assert rows[-1]["headline"] == "'=cmd|' /C calc'!A0"
    assert rows[-1]["author"] == "'@attacker"

    stream = io.StringIO(newline="")
    assert hit_lists.export_csv(db, world.campaign_id, stream, since=date(2026, 11, 5)) == 4
    assert stream.getvalue().splitlines()[1].startswith("2026-11-05 08:00,")


def test_export_to_an_unwritable_path_says_so(db, world, tmp_path):
    with pytest.raises(InvalidInput, match="Cannot write"):
        hit_lists.export_csv(db, world.campaign_id, tmp_path / "missing" / "hits.csv")


class Resources(HTMLParser):
    """Every URL-valued attribute in a page, with its tag."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "srcset", "action", "data", "poster", "background"):
                self.urls.append((tag, name, value or ""))


def test_clip_report_html_has_the_summary_and_escapes_everything(db, world, hits):
    add_hit(db, world, "<script>alert('pwned')</script> Acme & Sons", utc(2026, 11, 4, 18),
            outlet_id=world.labor, author="<b>Mallory</b>",
            url="https://labor.example.org/story?a=1&b=2")
    add_hit(db, world, "Acme link trap", utc(2026, 11, 4, 19), url="javascript:alert(1)")
    report = clip_report.build(db, world.campaign_id, date(2026, 11, 3), date(2026, 11, 5))
    assert report.total == 8 and report.outlets == 3
    assert report.by_tone == {"positive": 1, "neutral": 1, "negative": 1, "not marked": 5}
    assert report.spokesperson_quoted == 2 and report.spokesperson_percent == 25
    assert report.top_outlets[0] == ("Labor Beat Weekly", 3)

    page = clip_report.render_html(report)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Clip report: Acme Contract Fight" in text
    assert "3 November 2026 to 5 November 2026" in text
    assert "8 clips" in text and "3 outlets" in text
    assert "25% quote our spokespeople (2 of 8)" in text
    assert "1 positive, 1 neutral, 1 negative, 5 not marked" in text
    assert "Labor Beat Weekly (3)" in text
    assert "America/Chicago" in text
    assert "<script>" not in page and "<b>Mallory" not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; Acme &amp; Sons" in page
    assert "DRAFT" not in page
    assert "Night shift walks out" not in page  # the 2nd, before the range

    parser = Resources()
    parser.feed(page)
    clip_links = {h["url"] for h in hit_lists.list_hits(db, world.campaign_id, HitFilter())
                  if h["url"].startswith("https://")}
    assert parser.urls, "the clips are links"
    assert all(tag == "a" and name == "href" and url in clip_links
               for tag, name, url in parser.urls)
    assert "https://labor.example.org/story?a=1&b=2" in {u for _, _, u in parser.urls}
    assert not re.search(r"url\(|@import|<link|<script|<img|<iframe", page, re.IGNORECASE)
    assert "@media print" in page


def test_clip_report_csv(db, world, hits):
    add_hit(db, world, "=HYPERLINK(\"http://evil.test\")", utc(2026, 11, 5, 21), tone="neutral")
    report = clip_report.build(db, world.campaign_id, date(2026, 11, 5), date(2026, 11, 5))
    rows = list(csv.DictReader(io.StringIO(clip_report.render_csv(report))))
    assert list(rows[0]) == ["headline", "outlet", "date", "author", "link", "tone"]
    assert [r["headline"] for r in rows] == [
        "100% solidarity on the Acme line", "Rally draws hundreds to Acme",
        "Acme strike: what to know", "'=HYPERLINK(\"http://evil.test\")"]
    assert rows[0] == {"headline": "100% solidarity on the Acme line",
                       "outlet": "Labor Beat Weekly", "date": "2026-11-05", "author": "Sam Lee",
                       "link": "https://riverside.example.org/news/100-solidarity-on-the-acme-line",
                       "tone": ""}
    assert rows[2]["outlet"] == hit_lists.UNKNOWN_OUTLET


def test_clip_report_for_an_empty_range_says_so(db, world, hits):
    report = clip_report.build(db, world.campaign_id, date(2026, 12, 1), date(2026, 12, 31))
    page = clip_report.render_html(report)
    assert "No coverage between 1 December 2026 and 31 December 2026." in page
    assert "<table" not in page
    assert clip_report.render_csv(report).splitlines() == ["headline,outlet,date,author,link,tone"]
    with pytest.raises(InvalidInput, match="earlier date first"):
        clip_report.build(db, world.campaign_id, date(2026, 12, 31), date(2026, 12, 1))


def run_cli(db, argv: list[str]) -> int:
    args = build_parser(argv[0]).parse_args(argv)
    settings = SimpleNamespace(database_url=db.url.render_as_string(hide_password=False))
    return execute(args, settings)


def test_command_line_export_and_report(db, world, hits, tmp_path, capsys):
    out = tmp_path / "hits.csv"
    assert run_cli(db, ["coverage", "export", str(out), "--since", "2026-11-04"]) == 0
    assert "Wrote 4 press hits" in capsys.readouterr().out
    assert out.read_text("utf-8-sig").splitlines()[0].startswith("published,headline,outlet")

    html_file, csv_file = tmp_path / "report.html", tmp_path / "report.csv"
    assert run_cli(db, ["coverage", "report", "--since", "2026-11-03", "--until",
                        "2026-11-03", "--html", str(html_file), "--csv", str(csv_file),
                        "--campaign", "Acme Contract Fight"]) == 0
    assert "2 clips" in capsys.readouterr().out
    assert "Acme workers vote to strike" in html_file.read_text("utf-8")
    assert len(csv_file.read_text("utf-8-sig").splitlines()) == 3

    campaigns.create_campaign(db, ADMIN, "Second Drive", now=utc(2026, 11, 20),
                              timezone="UTC")
    with pytest.raises(InvalidInput, match="--campaign NAME .*Acme Contract Fight"):
        run_cli(db, ["coverage", "export", str(out)])
    with pytest.raises(NotFound, match="No campaign named 'Nope'"):
        run_cli(db, ["coverage", "export", str(out), "--campaign", "Nope"])
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        run_cli(db, ["coverage", "report", "--since", "3/11/2026", "--until", "2026-11-03",
                     "--html", str(html_file), "--campaign", "Second Drive"])
