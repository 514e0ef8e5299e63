"""The X adapter: posts, threads, images, reposts and quotes through X's v2 API.

Tweets and account look-ups go through `tweepy.Client` (OAuth 1.0a user context);
images go through X's v2 chunked upload (initialize, append, finalize, then alt text
through media metadata), which tweepy 4.17 lacks, as `requests` calls signed with
the same credentials on the same session.

tweepy's host is fixed to https://api.twitter.com. A transport adapter mounted on the
session sends those requests to `base_url` instead, which is how tests reach a
server on 127.0.0.1; the OAuth signature still covers the api.twitter.com URL, as X
checks it. The adapter also puts a timeout on every request, which tweepy does not.

X has no client-chosen ids, so a post is published exactly once by looking before
leaping: `find_published` searches the account's recent posts for the text, and a
403 "duplicate content" answer leads to the same search instead of an error.

The read side (`account_counts`, `post_counts`; see outreach.social.reader) asks for
`public_metrics` with short timeouts; each request is one billed read.

Errors come out as outreach.errors types, never tweepy's or requests':

    RateLimited              429; `retry_at` from X's x-rate-limit-reset
    TransientPublishError    network trouble, a 5xx
    ReadRefused              a read the app's access level or credit does not cover
                             (403 client-not-enrolled and kin, 402), in X's words
    PermanentPublishError    any other refusal (400, 401, 403...), in X's words
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import requests
import tweepy
from requests.adapters import HTTPAdapter

from outreach.errors import (
    PermanentPublishError,
    PublishError,
    RateLimited,
    ReadRefused,
    TransientPublishError,
)
from outreach.social.publisher import Image, OutgoingPost, Published
from outreach.social.reader import AccountCounts, PostCounts

log = logging.getLogger(__name__)
# At DEBUG, requests_oauthlib and oauthlib log the consumer key, the access token, the
# signed header and the signature base string: never below WARNING, whatever the level.
for _talkative in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_talkative).setLevel(logging.WARNING)

X_API = "https://api.twitter.com"
USER_AGENT = "UnionMediaDesk (tweepy)"
# (connect, read) seconds; a read covers one upload chunk.
HTTP_TIMEOUT = (10, 60)
# US dollars per request, X's pay-per-use prices since February 2026.
DEFAULT_PRICES: Mapping[str, float] = MappingProxyType(
    {"post": 0.015, "post_with_url": 0.20, "read": 0.005})
# How far back `find_published` looks; each look is one read.
RECENT_POSTS = 20
UPLOAD_CHUNK_BYTES = 1024 * 1024
# When a 429 comes without x-rate-limit-reset: X's limits run in 15-minute windows.
RATE_LIMIT_WINDOW = timedelta(minutes=15)
DUPLICATE_CONTENT = "duplicate content"
# (connect, read) seconds for metrics reads: small answers, and a pass must stay short.
READ_TIMEOUT = (5, 10)
# Most ids GET /2/tweets takes at once.
READ_BATCH = 100
# How X says an app's access level does not include an endpoint: problem `reason`s and
# `type`s, and the v1.1-style error code 453 ("a different access level").
_REFUSAL_REASONS = frozenset({"client-not-enrolled", "user-not-enrolled"})
_REFUSAL_TYPES = ("/client-forbidden", "/unsupported-authentication")
_REFUSAL_CODE = 453

_STATUS_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/(\w{1,15})/status(?:es)?/(\d{1,19})"
    r"(?:[/?#].*)?", re.IGNORECASE)
# What X may bill as a link: a URL with a scheme, www., or a bare domain. Erring
# towards a link errs towards the higher price.
_LINK = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_SCHEME = re.compile(r"\bhttps?://", re.IGNORECASE)


class _RoutedAdapter(HTTPAdapter):
    """Sends requests for api.twitter.com to `base_url`, each with a timeout."""

    def __init__(self, base_url: str, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._base_url = base_url
        self._timeout = timeout

    def send(self, request, **kwargs):
        """Rewrite the origin, keep the signed path and query, and send."""
        request.url = self._base_url + request.url[len(X_API):]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        return super().send(request, **kwargs)


class XPublisher:
    """Publishes to one X account; see the module docstring for how and why.

    `post.key` plays no part: X cannot be told an id to collide on. `thread_root`
    is not needed either: a reply names only the post it answers.
    """

    def __init__(self, api_key: str, api_secret: str, access_token: str,
                 access_secret: str, *, base_url: str = X_API,
                 session: requests.Session | None = None) -> None:
        """Set up the client; no request is made until the first call.

        `session` is the `requests.Session` to send through (tweepy makes its own
        otherwise); the routing adapter is mounted on it.
        """
        self._client = tweepy.Client(
            consumer_key=api_key, consumer_secret=api_secret, access_token=access_token,
            access_token_secret=access_secret, return_type=dict)
        if session is not None:
            self._client.session = session
        self._client.user_agent = USER_AGENT
        self._client.session.mount(X_API + "/",
                                   _RoutedAdapter(base_url.rstrip("/"), HTTP_TIMEOUT))
        self._auth = tweepy.OAuth1UserHandler(
            api_key, api_secret, access_token, access_secret).apply_auth()
        self._account: tuple[str, str] | None = None

    def close(self) -> None:
        """Release the session's pooled connections."""
        self._client.session.close()

    def verify(self) -> str:
        """Check the credentials with X now and return the account as "@username".

        Used when credentials are saved, so a wrong key fails there, in X's words,
        rather than at the first scheduled post.
        """
        with _x_errors():
            user = self._client.get_me()["data"]
        self._account = (str(user["id"]), user["username"])
        return "@" + user["username"]

    def publish(self, post: OutgoingPost) -> Published:
        """Publish one post (a reply when `post.reply_to` is set), images first.

        If X calls the text a duplicate, the earlier post is looked up and returned:
        it is this post, published by an attempt whose answer was lost.
        """
        return self._create(post)

    def quote(self, url: str, post: OutgoingPost) -> Published:
        """Publish `post` quoting the post at `url` (an x.com or twitter.com link)."""
        return self._create(post, quote_tweet_id=_status_id(url)[1])

    def repost(self, url: str, key: str) -> Published:
        """Repost the post at `url`; repeating it is harmless, X keeps one repost.

        X's answer names no id for the repost, so the reposted post stands for it.
        """
        username, tweet_id = _status_id(url)
        with _x_errors():
            self._client.retweet(tweet_id)
        return Published(remote_id=tweet_id, url=f"https://x.com/{username}/status/{tweet_id}")

    def find_published(self, post: OutgoingPost) -> Published | None:
        """The account's post with this text (and reply target), if X already has it.

        Looks at the last RECENT_POSTS posts, ignoring reposts, and compares text
        after undoing what X does to it (t.co links, HTML escapes, photo links).
        Called before any retry, so that a post whose answer was lost is not
        published twice.
        """
        user_id = self._user()[0]
        with _x_errors():
            answer = self._client.get_users_tweets(
                user_id, max_results=RECENT_POSTS, exclude=["retweets"],
                tweet_fields=["entities", "referenced_tweets"], user_auth=True)
        wanted = _comparable(post.text)
        reply_to = post.reply_to.remote_id if post.reply_to else None
        for tweet in answer.get("data", []):
            if _comparable(_as_written(tweet)) == wanted and _replied_to(tweet) == reply_to:
                return self._published(tweet["id"])
        return None

    def account_counts(self) -> AccountCounts:
        """The account's followers, following and posts, from X's public_metrics.

        One billed read of GET /2/users/me.
        """
        user = self._read("/2/users/me", {"user.fields": "public_metrics"})["data"]
        self._account = (str(user["id"]), user["username"])
        metrics = _public_metrics(user, "the account")
        return AccountCounts(followers=metrics["followers_count"],
                             following=metrics["following_count"],
                             posts=metrics["tweet_count"])

    def post_counts(self, remote_ids: Sequence[str]) -> dict[str, PostCounts]:
        """Likes, reposts, replies and quotes (and impressions where X gives them) by
        tweet id; deleted posts are left out. One billed read per READ_BATCH ids."""
        counts: dict[str, PostCounts] = {}
        ids = list(dict.fromkeys(remote_ids))
        for start in range(0, len(ids), READ_BATCH):
            answer = self._read("/2/tweets", {"ids": ",".join(ids[start:start + READ_BATCH]),
                                              "tweet.fields": "public_metrics"})
            for tweet in answer.get("data", []):
                metrics = _public_metrics(tweet, f"post {tweet['id']}")
                counts[str(tweet["id"])] = PostCounts(
                    likes=metrics["like_count"], reposts=metrics["retweet_count"],
                    replies=metrics["reply_count"], quotes=metrics["quote_count"],
                    impressions=metrics.get("impression_count"))
        return counts

    def _read(self, path: str, params: dict[str, str]) -> dict:
        """A signed GET with READ_TIMEOUT; a refusal of the read comes out as ReadRefused."""
        with _x_errors():
            response = self._client.session.get(
                X_API + path, params=params, auth=self._auth,
                headers={"User-Agent": USER_AGENT}, timeout=READ_TIMEOUT)
            if not response.ok:
                raise _read_error_for(response)
            return response.json()

    def _create(self, post: OutgoingPost, *, quote_tweet_id: str | None = None) -> Published:
        media_ids = [self._upload(image) for image in post.images]
        with _x_errors():
            try:
                answer = self._client.create_tweet(
                    text=post.text, media_ids=media_ids or None,
                    in_reply_to_tweet_id=post.reply_to.remote_id if post.reply_to else None,
                    quote_tweet_id=quote_tweet_id)
            except tweepy.Forbidden as exc:
                if DUPLICATE_CONTENT not in _x_message(exc.response):
                    raise
                existing = self.find_published(post)
                if existing is None:
                    raise
                log.info("X already has post %s with this text; not posting again",
                         existing.remote_id)
                return existing
        return self._published(answer["data"]["id"])

    def _upload(self, image: Image) -> str:
        """Upload one image in chunks, set its alt text, and return its media id."""
        category = "tweet_gif" if image.mime == "image/gif" else "tweet_image"
        media_id = self._media_request("/2/media/upload/initialize", json={
            "media_type": image.mime, "total_bytes": len(image.data),
            "media_category": category})["data"]["id"]
        for index, start in enumerate(range(0, len(image.data), UPLOAD_CHUNK_BYTES)):
            chunk = image.data[start:start + UPLOAD_CHUNK_BYTES]
            self._media_request(f"/2/media/upload/{media_id}/append",
                                data={"segment_index": str(index)},
                                files={"media": ("media", chunk, "application/octet-stream")})
        self._media_request(f"/2/media/upload/{media_id}/finalize")
        if image.alt:
            self._media_request("/2/media/metadata", json={
                "id": media_id, "metadata": {"alt_text": {"text": image.alt}}})
        return media_id

    def _media_request(self, path: str, **body) -> dict:
        with _x_errors():
            response = self._client.session.post(
                X_API + path, auth=self._auth, headers={"User-Agent": USER_AGENT}, **body)
            if not response.ok:
                raise _error_for(response)
            return response.json()

    def _user(self) -> tuple[str, str]:
        """The account's (id, username), asked of X once per publisher."""
        if self._account is None:
            self.verify()
        return self._account

    def _published(self, tweet_id: str) -> Published:
        return Published(remote_id=tweet_id,
                         url=f"https://x.com/{self._user()[1]}/status/{tweet_id}")


