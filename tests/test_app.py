"""Every dashboard page runs in Streamlit's AppTest, with demo data and with none."""

import json
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from streamlit.testing.v1 import AppTest
from support.feed_server import FeedServer, rss_document, sample_items
from support.images import photo
from support.pages import (
    ADMIN_ID,
    APP,
    ROOT,
    button,
    caption_with,
    charts,
    checkbox,
    confirmed,
    open_page,
    select,
    signed_in,
    user_id,
)
from support.services import free_port

from outreach import campaigns
from outreach.auth import sessions, users
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.ops import demo
from outreach.ops.worker import beat
from outreach.org_settings import get_org, set_org
from outreach.pitching import pitches as pitching
from outreach.presslist import contacts, spokespeople
from outreach.releases import drafts as releases
from outreach.releases import protected_names, templates
from outreach.social import queue as post_queue
from outreach.store.tables import feeds as feeds_table
from outreach.store.tables import post_images
from outreach.store.tables import posts as posts_table
from outreach.ui.auth import SESSION_KEY
from outreach.ui.common import edited_rows

PAGES = {
    "overview": "Overview",
    "press_list": "Press list",
    "releases": "Releases",
    "social": "Social",
    "coverage": "Coverage",
    "analytics": "Analytics",
    "settings": "Settings",
}
















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


def _x_encodings(spec) -> list[dict]:
    """Every x encoding in a Vega-Lite spec, layers included."""
    found = []
    if isinstance(spec, dict):
        x = spec.get("encoding", {}).get("x")
        if isinstance(x, dict):
            found.append(x)
        for value in spec.values():
            found += _x_encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _x_encodings(value)
    return found


@pytest.mark.parametrize("page", ["overview", "coverage", "analytics"])
def test_every_time_axis_names_the_month(demo_store, page):
    at = open_page(page)
    timed = [x for chart in charts(at) for x in _x_encodings(json.loads(chart.proto.spec))
             if x.get("type") == "temporal" and "axis" in x]
    assert timed, f"no time axis on {page}"
    for x in timed:
        assert x["axis"]["format"] == "%d %b", x


def test_times_in_tables_are_labelled_with_the_campaign_s_zone(demo_store):
    at = open_page("releases")
    config = json.loads(at.dataframe[0].proto.columns)
    zone = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN).timezone
    assert config["updated_at"]["label"] == f"Updated at ({zone})"
    assert config["title"]["label"] == "Title"








def test_press_list_filters_in_sql(demo_store):
    at = open_page("press_list")
    assert caption_with(at, "journalists match").startswith("40 journalists match")
    assert len(at.data_editor[0].value) == 40
    select(at, "List").select("Spanish-language").run()
    shown = at.data_editor[0].value
    assert 0 < len(shown) < 40
    assert caption_with(at, "journalists match").startswith(f"{len(shown)} journalists")
    next(t for t in at.text_input if t.label == "Search").input("zzz-nobody").run()
    assert "No journalists match these filters." in [c.value for c in at.caption]


def test_press_list_pages_through_results(store, now):
    for i in range(120):
        contacts.add_journalist(store, ROOT, {"name": f"Reporter {i:03d}"}, now=now)
    at = open_page("press_list")
    assert len(at.data_editor[0].value) == 50
    page = next(n for n in at.number_input if n.label.startswith("Page"))
    assert page.label == "Page (of 3)"
    page.set_value(3).run()
    assert caption_with(at, "journalists match") == "120 journalists match; showing 101–120"
    assert list(at.data_editor[0].value["name"])[0] == "Reporter 100"


def test_viewers_read_the_press_list_without_editing(demo_store):
    at = open_page("press_list", as_user=user_id(demo_store, "viewer"))
    assert not at.data_editor and len(at.dataframe[0].value) == 40
    assert not at.get("file_uploader")
    assert "Importing needs the editor role." in [c.value for c in at.caption]
    assert [b.label for b in at.button if b.label != "Sign out"] == []


def test_saved_view_round_trip(demo_store):
    at = open_page("press_list", as_user=user_id(demo_store, "editor"))
    select(at, "Beat").select("labor").run()
    next(t for t in at.text_input if t.label == "View name").input("Labor desk").run()
    button(at, "Save view").click().run()
    assert "Saved the view 'Labor desk'." in confirmed(at)
    labor = caption_with(at, "journalists match")
    at = open_page("press_list", as_user=user_id(demo_store, "editor"))
    select(at, "Saved view").select("Labor desk").run()
    assert select(at, "Beat").value == "labor"
    assert caption_with(at, "journalists match") == labor


def test_one_journalist_page_logs_an_interaction(demo_store):
    at = open_page("press_list", as_user=user_id(demo_store, "editor"))
    person = select(at, "Journalist (from the current results)")
    jid = person.value
    select(at, "What happened").select("called")
    at.text_area(key="log-0-notes").input("Will come to the picket")
    button(at, "Log it").click().run()
    assert not at.error, at.error
    history = contacts.get_journalist(demo_store, jid)["history"]
    assert history[0]["kind"] == "called" and history[0]["by_user"] == "editor"
    assert history[0]["notes"] == "Will come to the picket"


