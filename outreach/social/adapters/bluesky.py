"""The Bluesky adapter: posts, threads, images, link cards, reposts and quotes,
and the counts the metrics snapshots read (`outreach.social.reader.MetricsReader`).

It talks to a PDS through the `atproto` SDK and hands the scheduler only our own
types (`Published`, `AccountCounts`, `PostCounts`) and errors (`outreach.errors`):

    RateLimited             429: `retry_at` from the `ratelimit-reset` header
    TransientPublishError   no answer, a timeout, or a 5xx
    ReadRefused             a read refused for this account (403, taken down, deactivated)
    PermanentPublishError   any other refusal, in the platform's own words

Reads of profiles and posts (`app.bsky.*`) go to the account's PDS, which passes
them on to the app view it is configured with, as the official clients do.

Exactly once: every record is created with the key chosen when the post was
scheduled (`OutgoingPost.key`, a TID from `new_key()`). A retry after a lost
answer collides with the record the first attempt made, and the adapter returns
that record instead of posting again.

Addresses: the password goes only to `service_url`, and the tokens only to the PDS the
account's DID document names, each checked by the URL guard first (https, or a host
OUTREACH_URL_ALLOWLIST names, so they never cross the network in clear); the SDK's own
connections go through the guard's transport, so no redirect or DNS answer moves them.

The session is kept, not re-created: the caller passes the saved session string,
the SDK refreshes it when it ages, and `on_session_change` receives each new
one to store in the vault. A password login happens only when there is no
usable session.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from atproto import Client, Request, Session, SessionEvent
from atproto_client import exceptions as sdk_errors
from atproto_core.exceptions import AtProtocolError

from outreach.errors import (
    PermanentPublishError,
    PublishError,
    RateLimited,
    ReadRefused,
    TransientPublishError,
    UnsafeURL,
)
from outreach.net import URLGuard, guarded_transport
from outreach.social.publisher import Image, OutgoingPost, Published, new_key
from outreach.social.reader import AccountCounts, PostCounts
from outreach.social.text import bluesky_richtext

__all__ = ["BlueskyPublisher", "LinkCard", "new_key", "post_url", "translate_error"]

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
MAX_IMAGES = 4
APP_URL = "https://bsky.app"
USER_AGENT = "UnionMediaDesk/1.0 (outreach Bluesky adapter)"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# When a 429 carries no usable reset time, try again after this long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
# The PDS's answers when a saved session can no longer be used.
_SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# The app view's answers when it will not show this account at all.
_REFUSED_READ_ERRORS = frozenset({"AccountTakedown", "AccountDeactivated"})
# app.bsky.feed.getPosts takes at most this many URIs per call.
POSTS_PER_READ = 25

# What a request through the SDK can raise: its own errors, the transport's, the guard's.
_REQUEST_FAILURES = (AtProtocolError, httpx.HTTPError, UnsafeURL)

_POST_URL = re.compile(r"^/profile/(?P<actor>[^/]+)/post/(?P<rkey>[^/]+)/?$")


@dataclass(frozen=True)
class LinkCard:
    """A link preview (`app.bsky.embed.external`), built by the caller from the page's tags."""

    uri: str
    title: str
    description: str
    thumb: bytes | None = None
    thumb_mime: str = "image/jpeg"


def post_url(actor: str, rkey: str) -> str:
    """The public bsky.app address of a post by `actor` (handle or DID)."""
    return f"{APP_URL}/profile/{actor}/post/{rkey}"


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _strong_ref(published: Published) -> dict:
    return {"uri": published.remote_id, "cid": published.cid}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _platform_message(response) -> str:
    content = response.content
    message = getattr(content, "message", None) or getattr(content, "error", None)
    return message or f"Bluesky answered HTTP {response.status_code}"


