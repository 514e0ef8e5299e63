"""Single sign-on in a real browser, through a real OpenID Connect provider on 127.0.0.1.

The dashboard is started the way a user starts it (`scripts/run.sh`), with Streamlit
reading an `[auth]` secrets file from the test's folder (STREAMLIT_SECRETS_FILES), so
the repository's `.streamlit/` is never touched. The provider from `support/oidc_provider.py`
vouches for whichever e-mail the test chooses; Chromium, driven by Playwright, clicks
"Sign in with single sign-on" and follows the redirects to the provider and back.
The browser uses `localhost` throughout, the host in `redirect_uri`, because the
sign-in cookies are bound to the host the browser sees.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support.oidc_provider import OidcProvider
from support.running_app import ROOT, RunningApp, chromium_page, settle, start_app
from support.services import free_port

from outreach.ops.demo import DEMO_CAMPAIGN

try:
    from playwright.sync_api import Page, expect
except ImportError:
    Page = None

CLIENT_ID = "union-media-desk"
# Playwright waits, in milliseconds.
RENDER_TIMEOUT_MS = 30_000
MARIA = "maria@example.org"


@dataclass
class SsoApp:
    """The running dashboard and its identity provider. The browser must use `localhost`,
    the host in redirect_uri, because the sign-in cookies are bound to it."""

    running: RunningApp
    provider: OidcProvider

    @property
    def url(self) -> str:
        return f"http://localhost:{self.running.port}"


def _secrets_toml(redirect_uri: str, client_secret: str, metadata_url: str) -> str:
    return (
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{client_secret}"\n'
        f'server_metadata_url = "{metadata_url}"\n'
    )


def _add_user(app: SsoApp, name: str, role: str, email: str) -> None:
    """Create an account with the CLI an admin would use, in the running app's store."""
    done = subprocess.run(
        [".venv/bin/python", "-m", "outreach", "users", "add", name, "--role", role,
         "--email", email, "--password-stdin"],
        cwd=ROOT, env=app.running.env, input=f"{secrets.token_urlsafe(16)}\n", text=True,
        capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def sso_app(tmp_path) -> Iterator[SsoApp]:
    """The dashboard from `scripts/run.sh`, signing in through a local OIDC provider,
    with the editor maria (maria@example.org) on file."""
    port = free_port()
    redirect_uri = f"http://localhost:{port}/oauth2callback"
    client_secret = secrets.token_urlsafe(24)
    with OidcProvider(CLIENT_ID, client_secret, redirect_uri) as provider:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(_secrets_toml(redirect_uri, client_secret,
                                              provider.metadata_url), encoding="utf-8")
        env = {"STREAMLIT_SECRETS_FILES": str(secrets_file),
               "NO_PROXY": "127.0.0.1,localhost",
               # The test provider serves plain http on this machine, as one on the
               # union's own network might: allowlisted, as the committee would.
               "OUTREACH_URL_ALLOWLIST": "127.0.0.1"}
        with start_app(tmp_path, port=port, env=env) as running:
            app = SsoApp(running, provider)
            _add_user(app, "maria", "editor", MARIA)
            yield app


@pytest.fixture
def page() -> Iterator[Page]:
    """A headless Chromium tab that cannot reach beyond 127.0.0.1."""
    with chromium_page() as tab:
        yield tab


def _sign_in_through_provider(page: Page, app: SsoApp, email: str) -> None:
    """Open the dashboard, see only the single sign-on button, and click it."""
    app.provider.email = email
    page.goto(app.url)
    settle(page, "Union Media Desk")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("button")).to_have_count(1)
    expect(main.get_by_role("button", name="Sign in with single sign-on")).to_be_visible()
    assert page.get_by_role("textbox", name="Password").count() == 0
    main.get_by_role("button", name="Sign in with single sign-on").click()


def test_a_known_email_signs_in_to_its_account_and_role(page, sso_app):
    """Someone whose provider e-mail belongs to the editor maria clicks the single sign-on
    button, passes through the provider, and lands on the Overview signed in as maria."""
    _sign_in_through_provider(page, sso_app, MARIA)
    settle(page, "Overview")
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(
        "Signed in as maria (editor)", timeout=RENDER_TIMEOUT_MS)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text(DEMO_CAMPAIGN)
    assert sso_app.provider.issued == [MARIA]


def test_an_unknown_email_is_turned_away_without_data(page, sso_app):
    """An e-mail the provider vouches for but no account here has gets a clear refusal,
    no dashboard data, and a way to sign out of single sign-on."""
    stranger = "stranger@example.org"
    _sign_in_through_provider(page, sso_app, stranger)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(f"No active account here has the e-mail '{stranger}'",
                                 timeout=RENDER_TIMEOUT_MS)
    settle(page, "Union Media Desk")
    expect(main.get_by_role("button", name="Sign out of single sign-on")).to_be_visible()
    assert DEMO_CAMPAIGN not in main.inner_text()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert sso_app.provider.issued == [stranger]
    main.get_by_role("button", name="Sign out of single sign-on").click()
    expect(main.get_by_role("button", name="Sign in with single sign-on")).to_be_visible(
        timeout=RENDER_TIMEOUT_MS)
    assert "No active account" not in main.inner_text()
