"""The dashboard started as a user starts it (`scripts/run.sh`), and a Chromium to drive it.

Shared by the browser tests. Everything stays on 127.0.0.1: the app listens on
loopback and the browser refuses any request to another host.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit

import pytest

from support.services import free_port, missing_service

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
START_TIMEOUT_S = 60
# Playwright waits, in milliseconds.
RENDER_TIMEOUT_MS = 30_000


@dataclass
class RunningApp:
    """`scripts/run.sh` running in its own process group."""

    proc: subprocess.Popen
    port: int
    env: dict[str, str]
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True




def _healthy(url: str) -> bool:
    # No proxy handler: the health check must go straight to 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (URLError, OSError):
        return False


@contextlib.contextmanager
def start_app(tmp_path: Path, *, port: int | None = None,
              env: dict[str, str] | None = None) -> Iterator[RunningApp]:
    """Run `scripts/run.sh` with a fresh data folder until the dashboard answers; kill after."""
    port = port or free_port()
    full_env = dict(os.environ, PORT=str(port), OUTREACH_DATA_DIR=str(tmp_path / "data"),
                    OUTREACH_WORKER_INTERVAL="1", **(env or {}))
    full_env.pop("OUTREACH_DATABASE_URL", None)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(["sh", "scripts/run.sh"], cwd=ROOT, env=full_env,
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    app = RunningApp(proc, port, full_env, tmp_path / "data", log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(app.url):
            if proc.poll() is not None:
                pytest.fail(f"scripts/run.sh exited with {proc.returncode} before the "
                            f"dashboard answered:\n{app.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not answer within {START_TIMEOUT_S} s:\n"
                            f"{app.output()}")
            time.sleep(0.25)
        yield app
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _loopback_only(route) -> None:
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort("internetdisconnected")


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; each tab_in() it is a separate person's browser."""
    if sync_playwright is None:
        missing_service("Playwright for Python")
    if not CHROMIUM.exists():
        missing_service(f"Chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def tab_in(browser: Browser) -> Iterator[Page]:
    """A tab with its own cookies that cannot reach beyond 127.0.0.1."""
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", _loopback_only)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextlib.contextmanager
def chromium_page() -> Iterator[Page]:
    """A headless Chromium tab that cannot reach beyond 127.0.0.1."""
    with chromium() as browser, tab_in(browser) as page:
        yield page


def settle(page: Page, title: str) -> None:
    """Wait until the page titled `title` has run its script to the end."""
    # The first h1 is the page's title; a release preview may add its own headline.
    expect(page.get_by_role("heading", level=1).first).to_have_text(
        title, timeout=RENDER_TIMEOUT_MS)
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=RENDER_TIMEOUT_MS)


# Counts the runs the page starts: a MutationObserver sees every change of the app's
# run state, even a run that starts and ends between two of Playwright's polls.
_COUNT_RUNS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app && window.__runsStarted === undefined) {
    window.__runsStarted = 0;
    new MutationObserver(records => {
      for (const r of records) if (r.oldValue === 'notRunning') window.__runsStarted++;
    }).observe(app, {attributes: true, attributeOldValue: true,
                     attributeFilter: ['data-test-script-state']});
  }
  return window.__runsStarted ?? 0;
}"""
# How long an action may take to start its run; actions that start none wait this long.
RUN_START_TIMEOUT_MS = 3_000


@contextlib.contextmanager
def run_of(page: Page, title: str) -> Iterator[None]:
    """Wait, after the action in the block, for the run it starts to end on page `title`.

    settle() alone can return before a click's run has even begun (the app still says
    "not running" from the run before), so the next step would act on the old screen.
    """
    started = page.evaluate(_COUNT_RUNS)
    yield
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("n => (window.__runsStarted ?? 0) > n", arg=started,
                               timeout=RUN_START_TIMEOUT_MS)
    settle(page, title)
