"""Single sign-on's identity provider address, checked before the sign-in page offers it.

Streamlit's `st.login` fetches the provider's metadata from `server_metadata_url` itself,
outside our HTTP client. The URL guard decides first whether that address may be fetched at
all, so a mistyped or planted `.streamlit/secrets.toml` cannot make sign-in reach a router or
a cloud metadata service, nor take its sign-in settings over plain http.
"""

from __future__ import annotations

from collections.abc import Mapping

from outreach.errors import UnsafeURL
from outreach.net import URLGuard

SECRETS_FILE = ".streamlit/secrets.toml"


def metadata_url_problem(provider: str | None, config: Mapping, guard: URLGuard) -> str | None:
    """Why single sign-on with `provider` (None: the bare [auth] section) may not be offered,
    in words naming the setting to fix; None when its `server_metadata_url` passes `guard`
    (https, or a host OUTREACH_URL_ALLOWLIST names; public unless allowlisted). A host that
    cannot be looked up now is no reason: the provider says so itself when asked."""
    section = f"[auth.{provider}]" if provider else "[auth]"
    url = str(config.get("server_metadata_url") or "")
    if not url:
        return (f"Single sign-on is not set up: {section} in {SECRETS_FILE} has no "
                "server_metadata_url (the identity provider's "
                "/.well-known/openid-configuration address).")
    try:
        guard.check(url, secrets=True)
    except UnsafeURL as exc:
        return (f"Single sign-on is off until server_metadata_url in {section} of "
                f"{SECRETS_FILE} is fixed. {exc}")
    except OSError:  # not found now: the provider's own fetch will say so
        pass
    return None
