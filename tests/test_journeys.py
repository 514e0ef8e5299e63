"""The volunteer journeys, in a real browser against the app as `make run` starts it.

Each test is one thing a person on the media committee gets done, start to finish,
counting the interactions it takes (tests/journey.py) and checking both what the
person sees and what the store holds. The counts print in the test output and are
listed in the README.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from support.feed_server import FeedServer
from support.journey import Volunteer, report, sign_in
from support.running_app import RENDER_TIMEOUT_MS, RunningApp, chromium, settle, start_app, tab_in
from support.smtp import Server

from outreach import campaigns
from outreach.auth import users
from outreach.clock import utcnow
from outreach.coverage.fetch import CHALLENGE_ERROR
from outreach.ops import demo
from outreach.org_settings import set_org
from outreach.pitching import pitches as pitching
from outreach.presslist import contacts
from outreach.presslist.contacts import JournalistFilter
from outreach.releases import drafts as releases
from outreach.releases import protected_names
from outreach.roles import Actor
from outreach.social import queue as post_queue
from outreach.store import make_engine
from outreach.store.tables import feeds, posts, user_sessions

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

PASSWORD = "correct horse battery"
ROOT = Actor("root", "admin")
# The committee of every journey: an editor who writes and two approvers who vote.
PEOPLE = {"ana": "editor", "luis": "approver", "rosa": "approver"}
SEND_TIMEOUT_MS = 60_000
DATA = Path(__file__).parent / "data" / "journeys"


@dataclass
class Desk:
    """The running dashboard with the demo campaign, its store, a test SMTP server, and a
    browser in which each member of the committee opens their own tab."""

    app: RunningApp
    db: sa.Engine
    smtp: Server
    browser: object

    @property
    def campaign(self):
        return campaigns.find_campaign(self.db, demo.DEMO_CAMPAIGN)


@pytest.fixture
def desk(tmp_path) -> Iterator[Desk]:
    smtp = Server()
    try:
        # Loopback allowed, so the committee can follow the local test servers' feeds.
        with start_app(tmp_path, env={"OUTREACH_URL_ALLOWLIST": "127.0.0.1"}) as app, \
                chromium() as browser:
            db = make_engine(f"sqlite:///{app.data_dir / 'outreach.db'}")
            try:
                for name, role in PEOPLE.items():
                    users.add_user(db, ROOT, name, role, PASSWORD, now=utcnow())
                set_org(db, ROOT, {
                    "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none",
                    "smtp_from": "Local 101 Media <media@local101.test>",
                    "pitch_rate_per_minute": 600,
                    # The committee's short rule for the first hour of a crisis.
                    "rapid_response_rule": {"kind": "at_least", "n": 1}}, now=utcnow())
                yield Desk(app, db, smtp, browser)
            finally:
                db.dispose()
    finally:
        smtp.controller.stop()


@contextlib.contextmanager
def volunteer(desk: Desk, name: str, path: str = "/") -> Iterator[Volunteer]:
    """`name` signed in, in a browser of their own, on `path`."""
    with tab_in(desk.browser) as page:
        person = Volunteer(page, desk.app)
        sign_in(person, name, PASSWORD, path)
        yield person


def test_signed_in_survives_reloads_and_bookmarks_until_sign_out(desk, capsys):
    with volunteer(desk, "ana", "/releases?tab=Templates") as ana:
        # The bookmark came back after signing in, on the tab it named.
        settle(ana.page, "Releases")
        expect(ana.main.get_by_role("tab", selected=True)).to_have_text("Templates")
        ana.reload("Releases")
        expect(ana.page.get_by_test_id("stSidebar")).to_contain_text("Signed in as ana")
        ana._count("open a bookmark")
        ana.page.goto(f"{desk.app.url}/social")
        settle(ana.page, "Social")
        ana.click(ana.page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out"),
                  "sign out", settles="Union Media Desk")
        ana.sees("You have signed out.")
        with desk.db.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(user_sessions).where(
                user_sessions.c.revoked_at.is_(None))).scalar_one() == 0
        ana.page.reload()
        expect(ana.page.get_by_role("button", name="Sign in")).to_be_visible()
        assert "/signin?next=%2Fsocial" in ana.page.url
        report(capsys, "stay signed in, then sign out", ana)


def test_a_scheduled_time_stands_however_long_the_edit_takes(desk, capsys):
    zone = ZoneInfo(desk.campaign.timezone)
    chosen = (datetime.now(zone) + timedelta(days=2)).replace(hour=9, minute=30, second=0,
                                                               microsecond=0)
    with volunteer(desk, "ana") as ana:
        ana.open_page("Social")
        ana.add_choice("Post from", "x: local101_demo", title="Social")
        text = ana.main.get_by_role("textbox", name="Text")
        ana.fill(text, "Strike deadline in six days. Join the picket at 6 a.m. #AcmeContract")
        ana.type_in(ana.main.get_by_role("spinbutton", name="year, Date"),
                    f"{chosen:%Y%m%d}", "choose the day", settles="Social")
        ana.type_in(ana.main.get_by_role("spinbutton", name="hour, Time"), "0930",
                    "choose the time", settles="Social")
        # A phone call, a minute and more: then back to the words.
        time.sleep(61)
        ana.fill(text, "Strike deadline in six days. Join the picket line at 6 a.m. "
                 "#AcmeContract")
        ana.button("Save for the committee's approval", title="Social")
        ana.confirmed("Saved")
        with desk.db.connect() as conn:
            saved = conn.execute(sa.select(posts.c.scheduled_at, posts.c.text)
                                 .where(posts.c.text.like("%picket line at 6%"))).all()
        assert len(saved) == 2  # one for Bluesky, one for X
        assert {when.astimezone(zone) for when, _ in saved} == {chosen}
        report(capsys, "compose for Bluesky and X at a chosen time", ana)


def test_draft_a_strike_release_in_two_languages_approve_and_export(desk, capsys,
                                                                     tmp_path):
    with volunteer(desk, "ana") as ana:
        ana.open_page("Releases")
        ana.tab("New release", title="Releases")
        ana.choose("Template", "Strike announcement (en)", title="Releases")
        ana.click(ana.main.get_by_text("Start from the sample values"), "start from samples",
                  settles="Releases")
        headline = ana.main.get_by_role("textbox", name="Headline")
        ana.fill(headline, "Acme Logistics workers strike for safe staffing")
        ana.button("Save draft", title="Releases")
        ana.confirmed("Saved as a draft")
        ana.button("Submit for review", title="Releases")
        ana.confirmed("Submitted")
        ana.tab("New release", title="Releases")
        ana.choose("Template", "Comunicado de prensa (es)", title="Releases")
        ana.click(ana.main.get_by_text("Start from the sample values"), "start from samples",
                  settles="Releases")
        ana.fill(ana.main.get_by_role("textbox", name="Titular"),
                 "Trabajadores de Acme Logistics en huelga por personal suficiente")
        ana.button("Save draft", title="Releases")
        ana.confirmed("Saved as a draft")
        ana.button("Submit for review", title="Releases")
        ana.confirmed("Submitted")
        english = next(r for r in releases.list_releases(desk.db, desk.campaign.id)
                       if r["title"].startswith("Acme Logistics workers strike"))
        spanish = next(r for r in releases.list_releases(desk.db, desk.campaign.id)
                       if r["title"].startswith("Trabajadores"))
        assert english["status"] == spanish["status"] == "in_review"
        authoring = ana.interactions

        for approver in ("luis", "rosa"):
            with volunteer(desk, approver, "/releases") as voter:
                settle(voter.page, "Releases")
                voter.choose("Release", f"#{english['id']} {english['title']} (in review)",
                             title="Releases")
                voter.click(voter.main.get_by_text("approve", exact=True), "approve")
                voter.button("Cast vote", title="Releases")
                voter.confirmed("Vote recorded")
        assert releases.get_release(desk.db, english["id"]).status == "approved"

        ana.reload("Releases")
        ana.choose("Release", f"#{english['id']} {english['title']} (approved)",
                   title="Releases")
        files = {}
        for button in ("DOCX", "HTML"):
            with ana.page.expect_download() as download:
                ana.click(ana.main.get_by_role("button", name=button, exact=True), button)
            files[button] = tmp_path / download.value.suggested_filename
            download.value.save_as(files[button])
        assert files["DOCX"].read_bytes()[:2] == b"PK"  # a Word file is a zip
        html = files["HTML"].read_text(encoding="utf-8")
        assert "Acme Logistics workers strike for safe staffing" in html
        assert "DRAFT" not in html
        report(capsys, f"strike release in English and Spanish ({authoring} to draft "
               "both), two votes, export", ana)


def test_rapid_response_from_nothing_to_a_queued_pitch(desk, capsys):
    """An ICE raid at the workplace this morning: at most 12 interactions for the author
    from signing in to a statement approved and pitched, plus one approver's vote."""
    campaign = desk.campaign
    rapid_list = "Rapid response"
    with volunteer(desk, "ana") as ana:
        settle(ana.page, "Overview")
        ana.click(ana.main.get_by_role("link", name=re.compile("^Rapid response")),
                  "rapid response", settles="Releases")
        ana.click(ana.main.get_by_text("Immigration enforcement at the workplace"),
                  "what happened", settles="Releases")
        ana.fill(ana.main.get_by_role("textbox", name="Headline"),
                 "Union demands due process after agents enter Acme warehouse")
        ana.fill(ana.main.get_by_role("textbox", name="What happened"),
                 "Immigration agents entered the Acme Logistics Riverside warehouse at 6 a.m. "
                 "The union has confirmed that workers were detained.")
        ana.fill(ana.main.get_by_role("textbox", name="Quote"),
                 "These are our coworkers. Every one of them deserves a lawyer and a call "
                 "to their family.")
        ana.button("Save and ask the committee", title="Releases")
        ana.confirmed("Sent to the committee")
        rapid = next(r for r in releases.list_releases(desk.db, campaign.id)
                     if r["kind"] == "rapid_response")
        assert rapid["status"] == "in_review"

        with volunteer(desk, "luis", "/releases") as luis:
            settle(luis.page, "Releases")
            luis.choose("Release", f"#{rapid['id']} {rapid['title']} (in review)",
                        title="Releases")
            luis.click(luis.main.get_by_text("approve", exact=True), "approve")
            luis.button("Cast vote", title="Releases")
            luis.confirmed("Vote recorded")
        assert releases.get_release(desk.db, rapid["id"]).status == "approved"

        # No reload: the author's page follows the committee's vote by itself.
        plan = pitching.plan_pitch(desk.db, rapid["id"], list_name=rapid_list)
        count = len(plan.recipients)
        expect(ana.main).to_contain_text("Pitch it to journalists", timeout=30_000)
        expect(ana.main.get_by_role("combobox", name="Press list")).to_have_value(rapid_list)
        ana.click(ana.main.get_by_text(f"Yes, e-mail {count} journalists now"), "confirm",
                  settles="Releases")
        ana.button("Send", title="Releases")
        ana.confirmed("Queued")
        expect(ana.main.get_by_text(f"{count} sent").first).to_be_visible(
            timeout=SEND_TIMEOUT_MS)
        assert ana.interactions <= 12, ana.steps
        assert sorted(desk.smtp.recorder.copies()) == sorted(r.email for r in plan.recipients)
        assert releases.get_release(desk.db, rapid["id"]).status == "sent"
        report(capsys, "rapid response to an ICE raid", ana)


