"""A stand-in for X's v2 API on 127.0.0.1, for tests of the X adapter.

Every request must carry a valid OAuth 1.0a user-context signature, checked with
oauthlib's server side against one consumer key/secret and one access token/secret;
a nonce is good once per timestamp and a timestamp only within `timestamp_window`
seconds. A request that fails gets X's 401. Signatures cover the URL the client
addressed (`https://api.twitter.com/...`), as X's do: the adapter only reroutes the
connection, so what is checked here is what X would check.

What it answers, with X's shapes and its error bodies (RFC 7807 problems):

    GET  /2/users/me                          the account of the access token; with
                                              user.fields=public_metrics its counts
    GET  /2/tweets?ids=                       up to 100 posts by id; tweet.fields
                                              (public_metrics and those of the timeline);
                                              unknown ids listed under "errors"
    GET  /2/users/:id/tweets                  newest first; max_results, exclude,
                                              tweet.fields (entities, referenced_tweets,
                                              created_at, author_id)
    POST /2/tweets                            text, reply.in_reply_to_tweet_id,
                                              media.media_ids, quote_tweet_id; 403 on
                                              duplicate text by the same account
    POST /2/users/:id/retweets                {"tweet_id": ...}
    POST /2/media/upload/initialize           media_type, total_bytes, media_category
    POST /2/media/upload/:id/append           multipart: media, segment_index
    POST /2/media/upload/:id/finalize         the appended bytes must add up
    POST /2/media/metadata                    {"id": ..., "metadata": {"alt_text": ...}}

Like X, it stores a post's text HTML-escaped, with every link replaced by a t.co link
(the original kept in `entities.urls`) and a t.co link to the photos appended, so a
lookup by text has to undo what X does.

A test queues answers with `queue_response` (the next matching request gets it,
before or, with `performed=True`, after the server carried it out), holds an answer
back after carrying the request out with `stall_after`, and reads
`requests` (every request, with whether its signature held), `posts` and `media`.
It sets the account's `followers` and `following`, a post's counts with `set_metrics`,
hides impression counts with `impressions_visible = False`, and makes a read answer as
X does when the app's access level lacks it with `refuse_read(path)`.
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

PUBLIC_ORIGIN = "https://api.twitter.com"
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
# X's answer to an app whose access level does not include the endpoint.
NOT_ENROLLED_DETAIL = ("When authenticating requests to the Twitter API v2 endpoints, you must "
                       "use keys and tokens from a Twitter developer App that is attached to a "
                       "Project. You can create a project via the developer portal.")
REQUIRED_ENROLLMENT = "Appropriate Level of API Access"
MAX_LOOKUP_IDS = 100
MAX_ALT_TEXT = 1000
# Links X turns into t.co links: with a scheme, or a bare domain on a known TLD.
_URL = re.compile(r"https?://\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|example)\b(?:/\S*)?")
_APPEND = re.compile(r"^/2/media/upload/(\d+)/append$")
_FINALIZE = re.compile(r"^/2/media/upload/(\d+)/finalize$")
_USER_TWEETS = re.compile(r"^/2/users/(\d+)/tweets$")
_RETWEETS = re.compile(r"^/2/users/(\d+)/retweets$")


def problem(status: int, detail: str | None = None) -> dict:
    """X's error body for `status`: an RFC 7807 problem, as X sends for 401, 429, 5xx."""
    phrase = HTTPStatus(status).phrase
    return {"title": phrase, "detail": detail or phrase, "type": "about:blank",
            "status": status}


