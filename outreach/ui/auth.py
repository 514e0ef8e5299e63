"""The sign-in gate every page passes through, and the signed-in user for pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError

from outreach import users
from outreach.config import Settings
from outreach.errors import SignInFailed
from outreach.roles import Actor
from outreach.worker import utcnow

USER_KEY = "user_id"
SEEN_KEY = "last_seen"
ACTOR_KEY = "actor"
NOTICE_KEY = "sign_in_notice"


def _sign_out(notice: str = "") -> None:
    for key in (USER_KEY, SEEN_KEY, ACTOR_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice
    if sso_configured() and st.user.is_logged_in:
        st.logout()


def sso_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section for st.login."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:
        return False


def _sso_user_id(db: Engine) -> int | None:
    """Sign in the local account whose e-mail the identity provider vouched for."""
    if not (sso_configured() and st.user.is_logged_in):
        return None
    try:
        actor = users.sso_sign_in(db, st.user.get("email") or "", now=utcnow())
    except SignInFailed as exc:
        st.session_state[NOTICE_KEY] = str(exc)
        return None
    st.session_state[USER_KEY] = actor.user_id
    st.session_state[SEEN_KEY] = utcnow()
    return actor.user_id


def gate(db: Engine, settings: Settings) -> Actor | None:
    """The signed-in user, re-checked on every run; None after sign-out or inactivity."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        user_id = _sso_user_id(db)
    if user_id is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=settings.session_timeout_minutes)
    if now - st.session_state.get(SEEN_KEY, now) > idle:
        _sign_out(f"You were signed out after {settings.session_timeout_minutes} minutes "
                  "without activity.")
        return None
    actor = users.active_actor(db, user_id)
    if actor is None:
        _sign_out("Your account was disabled; ask an admin.")
        return None
    st.session_state[SEEN_KEY] = now
    st.session_state[ACTOR_KEY] = actor
    return actor


def sign_in_form(db: Engine, settings: Settings) -> None:
    """The only thing a signed-out visitor sees, whichever page they asked for."""
    st.title("Union Media Desk")
    notice = st.session_state.pop(NOTICE_KEY, "")
    if notice:
        st.info(notice)
    if sso_configured():
        if st.user.is_logged_in:
            st.button("Sign out of single sign-on", on_click=st.logout)
            return
        # [auth.NAME] sections name several providers; bare [auth] keys configure one.
        providers = [k for k, v in st.secrets["auth"].items() if isinstance(v, Mapping)]
        for provider in providers or [None]:
            st.button(f"Sign in with {provider or 'single sign-on'}", on_click=st.login,
                      args=(provider,) if provider else (), type="primary")
        return
    with st.form("sign_in"):
        st.markdown("**Sign in**")
        name = st.text_input("Name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    st.caption("No account? Ask an admin of your committee: "
               "`python -m outreach users add NAME --role editor`.")
    if submitted:
        try:
            actor = users.sign_in(db, name, password, now=utcnow(),
                                  max_attempts=settings.lockout_attempts,
                                  lock_minutes=settings.lockout_minutes)
        except SignInFailed as exc:
            st.error(str(exc))
            return
        st.session_state[USER_KEY] = actor.user_id
        st.session_state[SEEN_KEY] = utcnow()
        st.rerun()


def sidebar(actor: Actor) -> None:
    """Who is signed in, with a sign-out button."""
    st.sidebar.caption(f"Signed in as **{actor.name}** ({actor.role})")
    if st.sidebar.button("Sign out", icon=":material/logout:"):
        _sign_out("You have signed out.")
        st.rerun()


def actor() -> Actor:
    """The user the gate let through on this run."""
    return st.session_state[ACTOR_KEY]
