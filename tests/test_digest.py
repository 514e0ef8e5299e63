"""The weekly digest: what one week holds, as escaped self-contained HTML and as Markdown,
from the command line and from the Analytics page."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from markdown_it import MarkdownIt
from support.pages import open_page
from support.world import (
    X_REFUSAL,
    World,
    add_hit,
    add_post,
    add_release,
    local,
    make_world,
    read,
    snapshot,
)

from outreach.cli import build_parser, execute
from outreach.clock import utcnow
from outreach.errors import InvalidInput, NotFound
from outreach.insights import analytics, digest
from outreach.ops import demo
from outreach.presslist import contacts
from outreach.roles import Actor
from outreach.store.tables import pitch_batches, pitch_messages, releases

EDITOR = Actor("ed", "editor")
HOSTILE = "<script>alert('pwned')</script> *Acme* & [Sons](javascript:alert(1))"


def pitch_results(db, release_id: int, sent: int, failed: int) -> None:
    with db.begin() as conn:
        batch_id = conn.execute(sa.select(pitch_batches.c.id).where(
            pitch_batches.c.release_id == release_id)).scalar_one()
        conn.execute(pitch_messages.insert(), [
            {"batch_id": batch_id, "journalist_id": None, "name": f"Reporter {n}",
             "email": f"r{n}@news.test", "message_id": f"<{n}@local7.test>", "status": status}
            for n, status in enumerate(["sent"] * sent + ["failed"] * failed)
        ])


@pytest.fixture
def week(db, now) -> World:
    """Campaign week 2026-W47 (16-22 November, Chicago): five posts, press hits, a release."""
    world = make_world(db, now, x_refused=True)
    snapshot(db, world.bluesky, local(2026, 11, 13), 200)
    snapshot(db, world.bluesky, local(2026, 11, 20), 260)
    for account, day, likes in ((world.bluesky, 17, 40), (world.bluesky, 18, 12),
                                (world.x, 18, 25), (world.bluesky, 19, 5),
                                (world.bluesky, 10, 99)):  # the last is the week before
        _, parts = add_post(db, world, account, local(2026, 11, day, 10),
                            text=f"Post with {likes} likes")
        read(db, parts[0], local(2026, 11, 28), likes)
    add_post(db, world, world.x, local(2026, 11, 21, 9), text="Not read yet")
    add_hit(db, world, "Acme workers rally", local(2026, 11, 16, 9), outlet="Riverside Ledger",
            url="https://ledger.example.org/rally?a=1&b=2")
    add_hit(db, world, "Pickets at Gate 3", local(2026, 11, 19), outlet="Riverside Ledger")
    add_hit(db, world, "Union vote explained", local(2026, 11, 20), outlet="Labor Herald")
    add_hit(db, world, HOSTILE, local(2026, 11, 21), outlet="Labor Herald",
            url="javascript:alert(1)")
    add_hit(db, world, "Acme Insurance results", local(2026, 11, 18), hidden=True)
    release = add_release(db, world, "Workers vote 94% to strike", status="sent",
                          approved_at=local(2026, 11, 16), pitched_at=local(2026, 11, 17, 9))
    pitch_results(db, release, sent=2, failed=1)
    add_hit(db, world, "Strike vote at Acme", local(2026, 11, 18), outlet="Riverside Ledger",
            release_id=release)
    add_hit(db, world, "Acme strike looms", local(2026, 11, 25), outlet="Wire Service",
            release_id=release)  # after the week: still coverage the release earned
    add_release(db, world, "Older release", pitched_at=local(2026, 11, 12))
    return world


def test_build_gathers_the_week(db, week):
    got = digest.build(db, week.campaign_id, 2026, 47)
    assert (got.label, got.monday, got.sunday) == ("2026-W47", date(2026, 11, 16),
                                                    date(2026, 11, 22))
    assert got.posts == 5 and got.posts_by_platform == {"Bluesky": 3, "X": 2}
    assert got.posts_with_figures == 4 and got.engagement == 40 + 12 + 25 + 5
    assert [(p.engagement, p.account) for p in got.top_posts] == [
        (40, "Bluesky @local7.bsky.test"), (25, "X @local7_test"),
        (12, "Bluesky @local7.bsky.test")]
    assert got.top_posts[0].published.tzinfo == ZoneInfo("America/Chicago")
    followers = {c.platform: c for c in got.followers}
    assert (followers["bluesky"].followers, followers["bluesky"].new) == (260, 60)
    assert followers["x"].new is None and X_REFUSAL in followers["x"].note
    assert got.new_followers == 60
    assert got.press_hits == 5
    assert got.top_outlets == [("Riverside Ledger", 3), ("Labor Herald", 2)]
    assert HOSTILE in [h.headline for h in got.headlines]
    [release] = got.releases
    assert (release.title, release.sent_on, release.journalists_pitched) == (
        "Workers vote 94% to strike", date(2026, 11, 17), 2)
    assert [h.headline for h in release.coverage] == ["Acme strike looms", "Strike vote at Acme"]


def test_a_journalist_pitched_twice_counts_once(db, week, now):
    ana = contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather",
                                               "email": "ana@news.test"}, now=now)
    ben = contacts.add_journalist(db, EDITOR, {"name": "Ben Ortiz",
                                               "email": "ben@news.test"}, now=now)
    with db.begin() as conn:
        release_id = conn.execute(sa.select(releases.c.id).where(
            releases.c.title == "Workers vote 94% to strike")).scalar_one()
        for day, people in ((17, [ana, ben]), (19, [ana, ben])):  # sent, then sent again
            batch_id = conn.execute(pitch_batches.insert().values(
                release_id=release_id, subject="Strike vote", created_by="editor",
                created_at=local(2026, 11, day, 9), finished_at=local(2026, 11, day, 10),
            )).inserted_primary_key[0]
            conn.execute(pitch_messages.insert(), [
                {"batch_id": batch_id, "journalist_id": jid, "name": "", "email": "",
                 "message_id": f"<{batch_id}-{jid}@local7.test>", "status": "sent"}
                for jid in people])
    [release] = digest.build(db, week.campaign_id, 2026, 47).releases
    # 2 people from the first fixture batch (known only by address) and Ana and Ben, once.
    assert release.journalists_pitched == 4
    assert "Pitched to 4 journalist(s)" in digest.render_markdown(
        digest.build(db, week.campaign_id, 2026, 47))


def test_a_week_that_does_not_exist_is_refused(db, week):
    with pytest.raises(InvalidInput, match="2026-W60 is not a week; write e.g. 2026-W48"):
        digest.build(db, week.campaign_id, 2026, 60)


class Resources(HTMLParser):
    """Every URL-bearing attribute in a page."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "srcset", "action", "data", "poster", "background"):
                self.urls.append((tag, name, value or ""))