def test_import_through_the_page(demo_store):
    at = open_page("press_list", as_user=user_id(demo_store, "editor"))
    data = ("Full Name;E-mail;Publication;Job Title\n"
            "Nia Testwell;nia@gazette.test;Gazette Test;Reporter\n"
            "Ana Quillfeather;ana.quillfeather@riversideledger.test;"
            "Riverside Daily Ledger;Editor\n").encode("utf-8-sig")
    at.get("file_uploader")[0].upload("export.csv", data, "text/csv").run()
    assert not at.exception
    preview = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert dict(zip(preview["name"], preview["outcome"], strict=True)) == {
        "Nia Testwell": "added", "Ana Quillfeather": "merged"}
    assert contacts.count_journalists(demo_store) == 40
    button(at, "Import").click().run()
    assert any(m.startswith("Imported: 1 added") for m in confirmed(at))
    assert contacts.count_journalists(demo_store) == 41


def test_spokesperson_roster_form(demo_store):
    at = open_page("press_list", as_user=user_id(demo_store, "editor"))
    at.text_input(key="spokesperson-0-name").input("Rosa Testa")
    at.text_input(key="spokesperson-0-languages").input("Spanish, English")
    button(at, "Add to roster").click().run()
    assert "Added Rosa Testa to the roster." in confirmed(at)
    assert "Rosa Testa" in [r["name"] for r in spokespeople.roster(demo_store)]


def test_social_queue_filters_posts_by_state(demo_store):
    at = open_page("social")
    select(at, "Show").select("scheduled").run()
    queue = next(d.value for d in at.dataframe if "last_error" in d.value.columns)
    assert set(queue["status"]) == {"scheduled"}


def test_compose_counts_splits_and_saves_for_approval(demo_store, now):
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    text = " ".join(["Acme workers stand together for safe staffing."] * 10)
    next(t for t in at.text_area if t.label == "Text").input(text).run()
    counts = [m.value for m in at.markdown if " / 300 graphemes" in m.value]
    assert len(counts) >= 2 and all("too long" not in c for c in counts)
    button(at, "Save for the committee's approval").click().run()
    assert any(m.startswith("Saved: submit it") for m in confirmed(at))
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    drafts = post_queue.list_posts(demo_store, campaign.id, status="draft")
    assert any(r["text"].startswith("Acme workers stand together") for r in drafts)


