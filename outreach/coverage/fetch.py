"""Fetching feeds politely: the guarded conditional GET, the bounded per-host pool, and how
long to wait before asking a feed again.

    PollSettings                             timeouts, size cap, concurrency, minimum interval
    fetch_feed(client, guard, url, ...)      one GET through the URL guard -> Fetched
    fetch_all(jobs, work, settings)          a bounded pool, at most `per_host` per host
    Pace(per_second)                         at most so many request starts a second
    wait_after_success / wait_after_failure  the next poll: server hints, or backoff

Nothing here touches the database or parses a body: pool threads only fetch.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from queue import SimpleQueue
from urllib.parse import urlsplit

import httpx

from outreach.config import Settings
from outreach.coverage.parse import ParsedFeed
from outreach.errors import FetchFailed, UnsafeURL
from outreach.net import USER_AGENT, ResponseTooLarge, URLGuard, guarded_get, read_capped

log = logging.getLogger(__name__)

ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, "
          "text/xml;q=0.9, */*;q=0.5")
# No server hint (max-age, ttl, Retry-After) and no backoff waits longer than this.
MAX_INTERVAL = timedelta(hours=24)
# Backoff jitter: a factor in [1, 1.25), so feeds that failed together spread out.
_JITTER = (1.0, 1.25)
_MAX_BACKOFF_EXPONENT = 16


@dataclass(frozen=True)
class PollSettings:
    """How politely and how far the poller fetches; `from_settings` reads the OUTREACH_FEED_*
    settings."""

    min_interval: timedelta
    concurrency: int
    per_host: int
    connect_timeout: float
    read_timeout: float
    max_bytes: int
    edgar_contact: str = ""  # the e-mail EDGAR's fair-access rule wants in the User-Agent

    @classmethod
    def from_settings(cls, settings: Settings) -> PollSettings:
        """The poll settings of this install."""
        return cls(
            min_interval=timedelta(minutes=settings.feed_min_interval_minutes),
            concurrency=settings.feed_concurrency,
            per_host=settings.feed_per_host,
            connect_timeout=settings.feed_connect_timeout,
            read_timeout=settings.feed_read_timeout,
            max_bytes=int(settings.feed_max_mb * (1 << 20)),
            edgar_contact=settings.edgar_contact,
        )

    @property
    def timeout(self) -> httpx.Timeout:
        """httpx timeouts: connect, then each read (and write) of the exchange."""
        return httpx.Timeout(connect=self.connect_timeout, read=self.read_timeout,
                             write=self.read_timeout, pool=self.connect_timeout)

    @property
    def deadline_s(self) -> float:
        """Seconds one fetch may take in all, so a server trickling bytes cannot hold a slot."""
        return self.connect_timeout + 3 * self.read_timeout


@dataclass(frozen=True)
class Fetched:
    """What one GET of a feed came to; `error` in words when it failed."""

    status: int | None = None
    feed: ParsedFeed | None = None
    error: str = ""
    body: bytes | None = None  # a 200's body, until the poller parses it into `feed`
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    refused: bool = False
    etag: str = ""
    last_modified: str = ""
    max_age: timedelta | None = None
    retry_after: timedelta | None = None
    moved_to: str = ""  # where permanent redirects (301, 308) say the feed now lives

    @property
    def not_modified(self) -> bool:
        """The server answered 304: the feed is as it was at the last fetch."""
        return self.status == 304 and not self.error


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _moved_to(response: httpx.Response) -> str:
    """The address the feed moved to for good: the end of the permanent (301, 308) redirects
    at the start of the chain; a temporary one (302, 303, 307) stops it, as browsers and
    feed readers keep asking the address before a temporary hop."""
    hops = [*response.history, response]
    moved = ""
    for hop, following in zip(hops, hops[1:], strict=False):
        if hop.status_code not in (301, 308):
            break
        moved = str(following.url)
    return moved


def _max_age(headers: httpx.Headers) -> timedelta | None:
    found = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", headers.get("Cache-Control", ""))
    return timedelta(seconds=int(found.group(1))) if found and int(found.group(1)) else None


def _retry_after(headers: httpx.Headers, now: datetime) -> timedelta | None:
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value)) if int(value) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when - now if when > now else None


_STATUS_HINTS = {
    401: "the feed needs a login; use its public address",
    403: "the server refuses us; the feed may not be public",
    404: "check the address",
    410: "the feed is gone for good; remove it or find its new address",
    429: "it asks us to slow down, so we will wait before asking again",
}


def _status_error(response: httpx.Response) -> str:
    code = response.status_code
    hint = _STATUS_HINTS.get(code) or (
        "the trouble is on their side; we will try again later" if code >= 500
        else "check the address")
    reason = response.reason_phrase or "(no reason given)"
    return f"The server answered {code} {reason}; {hint}."


# A bot check in front of a site ("Just a moment..."): Cloudflare marks it with a header,
# other services only in the page. It is never the feed, whatever its status says.
_CHALLENGE_MARKERS = (b"cf-chl", b"challenge-platform", b"Just a moment...",
                      b"captcha-delivery.com", b"_Incapsula_Resource", b"sucuri_cloudproxy",
                      b"Attention Required! | Cloudflare")
_CHALLENGE_HEAD = 64 * 1024
CHALLENGE_ERROR = ("The site showed a bot check (a \"Just a moment...\" page) instead of the "
                   "feed: it lets browsers in but not programs like this one. Open the address "
                   "in a browser to check it; if the outlet keeps feed readers out, follow it "
                   "through a Google News search feed instead.")


def _is_challenge(headers: Mapping[str, str], head: bytes) -> bool:
    """Whether a response is a bot check's page rather than what was asked for."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    return ("html" in headers.get("content-type", "").lower()
            and any(marker in head for marker in _CHALLENGE_MARKERS)
            and not any(root in head for root in (b"<rss", b"<feed", b"<rdf:RDF")))


