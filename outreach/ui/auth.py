"""The sign-in gate every page passes through, and the signed-in user for pages.

A browser signs in at /signin (outreach/ui/signin.py), which puts a session token in
an HttpOnly cookie; every run of the dashboard checks that session in the store, so
reloads and bookmarks keep the person signed in until they sign out or go idle.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from html import escape

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError

from outreach.auth import sessions, sso, users
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.errors import SignInFailed
from outreach.net import URLGuard
from outreach.roles import Actor
from outreach.ui.signin import idle_limit, sign_in_url

SESSION_KEY = "sign_in_session"
ACTOR_KEY = "actor"
NOTICE_KEY = "sign_in_notice"


def sso_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section for st.login."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:
        return False


def _sso_token(db: Engine, settings: Settings) -> str:
    """A session for the local account whose e-mail the identity provider vouched for."""
    if not (sso_configured() and st.user.is_logged_in):
        return ""
    now = utcnow()
    try:
        actor = users.sso_sign_in(db, st.user.get("email") or "",
                                  verified=st.user.get("email_verified") is True, now=now)
    except SignInFailed as exc:
        st.session_state[NOTICE_KEY] = str(exc)
        return ""
    return sessions.start_session(db, actor, now=now,
                                  lifetime=timedelta(days=settings.session_max_days))


def _cookie() -> str:
    """The session cookie the browser sent when this tab connected, if any."""
    value = st.context.cookies.get(sessions.COOKIE_NAME, "")
    # Streamlit's AppTest has no browser and answers with a stand-in object.
    return value if isinstance(value, str) else ""


def gate(db: Engine, settings: Settings) -> Actor | None:
    """The signed-in user, checked against the store on every run; None when signed out."""
    token = st.session_state.get(SESSION_KEY) or _cookie() or _sso_token(db, settings)
    check = sessions.check_session(db, token, now=utcnow(), idle=idle_limit(settings))
    if check.actor is None:
        for key in (SESSION_KEY, ACTOR_KEY):
            st.session_state.pop(key, None)
        if check.ended:
            st.session_state[NOTICE_KEY] = check.ended
        return None
    st.session_state[SESSION_KEY] = token
    st.session_state[ACTOR_KEY] = check.actor
    return check.actor


def signed_out(next_path: str, settings: Settings) -> None:
    """What a browser whose session ended sees: why, and the way back in to this page.
    A single sign-on provider whose address the URL guard refuses gets no button, but the
    reason, so nothing is fetched from it."""
    st.title("Union Media Desk")
    notice = st.session_state.pop(NOTICE_KEY, "")
    if notice:
        st.info(notice)
    if sso_configured():
        if st.user.is_logged_in:
            st.button("Sign out of single sign-on", on_click=st.logout)
            return
        # [auth.NAME] sections name several providers; bare [auth] keys configure one.
        config = st.secrets["auth"]
        providers = [k for k, v in config.items() if isinstance(v, Mapping)]
        guard = URLGuard(settings.url_allowlist)
        for provider in providers or [None]:
            problem = sso.metadata_url_problem(
                provider, config[provider] if provider else config, guard)
            if problem:
                st.error(problem)
                continue
            st.button(f"Sign in with {provider or 'single sign-on'}", on_click=st.login,
                      args=(provider,) if provider else (), type="primary")
        return
    # A plain link, so the browser goes to the sign-in form in this same tab.
    st.html(f'<a href="{escape(sign_in_url(next_path))}" style="font-size:1.1rem">'
            "Sign in</a>")


def _sign_out(db: Engine) -> None:
    sessions.end_session(db, st.session_state.pop(SESSION_KEY, ""), now=utcnow())
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state[NOTICE_KEY] = "You have signed out."
    if sso_configured() and st.user.is_logged_in:
        st.logout()


def sidebar(db: Engine, actor: Actor) -> None:
    """Who is signed in, with a sign-out button."""
    st.sidebar.caption(f"Signed in as **{actor.name}** ({actor.role})")
    st.sidebar.button("Sign out", icon=":material/logout:", on_click=_sign_out, args=(db,))


def actor() -> Actor:
    """The user the gate let through on this run."""
    return st.session_state[ACTOR_KEY]
