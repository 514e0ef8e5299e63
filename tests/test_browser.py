"""The dashboard in a real browser, started the way a user starts it (`make run`).

Each test runs `scripts/run.sh` on a free port with a fresh data folder, so the
demo campaign is loaded and the worker runs. The browser is Debian's Chromium,
driven by Playwright; it is kept on 127.0.0.1 like the rest of the suite.
Set OUTREACH_UPDATE_SCREENSHOT=1 (or run `make screenshot`) to retake
docs/overview.png.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.running_app import ROOT, VIEWPORT, RunningApp, chromium_page, settle, start_app

from outreach.clock import utcnow
from outreach.ops.demo import DEMO_CAMPAIGN
from outreach.ops.worker import worker_status
from outreach.store import make_engine

try:
    from playwright.sync_api import Page, expect
except ImportError:
    Page = None

SCREENSHOT = ROOT / "docs" / "overview.png"
STOP_TIMEOUT_S = 20
WORKER_TIMEOUT_S = 15
# Playwright waits, in milliseconds.
RENDER_TIMEOUT_MS = 30_000

# url path, page title, demo data the page must show (as metric, caption or table cell).
PAGES = [
    ("", "Overview", [DEMO_CAMPAIGN, "Journalists on file"]),
    ("press_list", "Press list", ["40 journalists", "Ana Quillfeather"]),
    ("releases", "Releases", ["In review", "Media advisory: picket line at shift change"]),
    ("social", "Social", ["Compose", "Repost someone's post (solidarity)",
                          "Save for the committee's approval"]),
    ("coverage", "Coverage", ["Pickets ring Acme warehouse on all three shifts",
                              "Add a story by its link"]),
    ("analytics", "Analytics", ["Download follower data (CSV)",
                                "Strike authorization vote: 94% yes"]),
    ("settings", "Settings", ["Worker: running", DEMO_CAMPAIGN, "Audit log", "Credentials"]),
]


def _ctrl_c(app: RunningApp) -> bool:
    """Send SIGINT to the app's process group; True when the whole group exits in time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(app.proc.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    try:
        app.proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False
    while app.group_alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def app(tmp_path) -> Iterator[RunningApp]:
    """The dashboard and worker from `scripts/run.sh`, answering on 127.0.0.1."""
    with start_app(tmp_path) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    """A headless Chromium tab that cannot reach beyond 127.0.0.1."""
    with chromium_page() as tab:
        yield tab


def _open(page: Page, title: str) -> None:
    """Go to a page through the sidebar, as a user does, keeping the signed-in session."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    settle(page, title)


def _admin_password(app: RunningApp) -> str:
    """The first admin's password, which `make run` prints once."""
    found = re.search(r"password: (\S+)", app.output())
    assert found, f"run.sh printed no admin password:\n{app.output()}"
    return found.group(1)


def _sign_in(page: Page, app: RunningApp, password: str) -> None:
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Union Media Desk")).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("admin")
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page, "Overview")


def _wait_for_running_worker(page: Page) -> None:
    """Re-open the Overview until it reports the worker as running."""
    status = page.locator('[data-testid="stMain"]').get_by_text("Worker:")
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while "Worker: running" not in status.inner_text():
        if time.monotonic() > deadline:
            pytest.fail(f"Overview never showed the worker running; last: "
                        f"{status.inner_text()!r}")
        page.wait_for_timeout(1000)
        _open(page, "Overview")


def _screenshot_overview(page: Page, path: Path) -> None:
    """The whole Overview, grown to the height of its scrolling main area."""
    height = page.locator('[data-testid="stMain"]').evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, 1000)})
    # The tables and the chart redraw at the new size: wait for the charts' canvases to be
    # drawn, and for the browser to finish painting (two frames).
    page.wait_for_function("() => [...document.querySelectorAll('.vega-embed canvas')]"
                           ".every(c => c.getBoundingClientRect().width > 0)")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                  "requestAnimationFrame(r)))")
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(VIEWPORT)