def _error_name(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return getattr(response.content, "error", "") if response is not None else ""


def translate_error(exc: BaseException) -> PublishError:
    """Our error for an SDK or transport failure, carrying the platform's own message."""
    if isinstance(exc, PublishError):
        return exc
    if isinstance(exc, UnsafeURL):  # refused until the address or the allowlist changes
        return PermanentPublishError(str(exc))
    response = getattr(exc, "response", None)
    if response is None:
        if isinstance(exc, sdk_errors.NetworkError | httpx.HTTPError):
            cause = exc.__cause__ or exc
            return TransientPublishError(f"Bluesky could not be reached: {cause}")
        if isinstance(exc, sdk_errors.LoginRequiredError):
            return PermanentPublishError("Bluesky asked to sign in again.")
        return PermanentPublishError(f"Bluesky client error: {exc}")
    message = _platform_message(response)
    status = response.status_code
    if status == 429:
        reset_at = getattr(exc, "reset_at", None)
        retry_after = getattr(exc, "retry_after", None)
        if reset_at is None:
            wait = timedelta(seconds=retry_after) if retry_after else DEFAULT_RATE_LIMIT_WAIT
            reset_at = datetime.now(UTC) + wait
        return RateLimited(message, retry_at=reset_at)
    if status >= 500 or status == 408:
        return TransientPublishError(message)
    return PermanentPublishError(message)


class BlueskyPublisher:
    """Publishes to one Bluesky account on `service_url` (a PDS, e.g. https://bsky.social).

    `session_string` is a session saved earlier (`on_session_change` hands out each
    new one); without it, or when it no longer works, the adapter signs in with
    `password` (an app password). `richtext_for(text)` gives the record text and its
    facets; by default `outreach.social.text.bluesky_richtext`, which shortens links
    as the official app does and resolves mentions through `resolve_handle(handle)
    -> DID | None` (by default `com.atproto.identity.resolveHandle` on the PDS).
    `guard` checks `service_url` before the password is sent and the PDS the account's
    DID document names before a token is (see the module's docstring).
    `client` is an atproto `Client` already aimed at the server, for tests; it serves
    this publisher only. `langs` are the posts' language codes (e.g. ["en", "es"]).
    """

    def __init__(
        self,
        service_url: str,
        handle: str,
        password: str,
        *,
        guard: URLGuard,
        session_string: str | None = None,
        on_session_change: Callable[[str], None] | None = None,
        client: Client | None = None,
        resolve_handle: Callable[[str], str | None] | None = None,
        richtext_for: Callable[[str], tuple[str, list[dict]]] | None = None,
        langs: Sequence[str] = (),
    ):
        self._handle = handle.strip().lstrip("@")
        self._password = password
        self._session_string = session_string or None
        self._on_session_change = on_session_change
        self._service_url = service_url.rstrip("/")
        self._guard = guard
        self._client = client or Client(base_url=self._service_url, request=_request(guard))
        self._client.on_session_change(self._session_changed)
        self._session: Session | None = None
        self._resolve_handle = resolve_handle or self.resolve_handle
        self._richtext_for = richtext_for or (
            lambda text: bluesky_richtext(text, self._resolve_handle))
        self._langs = list(langs)

    # -- the Publisher contract ------------------------------------------------

    def verify(self) -> str:
        """Sign in (or refresh the saved session) and return the account's DID."""
        session = self._call(lambda: self._client.com.atproto.server.get_session())
        return session.did

    def publish(self, post: OutgoingPost) -> Published:
        """Create the post under its own key; a post that already landed is returned as is."""
        return self._create_post(post, embed=self._images_embed(post.images))

    def publish_with_card(self, post: OutgoingPost, card: LinkCard) -> Published:
        """Publish with a link card; images, when the post has any, take its place."""
        embed = self._images_embed(post.images) if post.images else self._card_embed(card)
        return self._create_post(post, embed=embed)

    def quote(self, url: str, post: OutgoingPost) -> Published:
        """Publish `post` quoting the post at `url` (with the post's images, if any)."""
        uri, cid = self._resolve_post(url)
        quoted = {"uri": uri, "cid": cid}
        media = self._images_embed(post.images)
        if media:
            embed = {"$type": "app.bsky.embed.recordWithMedia",
                     "record": {"$type": "app.bsky.embed.record", "record": quoted},
                     "media": media}
        else:
            embed = {"$type": "app.bsky.embed.record", "record": quoted}
        return self._create_post(post, embed=embed)

    def find_published(self, post: OutgoingPost) -> Published | None:
        """The post created under `post.key` by an earlier attempt, or None."""
        return self._find(POST, post.key)

    def repost(self, url: str, key: str) -> Published:
        """Repost the post at `url` (bsky.app address or at:// URI) under record key `key`.

        The result's `remote_id` is the repost record; its `url` is the reposted post's.
        A repost already made under `key` is returned as is: the PDS would otherwise
        replace it (one repost per post), not refuse it.
        """
        created = self._find(REPOST, key)
        if created is None:
            uri, cid = self._resolve_post(url)
            record = {"$type": REPOST, "subject": {"uri": uri, "cid": cid},
                      "createdAt": _now_iso()}
            created = self._create(REPOST, key, record)
        return Published(remote_id=created.remote_id, url=post_url(*self._actor_and_rkey(url)),
                         cid=created.cid)

    # -- the MetricsReader contract ------------------------------------------------

    def account_counts(self) -> AccountCounts:
        """The account's followers, following and posts, as the app view counts them now."""
        self._ensure_session()
        profile = self._read(lambda: self._client.app.bsky.actor.get_profile(
            {"actor": self._session.did}))
        return AccountCounts(followers=profile.followers_count or 0,
                             following=profile.follows_count or 0,
                             posts=profile.posts_count or 0)

    def post_counts(self, remote_ids: Sequence[str]) -> dict[str, PostCounts]:
        """Likes, reposts, replies and quotes of posts by at:// URI, 25 to a call.

        Posts the app view no longer has (deleted) are left out. Bluesky gives no
        impressions.
        """
        uris = list(dict.fromkeys(remote_ids))
        counts: dict[str, PostCounts] = {}
        for start in range(0, len(uris), POSTS_PER_READ):
            batch = uris[start:start + POSTS_PER_READ]
            found = self._read(lambda batch=batch: self._client.app.bsky.feed.get_posts(
                {"uris": batch}))
            for post in found.posts:
                counts[post.uri] = PostCounts(likes=post.like_count or 0,
                                              reposts=post.repost_count or 0,
                                              replies=post.reply_count or 0,
                                              quotes=post.quote_count or 0)
        return counts

    # -- helpers other code may use ----------------------------------------------

    def resolve_handle(self, handle: str) -> str | None:
        """The DID of `handle` through the PDS, or None when it does not resolve."""
        try:
            return self._call(lambda: self._client.com.atproto.identity.resolve_handle(
                {"handle": handle.lstrip("@")})).did
        except PermanentPublishError:
            return None

    # -- records ---------------------------------------------------------------

    def _create_post(self, post: OutgoingPost, *, embed: dict | None) -> Published:
        text, facets = self._richtext_for(post.text)
        record: dict = {"$type": POST, "text": text, "createdAt": _now_iso()}
        if facets:
            record["facets"] = facets
        if self._langs:
            record["langs"] = self._langs
        if post.reply_to is not None:
            root = post.thread_root or post.reply_to
            record["reply"] = {"root": _strong_ref(root), "parent": _strong_ref(post.reply_to)}
        if embed:
            record["embed"] = embed
        return self._create(POST, post.key, record)

    def _create(self, collection: str, rkey: str, record: dict) -> Published:
        self._ensure_session()
        try:
            created = self._call(lambda: self._client.com.atproto.repo.create_record({
                "repo": self._session.did, "collection": collection, "rkey": rkey,
                "record": record,
            }))
        except RateLimited:
            raise
        except PublishError:
            # The key may be taken by an earlier attempt whose answer never arrived:
            # then that record is the post, and it must not be made twice.
            try:
                earlier = self._find(collection, rkey)
            except PublishError:
                earlier = None
            if earlier is None:
                raise
            log.info("Bluesky record %s/%s already existed; not posting again", collection, rkey)
            return earlier
        return self._published(created.uri, created.cid)

    def _find(self, collection: str, rkey: str) -> Published | None:
        self._ensure_session()
        found = self._call(lambda: self._client.com.atproto.repo.get_record({
            "repo": self._session.did, "collection": collection, "rkey": rkey}), missing_ok=True)
        return None if found is None else self._published(found.uri, found.cid)

    def _published(self, uri: str, cid: str) -> Published:
        return Published(remote_id=uri, url=post_url(self._session.handle, _rkey(uri)), cid=cid)

    def _upload(self, data: bytes, mime: str) -> dict:
        uploaded = self._call(lambda: self._client.com.atproto.repo.upload_blob(
            data, headers={"Content-Type": mime}))
        return uploaded.blob.model_dump(by_alias=True, exclude_none=True)

    def _images_embed(self, images: Sequence[Image]) -> dict | None:
        if not images:
            return None
        if len(images) > MAX_IMAGES:
            raise PermanentPublishError(
                f"A Bluesky post takes at most {MAX_IMAGES} images; this one has {len(images)}.")
        return {"$type": "app.bsky.embed.images",
                "images": [{"alt": image.alt, "image": self._upload(image.data, image.mime)}
                           for image in images]}

    def _card_embed(self, card: LinkCard) -> dict:
        external = {"uri": card.uri, "title": card.title, "description": card.description}
        if card.thumb:
            external["thumb"] = self._upload(card.thumb, card.thumb_mime)
        return {"$type": "app.bsky.embed.external", "external": external}

    # -- addresses ---------------------------------------------------------------

    @staticmethod
    def _actor_and_rkey(url: str) -> tuple[str, str]:
        if url.startswith("at://"):
            actor, collection, rkey = url[len("at://"):].split("/", 2)
            if collection == POST and rkey:
                return actor, rkey
        else:
            match = _POST_URL.match(urlsplit(url).path)
            if match:
                return match["actor"], match["rkey"]
        raise PermanentPublishError(f"Not the address of a Bluesky post: {url}")

    def _resolve_post(self, url: str) -> tuple[str, str]:
        """The at:// URI and cid of the post at a bsky.app address or at:// URI."""
        actor, rkey = self._actor_and_rkey(url)
        did = actor if actor.startswith("did:") else self._resolve_handle(actor)
        if did is None:
            raise PermanentPublishError(f"Bluesky does not know the account {actor}.")
        found = self._call(lambda: self._client.com.atproto.repo.get_record(
            {"repo": did, "collection": POST, "rkey": rkey}))
        return found.uri, found.cid

    # -- the session -------------------------------------------------------------

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        # The SDK has just aimed itself at the PDS the DID document (or the saved session)
        # names; no token has gone there yet. Refused, it is aimed back at the checked server.
        try:
            self._checked(session.pds_endpoint or self._service_url,
                          "the PDS its DID document or saved session names")
        except PublishError:
            self._client.update_base_url(self._service_url)
            raise
        self._session = session
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH) and self._on_session_change:
            self._on_session_change(self._client.export_session_string())

    def _saved_session_fits(self) -> bool:
        try:
            saved = Session.decode(self._session_string)
            expires = saved.refresh_jwt_payload.exp
        except (AtProtocolError, ValueError):
            return False
        mine = self._handle.lower() in (saved.handle.lower(), saved.did.lower())
        return mine and expires is not None and expires > datetime.now(UTC).timestamp()

    def _ensure_session(self) -> None:
        if self._session is not None:
            return
        if self._session_string and self._saved_session_fits():
            try:
                self._client.login(session_string=self._session_string,
                                   fetch_bsky_profile=False)
            except _REQUEST_FAILURES as exc:
                raise translate_error(exc) from exc
        else:
            self._login()

    def _login(self) -> None:
        """Sign in with the password, at the configured server only, once the guard agrees."""
        self._session_string = None
        self._checked(self._service_url, "the Bluesky server set for this account")
        self._client.update_base_url(self._service_url)
        try:
            self._client.login(self._handle, self._password, fetch_bsky_profile=False)
        except _REQUEST_FAILURES as exc:
            raise translate_error(exc) from exc

    def _checked(self, url: str, what: str) -> None:
        """Raise PermanentPublishError unless the guard lets a password or token go to `url`
        (https, public or allowlisted), or TransientPublishError if its host cannot be
        looked up now."""
        try:
            self._guard.check(url, secrets=True)
        except UnsafeURL as exc:
            raise PermanentPublishError(f"Not signing in to Bluesky through {what}. {exc}") \
                from None
        except OSError as exc:
            raise TransientPublishError(f"Bluesky could not be reached: {exc}") from exc

    def _read(self, request: Callable):
        """Run one app view read; a refusal for this account's access is ReadRefused."""
        try:
            return self._call(request)
        except PermanentPublishError as exc:
            cause = exc.__cause__
            response = getattr(cause, "response", None)
            if response is not None and (response.status_code == 403
                                         or _error_name(cause) in _REFUSED_READ_ERRORS):
                raise ReadRefused(str(exc)) from cause
            raise

    def _call(self, request: Callable, *, missing_ok: bool = False):
        """Run one SDK request with a session; sign in again once if the session is refused.

        With `missing_ok`, a RecordNotFound answer gives None instead of an error.
        """
        self._ensure_session()
        try:
            return request()
        except _REQUEST_FAILURES as exc:
            if _error_name(exc) not in _SESSION_ERRORS:
                return _failure(exc, missing_ok)
            log.info("Bluesky refused the session of %s; signing in again", self._handle)
        self._login()
        try:
            return request()
        except _REQUEST_FAILURES as exc:
            return _failure(exc, missing_ok)


def _failure(exc: BaseException, missing_ok: bool) -> None:
    if missing_ok and _error_name(exc) == "RecordNotFound":
        return None
    raise translate_error(exc) from exc


def _request(guard: URLGuard) -> Request:
    """The SDK's HTTP requester, connecting only where `guard` allows a password to go."""
    request = Request(timeout=TIMEOUT, trust_env=False,
                      transport=guarded_transport(guard, secrets=True))
    request.add_additional_header("User-Agent", USER_AGENT)
    return request
