"""Driving the dashboard in Streamlit's AppTest: a store with one user per role, the demo
campaign, a page opened as a signed-in user, and finding its widgets by label."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from outreach.auth import sessions, users
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.ops import demo
from outreach.roles import Actor
from outreach.store import make_engine, upgrade_to_head
from outreach.ui.auth import SESSION_KEY

APP = str(Path(__file__).resolve().parents[2] / "app.py")
ROOT = Actor("root", "admin")
ADMIN_ID = 4  # the store fixture adds viewer, editor, approver, admin in that order
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def store_template(tmp_path_factory) -> Path:
    """A migrated SQLite store with one user per role, made once per run: each password
    costs half a second of scrypt at its shipped strength, and most page tests start here."""
    path = tmp_path_factory.mktemp("store_template") / "outreach.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    for role in ("viewer", "editor", "approver", "admin"):
        users.add_user(engine, ROOT, role, role, PASSWORD, now=utcnow())
    engine.dispose()
    return path


@pytest.fixture
def store(app_env, store_template):
    """A fresh copy of the store template in this test's data folder."""
    engine = make_engine(f"sqlite:///{app_env / 'outreach.db'}")
    shutil.copyfile(store_template, app_env / "outreach.db")
    yield engine
    engine.dispose()


def user_id(store, name: str) -> int:
    return next(u.id for u in users.list_users(store, ROOT) if u.name == name)


@pytest.fixture
def demo_store(store):
    demo.load_demo(store, utcnow())
    return store


def signed_in(user: int, *, at: datetime | None = None) -> str:
    """A session token for user id `user`, as the sign-in page would have given the
    browser (AppTest cannot carry cookies, so tests hand the token to the session)."""
    engine = make_engine(Settings.from_env().database_url)
    try:
        return sessions.start_session(engine, Actor("", "viewer", user), now=at or utcnow(),
                                      lifetime=timedelta(days=7))
    finally:
        engine.dispose()


def open_page(page: str, as_user: int | None = None) -> AppTest:
    """Run the app on `page`, signed in as user id `as_user` (the admin by default)."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[SESSION_KEY] = signed_in(ADMIN_ID if as_user is None else as_user)
    at.run()
    if page != "overview":
        at.switch_page(f"outreach/ui/{page}.py").run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list:
    return [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]


def confirmed(at: AppTest) -> list[str]:
    """The confirmations a write left (shown as toasts after the page re-ran)."""
    return [t.value for t in at.toast]


def caption_with(at: AppTest, text: str) -> str:
    return next(c.value for c in at.caption if text in c.value)


def select(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def checkbox(at: AppTest, label: str):
    return next(c for c in at.checkbox if c.label == label)