def test_pressing_send_again_emails_nobody_twice(desk, capsys):
    release = releases.list_releases(desk.db, desk.campaign.id, status="sent")[0]
    target = "Spanish-language"
    plan = pitching.plan_pitch(desk.db, release["id"], list_name=target)
    count = len(plan.recipients)
    with volunteer(desk, "ana") as ana:
        ana.open_page("Releases")
        ana.choose("Release", f"#{release['id']} {release['title']} (sent)", title="Releases")
        ana.choose("Press list", target, title="Releases")
        ana.click(ana.main.get_by_text(f"Yes, e-mail {count} journalists now"), "confirm",
                  settles="Releases")
        send = ana.main.get_by_role("button", name="Send", exact=True)
        expect(send).to_be_enabled(timeout=RENDER_TIMEOUT_MS)
        ana._count("double-click Send")
        send.dblclick()  # an impatient double click...
        ana._count("click Send again")
        send.click(force=True)  # ...and a third, whatever state the button is in
        expect(ana.main.get_by_text(f"{count} sent").first).to_be_visible(
            timeout=SEND_TIMEOUT_MS)
        expect(send).to_be_disabled(timeout=RENDER_TIMEOUT_MS)
        ana.sees(f"Also send again to the {count} journalists already pitched")
        ana._count("click Send once more")
        send.click(force=True)
        settle(ana.page, "Releases")
        time.sleep(5)  # the worker, passing every second, would send anything queued
        assert desk.smtp.recorder.copies() == {r.email: 1 for r in plan.recipients}
        assert len(pitching.release_batches(desk.db, release["id"])) == 1
        report(capsys, "pitch, then press Send again", ana)