def estimate_cost(text: str, *, prices: Mapping[str, float] = DEFAULT_PRICES) -> float:
    """What X bills, in dollars, to publish `text`: dearer when it holds a link.

    Shown before a post is scheduled. Anything that looks like a link counts as one,
    so the estimate errs high rather than low.
    """
    return prices["post_with_url"] if _LINK.search(text) else prices["post"]


@contextmanager
def _x_errors() -> Iterator[None]:
    """Turn tweepy's and requests' exceptions into outreach.errors ones."""
    try:
        yield
    except tweepy.HTTPException as exc:
        raise _error_for(exc.response) from exc
    except requests.RequestException as exc:
        raise TransientPublishError(f"Could not reach X: {exc}") from exc


def _error_for(response: requests.Response) -> PublishError:
    message = _x_message(response)
    if response.status_code == 429:
        return RateLimited(message, _reset_time(response))
    if response.status_code >= 500:
        return TransientPublishError(message)
    return PermanentPublishError(message)


def _read_error_for(response: requests.Response) -> PublishError:
    """As `_error_for`, except that a read X's access level or billing does not allow
    is ReadRefused: 402 (credits spent, usage capped) or a 403 saying so."""
    if response.status_code == 402 or (response.status_code == 403 and _refusal(response)):
        message = _x_message(response)
        needed = _body(response).get("required_enrollment")
        return ReadRefused(f"{message} (needs: {needed})" if needed else message)
    return _error_for(response)


