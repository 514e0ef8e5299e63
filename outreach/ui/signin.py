"""Sign-in over plain HTTP, so the session can live in an HttpOnly cookie.

A Streamlit script talks to the browser over a websocket and cannot set cookies,
so signing in is a small route served beside the dashboard (see server.py), and a
middleware sends a browser without a valid session from any dashboard page to the
sign-in form, and back to that page afterwards.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from datetime import timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from outreach.auth import sessions, throttle, users
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.coverage.clip_report import html_environment
from outreach.errors import SignInFailed
from outreach.store import make_engine, upgrade_to_head

SIGN_IN_PATH = "/signin"
CSRF_COOKIE = "umd_signin_check"
# Paths a signed-out browser may load: Streamlit's own machinery, and sign-in itself.
OPEN_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/",
                 "/favicon", "/auth/", "/oauth2callback", SIGN_IN_PATH)
NOTICES = {"ended": "Your sign-in has ended; please sign in again."}
# No page of ours may be framed, cached or sniffed.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@functools.cache
def _store(url: str) -> Engine:
    engine = make_engine(url)
    upgrade_to_head(engine)
    return engine


def _context() -> tuple[Engine, Settings]:
    settings = Settings.from_env()
    return _store(settings.database_url), settings


def sign_in_limits(settings: Settings) -> throttle.Limits:
    """The throttle's free failures and longest wait per address, from the settings."""
    return throttle.Limits(free=settings.sign_in_free_failures,
                           client_max_wait=timedelta(minutes=settings.sign_in_max_wait_minutes))


def client_address(request: Request) -> str | None:
    """The address the sign-in came from. Behind a reverse proxy on this machine, uvicorn
    takes it from X-Forwarded-For (FORWARDED_ALLOW_IPS names other trusted proxies)."""
    return request.client.host if request.client else None


def idle_limit(settings: Settings) -> timedelta:
    """How long a session lasts without activity."""
    return timedelta(hours=settings.session_idle_hours)


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the Overview: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(SIGN_IN_PATH):
        return "/"
    return target


def sign_in_url(next_path: str = "/", notice: str = "") -> str:
    """The sign-in form, returning to `next_path` afterwards."""
    url = f"{SIGN_IN_PATH}?next={quote(safe_next(next_path), safe='')}"
    return url + (f"&notice={notice}" if notice in NOTICES else "")


def _form(request: Request, *, next_path: str, name: str = "", error: str = "",
          notice: str = "", status: int = 200) -> Response:
    check = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = html_environment().get_template("signin.html.j2").render(
        next_path=next_path, name=name, error=error, notice=notice, check=check)
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    response.set_cookie(CSRF_COOKIE, check, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path=SIGN_IN_PATH)
    return response


async def sign_in_page(request: Request) -> Response:
    """GET: the form. POST: check the name and password, start a session, go back."""
    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return _form(request, next_path=next_path,
                     notice=NOTICES.get(request.query_params.get("notice", ""), ""))
    form = await request.form()
    next_path = safe_next(str(form.get("next", "")))
    name = str(form.get("name", ""))
    sent_check = str(form.get("check", ""))
    kept_check = request.cookies.get(CSRF_COOKIE, "")
    if not (kept_check and hmac.compare_digest(sent_check, kept_check)):
        return _form(request, next_path=next_path, name=name, status=400,
                     error="This sign-in form is out of date (or your browser refused its "
                     "cookie). It has been reloaded: sign in again.")
    db, settings = _context()
    now = utcnow()
    try:
        actor = await run_in_threadpool(
            users.sign_in, db, name, str(form.get("password", "")),
            client=client_address(request), now=now, limits=sign_in_limits(settings))
    except SignInFailed as exc:
        return _form(request, next_path=next_path, name=name, error=str(exc), status=401)
    lifetime = timedelta(days=settings.session_max_days)
    token = await run_in_threadpool(
        sessions.start_session, db, actor, now=now, lifetime=lifetime,
        replaces=request.cookies.get(sessions.COOKIE_NAME, ""))
    response = RedirectResponse(next_path, status_code=303, headers=PAGE_HEADERS)
    response.set_cookie(sessions.COOKIE_NAME, token, max_age=int(lifetime.total_seconds()),
                        httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    response.delete_cookie(CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


class SignInRequired:
    """Send a browser that opens a dashboard page without a live session to sign in,
    remembering the page it asked for; everything else passes untouched.

    The dashboard script checks the session again on every run: this only spares a
    signed-out visitor the empty page and makes bookmarks come back after sign-in. File
    uploads are the exception: they are refused here unless the browser is signed in.
    """

    def __init__(self, app: ASGIApp, sso: bool = False) -> None:
        self.app = app
        self.sso = sso

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.sso and _is_upload(scope) and not await self._signed_in(scope):
            # Streamlit keeps an upload in memory before any script can look at who sent
            # it: a visitor who is not signed in is refused before the body is read.
            await PlainTextResponse("Sign in to upload files.", status_code=403)(
                scope, receive, send)
            return
        if self.sso or not await self._needs_sign_in(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        notice = "ended" if request.cookies.get(sessions.COOKIE_NAME) else ""
        response = RedirectResponse(sign_in_url(target, notice), status_code=303,
                                    headers=PAGE_HEADERS)
        await response(scope, receive, send)

    async def _needs_sign_in(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        if scope["path"].startswith(OPEN_PREFIXES):
            return False
        if "text/html" not in Request(scope).headers.get("accept", ""):
            return False
        return not await self._signed_in(scope)

    async def _signed_in(self, scope: Scope) -> bool:
        db, settings = _context()
        check = await run_in_threadpool(
            sessions.check_session, db, Request(scope).cookies.get(sessions.COOKIE_NAME, ""),
            now=utcnow(), idle=idle_limit(settings))
        return check.actor is not None


UPLOAD_PREFIX = "/_stcore/upload_file"


def _is_upload(scope: Scope) -> bool:
    return (scope["type"] == "http" and scope["method"] in ("PUT", "POST")
            and scope["path"].startswith(UPLOAD_PREFIX))


def routes() -> list[Route]:
    """The sign-in route served beside the dashboard (signing out happens in the
    dashboard itself: it ends the session in the store, which kills the cookie)."""
    return [Route(SIGN_IN_PATH, sign_in_page, methods=["GET", "POST"])]


# Pages may show images from this server only (uploads, charts, link-card thumbnails
# it fetched itself): a remote image in outside text that slipped past md_escape still
# cannot tell a hostile host who is reading, from where.
CONTENT_POLICY = ("img-src 'self' data: blob:; media-src 'self' data: blob:; "
                  "frame-ancestors 'none'")


class ContentPolicy:
    """Add CONTENT_POLICY to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", CONTENT_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)


def middleware(sso: bool) -> list[Middleware]:
    """The gate in front of the dashboard's pages (left open when single sign-on,
    which Streamlit runs itself, is configured), and the content policy on every page."""
    return [Middleware(ContentPolicy), Middleware(SignInRequired, sso=sso)]