def test_import_a_messy_export_then_find_edit_and_list_someone(desk, capsys):
    export = DATA / "prtool_export_messy.csv"
    with volunteer(desk, "ana") as ana:
        ana.open_page("Press list")
        ana.tab("Import & export", title="Press list")
        ana.upload(ana.main.locator('input[type="file"]'), export, settles="Press list")
        # The dry run says at the top what would happen, and why it would fail.
        ana.sees("Importing would fail: 1 row(s) are invalid")
        expect(ana.main.get_by_role("button", name="Import", exact=True)).to_be_disabled()
        ana.click(ana.main.get_by_text("Skip invalid rows and import the rest", exact=True),
                  "skip", settles="Press list")
        ana.button("Import", title="Press list")
        ana.confirmed("Imported: 3 added")
        assert contacts.count(desk.db, JournalistFilter(text="Okafor")) == 1

        ana.tab("Journalists", title="Press list")
        search = ana.main.get_by_role("textbox", name="Search")
        ana.fill(search, "Okafor")
        ana.press(search, "Enter", settles="Press list")
        ana.sees("1 journalists match")
        ana.tab("One journalist", title="Press list")
        ana.click(ana.main.get_by_text("Edit every field"), "open the edit panel",
                  settles="Press list")
        ana.fill(ana.main.get_by_role("textbox", name="Phone"), "555-0144")
        ana.button("Save changes", title="Press list")
        ana.confirmed("Saved Chioma Okafor: Phone")
        ana.choose("Add to a list", "Labor beat", title="Press list")
        ana.button("Add to list", title="Press list")
        ana.confirmed("Added Chioma Okafor to Labor beat")
        rows, _ = contacts.search(desk.db, JournalistFilter(text="Okafor"), limit=5)
        chioma = contacts.get_journalist(desk.db, rows[0]["id"])
        assert (chioma["phone"], chioma["x_handle"], chioma["lists"]) == (
            "555-0144", "chioma_wire", ["Labor beat"])
        report(capsys, "import a messy export, find, edit and list someone", ana)


