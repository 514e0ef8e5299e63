"""The sign-in route and the gate in front of the dashboard, over HTTP, on the app that
`make run` starts (scripts/run.sh on a free port with a fresh data folder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from http.cookies import SimpleCookie

import httpx
import pytest
from support.running_app import RunningApp, start_app

from outreach.auth import sessions
from outreach.clock import utcnow
from outreach.store import make_engine

IDLE = timedelta(hours=12)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("signin")) as running:
        yield running


@pytest.fixture(scope="module")
def password(app) -> str:
    return re.search(r"password: (\S+)", app.output()).group(1)


@pytest.fixture
def browser(app) -> Iterator[httpx.Client]:
    """A fresh browser: its own cookie jar, no proxy, redirects not followed."""
    with httpx.Client(base_url=app.url, trust_env=False, timeout=30,
                      headers={"Accept": "text/html"}) as client:
        yield client


def _store(app: RunningApp):
    return make_engine(f"sqlite:///{app.data_dir / 'outreach.db'}")


def _set_cookie(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of one Set-Cookie header, names lowercased."""
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie(header)
        if name in jar:
            morsel = jar[name]
            flags = {k.lower() for k in re.findall(r";\s*(\w+)(?=;|$)", header)}
            return {"value": morsel.value, **{k: v for k, v in morsel.items() if v},
                    **{f: "yes" for f in flags}}
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers}")


def _sign_in(browser: httpx.Client, name: str, password: str, next_path: str = "/"):
    form = browser.get("/signin", params={"next": next_path})
    check = re.search(r'name="check" value="([^"]+)"', form.text).group(1)
    return browser.post("/signin", data={"name": name, "password": password,
                                         "next": next_path, "check": check})


def test_a_signed_out_visit_to_any_page_goes_to_sign_in_and_remembers_it(browser):
    response = browser.get("/releases", params={"releases-tab": "Protected names"})
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/signin?next=%2Freleases%3Freleases-tab%3DProtected%2Bnames")
    # Streamlit's own machinery (health, scripts, the websocket) is left alone.
    assert browser.get("/_stcore/health").text == "ok"


def test_the_sign_in_form_cannot_be_framed_or_cached(browser):
    response = browser.get("/signin", params={"next": "/social"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert 'name="next" value="/social"' in response.text
    check = _set_cookie(response, "umd_signin_check")
    assert check["httponly"] and check["samesite"].lower() == "strict"
    assert "Settings › Users" in response.text  # who to ask for an account


def test_a_right_password_starts_a_session_in_an_httponly_strict_cookie(app, browser,
                                                                        password):
    response = _sign_in(browser, "admin", password, "/releases")
    assert response.status_code == 303
    assert response.headers["location"] == "/releases"
    cookie = _set_cookie(response, sessions.COOKIE_NAME)
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/" and cookie["max-age"] == str(7 * 24 * 3600)
    # The bookmark opens now; the token stands for the admin in the store.
    assert browser.get("/releases").status_code == 200
    db = _store(app)
    try:
        check = sessions.check_session(db, cookie["value"], now=utcnow(), idle=IDLE)
    finally:
        db.dispose()
    assert check.actor.name == "admin"


def test_a_wrong_password_keeps_the_name_and_says_so(browser):
    response = _sign_in(browser, "admin", "not the password at all", "/social")
    assert response.status_code == 401
    assert "Wrong name or password." in response.text
    assert 'value="admin"' in response.text and 'value="/social"' in response.text
    assert sessions.COOKIE_NAME not in response.headers.get("set-cookie", "")


def test_a_post_without_the_form_s_check_is_refused(browser, password):
    response = browser.post("/signin", data={"name": "admin", "password": password,
                                             "next": "/", "check": "forged"})
    assert response.status_code == 400
    assert "out of date" in response.text
    assert sessions.COOKIE_NAME not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)", "/signin"])
def test_sign_in_never_sends_the_browser_off_the_site(browser, password, target):
    response = _sign_in(browser, "admin", password, target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_signing_in_again_ends_the_browser_s_previous_session(app, browser, password):
    first = _set_cookie(_sign_in(browser, "admin", password), sessions.COOKIE_NAME)["value"]
    second = _set_cookie(_sign_in(browser, "admin", password), sessions.COOKIE_NAME)["value"]
    db = _store(app)
    try:
        assert sessions.check_session(db, first, now=utcnow(), idle=IDLE).actor is None
        assert sessions.check_session(db, second, now=utcnow(), idle=IDLE).actor is not None
        sessions.end_session(db, second, now=utcnow())
    finally:
        db.dispose()
    # An ended session's cookie no longer opens pages; the sign-in form says why.
    response = browser.get("/settings")
    assert response.headers["location"] == "/signin?next=%2Fsettings&notice=ended"
    assert "Your sign-in has ended" in browser.get(response.headers["location"]).text


def test_no_upload_is_taken_before_sign_in(browser, password):
    """Streamlit holds an upload in memory before any page checks who sent it; the gate
    refuses it first, body unread, unless the browser is signed in."""
    body = {"files": ("list.csv", b"name,email\nDana Quill,dana@daily.example.org\n")}
    refused = browser.put("/_stcore/upload_file/some-session/some-file", files=body)
    assert (refused.status_code, refused.text) == (403, "Sign in to upload files.")
    _sign_in(browser, "admin", password)
    allowed = browser.put("/_stcore/upload_file/some-session/some-file", files=body)
    # past the gate, Streamlit's own checks answer (here: no XSRF token from a page)
    assert allowed.text != "Sign in to upload files.", allowed.text


def test_a_guessing_address_is_told_to_wait_while_others_sign_in(browser, password):
    """Behind a reverse proxy on this machine the address comes from X-Forwarded-For."""
    guesser = {"X-Forwarded-For": "203.0.113.66"}
    said = []
    for _ in range(7):
        form = browser.get("/signin")
        check = re.search(r'name="check" value="([^"]+)"', form.text).group(1)
        said.append(browser.post("/signin", headers=guesser, data={
            "name": "treasurer", "password": "guess guess guess", "next": "/",
            "check": check}))
    assert [r.status_code for r in said] == [401] * 7
    assert "Wrong name or password.</p>" in said[0].text
    assert ("Wrong name or password. Too many failed sign-ins: the next try must wait "
            "5 seconds.") in said[5].text
    assert re.search(r"Too many failed sign-ins from here or for this name\. Wait [45] "
                     r"seconds, then try again\.", said[6].text)
    assert 'value="treasurer"' in said[6].text
    # The admin, at another address, is not held up by the guesser.
    assert _sign_in(browser, "admin", password).status_code == 303