def test_pages_load_no_image_from_another_host(page, app):
    """Outside text is shown as plain text; behind that, the content policy keeps any
    image that is not the dashboard's own from loading, so a hostile feed cannot learn
    who reads it, or from where."""
    fetched: list[str] = []

    class Pixel(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a")

        def log_message(self, *_args):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Pixel) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _sign_in(page, app, _admin_password(app))
        response = page.goto(f"{app.url}/press_list")
        assert "img-src 'self'" in response.headers["content-security-policy"]
        settle(page, "Press list")
        pixel = f"http://127.0.0.1:{server.server_address[1]}/pixel.gif"
        # The browser settles the image either way: loaded (a leak) or blocked (onerror).
        settled = page.evaluate("src => new Promise(done => { const i = new Image();"
                                " i.onload = () => done('loaded');"
                                " i.onerror = () => done('blocked'); i.src = src;"
                                " document.body.appendChild(i); })", pixel)
        server.shutdown()
    assert settled == "blocked"
    assert fetched == []


def test_signed_out_visitors_see_only_the_sign_in_form(page, app):
    """Whatever page a stranger asks for, they get the sign-in form and no data."""
    for path, _title, texts in PAGES:
        page.goto(f"{app.url}/{path}")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.url.startswith(f"{app.url}/signin?next=")
        assert texts[0] not in page.locator("body").inner_text()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0


def test_the_sign_in_form_says_how_long_to_wait_after_failed_sign_ins(page, tmp_path):
    """Past the free failures even the right password is told to wait, in words."""
    with start_app(tmp_path, env={"OUTREACH_SIGN_IN_FREE_FAILURES": "1"}) as app:
        page.goto(app.url)
        alert = page.get_by_role("alert")
        for _ in range(2):
            page.get_by_role("textbox", name="Name").fill("admin")
            page.get_by_role("textbox", name="Password").fill("not the password at all")
            page.get_by_role("button", name="Sign in").click()
        expect(alert).to_have_text("Wrong name or password. Too many failed sign-ins: the "
                                   "next try must wait 5 seconds.")
        page.get_by_role("textbox", name="Password").fill(_admin_password(app))
        page.get_by_role("button", name="Sign in").click()
        expect(alert).to_have_text(re.compile(r"^Too many failed sign-ins from here or for "
                                              r"this name\. Wait [1-5] seconds?, then try "
                                              r"again\.$"))
        assert page.url.startswith(f"{app.url}/signin")
        page.wait_for_timeout(5000)
        page.get_by_role("textbox", name="Password").fill(_admin_password(app))
        page.get_by_role("button", name="Sign in").click()
        settle(page, "Overview")


def test_every_page_opens_and_shows_the_demo_campaign(page, app, tmp_path):
    """After signing in as the admin `make run` created, every page in the sidebar opens
    without an error box and shows the demo data, and the Overview says the worker runs."""
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    _sign_in(page, app, _admin_password(app))
    for _path, title, texts in PAGES:
        _open(page, title)
        main = page.locator('[data-testid="stMain"]')
        for text in texts:
            expect(main, f"{title} page lacks {text!r}").to_contain_text(
                text, timeout=RENDER_TIMEOUT_MS)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, (
            f"{title} page shows an error: {exceptions.all_inner_texts()}")
        assert not page_errors, f"{title} page raised in the browser: {page_errors}"
        # Tables offer no raw CSV download of their own (formula injection).
        assert main.get_by_role("button", name="Download as CSV").count() == 0, title
        if title == "Overview":
            _wait_for_running_worker(page)
            _screenshot_overview(page, tmp_path / "overview.png")
            if os.environ.get("OUTREACH_UPDATE_SCREENSHOT") == "1":
                _screenshot_overview(page, SCREENSHOT)


def test_ctrl_c_stops_the_dashboard_and_the_worker(app):
    """Ctrl-C in the terminal of `make run` stops the dashboard and the worker, and the
    worker records a clean stop, so Settings then says 'stopped', not 'not responding'."""
    db = make_engine(f"sqlite:///{app.data_dir / 'outreach.db'}")
    try:
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        while worker_status(db, utcnow()).state != "running":
            assert time.monotonic() < deadline, "the worker never beat"
            time.sleep(0.25)
        assert _ctrl_c(app), (
            f"scripts/run.sh and its children still run {STOP_TIMEOUT_S} s after "
            f"Ctrl-C:\n{app.output()}")
        status = worker_status(db, utcnow())
        assert status.state == "stopped", f"{status}\n{app.output()}"
    finally:
        db.dispose()