def test_a_big_export_imported_again_after_a_reload_adds_nobody_twice(desk, capsys, tmp_path):
    """A PR tool's export of 20,000 journalists goes in once; after a reload (the tab was
    left open overnight) the same file comes again, and its dry run and import say every
    row is already on file."""
    export = tmp_path / "pr-tool-export.csv"
    export.write_text("First Name,Last Name,Email,Media Outlet,Beats\n" + "".join(
        f"Reporter,Number{i},reporter{i}@news{i % 50}.test,Outlet {i % 50},labor\n"
        for i in range(20_000)), encoding="utf-8")
    before = contacts.count(desk.db, JournalistFilter())
    with volunteer(desk, "ana") as ana:
        ana.open_page("Press list")
        ana.tab("Import & export", title="Press list")
        ana.upload(ana.main.locator('input[type="file"]'), export, settles="Press list")
        ana.sees("Read 20000 rows (UTF-8, comma-separated)")
        expect(ana.main.get_by_test_id("stMetric").filter(has_text="Would be added")
               ).to_contain_text("20000")
        ana.button("Import", title="Press list")
        ana.confirmed("Imported: 20000 added, 0 merged, 0 unchanged, 0 skipped")
        assert contacts.count(desk.db, JournalistFilter()) == before + 20_000

        ana.reload("Press list")
        ana.tab("Import & export", title="Press list")
        ana.upload(ana.main.locator('input[type="file"]'), export, settles="Press list")
        expect(ana.main.get_by_test_id("stMetric").filter(has_text="Already on file")
               ).to_contain_text("20000")
        ana.button("Import", title="Press list")
        ana.confirmed("Imported: 0 added, 0 merged, 20000 unchanged, 0 skipped")
        assert contacts.count(desk.db, JournalistFilter()) == before + 20_000
        report(capsys, "import a big export, reload, import it again", ana)