def client_not_enrolled() -> dict:
    """X's 403 body when the app's access level does not cover an endpoint."""
    return {"client_id": "31000001", "detail": NOT_ENROLLED_DETAIL,
            "registration_url": "https://developer.x.com/en/docs/projects/overview",
            "title": "Client Forbidden", "required_enrollment": REQUIRED_ENROLLMENT,
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden"}


def _invalid(parameter: str, value, message: str) -> tuple[int, dict]:
    return 400, {
        "errors": [{"parameters": {parameter: [str(value)]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it; `verified` says whether its signature held."""

    method: str
    path: str
    query: dict[str, str]
    json: object
    form: dict[str, str]
    files: dict[str, bytes]
    verified: bool


@dataclass(frozen=True)
class Canned:
    """An answer queued by a test for the next request to `path` (any path if None)."""

    status: int
    body: dict
    headers: dict[str, str]
    path: str | None
    performed: bool


@dataclass
class Stall:
    """A request to `path` carried out with its answer held back (see stall_after)."""

    path: str
    reached: threading.Event
    release: threading.Event
    skip: int


@dataclass
class Post:
    """A post (or a repost) as X keeps it: the text as sent and as X renders it."""

    id: str
    author_id: str
    text: str
    rendered: str
    urls: list[dict]
    created_at: datetime
    in_reply_to: str | None = None
    quote_of: str | None = None
    retweet_of: str | None = None
    media_ids: list[str] = field(default_factory=list)
    # public_metrics as X names them; a test sets them with XServer.set_metrics.
    metrics: dict[str, int] = field(default_factory=lambda: {
        "retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
        "bookmark_count": 0, "impression_count": 0})

    def referenced(self) -> list[dict]:
        """The post's `referenced_tweets`, as X lists them."""
        pairs = (("replied_to", self.in_reply_to), ("quoted", self.quote_of),
                 ("retweeted", self.retweet_of))
        return [{"type": kind, "id": ref} for kind, ref in pairs if ref]


@dataclass
class Media:
    """An upload in progress or done, and the alt text set on it."""

    media_type: str
    total_bytes: int
    category: str
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False
    alt_text: str | None = None

    @property
    def data(self) -> bytes:
        """The appended segments in order."""
        return b"".join(self.segments[i] for i in sorted(self.segments))


class _Validator(RequestValidator):
    """Knows one app and one user; remembers nonces to refuse replays."""

    safe_characters = set(string.ascii_letters + string.digits + "-_")
    client_key_length = (20, 64)
    access_token_length = (20, 64)
    nonce_length = (8, 64)
    dummy_client = "dummy0consumer0key000000"
    dummy_access_token = "0-dummy0access0token00000000"

    def __init__(self, consumer_key: str, consumer_secret: str, access_token: str,
                 access_secret: str, window: int) -> None:
        super().__init__()
        self._consumer = (consumer_key, consumer_secret)
        self._token = (access_token, access_secret)
        self._window = window
        self._seen: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()

    @property
    def timestamp_lifetime(self) -> int:
        return self._window

    def validate_client_key(self, client_key, request) -> bool:
        return client_key == self._consumer[0]

    def validate_access_token(self, client_key, token, request) -> bool:
        return client_key == self._consumer[0] and token == self._token[0]

    def validate_realms(self, client_key, token, request, uri=None, realms=None) -> bool:
        return True

    def get_client_secret(self, client_key, request) -> str:
        return self._consumer[1] if client_key == self._consumer[0] else "dummy-secret"

    def get_access_token_secret(self, client_key, token, request) -> str:
        return self._token[1] if token == self._token[0] else "dummy-secret"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request,
                                     request_token=None, access_token=None) -> bool:
        key = (client_key, timestamp, nonce, access_token or "")
        oldest = time.time() - self._window
        with self._lock:
            # Older timestamps are refused by the window anyway: no need to remember them.
            self._seen = {seen for seen in self._seen if int(seen[1]) >= oldest}
            if key in self._seen:
                return False
            self._seen.add(key)
            return True


class XServer:
    """X's v2 API for one account, serving on 127.0.0.1 from a thread.

    Use as a context manager; `url` is where to point the adapter's `base_url`.
    """

    def __init__(self, *, consumer_key: str, consumer_secret: str, access_token: str,
                 access_secret: str, username: str = "local99media",
                 timestamp_window: int = 300) -> None:
        # X access tokens start with the account's id, and tweepy relies on it.
        self.user_id = access_token.partition("-")[0]
        self.username = username
        self.users: dict[str, str] = {self.user_id: username}
        self.requests: list[Recorded] = []
        self.posts: list[Post] = []
        self.media: dict[str, Media] = {}
        self.followers = 0
        self.following = 0
        self.impressions_visible = True
        self.refused: set[str] = set()
        self._canned: list[Canned] = []
        self._stalls: list[Stall] = []
        self._next_id = 1_860_000_000_000_000_000
        self._lock = threading.Lock()
        self._endpoint = ResourceEndpoint(_Validator(
            consumer_key, consumer_secret, access_token, access_secret, timestamp_window))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.x = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="x-server", daemon=True)

    @property
    def url(self) -> str:
        """The server's origin, e.g. http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> XServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # What a test arranges and reads.

    def queue_response(self, status: int, body: dict | None = None, *,
                       headers: dict[str, str] | None = None, path: str | None = None,
                       performed: bool = False) -> None:
        """Answer the next (signed) request to `path`, or any, with this status.

        `body` defaults to X's problem body for the status. With `performed=True` the
        server first carries the request out, as when X acted but the answer was lost.
        """
        with self._lock:
            self._canned.append(Canned(status, body or problem(status), headers or {},
                                       path, performed))

    def stall_after(self, path: str, *, skip: int = 0) -> tuple[threading.Event,
                                                                   threading.Event]:
        """Carry out the next request to `path` (after `skip` others are answered as
        usual), then hold its answer back: for a client killed between X acting and the
        client hearing of it.

        Returns (reached, release): `reached` is set once the request was carried out;
        the answer goes out when the test sets `release` (or after 30 s).
        """
        stall = Stall(path, threading.Event(), threading.Event(), skip)
        with self._lock:
            self._stalls.append(stall)
        return stall.reached, stall.release

    def add_post(self, text: str, *, username: str) -> str:
        """Seed a post by another account (created if new); return its id."""
        with self._lock:
            author = next((uid for uid, name in self.users.items() if name == username),
                          None) or self._new_id()
            self.users[author] = username
            return self._store(author, text).id

    def set_metrics(self, tweet_id: str, *, likes: int = 0, reposts: int = 0,
                    replies: int = 0, quotes: int = 0, impressions: int = 0) -> None:
        """Set the counts GET /2/tweets gives for one post."""
        with self._lock:
            post = next(p for p in self.posts if p.id == tweet_id)
            post.metrics.update(like_count=likes, retweet_count=reposts, reply_count=replies,
                                quote_count=quotes, impression_count=impressions)

    def refuse_read(self, path: str) -> None:
        """Answer GET `path` (/2/users/me or /2/tweets) with X's 403 for an access
        level that lacks it, until the test clears `refused`."""
        with self._lock:
            self.refused.add(path)

    def own_posts(self) -> list[Post]:
        """The account's own posts (not reposts), oldest first."""
        with self._lock:
            return [p for p in self.posts
                    if p.author_id == self.user_id and p.retweet_of is None]

    def calls(self, method: str, path: str) -> list[Recorded]:
        """The signed requests made to one endpoint, oldest first."""
        with self._lock:
            return [r for r in self.requests
                    if r.verified and r.method == method and r.path == path]

    # Serving.

    def handle(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict, dict[str, str]]:
        """Check the signature, then answer one request: (status, JSON body, headers)."""
        path, _, query_string = target.partition("?")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        payload, form, files = None, {}, {}
        if "application/json" in content_type:
            payload = json.loads(body or b"null")
        elif "multipart/form-data" in content_type:
            form, files = _multipart(content_type, body)
        valid, _ = self._endpoint.validate_protected_resource_request(
            PUBLIC_ORIGIN + target, http_method=method, body=body.decode("latin-1"),
            headers=headers)
        with self._lock:
            self.requests.append(Recorded(method, path, dict(parse_qsl(query_string)),
                                          payload, form, files, valid))
            if not valid:
                return 401, problem(401), {}
            stall = next((s for s in self._stalls if s.path == path), None)
            if stall is not None and stall.skip:
                stall.skip -= 1
                stall = None
            elif stall is not None:
                self._stalls.remove(stall)
                status, answer = self._route(method, path, dict(parse_qsl(query_string)),
                                             payload, form, files)
            canned = next((c for c in self._canned if c.path in (None, path)), None)
            if stall is None and canned is not None:
                self._canned.remove(canned)
                if canned.performed:
                    self._route(method, path, dict(parse_qsl(query_string)), payload,
                                form, files)
                return canned.status, canned.body, canned.headers
            if stall is None:
                status, answer = self._route(method, path, dict(parse_qsl(query_string)),
                                             payload, form, files)
                return status, answer, {}
        stall.reached.set()
        stall.release.wait(30)
        return status, answer, {}

    def _route(self, method, path, query, payload, form, files) -> tuple[int, dict]:
        if method == "GET" and path in self.refused:
            return 403, client_not_enrolled()
        if method == "GET" and path == "/2/users/me":
            return self._me(query)
        if method == "GET" and path == "/2/tweets":
            return self._lookup(query)
        if method == "GET" and (match := _USER_TWEETS.match(path)):
            return self._timeline(match.group(1), query)
        if method == "POST" and path == "/2/tweets":
            return self._create(payload or {})
        if method == "POST" and (match := _RETWEETS.match(path)):
            return self._retweet(match.group(1), payload or {})
        if method == "POST" and path == "/2/media/upload/initialize":
            return self._initialize(payload or {})
        if method == "POST" and (match := _APPEND.match(path)):
            return self._append(match.group(1), form, files)
        if method == "POST" and (match := _FINALIZE.match(path)):
            return self._finalize(match.group(1))
        if method == "POST" and path == "/2/media/metadata":
            return self._metadata(payload or {})
        return 404, problem(404, "Sorry, that page does not exist")

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _store(self, author_id: str, text: str, **refs) -> Post:
        rendered, urls = _render(text)
        post = Post(self._new_id(), author_id, text, rendered, urls,
                    datetime.now(UTC), **refs)
        for n, media_id in enumerate(post.media_ids, start=1):
            link = f"https://t.co/{_short_code()}"
            post.urls.append({
                "start": len(post.rendered) + 1, "end": len(post.rendered) + 1 + len(link),
                "url": link, "display_url": f"pic.x.com/{_short_code()}",
                "expanded_url": f"https://x.com/{self.users[author_id]}/status/{post.id}"
                                f"/photo/{n}",
                "media_key": f"3_{media_id}"})
            post.rendered += " " + link
        self.posts.append(post)
        return post

    def _create(self, payload: dict) -> tuple[int, dict]:
        text = payload.get("text", "")
        media_ids = [str(m) for m in payload.get("media", {}).get("media_ids", [])]
        reply_to = payload.get("reply", {}).get("in_reply_to_tweet_id")
        quote_of = payload.get("quote_tweet_id")
        if not text and not media_ids:
            return _invalid("text", text, "Tweet text or media is required.")
        for media_id in media_ids:
            if media_id not in self.media or not self.media[media_id].finalized:
                return _invalid("media.media_ids", media_id,
                                "Your media IDs are invalid.")
        known = {p.id for p in self.posts}
        if reply_to is not None and str(reply_to) not in known:
            return _invalid("reply.in_reply_to_tweet_id", reply_to,
                            "The tweet you are replying to does not exist.")
        if quote_of is not None and str(quote_of) not in known:
            return _invalid("quote_tweet_id", quote_of,
                            "The tweet you are quoting does not exist.")
        if text and any(p.text.strip() == text.strip() for p in self.posts
                        if p.author_id == self.user_id and p.retweet_of is None):
            return 403, problem(403, DUPLICATE_DETAIL)
        post = self._store(self.user_id, text, media_ids=media_ids,
                           in_reply_to=str(reply_to) if reply_to else None,
                           quote_of=str(quote_of) if quote_of else None)
        return 201, {"data": {"id": post.id, "text": post.rendered,
                              "edit_history_tweet_ids": [post.id]}}

    def _retweet(self, user_id: str, payload: dict) -> tuple[int, dict]:
        if user_id != self.user_id:
            return 403, problem(403, "You are not permitted to perform this action.")
        tweet_id = str(payload.get("tweet_id", ""))
        original = next((p for p in self.posts if p.id == tweet_id), None)
        if original is None:
            return _invalid("tweet_id", tweet_id, "The tweet to repost does not exist.")
        if not any(p.retweet_of == tweet_id and p.author_id == self.user_id
                   for p in self.posts):
            text = f"RT @{self.users[original.author_id]}: {original.text}"
            self._store(self.user_id, text, retweet_of=tweet_id)
        return 200, {"data": {"retweeted": True}}

    def _me(self, query: dict[str, str]) -> tuple[int, dict]:
        user = {"id": self.user_id, "name": "Local 99 Media Committee",
                "username": self.username}
        if "public_metrics" in query.get("user.fields", "").split(","):
            user["public_metrics"] = {
                "followers_count": self.followers, "following_count": self.following,
                "tweet_count": sum(p.author_id == self.user_id for p in self.posts),
                "listed_count": 0, "like_count": 0}
        return 200, {"data": user}

    def _lookup(self, query: dict[str, str]) -> tuple[int, dict]:
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= MAX_LOOKUP_IDS or not all(i.isdigit() for i in ids):
            return _invalid("ids", query.get("ids", ""),
                            f"The `ids` query parameter value [{query.get('ids', '')}] is "
                            f"not 1 to {MAX_LOOKUP_IDS} comma-separated tweet ids")
        fields = set(query.get("tweet.fields", "").split(","))
        by_id = {p.id: p for p in self.posts}
        answer: dict = {}
        found = [_tweet_json(by_id[i], fields, impressions=self.impressions_visible)
                 for i in ids if i in by_id]
        if found:
            answer["data"] = found
        missing = [i for i in ids if i not in by_id]
        if missing:
            answer["errors"] = [{
                "value": i, "detail": f"Could not find tweet with ids: [{i}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                "resource_id": i, "type": "https://api.twitter.com/2/problems/resource-not-found",
            } for i in missing]
        return 200, answer

    def _timeline(self, user_id: str, query: dict[str, str]) -> tuple[int, dict]:
        try:
            limit = int(query.get("max_results", "10"))
        except ValueError:
            limit = 0
        if not 5 <= limit <= 100:
            return _invalid("max_results", query.get("max_results"),
                            f"The `max_results` query parameter value "
                            f"[{query.get('max_results')}] is not between 5 and 100")
        excluded = set(query.get("exclude", "").split(","))
        fields = set(query.get("tweet.fields", "").split(","))
        posts = [p for p in reversed(self.posts) if p.author_id == user_id
                 and not ("retweets" in excluded and p.retweet_of)
                 and not ("replies" in excluded and p.in_reply_to)]
        page = posts[:limit]
        if not page:
            return 200, {"meta": {"result_count": 0}}
        meta = {"result_count": len(page), "newest_id": page[0].id, "oldest_id": page[-1].id}
        if len(posts) > limit:
            meta["next_token"] = f"page-{page[-1].id}"
        return 200, {"data": [_tweet_json(p, fields) for p in page], "meta": meta}

    def _initialize(self, payload: dict) -> tuple[int, dict]:
        total = payload.get("total_bytes")
        if not isinstance(total, int) or total <= 0:
            return _invalid("total_bytes", total, "total_bytes must be a positive integer.")
        if not str(payload.get("media_type", "")).startswith("image/"):
            return _invalid("media_type", payload.get("media_type"),
                            "Unsupported media type.")
        media_id = self._new_id()
        self.media[media_id] = Media(payload["media_type"], total,
                                     payload.get("media_category", "tweet_image"))
        return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}",
                              "expires_after_secs": 86400}}

    def _append(self, media_id: str, form: dict[str, str],
                files: dict[str, bytes]) -> tuple[int, dict]:
        media = self.media.get(media_id)
        if media is None or media.finalized:
            return _invalid("id", media_id, "No upload in progress for this media id.")
        index = form.get("segment_index", "")
        if not index.isdigit() or int(index) > 999 or "media" not in files:
            return _invalid("segment_index", index,
                            "segment_index (0-999) and media are required.")
        media.segments[int(index)] = files["media"]
        return 200, {"data": {"expires_at": int(time.time()) + 86400}}

    def _finalize(self, media_id: str) -> tuple[int, dict]:
        media = self.media.get(media_id)
        if media is None:
            return _invalid("id", media_id, "No upload in progress for this media id.")
        if len(media.data) != media.total_bytes:
            return _invalid("id", media_id, "File size does not match total_bytes.")
        media.finalized = True
        return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}",
                              "size": media.total_bytes, "expires_after_secs": 86400}}

    def _metadata(self, payload: dict) -> tuple[int, dict]:
        media_id = str(payload.get("id", ""))
        alt = payload.get("metadata", {}).get("alt_text", {}).get("text")
        media = self.media.get(media_id)
        if media is None or not media.finalized:
            return _invalid("id", media_id, "Unknown media id.")
        if not isinstance(alt, str) or len(alt) > MAX_ALT_TEXT:
            return _invalid("metadata.alt_text.text", alt,
                            f"Alt text must be at most {MAX_ALT_TEXT} characters.")
        media.alt_text = alt
        return 200, {"data": {"id": media_id,
                              "associated_metadata": {"alt_text": {"text": alt}}}}