def visible_text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_html_is_self_contained_and_escapes_every_text(db, week):
    page = digest.render_html(digest.build(db, week.campaign_id, 2026, 47))
    text = visible_text(page)
    assert "Weekly digest: Acme Contract Fight" in text
    assert "16 November 2026 to 22 November 2026 (2026-W47)" in text
    assert "5 posts published: 3 on Bluesky, 2 on X" in text
    assert "82 likes, reposts, replies and quotes (1 post(s) not read yet)" in text
    assert "+60 new followers" in text and "5 press hits" in text and "1 release sent" in text
    assert "Top outlets: Riverside Ledger (3), Labor Herald (2)" in text
    assert "Pitched to 2 journalist(s); finished 17 November 2026. Coverage earned so far: 2." \
        in text
    assert f"X refuses this read on your access tier: {X_REFUSAL}" in text
    assert "<script>" not in page
    assert ("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; *Acme* &amp; "
            "[Sons](javascript:alert(1))") in page
    resources = Resources()
    resources.feed(page)
    assert resources.urls and all(tag == "a" and name == "href" and url.startswith("https://")
                                  for tag, name, url in resources.urls)
    assert "https://ledger.example.org/rally?a=1&b=2" in {u for _, _, u in resources.urls}
    assert not re.search(r"url\(|@import|<link|<script|<img|<iframe", page, re.IGNORECASE)


