"""A volunteer at the dashboard, for the journey tests: every interaction is counted.

A journey is what one person does to get one thing done (pitch a release, answer a
raid). `Volunteer` wraps a Playwright page: each click, fill, key press, upload and
choice in a select box goes through it and adds one to `interactions`, so a journey
test can say, and the README can list, how many interactions the task takes.
Signing in is not counted; opening a page from the sidebar is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from running_app import RENDER_TIMEOUT_MS, RunningApp, settle

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

    def click(self, target: Locator, what: str = "click") -> None:
        self._count(what)
        target.click()

    def fill(self, target: Locator, text: str, what: str = "type") -> None:
        self._count(what)
        target.fill(text)

    def press(self, target: Locator, key: str) -> None:
        self._count(f"press {key}")
        target.press(key)

    def type_in(self, segment: Locator, digits: str, what: str = "type") -> None:
        """Type into a date or time field: click its first part (day, hour), type the
        digits (the field moves on by itself), and leave it."""
        self._count(what)
        segment.click()
        self.page.keyboard.type(digits)
        self.page.keyboard.press("Tab")

    def upload(self, target: Locator, path: Path) -> None:
        self._count(f"upload {path.name}")
        target.set_input_files(path)

    def choose(self, label: str, option: str, *, title: str) -> None:
        """Pick `option` in the select box labelled `label` (one interaction: a person
        opens the box and clicks the option), then wait for page `title` to settle."""
        self._count(f"choose {option}")
        box = self.main.get_by_test_id("stSelectbox").filter(
            has=self.page.get_by_text(label, exact=True)).first
        box.get_by_role("combobox").click()
        choice = self.page.get_by_role("option", name=option, exact=True)
        if not choice.is_visible():
            self.page.keyboard.press("ArrowDown")  # a click alone may leave the list closed
        choice.click()
        settle(self.page, title)

    def add_choice(self, label: str, option: str, *, title: str) -> None:
        """Add `option` to the multi-select labelled `label` (one interaction), close
        its list, and wait for page `title` to settle."""
        self._count(f"add {option}")
        box = self.main.get_by_test_id("stMultiSelect").filter(
            has=self.page.get_by_text(label, exact=True)).first
        box.get_by_role("combobox").click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.page.keyboard.press("Escape")
        settle(self.page, title)

    def button(self, name: str, *, title: str) -> None:
        """Click the main area's button `name` and wait for the page to settle."""
        self.click(self.main.get_by_role("button", name=name, exact=True), name)
        settle(self.page, title)

    def tab(self, name: str, *, title: str) -> None:
        """Open the page's tab `name`."""
        self.click(self.main.get_by_role("tab", name=name, exact=True), f"tab {name}")
        settle(self.page, title)

    def open_page(self, title: str) -> None:
        """Open a page from the sidebar, as a person does."""
        self.click(self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title),
                   f"open {title}")
        settle(self.page, title)

    def reload(self, title: str) -> None:
        self._count("reload")
        self.page.reload()
        settle(self.page, title)

    def sees(self, text: str | re.Pattern) -> None:
        """The main area shows `text` (waiting for it)."""
        expect(self.main).to_contain_text(text, timeout=RENDER_TIMEOUT_MS)

    def confirmed(self, text: str) -> None:
        """A confirmation toast says `text`."""
        expect(self.page.get_by_test_id("stToast").filter(has_text=text).first).to_be_visible(
            timeout=RENDER_TIMEOUT_MS)


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
