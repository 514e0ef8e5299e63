"""Pitching in a real browser against the app as `make run` starts it, with a real SMTP
server on 127.0.0.1: pressing Send twice, or double-clicking it, e-mails each journalist
once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from running_app import chromium_page, settle, start_app
from test_browser import _admin_password, _open, _sign_in
from test_pitching import Server

from outreach import campaigns, demo, pitching, releases
from outreach.org_settings import set_org
from outreach.roles import Actor
from outreach.store import make_engine
from outreach.worker import utcnow

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

LIST = "Spanish-language"
SEND_TIMEOUT_S = 60
# Playwright waits, in milliseconds.
RENDER_TIMEOUT_MS = 30_000


@pytest.fixture
def smtp():
    server = Server()
    yield server
    server.controller.stop()


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`, as a person does."""
    main = page.get_by_test_id("stMain")
    box = main.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.get_by_role("combobox").click()
    page.keyboard.press("ArrowDown")  # a click alone may leave the list closed
    page.get_by_role("option", name=option, exact=True).click()
    settle(page, "Releases")


def test_send_twice_or_double_click_emails_each_journalist_once(tmp_path, smtp):
    with start_app(tmp_path) as app, chromium_page() as page:
        db = make_engine(f"sqlite:///{app.data_dir / 'outreach.db'}")
        try:
            set_org(db, Actor("root", "admin"), {
                "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none",
                "pitch_rate_per_minute": 600,
                "smtp_from": "Local 101 <media@local101.test>"}, now=utcnow())
            campaign = campaigns.find_campaign(db, demo.DEMO_CAMPAIGN)
            release = releases.list_releases(db, campaign.id, status="sent")[0]
            plan = pitching.plan_pitch(db, release["id"], list_name=LIST)
            n = len(plan.recipients)
            assert n > 1

            _sign_in(page, app, _admin_password(app))
            _open(page, "Releases")
            choose(page, "Release", f"#{release['id']} {release['title']} (sent)")
            choose(page, "Press list", LIST)
            main = page.get_by_test_id("stMain")
            main.get_by_text(f"Yes, e-mail {n} journalists now").click()
            send = main.get_by_role("button", name="Send", exact=True)
            expect(send).to_be_enabled(timeout=RENDER_TIMEOUT_MS)
            send.dblclick()  # an impatient double click...
            send.click(force=True)  # ...and a third, whatever state the button is in

            # The page follows the batch on its own until every e-mail is out.
            expect(main.get_by_text(f"{n} sent").first).to_be_visible(
                timeout=SEND_TIMEOUT_S * 1000)
            expect(send).to_be_disabled(timeout=RENDER_TIMEOUT_MS)
            expect(main.get_by_text(
                f"Also send again to the {n} journalists already pitched")).to_be_visible()
            send.click(force=True)  # Send again, after it went out
            settle(page, "Releases")

            time.sleep(5)  # the worker, passing every second, would send anything queued
            assert smtp.recorder.copies() == Counter(r.email for r in plan.recipients)
            assert len(pitching.release_batches(db, release["id"])) == 1
        finally:
            db.dispose()