def test_a_post_held_for_a_protected_name_is_fixed_and_goes_back_to_the_committee(
        desk, capsys):
    """A post approved on Monday names a member the committee protects on Tuesday: the
    worker holds it; the editor finds where the name is, rewrites it and submits it again."""
    db = desk.db
    account = next(a for a in post_queue.list_accounts(db, desk.campaign.id)
                   if a["platform"] == "x")
    at = utcnow() + timedelta(days=1)
    post_id = post_queue.create_post(db, ROOT, account["id"],
                                     ["Rosa Delgado speaks at the rally at noon."],
                                     now=utcnow(), at=at)
    with db.begin() as conn:  # approved, then held by the worker once the name is protected
        conn.execute(posts.update().where(posts.c.id == post_id).values(
            status="held", last_error=protected_names.HELD))
    protected_names.add_protected(db, ROOT, "Rosa Delgado", now=utcnow())
    with volunteer(desk, "ana", "/social?tab=Queue") as ana:
        settle(ana.page, "Social")
        ana.choose("Show", "held (1)", title="Social")
        ana.choose("Post", str(post_id), title="Social")
        ana.sees("This post names a protected member")
        expect(ana.main.locator("mark")).to_have_text("Rosa Delgado")
        ana.fill(ana.main.get_by_role("textbox", name="Part 1"),
                 "Our steward speaks at the rally at noon.", "rewrite")
        ana.button("Save the words", title="Social")
        ana.confirmed("Saved; the post is draft.")
        ana.button("Submit", title="Social")
        ana.confirmed("Submitted for approval.")
        post = post_queue.get_post(db, post_id)
        assert post["status"] == "in_review"
        assert [p["text"] for p in post["parts"]] == ["Our steward speaks at the rally at noon."]
        assert post["scheduled_at"] == at
        report(capsys, "fix a post held for a protected name", ana)


def test_a_feed_behind_a_bot_check_says_why_it_stopped(desk, capsys):
    """Ana follows the local paper's feed; later its site puts a bot check in front of it.
    Polling says in words what happened and what to do, and the feed is marked failing."""
    corpus = Path(__file__).parent / "data" / "feeds"
    with FeedServer() as server, volunteer(desk, "ana") as ana:
        url = server.add("/feed", (corpus / "wordpress.rss").read_bytes())
        ana.open_page("Coverage")
        ana.tab("Feeds", title="Coverage")
        ana.fill(ana.main.get_by_role("textbox", name="Feed address (RSS or Atom)"), url)
        ana.button("Add feed", title="Coverage")
        ana.confirmed("Added Daily Example – Local News: 2 items")
        with desk.db.begin() as conn:  # the demo's other feeds are on hosts beyond this one
            conn.execute(feeds.delete().where(feeds.c.url != url))
        server.add("/feed", (corpus / "challenge.html").read_bytes(), status=403,
                   content_type="text/html; charset=UTF-8",
                   headers={"cf-mitigated": "challenge"}, conditional=False)
        ana.button("Poll this campaign's feeds now", title="Coverage")
        ana.confirmed(f"1 failed, 0 new hits. {url}: The site showed a bot check")
        with desk.db.connect() as conn:
            row = conn.execute(sa.select(feeds.c.last_error, feeds.c.failures)
                               .where(feeds.c.url == url)).one()
        assert (row.last_error, row.failures) == (CHALLENGE_ERROR, 1)
        report(capsys, "see why an outlet's feed stopped", ana)