def _refusal(response: requests.Response) -> bool:
    """Whether a 403's body is X's "your access level does not include this" answer."""
    body = _body(response)
    codes = [e.get("code") for e in body.get("errors", []) if isinstance(e, dict)]
    return (body.get("reason") in _REFUSAL_REASONS or "required_enrollment" in body
            or str(body.get("type", "")).endswith(_REFUSAL_TYPES) or _REFUSAL_CODE in codes)


def _body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _public_metrics(item: dict, what: str) -> dict:
    metrics = item.get("public_metrics")
    if not isinstance(metrics, dict):
        raise PermanentPublishError(f"X's answer had no public_metrics for {what}.")
    return metrics


def _x_message(response: requests.Response) -> str:
    """X's own words for a refusal: the errors' messages, else the problem's detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        messages = [e.get("message") or e.get("detail") for e in body.get("errors", [])
                    if isinstance(e, dict)]
        if any(messages):
            return "; ".join(m for m in messages if m)
        if body.get("detail") or body.get("title"):
            return body.get("detail") or body["title"]
    return f"{response.status_code} {response.reason}".strip()


def _reset_time(response: requests.Response) -> datetime:
    try:
        return datetime.fromtimestamp(int(response.headers["x-rate-limit-reset"]), UTC)
    except (KeyError, ValueError):
        return datetime.now(UTC) + RATE_LIMIT_WINDOW


def _status_id(url: str) -> tuple[str, str]:
    """(username, post id) from an x.com or twitter.com link to a post."""
    match = _STATUS_URL.fullmatch(url.strip())
    if match is None:
        raise PermanentPublishError(f"Not a link to a post on X: {url}")
    return match.group(1), match.group(2)


def _as_written(tweet: dict) -> str:
    """A post's text as its author typed it: links restored, photo links dropped."""
    text = tweet["text"]
    for link in tweet.get("entities", {}).get("urls", []):
        original = "" if "media_key" in link else link.get("expanded_url", link["url"])
        text = text.replace(link["url"], original)
    return html.unescape(text)


def _comparable(text: str) -> str:
    """Text reduced to what survives X's handling: NFC, single spaces, no URL scheme."""
    return " ".join(_SCHEME.sub("", unicodedata.normalize("NFC", text)).split())


def _replied_to(tweet: dict) -> str | None:
    return next((ref["id"] for ref in tweet.get("referenced_tweets", [])
                 if ref["type"] == "replied_to"), None)
