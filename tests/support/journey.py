"""A volunteer at the dashboard, for the journey tests: every interaction is counted.

A journey is what one person does to get one thing done (pitch a release, answer a
raid). `Volunteer` wraps a Playwright page: each click, fill, key press, upload and
choice in a select box goes through it and adds one to `interactions`, so a journey
test can say, and the README can list, how many interactions the task takes.
Signing in is not counted; opening a page from the sidebar is.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from support.running_app import RENDER_TIMEOUT_MS, RunningApp, run_of, settle

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:
    Locator = Page = None


@dataclass
class Volunteer:
    """One person's browser tab, counting what they do in it."""

    page: Page
    app: RunningApp
    interactions: int = 0
    steps: list[str] = field(default_factory=list)

    def _count(self, what: str) -> None:
        self.interactions += 1
        self.steps.append(what)

    @property
    def main(self) -> Locator:
        """The page's main area (not the sidebar)."""
        return self.page.get_by_test_id("stMain")

    def click(self, target: Locator, what: str = "click", *, settles: str = "") -> None:
        """Click `target`; with `settles`, wait for the run the click starts to end on
        that page before going on, as a person waits to see what their click did."""
        self._count(what)
        if not settles:
            target.click()
            return
        with run_of(self.page, settles):
            target.click()

    def fill(self, target: Locator, text: str, what: str = "type") -> None:
        self._count(what)
        target.fill(text)

    def press(self, target: Locator, key: str, *, settles: str = "") -> None:
        self._count(f"press {key}")
        with run_of(self.page, settles) if settles else contextlib.nullcontext():
            target.press(key)

    def type_in(self, segment: Locator, digits: str, what: str = "type", *,
                settles: str = "") -> None:
        """Type into a date or time field: click its first part (day, hour), type the
        digits (the field moves on by itself), and leave it."""
        self._count(what)
        segment.click()
        self.page.keyboard.type(digits)
        with run_of(self.page, settles) if settles else contextlib.nullcontext():
            self.page.keyboard.press("Tab")

    def upload(self, target: Locator, path: Path, *, settles: str = "") -> None:
        self._count(f"upload {path.name}")
        with run_of(self.page, settles) if settles else contextlib.nullcontext():
            target.set_input_files(path)

    def choose(self, label: str, option: str, *, title: str) -> None:
        """Pick `option` in the select box labelled `label` (one interaction: a person
        opens the box and clicks the option), then wait for page `title` to settle."""
        self._count(f"choose {option}")
        box = self.main.get_by_test_id("stSelectbox").filter(
            has=self.page.get_by_text(label, exact=True)).first
        choice = self.page.get_by_role("option", name=option, exact=True)
        _open_list(box.get_by_role("combobox"), choice)
        with run_of(self.page, title):
            choice.click()

    def add_choice(self, label: str, option: str, *, title: str) -> None:
        """Add `option` to the multi-select labelled `label` (one interaction), close
        its list, and wait for page `title` to settle."""
        self._count(f"add {option}")
        box = self.main.get_by_test_id("stMultiSelect").filter(
            has=self.page.get_by_text(label, exact=True)).first
        choice = self.page.get_by_role("option", name=option, exact=True)
        _open_list(box.get_by_role("combobox"), choice)
        with run_of(self.page, title):
            choice.click()
            self.page.keyboard.press("Escape")

    def button(self, name: str, *, title: str) -> None:
        """Click the main area's button `name` and wait for the page to settle."""
        self.click(self.main.get_by_role("button", name=name, exact=True), name, settles=title)

    def tab(self, name: str, *, title: str) -> None:
        """Open the page's tab `name`."""
        self.click(self.main.get_by_role("tab", name=name, exact=True), f"tab {name}",
                   settles=title)

    def open_page(self, title: str) -> None:
        """Open a page from the sidebar, as a person does."""
        self.click(self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title),
                   f"open {title}", settles=title)

    def reload(self, title: str) -> None:
        self._count("reload")
        self.page.reload()
        settle(self.page, title)

    def sees(self, text: str | re.Pattern) -> None:
        """The main area shows `text` (waiting for it)."""
        expect(self.main).to_contain_text(text, timeout=RENDER_TIMEOUT_MS)

    def confirmed(self, text: str) -> None:
        """A confirmation toast says `text`; it is then closed, so that the next check
        needs a new toast (not counted: reading a toast is not doing something)."""
        toast = self.page.get_by_test_id("stToast").filter(has_text=text).first
        expect(toast).to_be_visible(timeout=RENDER_TIMEOUT_MS)
        toast.get_by_role("button", name="Close").click()
        expect(toast).to_be_hidden(timeout=RENDER_TIMEOUT_MS)


def _open_list(combobox: Locator, choice: Locator) -> None:
    """Open a select box's list until `choice` shows: a click that lands while the page
    is still drawing can leave the list closed, and a person would simply click again."""
    for _ in range(5):
        combobox.click()
        try:
            expect(choice).to_be_visible(timeout=2_000)
            return
        except AssertionError:
            combobox.press("Escape")
    expect(choice).to_be_visible(timeout=RENDER_TIMEOUT_MS)


def sign_in(volunteer: Volunteer, name: str, password: str, path: str = "/") -> None:
    """Sign in at the form `path` redirects to, landing back on `path`; not counted."""
    page = volunteer.page
    page.goto(volunteer.app.url + path)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=RENDER_TIMEOUT_MS)
    volunteer.interactions = 0
    volunteer.steps.clear()


def report(capsys, name: str, volunteer: Volunteer) -> None:
    """Print the journey's interaction count in the test output, whatever -s says."""
    with capsys.disabled():
        print(f"\njourney {name}: {volunteer.interactions} interactions "
              f"({'; '.join(volunteer.steps)})")