def _head_of(response: httpx.Response) -> bytes:
    """The first bytes of an error page, enough to tell a bot check; the response closed."""
    head = b""
    try:
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) >= _CHALLENGE_HEAD:
                break
    except (httpx.HTTPError, FetchFailed):
        pass
    finally:
        response.close()
    return head[:_CHALLENGE_HEAD]


def _network_error(exc: FetchFailed, host: str, settings: PollSettings) -> str:
    """The guard's words, with the limit that ran out when it was one of ours."""
    if exc.timeout == "deadline":
        return f"Timed out after {settings.deadline_s:g} s: {host} sent the feed too slowly."
    if exc.timeout == "connect":
        return f"Timed out after {settings.connect_timeout:g} s connecting to {host}."
    if exc.timeout == "read":
        return f"Timed out after {settings.read_timeout:g} s waiting for {host} to answer."
    return str(exc)


def fetch_feed(client: httpx.Client, guard: URLGuard, url: str, *, settings: PollSettings,
               now: datetime, etag: str = "", last_modified: str = "",
               user_agent: str = USER_AGENT) -> Fetched:
    """GET one feed, conditionally when validators are given; never raises for what a feed
    or its server can do wrong, but says it in `error`. `user_agent` is ours unless a source
    asks for more (EDGAR wants a contact e-mail)."""
    headers = {"User-Agent": user_agent, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    host = _host(url)
    deadline = time.monotonic() + settings.deadline_s
    try:
        response = guarded_get(client, guard, url, headers=headers, timeout=settings.timeout,
                               stream=True)
    except UnsafeURL as exc:
        return Fetched(error=str(exc), refused=True)
    except FetchFailed as exc:
        return Fetched(error=_network_error(exc, host, settings))
    status = response.status_code
    hints = {"max_age": _max_age(response.headers),
             "retry_after": _retry_after(response.headers, now)}
    validators = {"etag": response.headers.get("ETag", "")[:300],
                  "last_modified": response.headers.get("Last-Modified", "")[:100]}
    hints["moved_to"] = _moved_to(response)
    if status == 304:
        response.close()
        return Fetched(status, **validators, **hints)
    if not response.is_success:
        head = _head_of(response) if "html" in response.headers.get("content-type", "") else b""
        response.close()
        error = CHALLENGE_ERROR if _is_challenge(response.headers, head) else \
            _status_error(response)
        return Fetched(status, error=error, **hints)
    try:
        body = read_capped(response, settings.max_bytes, deadline=deadline)
    except ResponseTooLarge:
        limit = f"{settings.max_bytes / (1 << 20):g} MB"
        return Fetched(status, error=f"The feed is larger than {limit} (OUTREACH_FEED_MAX_MB); "
                       "check that the address is a feed, not a file or archive.")
    except FetchFailed as exc:
        return Fetched(status, error=_network_error(exc, host, settings))
    if _is_challenge(response.headers, body[:_CHALLENGE_HEAD]):
        return Fetched(status, error=CHALLENGE_ERROR, **hints)
    return Fetched(status, body=body, headers=response.headers, url=str(response.url),
                   **validators, **hints)


class Pace:
    """At most `per_second` request starts a second across every thread that waits on it:
    for a source with a rate rule of its own (EDGAR allows 10 a second)."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1.0 / per_second
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Return when this request may start, its slot taken."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._gap
        if start > now:
            time.sleep(start - now)


def fetch_all(jobs: Iterable[dict], work: Callable[[dict], Fetched],
              settings: PollSettings) -> Iterator[tuple[dict, Fetched]]:
    """Run `work` on each job (a dict with "url") in a bounded pool, at most `per_host` at a
    time for one host, yielding each job with its result as soon as it is done. A finished
    fetch starts the next one itself, so the pool stays busy while the caller parses and
    writes."""
    waiting: dict[str, deque[dict]] = defaultdict(deque)
    for job in jobs:
        waiting[_host(job["url"])].append(job)
    total = sum(len(queue) for queue in waiting.values())
    results: SimpleQueue[tuple[dict, Fetched]] = SimpleQueue()
    lock = threading.Lock()
    busy: Counter[str] = Counter()

    def start_more(pool: ThreadPoolExecutor) -> None:  # with `lock` held
        for host in list(waiting):
            queue = waiting[host]
            while queue and busy[host] < settings.per_host \
                    and busy.total() < settings.concurrency:
                busy[host] += 1
                pool.submit(run, pool, host, queue.popleft())
            if not queue:
                del waiting[host]

    def run(pool: ThreadPoolExecutor, host: str, job: dict) -> None:
        try:
            result = work(job)
        except Exception as exc:  # a bug on one feed's odd input must not stop the poll
            log.exception("feed %s: unexpected error", job["url"])
            result = Fetched(error=f"Unexpected error while reading the feed: {exc!r}.")
        with lock:
            busy[host] -= 1
            start_more(pool)
        results.put((job, result))

    with ThreadPoolExecutor(max_workers=settings.concurrency,
                            thread_name_prefix="feed") as pool:
        try:
            with lock:
                start_more(pool)
            for _ in range(total):
                yield results.get()
        finally:
            with lock:  # the caller stopped early: start nothing more, let the rest finish
                waiting.clear()


def _capped(wait_for: timedelta | None) -> timedelta:
    return min(wait_for or timedelta(0), MAX_INTERVAL)


def wait_after_success(fetched: Fetched, settings: PollSettings,
                       carried: timedelta | None) -> timedelta:
    """min interval, or longer when the server asks: max-age, <ttl>, Retry-After. A 304 has
    no body and so no <ttl>: it keeps the interval the last full fetch chose (`carried`)."""
    asked = [fetched.max_age, fetched.retry_after]
    if fetched.feed is not None and fetched.feed.ttl_minutes:
        asked.append(timedelta(minutes=fetched.feed.ttl_minutes))
    if fetched.not_modified:
        asked.append(carried)
    return max(settings.min_interval, *(_capped(w) for w in asked))


def wait_after_failure(failures: int, fetched: Fetched, settings: PollSettings) -> timedelta:
    """Exponential backoff with jitter, capped at a day; a Retry-After that asks for longer
    (429, 503) wins."""
    factor = secrets.SystemRandom().uniform(*_JITTER)
    backoff = settings.min_interval * (2 ** min(failures, _MAX_BACKOFF_EXPONENT)) * factor
    return max(min(backoff, MAX_INTERVAL), _capped(fetched.retry_after))