def test_markdown_renders_as_written_and_keeps_text_literal(db, week):
    text = digest.render_markdown(digest.build(db, week.campaign_id, 2026, 47))
    assert text.startswith("# Weekly digest: Acme Contract Fight\n")
    assert "- Posts published: 5 (3 on Bluesky, 2 on X)" in text
    assert "- New followers: +60" in text
    assert "| Bluesky @local7.bsky.test | 260 | +60 |" in text
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "javascript:" not in re.sub(r">[^<]*<", "><", html)
    assert "<em>" not in html  # *Acme* stays literal
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt; *Acme* &amp; [Sons](javascript:alert(1))" \
        in html
    links = re.findall(r'<a href="([^"]*)"', html)
    assert links and all(link.startswith("https://") for link in links)
    assert "https://ledger.example.org/rally?a=1&amp;b=2" in links
    assert html.count("<table>") == 1 and "<h3>Workers vote 94% to strike</h3>" in html


def test_an_empty_week_says_so(db, week):
    got = digest.build(db, week.campaign_id, 2026, 40)
    text = digest.render_markdown(got)
    for line in ("No posts were published this week.", "No press hits this week.",
                 "No releases were sent this week.", "- New followers: –"):
        assert line in text
    page = visible_text(digest.render_html(got))
    assert "No posts were published this week." in page and "No press hits this week." in page


def run_cli(db, argv: list[str]) -> int:
    args = build_parser(argv[0]).parse_args(argv)
    settings = SimpleNamespace(database_url=db.url.render_as_string(hide_password=False))
    return execute(args, settings)


def test_command_line_prints_markdown_or_writes_files(db, week, tmp_path, capsys):
    assert run_cli(db, ["digest", "--week", "2026-W47"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Weekly digest: Acme Contract Fight") and "2026-W47" in out

    html_file, md_file = tmp_path / "digest.html", tmp_path / "digest.md"
    assert run_cli(db, ["digest", "--week", "2026-w47", "--campaign", "Acme Contract Fight",
                        "--html", str(html_file), "--md", str(md_file)]) == 0
    assert capsys.readouterr().out == (
        "Digest for Acme Contract Fight, 2026-W47 (2026-11-16 to 2026-11-22): 5 posts, "
        f"5 press hits; wrote {html_file} and {md_file}.\n")
    assert "<!DOCTYPE html>" in html_file.read_text("utf-8")
    assert md_file.read_text("utf-8") == out

    assert run_cli(db, ["digest"]) == 0  # the last full week by default
    assert capsys.readouterr().out.startswith("# Weekly digest")


def test_command_line_refuses_a_bad_week_or_campaign(db, week):
    with pytest.raises(InvalidInput, match=r"^2026-W60 is not a week; write e\.g\. 2026-W48\.$"):
        run_cli(db, ["digest", "--week", "2026-W60"])
    with pytest.raises(InvalidInput, match="is not a week"):
        run_cli(db, ["digest", "--week", "last week"])
    with pytest.raises(NotFound, match="No campaign named 'Nope'"):
        run_cli(db, ["digest", "--week", "2026-W47", "--campaign", "Nope"])


def test_digest_tab_previews_the_chosen_week(demo_store):  # noqa: F811
    zone = ZoneInfo(demo.DEMO_TZ)
    vote_day = utcnow().astimezone(zone).date() + timedelta(days=demo.EVENTS[3][0])
    vote_week = vote_day.isocalendar()[:2]
    at = open_page("analytics")
    picker = next(s for s in at.selectbox if s.label == "Week")
    assert picker.value == analytics.last_full_week(utcnow(), zone)
    picker.set_value(vote_week).run()
    preview = at.markdown[-1].value
    assert f"({analytics.week_label(*vote_week)};" in preview
    assert "94% YES. Acme Logistics workers have voted to authorize a strike." in preview
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download the digest (HTML)", "Download the digest (Markdown)"} <= set(labels)