def _short_code() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))


def _render(text: str) -> tuple[str, list[dict]]:
    """The text as X shows it: &, < and > escaped, every link a t.co link."""
    rendered, urls, last = "", [], 0
    for match in _URL.finditer(text):
        rendered += html.escape(text[last:match.start()], quote=False)
        link = f"https://t.co/{_short_code()}"
        urls.append({"start": len(rendered), "end": len(rendered) + len(link), "url": link,
                     "expanded_url": ("" if "://" in match.group(0) else "http://")
                     + match.group(0),
                     "display_url": match.group(0).split("://")[-1][:25]})
        rendered += link
        last = match.end()
    return rendered + html.escape(text[last:], quote=False), urls


def _tweet_json(post: Post, fields: set[str], *, impressions: bool = True) -> dict:
    tweet = {"id": post.id, "text": post.rendered, "edit_history_tweet_ids": [post.id]}
    if "public_metrics" in fields:
        tweet["public_metrics"] = {k: v for k, v in post.metrics.items()
                                   if impressions or k != "impression_count"}
    if "entities" in fields and post.urls:
        tweet["entities"] = {"urls": post.urls}
    if "referenced_tweets" in fields and post.referenced():
        tweet["referenced_tweets"] = post.referenced()
    if "created_at" in fields:
        tweet["created_at"] = post.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "author_id" in fields:
        tweet["author_id"] = post.author_id
    return tweet


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Fields and files of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if part.get_filename() is None:
            form[name] = data.decode("utf-8")
        else:
            files[name] = data
    return form, files


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; Nagle would hold the body back ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer, headers = self.server.x.handle(
            self.command, self.path, dict(self.headers.items()), body)
        data = json.dumps(answer).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is gone (a test killed it): nobody is left to answer

    def log_message(self, format, *args) -> None:
        """Keep test output quiet."""