def test_queue_submit_vote_and_cancel(demo_store, now):
    set_org(demo_store, ROOT, {"post_rule": {"kind": "at_least", "n": 1}}, now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    account = post_queue.list_accounts(demo_store, campaign.id)[0]["id"]
    post_id = post_queue.create_post(demo_store, ROOT, account, ["Rally at noon."], now=now,
                                     at=now + timedelta(days=1))
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    select(at, "Post").select(post_id).run()
    button(at, "Submit").click().run()
    assert post_queue.get_post(demo_store, post_id)["status"] == "in_review"
    at = open_page("social", as_user=user_id(demo_store, "approver"))
    select(at, "Post").select(post_id).run()
    button(at, "Cast vote").click().run()
    assert post_queue.get_post(demo_store, post_id)["status"] == "scheduled"
    checkbox(at, "Sure?").check().run()
    button(at, "Cancel post").click().run()
    assert post_queue.get_post(demo_store, post_id)["status"] == "cancelled"


def test_a_failed_post_shows_the_platforms_message(demo_store, now):
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    with demo_store.begin() as conn:
        conn.execute(posts_table.update().where(posts_table.c.status == "scheduled")
                     .values(status="failed", last_error="Unauthorized"))
    at = open_page("social")
    assert "post(s) failed" in at.error[0].value
    assert post_queue.count_by_status(demo_store, campaign.id)["failed"] > 0


def test_empty_store_explains_what_to_do(store):
    at = open_page("overview")
    assert "no campaign yet" in at.info[0].value
    for page in ("releases", "social", "coverage", "analytics"):
        assert "no campaign yet" in open_page(page).info[0].value
    at = open_page("press_list")
    assert ("No journalists yet: import a list under Import & export, or add one under Add "
            "a journalist.") in [
        c.value for c in at.caption]


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


def test_a_second_campaign_is_selected_once_added(demo_store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].input("Hotel strike")
    inputs["Time zone"].input("America/Denver")
    button(at, "Add campaign").click().run()
    assert not at.exception
    assert confirmed(at) == ["Added the campaign Hotel strike; every page now shows it."]
    added = campaigns.find_campaign(demo_store, "Hotel strike")
    assert at.sidebar.selectbox[0].value == added.id
    assert {t.label: t.value for t in at.text_input}["Name"] == ""


def test_settings_rejects_a_bad_time_zone_and_writes_nothing(store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Name"].input("Hotel strike")
    inputs["Time zone"].input("Denver")
    at.button[0].click().run()
    assert "not a known IANA time zone" in at.error[0].value
    assert campaigns.list_campaigns(store) == []


def test_a_wrong_vault_key_is_said_in_words_and_settings_still_work(demo_store, monkeypatch):
    """A bad OUTREACH_SECRET_KEY breaks only the Credentials tab, in words, with no trace."""
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "letmein")
    at = open_page("settings")
    assert any("is not a valid Fernet key" in e.value for e in at.error)
    assert not at.exception
    assert "Add campaign" in [b.label for b in at.button]


def test_settings_adds_an_event(demo_store):
    at = open_page("settings")
    inputs = {t.label: t for t in at.text_input}
    inputs["Title"].input("Solidarity concert")
    at.button[1].click().run()
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    assert "Solidarity concert" in [e.title for e in campaigns.list_events(demo_store, campaign.id)]
    assert "Solidarity concert" in confirmed(at)[0]




@pytest.mark.parametrize("page", PAGES)
def test_signed_out_visitors_see_only_the_way_to_sign_in(demo_store, page):
    at = AppTest.from_file(APP, default_timeout=30).run()
    if page != "overview":
        at.switch_page(f"outreach/ui/{page}.py").run()
    assert [t.value for t in at.title] == ["Union Media Desk"]
    assert not at.button and not at.text_input
    assert not at.dataframe and not at.metric and not at.sidebar.selectbox
    path = "%2F" if page == "overview" else f"%2F{page}"
    assert f'href="/signin?next={path}"' in at.get("html")[0].proto.body


def test_sign_out_ends_the_session_in_the_store(store):
    at = open_page("overview", as_user=user_id(store, "editor"))
    assert at.title[0].value == "Overview"
    assert "Signed in as **editor** (editor)" in at.sidebar.caption[0].value
    token = at.session_state[SESSION_KEY]
    button(at, "Sign out").click().run()
    assert at.title[0].value == "Union Media Desk"
    assert "You have signed out." in at.info[0].value
    check = sessions.check_session(store, token, now=utcnow(), idle=timedelta(hours=12))
    assert check.actor is None and check.ended == "You have signed out."


def test_an_idle_session_expires(store):
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[SESSION_KEY] = signed_in(ADMIN_ID, at=utcnow() - timedelta(hours=13))
    at.run()
    assert "signed out after 12 hours without activity" in at.info[0].value
    assert at.title[0].value == "Union Media Desk"


def test_a_disabled_account_is_signed_out_at_once(store, now):
    at = open_page("overview", as_user=user_id(store, "editor"))
    assert at.title[0].value == "Overview"
    users.set_disabled(store, ROOT, "editor", True, now=now)
    at.run()
    assert "disabled" in at.info[0].value


@pytest.mark.parametrize(
    ("role", "tabs", "forms"),
    [
        ("viewer", ["Campaigns"], []),
        ("editor", ["Campaigns"], ["Add event"]),
        ("approver", ["Campaigns"], ["Add event"]),
        ("admin", ["Campaigns", "Committee", "Users", "Credentials", "Audit log",
                   "Configuration"],
         ["Add campaign", "Add event", "Save approval rules", "Save committee settings",
          "Add user", "Apply",
          "Save credential"]),
    ],
)
def test_settings_shows_only_what_the_role_may_do(demo_store, role, tabs, forms):
    at = open_page("settings", as_user=user_id(demo_store, role))
    assert [t.label for t in at.tabs] == tabs
    assert [b.label for b in at.button if b.label != "Sign out"] == forms


def test_a_refused_form_keeps_what_was_typed_and_a_saved_one_empties(store):
    at = open_page("settings")
    field = {t.label: t for t in at.text_input}
    field["User name"].input("lucia")
    field["E-mail (optional, for single sign-on)"].input("lucia@example.org")
    field["Initial password"].input("short")
    button(at, "Add user").click().run()
    assert "at least 10 characters" in at.error[0].value
    field = {t.label: t for t in at.text_input}
    assert field["User name"].value == "lucia"
    assert field["E-mail (optional, for single sign-on)"].value == "lucia@example.org"
    field["Initial password"].input("a much longer passphrase")
    button(at, "Add user").click().run()
    assert confirmed(at) == ["Added lucia as editor."]
    assert {t.label: t.value for t in at.text_input}["User name"] == ""
    assert "lucia" in [u.name for u in users.list_users(store, ROOT)]


def test_an_admin_signs_an_editor_out_on_every_device(store):
    editor_at = open_page("overview", as_user=user_id(store, "editor"))
    at = open_page("settings")
    select(at, "User").select("editor")
    next(r for r in at.radio if r.label == "Change").set_value("Sign out everywhere")
    checkbox(at, "Yes, apply this change").check()
    button(at, "Apply").click().run()
    assert confirmed(at) == ["editor is signed out everywhere (1 open session(s) ended)."]
    editor_at.run()
    assert editor_at.title[0].value == "Union Media Desk"
    assert "You were signed out on every device by admin." in editor_at.info[0].value


def test_configuration_names_what_the_running_worker_still_uses(store, monkeypatch):
    at = open_page("settings")
    assert any("No worker is running" in i.value for i in at.info)
    runs_with = {r["setting"]: r["value"] for r in Settings.from_env().describe()}
    beat(store, "host:1", now=utcnow(), started_at=utcnow(), interval=30, passes=1,
                summary="nothing due", settings=runs_with)
    monkeypatch.setenv("OUTREACH_TIMEZONE", "America/Chicago")
    at = open_page("settings")
    assert any("still uses its old value of OUTREACH_TIMEZONE: restart it" in w.value
               for w in at.warning)
    table = next(d.value for d in at.dataframe if "differs" in d.value.columns)
    row = table[table["setting"] == "OUTREACH_TIMEZONE"].iloc[0]
    assert (row["here"], row["worker"], bool(row["differs"])) == ("America/Chicago", "UTC",
                                                                  True)


def test_a_secret_set_in_the_ui_is_never_shown_stored_or_logged(demo_store, app_env, caplog):
    secret = "hunter2-Very-Secret-9876"
    at = open_page("settings")
    value = next(t for t in at.text_input if t.label == "Value")
    value.input(secret)
    button(at, "Save credential").click().run()
    assert not at.exception
    assert "Saved SMTP password" in confirmed(at)[0]
    table = next(d.value for d in at.dataframe if "credential" in d.value.columns)
    shown = [r for r in table.to_dict("records") if r["credential"].startswith("SMTP")]
    assert shown[0]["status"] == "set, ends in 9876"
    demo_store.dispose()
    for path in app_env.iterdir():
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in caplog.text
    for page in PAGES:
        rendered = repr(open_page(page).main) + repr(open_page(page).sidebar)
        assert secret not in rendered, page


SSO = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
       "client_id": "desk", "client_secret": "s3cret",
       "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


@pytest.fixture
def idp_allowlisted(monkeypatch):
    """The identity provider's host allowlisted, so its address is not even looked up."""
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", "idp.example.org")


def sso_app(page: str = "overview", auth: dict = SSO, **user) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = auth
    at.user = user
    at.run()
    if page != "overview":
        at.switch_page(f"outreach/ui/{page}.py").run()
    return at


def test_single_sign_on_replaces_the_password_form(store, idp_allowlisted):
    at = sso_app(is_logged_in=False)
    assert [b.label for b in at.button] == ["Sign in with single sign-on"]
    assert not at.text_input


def test_single_sign_on_maps_the_email_to_a_local_role(demo_store, now, idp_allowlisted):
    users.set_email(demo_store, ROOT, "approver", "Ana@Example.org", now=now)
    at = sso_app("settings", is_logged_in=True, email="ana@example.org", email_verified=True)
    assert at.title[0].value == "Settings"
    assert "Signed in as **approver** (approver)" in at.sidebar.caption[0].value
    assert [t.label for t in at.tabs] == ["Campaigns"]


@pytest.mark.parametrize("verified", [{"email_verified": False}, {}],
                         ids=["unverified", "not-said"])
def test_single_sign_on_with_an_email_the_provider_did_not_verify_gets_no_access(
        demo_store, now, verified, idp_allowlisted):
    users.set_email(demo_store, ROOT, "admin", "ana@example.org", now=now)
    at = sso_app(is_logged_in=True, email="ana@example.org", **verified)
    assert at.title[0].value == "Union Media Desk"
    assert "has not verified the e-mail 'ana@example.org'" in at.info[0].value
    assert not at.dataframe


def test_single_sign_on_with_an_unknown_email_gets_no_access(demo_store, idp_allowlisted):
    at = sso_app(is_logged_in=True, email="stranger@example.org", email_verified=True)
    assert at.title[0].value == "Union Media Desk"
    assert "No active account here has the e-mail 'stranger@example.org'" in at.info[0].value
    assert [b.label for b in at.button] == ["Sign out of single sign-on"]
    assert not at.dataframe


def test_several_identity_providers_each_get_a_button(store, idp_allowlisted):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": SSO["redirect_uri"],
                          "cookie_secret": SSO["cookie_secret"],
                          "google": {"client_id": "a",
                                     "server_metadata_url": SSO["server_metadata_url"]},
                          "okta": {"client_id": "b",
                                   "server_metadata_url": SSO["server_metadata_url"]}}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with google", "Sign in with okta"]


