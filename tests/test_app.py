"""Every dashboard page runs in Streamlit's AppTest, with demo data and with none."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from outreach import campaigns, demo
from outreach.store import make_engine, upgrade_to_head
from outreach.worker import utcnow

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {
    "overview": "Overview",
    "press_list": "Press list",
    "releases": "Releases",
    "social": "Social",
    "coverage": "Coverage",
    "analytics": "Analytics",
    "settings": "Settings",
}


@pytest.fixture
def store(app_env, now):
    engine = make_engine(f"sqlite:///{app_env / 'outreach.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_store(store):
    demo.load_demo(store, utcnow())
    return store


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    if page != "overview":
        at.switch_page(f"outreach/ui/{page}.py").run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list:
    return [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_demo_data(demo_store, page):
    at = open_page(page)
    assert at.title[0].value == PAGES[page]
    assert at.sidebar.selectbox[0].value is not None
    if page != "settings":
        assert at.dataframe or charts(at)


def test_overview_shows_the_campaign_at_a_glance(demo_store):
    at = open_page("overview")
    assert at.subheader[0].value == demo.DEMO_CAMPAIGN
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Journalists on file"] == "40"
    assert metrics["Releases awaiting approval"] == "1"
    assert metrics["Posts scheduled"] == "8"
    assert "Worker: never run" in at.warning[0].value
    assert len(charts(at)) == 1
    assert len(at.dataframe) == 4


def test_press_list_filters_by_list(demo_store):
    at = open_page("press_list")
    assert len(at.dataframe[0].value) == 40
    at.selectbox[0].select("Spanish-language").run()
    shown = at.dataframe[0].value
    assert 0 < len(shown) < 40
    assert all("Spanish-language" in lists for lists in shown["lists"])


def test_social_filters_posts_by_state(demo_store):
    at = open_page("social")
    at.radio[0].set_value("scheduled").run()
    assert set(at.dataframe[1].value["status"]) == {"scheduled"}


def test_pages_say_what_is_not_built_yet(demo_store):
    for page in ("press_list", "releases", "social", "coverage", "analytics"):
        assert open_page(page).info[0].value.startswith("Not built yet")


def test_empty_store_explains_what_to_do(store):
    at = open_page("overview")
    assert "no campaign yet" in at.info[0].value
    for page in ("releases", "social", "coverage", "analytics"):
        assert "no campaign yet" in open_page(page).info[0].value
    at = open_page("press_list")
    assert "No journalists yet." in [c.value for c in at.caption]


def test_settings_adds_a_campaign_and_selects_it(store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].input("Hotel strike")
    inputs["Employer"].input("Grand Hotel")
    inputs["Time zone"].input("America/Denver")
    inputs["Keywords"].input("Grand Hotel, Local 9")
    at.button[0].click().run()
    assert not at.exception
    added = campaigns.find_campaign(store, "Hotel strike")
    assert added.keywords == ["Grand Hotel", "Local 9"]
    assert at.sidebar.selectbox[0].value == added.id


def test_settings_rejects_a_bad_time_zone_and_writes_nothing(store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].input("Hotel strike")
    inputs["Time zone"].input("Denver")
    at.button[0].click().run()
    assert "not a known IANA time zone" in at.error[0].value
    assert campaigns.list_campaigns(store) == []


def test_settings_adds_an_event(demo_store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Title"].input("Solidarity concert")
    at.button[1].click().run()
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    assert "Solidarity concert" in [e.title for e in campaigns.list_events(demo_store, campaign.id)]
    assert "Solidarity concert" in at.success[0].value