@pytest.mark.parametrize(("url", "why"), [
    ("http://idp.example.org/.well-known/openid-configuration",
     "Refused http://idp.example.org/.well-known/openid-configuration: plain http would carry "
     "the password and sign-in tokens unencrypted"),
    ("https://169.254.169.254/latest/meta-data",
     "Refused https://169.254.169.254/latest/meta-data: 169.254.169.254 is a link-local "
     "address. Add the host or its network to OUTREACH_URL_ALLOWLIST"),
    ("", "Single sign-on is not set up: [auth] in .streamlit/secrets.toml has no "
     "server_metadata_url"),
])
def test_an_identity_provider_address_the_guard_refuses_gets_no_button(store, url, why):
    # No allowlist: a lookup of idp.example.org would trip the conftest guard, and with no
    # button st.login can never fetch the address.
    at = sso_app(auth={**SSO, "server_metadata_url": url}, is_logged_in=False)
    assert not at.exception
    assert not at.button
    [error] = at.error
    assert why in error.value
    if url:
        assert error.value.startswith("Single sign-on is off until server_metadata_url in "
                                      "[auth] of .streamlit/secrets.toml is fixed. ")


def test_only_the_providers_the_guard_allows_get_a_button(store, idp_allowlisted):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": SSO["redirect_uri"],
                          "cookie_secret": SSO["cookie_secret"],
                          "google": {"client_id": "a",
                                     "server_metadata_url": SSO["server_metadata_url"]},
                          "intranet": {"client_id": "b",
                                       "server_metadata_url": "http://10.0.0.8/.well-known/x"}}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with google"]
    assert at.error[0].value.startswith(
        "Single sign-on is off until server_metadata_url in [auth.intranet] of "
        ".streamlit/secrets.toml is fixed. Refused http://10.0.0.8/.well-known/x: plain http")


def test_edited_rows_reports_only_changed_cells():
    before = pd.DataFrame([{"id": 1, "name": "Ana", "tags": ""},
                           {"id": 2, "name": "Bo", "tags": "tv"}])
    after = before.copy()
    after.loc[1, "tags"] = "tv; ally"
    assert edited_rows(before, after, ["name", "tags"]) == {2: {"tags": "tv; ally"}}
    assert edited_rows(before, before.copy(), ["name", "tags"]) == {}




def test_draft_a_release_from_a_template(demo_store):
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    select(at, "Template").select("press_release.en").run()
    checkbox(at, "Start from the sample values").check().run()
    assert "Preview once this is fixed" not in [i.value[:27] for i in at.info]
    button(at, "Save draft").click().run()
    assert "Saved as a draft (version 1)." in confirmed(at)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    drafts = releases.list_releases(demo_store, campaign.id, status="draft")
    assert any(r["title"].startswith("Northgate") for r in drafts)


def test_submit_vote_and_export(demo_store, now):
    set_org(demo_store, ROOT, {"release_rule": {"kind": "at_least", "n": 1}}, now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    draft = releases.list_releases(demo_store, campaign.id, status="draft")[0]
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    select(at, "Release").select(draft["id"]).run()
    assert "Not approved yet: every export carries a DRAFT watermark." in [
        c.value for c in at.caption]
    button(at, "Submit for review").click().run()
    assert releases.get_release(demo_store, draft["id"]).status == "in_review"
    at = open_page("releases", as_user=user_id(demo_store, "approver"))
    select(at, "Release").select(draft["id"]).run()
    at.radio[0].set_value("approve")
    button(at, "Cast vote").click().run()
    assert releases.get_release(demo_store, draft["id"]).status == "approved"


def test_after_an_action_the_page_shows_the_new_state_at_once(demo_store):
    """Submit, then look without touching anything: the table, the counts and the
    buttons already say 'in review' (they were drawn before the write used to happen)."""
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    draft = releases.list_releases(demo_store, campaign.id, status="draft")[0]
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    select(at, "Release").select(draft["id"]).run()
    in_review = {m.label: m.value for m in at.metric}["In review"]
    button(at, "Submit for review").click().run()
    assert confirmed(at) == ["Submitted: the approvers can vote now."]
    assert {m.label: m.value for m in at.metric}["In review"] == str(int(in_review) + 1)
    table = at.dataframe[0].value
    assert table.loc[table["id"] == draft["id"], "status"].item() == "in_review"
    assert "Submit for review" not in [b.label for b in at.button]


def test_a_rapid_response_needs_three_fields_and_one_click(demo_store):
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    next(r for r in at.radio if r.label == "What happened").set_value(
        "rapid_response_ice.en").run()
    fields = {t.label: t for t in [*at.text_input, *at.text_area, *at.selectbox]
              if (t.key or "").startswith("rapid-")}
    # Filled in already: the dateline, the employer and the spokesperson.
    assert fields["City"].value == "RIVERSIDE"
    assert fields["Employer"].value == "Acme Logistics"
    assert fields["Speaking for the union"].value == "Dolores Ferreira-Quint"
    fields["Headline"].input("Union demands due process after agents enter Acme warehouse")
    fields["What happened"].input("Immigration agents entered the Riverside warehouse at "
                                  "6 a.m. The union has confirmed that workers were "
                                  "detained.")
    fields["Quote"].input("These are our coworkers. They deserve a lawyer and a phone call.")
    button(at, "Save and ask the committee").click().run()
    assert not at.exception and not at.error, at.error
    assert confirmed(at)[0].startswith("Sent to the committee")
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    rapid = [r for r in releases.list_releases(demo_store, campaign.id)
             if r["kind"] == "rapid_response"]
    assert [r["status"] for r in rapid] == ["in_review"]
    assert select(at, "Release").value == rapid[0]["id"]
    assert at.tabs[0].label == "Open a release" and at.session_state["tab"] == (
        "Open a release")


def test_viewers_cannot_draft_or_vote(demo_store):
    at = open_page("releases", as_user=user_id(demo_store, "viewer"))
    labels = [b.label for b in at.button]
    assert "Save draft" not in labels and "Submit for review" not in labels
    assert "Drafting needs the editor role." in [c.value for c in at.caption]


def test_a_protected_name_is_highlighted(demo_store, now):
    protected_names.add_protected(demo_store, ROOT, "Rosa Delgado", now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    template = templates.get_template(demo_store, "press_release.en")
    rid = releases.create_release(demo_store, ROOT, campaign.id, template.name,
                                  templates.sample_values(template), now=now)
    at = open_page("releases")
    select(at, "Release").select(rid).run()
    assert "names a protected member" in at.error[0].value
    assert any("<mark>" in m.value for m in at.markdown)
    button(at, "Submit for review").click().run()
    assert releases.get_release(demo_store, rid).status == "draft"


def test_a_viewer_is_told_a_release_names_someone_but_not_whom(demo_store, now):
    """The highlight would show a viewer which words are on the protected list."""
    protected_names.add_protected(demo_store, ROOT, "Rosa Delgado", now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    template = templates.get_template(demo_store, "press_release.en")
    rid = releases.create_release(demo_store, ROOT, campaign.id, template.name,
                                  templates.sample_values(template), now=now)
    at = open_page("releases", as_user=user_id(demo_store, "viewer"))
    select(at, "Release").select(rid).run()
    assert [e.value for e in at.error] == [
        "This release names a protected member; an editor can see where."]
    assert not any("<mark>" in m.value for m in at.markdown)


def test_protected_names_tab(demo_store):
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    fields = {t.label: t for t in at.text_input}
    fields["Full name"].input("Fictional Person")
    fields["Nicknames and other spellings"].input("Fi, F. Person")
    button(at, "Protect this name").click().run()
    assert "Added to the protected list." in confirmed(at)
    at = open_page("releases", as_user=user_id(demo_store, "viewer"))
    assert "Seeing and changing this list needs the editor role." in [
        c.value for c in at.caption]


class _Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def test_pitch_an_approved_release_from_the_page(demo_store, now):
    inbox = _Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        set_org(demo_store, ROOT, {"smtp_host": "127.0.0.1", "smtp_port": server.port,
                                   "smtp_security": "none",
                                   "smtp_from": "Local 101 <media@local101.test>"}, now=now)
        campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
        sent = releases.list_releases(demo_store, campaign.id, status="sent")[0]
        at = open_page("releases", as_user=user_id(demo_store, "editor"))
        select(at, "Release").select(sent["id"]).run()
        select(at, "Press list").select("Spanish-language").run()
        expected = contacts.count(demo_store, contacts.JournalistFilter(
            list_name="Spanish-language"))
        assert caption_with(at, "will receive it").startswith(f"{expected} will receive it")
        checkbox(at, f"Yes, e-mail {expected} journalists now").check().run()
        button(at, "Send").click().run()
        assert not at.error, at.error
        assert any(m.startswith("Queued") for m in confirmed(at))
        assert inbox.envelopes == [], "the page only queues; the worker sends"
        summary = pitching.send_queued(demo_store, Settings.from_env(), "w1", now=now,
                                       sleep=lambda s: None)
        assert summary.endswith(f"{expected} sent.") or f"{expected} sent" in summary
        assert len(inbox.envelopes) == expected
        button(at, "Refresh").click().run()
        status = next(d.value for d in at.dataframe if "email" in d.value.columns)
        assert set(status["status"]) == {"sent"}
    finally:
        server.stop()


def test_compose_with_an_image_strips_its_location(demo_store, now):
    set_org(demo_store, ROOT, {"posts_need_approval": False}, now=now)
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    next(t for t in at.text_area if t.label == "Text").input("Day 1 at Gate 3.")
    at.get("file_uploader")[0].upload("gate3.jpg", photo(), "image/jpeg").run()
    assert any("Describe the image" in w.value for w in at.warning)
    next(t for t in at.text_input if t.label == "Alt text for gate3.jpg").input(
        "Pickets at Gate 3").run()
    button(at, "Schedule").click().run()
    assert any(m.startswith("Scheduled") for m in confirmed(at)), at.error
    with demo_store.connect() as conn:
        [(data, alt)] = conn.execute(sa.select(post_images.c.data, post_images.c.alt)).all()
    assert alt == "Pickets at Gate 3" and b"PhoneMaker" not in data


def test_compose_a_quote_post(demo_store, now):
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    at.radio[0].set_value("quote").run()
    next(t for t in at.text_input if t.label == "Address of the post to quote").input(
        "https://bsky.app/profile/nurses.bsky.test/post/3kabc2kabc22a")
    next(t for t in at.text_area if t.label == "Text").input("We stand with the nurses.")
    button(at, "Save for the committee's approval").click().run()
    assert any(m.startswith("Saved") for m in confirmed(at)), at.error
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    [draft] = [r for r in post_queue.list_posts(demo_store, campaign.id, status="draft")
               if r["text"] == "We stand with the nurses."]
    assert post_queue.get_post(demo_store, draft["id"])["kind"] == "quote"


def test_committee_sets_how_late_posts_are_handled(demo_store):
    at = open_page("settings")
    next(n for n in at.number_input
         if n.label == "A post is late after this many minutes").set_value(90)
    checkbox(at, "Hold late posts for review instead of publishing them flagged late").check()
    button(at, "Save committee settings").click().run()
    assert "Saved." in confirmed(at)
    org = get_org(demo_store)
    assert (org.late_after_minutes, org.hold_late_posts) == (90, True)


def test_compose_once_for_bluesky_and_x_with_different_words(demo_store, now):
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    accounts = {a["platform"]: a["id"] for a in post_queue.list_accounts(demo_store,
                                                                         campaign.id)}
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    at.multiselect[0].set_value([accounts["bluesky"], accounts["x"]]).run()
    next(t for t in at.text_area if t.label == "Text").input("Rally at Gate 3 at noon.").run()
    assert any("Estimated X cost: $0.015 for this post" in c.value for c in at.caption)
    at.checkbox(key=f"compose-0-own-{accounts['x']}").check().run()
    at.text_area(key=f"compose-0-text-{accounts['x']}").input(
        "Rally at Gate 3, noon! #Acme").run()
    button(at, "Save for the committee's approval").click().run()
    assert any(m.startswith("Saved") for m in confirmed(at)), at.error
    drafts = {r["platform"]: r for r in post_queue.list_posts(demo_store, campaign.id,
                                                              status="draft")
              if r["text"].startswith("Rally at Gate 3")}
    assert drafts["bluesky"]["text"] == "Rally at Gate 3 at noon."
    assert drafts["x"]["text"] == "Rally at Gate 3, noon! #Acme"
    groups = {post_queue.get_post(demo_store, d["id"])["group_id"] for d in drafts.values()}
    assert len(groups) == 1
    # The composer starts empty: the same click again has nothing to save.
    assert next(t for t in at.text_area if t.label == "Text").value == ""
    button(at, "Save for the committee's approval").click().run()
    assert len([r for r in post_queue.list_posts(demo_store, campaign.id)
                if r["text"].startswith("Rally at Gate 3")]) == 2


def test_queue_edits_a_posts_words(demo_store, now):
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    account = post_queue.list_accounts(demo_store, campaign.id)[0]["id"]
    post_id = post_queue.create_post(demo_store, ROOT, account, ["Rally at noon."], now=now,
                                     at=now + timedelta(days=1))
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    select(at, "Post").select(post_id).run()
    next(t for t in at.text_area if t.label == "Part 1").input("Rally moved to 1 pm.")
    button(at, "Save the words").click().run()
    assert "Saved; the post is draft." in confirmed(at), at.error
    assert post_queue.get_post(demo_store, post_id)["text"] == "Rally moved to 1 pm."


def test_accounts_tab_sets_weekly_slots(demo_store):
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    first = post_queue.list_accounts(demo_store, campaign.id)[0]
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    field = next(t for t in at.text_input
                 if t.label == f"{first['platform']}: {first['handle']}")
    field.input("Mon 09:00, Thu 18:30")
    button(at, "Save slots").click().run()
    assert f"Slots saved for {first['handle']}." in confirmed(at), at.error
    stored = next(a for a in post_queue.list_accounts(demo_store, campaign.id)
                  if a["id"] == first["id"])
    assert post_queue.describe_slots(stored["slot_plan"]) == "Mon 09:00, Thu 18:30"
    field = next(t for t in at.text_input
                 if t.label == f"{first['platform']}: {first['handle']}")
    field.input("Someday 9")
    button(at, "Save slots").click().run()
    assert any("is not a slot" in e.value for e in at.error), [*at.error, *confirmed(at)]


def test_a_bluesky_password_is_not_sent_in_clear_from_the_accounts_tab(demo_store):
    """The page signs in through the install's URL guard: a plain-http server that the
    allowlist does not name never gets the app password."""
    at = open_page("social")
    fields = {t.label: t for t in at.text_input}
    fields["Handle"].input("local101.bsky.social")
    fields["App password"].input("abcd-efgh-ijkl-mnop")
    fields["Server"].input("http://pds.example.org")
    button(at, "Connect Bluesky").click().run()
    assert any("Not signing in to Bluesky" in e.value and "add pds.example.org to" in e.value
               for e in at.error), [e.value for e in at.error]
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    assert "local101.bsky.social" not in [a["handle"]
                                          for a in post_queue.list_accounts(demo_store,
                                                                            campaign.id)]


def test_committee_sets_x_prices(demo_store):
    at = open_page("settings")
    next(n for n in at.number_input if n.label == "Dollars per X post").set_value(0.02)
    button(at, "Save committee settings").click().run()
    assert "Saved." in confirmed(at)
    assert get_org(demo_store).x_prices["post"] == pytest.approx(0.02)


def test_compose_previews_the_bluesky_link_card(demo_store, request, monkeypatch):
    web = request.getfixturevalue("site")
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", "127.0.0.1")
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    bluesky = next(a["id"] for a in post_queue.list_accounts(demo_store, campaign.id)
                   if a["platform"] == "bluesky")
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    at.multiselect[0].set_value([bluesky]).run()
    next(t for t in at.text_area if t.label == "Text").input(
        f"Why we strike: {web.url('/article')}").run()
    at.toggle(key=f"compose-0-card-{bluesky}").set_value(True).run()
    assert "**Why we strike: pay & safety at Acme\u2019s plant**" in [m.value for m in
                                                                    at.markdown], at.warning
    next(t for t in at.text_area if t.label == "Text").input(
        f"Gone: {web.url('/missing')}").run()
    assert any("The post goes out without one." in w.value for w in at.warning)


def test_coverage_page_lists_marks_and_charts_hits(demo_store):
    at = open_page("coverage", as_user=user_id(demo_store, "editor"))
    hits = next(d.value for d in at.dataframe if "matched_terms" in d.value.columns)
    assert "Pickets ring Acme warehouse on all three shifts" in set(hits["title"])
    select(at, "Mark a hit").select_index(0).run()
    [*_, tone] = [s for s in at.selectbox if s.label == "Tone"]  # the form's, not the filter
    tone.select("negative")
    checkbox(at, "Hide (not about us)").check()
    button(at, "Save marks").click().run()
    assert "Marked." in confirmed(at), at.error
    hits = next(d.value for d in at.dataframe if "matched_terms" in d.value.columns)
    assert len(hits) == len(demo.HITS) - 1
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert any(m.label == "Quoting our spokespeople" for m in at.metric)


def test_coverage_query_is_checked_and_saved(demo_store):
    at = open_page("coverage", as_user=user_id(demo_store, "editor"))
    next(t for t in at.text_area if t.label == "Query").input('"Acme Logistics" AND (')
    button(at, "Save query").click().run()
    assert any("position" in e.value for e in at.error)
    next(t for t in at.text_area if t.label == "Query").input('"Acme Logistics" AND strike')
    button(at, "Save query").click().run()
    assert "Saved." in confirmed(at), at.error
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    assert campaign.query == '"Acme Logistics" AND strike'
    next(t for t in at.text_input if t.label == "Language").input("es-419")
    button(at, "Save edition").click().run()
    assert any(m.startswith("Saved. Add the Google News") for m in confirmed(at)), at.error
    assert campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN).news_language == "es-419"


def test_coverage_page_fetches_with_the_configured_feed_settings(store, now, monkeypatch):
    """The page reads OUTREACH_FEED_* as the worker does: a feed over OUTREACH_FEED_MAX_MB
    is refused there too, naming the setting (the page once fetched with built-in
    defaults whatever .env said), and nothing is stored."""
    monkeypatch.setenv("OUTREACH_FEED_MAX_MB", "0.001")
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", "127.0.0.1")
    campaigns.create_campaign(store, ROOT, "Acme drive", now=now, timezone="UTC")
    with FeedServer() as server:
        url = server.add("/big.xml", rss_document("Big news", sample_items(30)))
        at = open_page("coverage")
        next(t for t in at.text_input if t.label.startswith("Feed address")).input(url)
        button(at, "Add feed").click().run()
    assert any("OUTREACH_FEED_MAX_MB" in e.value.replace("\\_", "_") for e in at.error), \
        [e.value for e in at.error]
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(feeds_table)).scalar() == 0


def test_the_feeds_tab_flags_a_feed_silent_too_long(store, now, monkeypatch):
    monkeypatch.setenv("OUTREACH_FEED_STALE_DAYS", "30")
    campaign = campaigns.create_campaign(store, ROOT, "Acme drive", now=now, timezone="UTC")
    with store.begin() as conn:
        for title, age in (("Quiet Quarterly", 45), ("Busy Bugle", 3)):
            conn.execute(feeds_table.insert().values(
                campaign_id=campaign.id, url=f"https://{age}.example.org/feed.xml",
                title=title, created_at=utcnow() - timedelta(days=age)))
    at = open_page("coverage")
    assert [w.value for w in at.warning if "brought nothing new" in w.value] == [
        "1 feed(s) brought nothing new in over 30 days: Quiet Quarterly. Check that the "
        "outlet still publishes at that address, or remove the feed."]


def test_feeds_come_in_from_an_opml_file_with_a_preview_and_a_result_per_feed(
        store, now, monkeypatch):
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", "127.0.0.1")
    campaigns.create_campaign(store, ROOT, "Acme drive", now=now, timezone="UTC")
    with FeedServer() as server:
        opml = (f'''<?xml version="1.0"?><opml version="1.0"><body>
          <outline text="Riverside Ledger" xmlUrl="{server.url('/rss.xml')}"/>
          <outline text="Gone Gazette" xmlUrl="{server.url('/missing.xml')}"/>
          <outline text="Old Post" xmlUrl="ftp://old.example.org/feed"/>
        </body></opml>''').encode()
        at = open_page("coverage")
        at.get("file_uploader")[0].upload("reader.opml", opml, "text/x-opml").run()
        assert not at.exception
        assert any("2 to add, 0 already there, 1 not feed addresses" in c.value
                   for c in at.caption)
        preview = next(d.value for d in at.dataframe if "will be" in d.value.columns)
        assert list(preview["will be"])[:2] == ["added", "added"]
        assert list(preview["will be"])[2].startswith("left out: 'ftp://old.example.org/feed'")
        assert server.requests == {}  # the preview fetches nothing
        button(at, "Add these 2 feeds").click().run()
    assert "1 added, 2 failed, 0 already there." in confirmed(at)
    result = next(d.value for d in at.dataframe if "result" in d.value.columns)
    assert dict(zip(result["feed"], result["result"], strict=True)) == {
        "Riverside Ledger: Labor": "added", "Gone Gazette": "not added",
        "Old Post": "not added"}
    with store.connect() as conn:
        assert conn.execute(sa.select(feeds_table.c.title)).scalars().all() == [
            "Riverside Ledger: Labor"]


def test_coverage_with_no_hits_says_what_to_do(store, now):
    campaigns.create_campaign(store, ROOT, "Quiet drive", now=now, timezone="UTC")
    at = open_page("coverage")
    assert any("No press hits match" in c.value for c in at.caption), at.caption
    assert any("No press hits in these dates yet" in i.value for i in at.info)
    assert any("No feeds yet" in c.value for c in at.caption)
