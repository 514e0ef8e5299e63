"""How one story is recognised under different links: the link worth keeping, one canonical
spelling of it, and its outlet + title.

    unwrap_url      the story's own URL inside a redirect wrapper (Google, Facebook)
    story_link      the link to store: unwrapped, without trackers, still as the outlet wrote it
    canonical_url   one spelling per story, for deduplication
    without_source  a Google News headline without its " - Outlet" suffix
    title_key       outlet + normalised title, to spot one story behind two links
    fold            text for comparing names and titles: lower case, no accents or punctuation
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, unquote_plus, urlsplit, urlunsplit

from detrack import patterns as detrack_patterns

# Tracking parameters come from detrack's list (345 names and 19 prefixes across ad, mail and
# analytics platforms, no dependencies), chosen over courlan's pattern, which also strips
# content such as `gallery=` or `session=` and misses `ttclid` and `li_fat_id`. News sites'
# own trackers that detrack lacks are added; names that can hold a story's id are kept.
_NEWS_TRACKERS = frozenset({"cmpid", "igsh", "ncid", "ocid", "ref_src", "ref_url", "smid",
                            "sr_share", "wt.mc_id"})
_CONTENT_PARAMS = frozenset({"pid", "r"})
_TRACKING_PARAMS = (frozenset(n.lower() for n in detrack_patterns.DEFAULT_PATTERNS)
                    | _NEWS_TRACKERS) - _CONTENT_PARAMS
_TRACKING_PREFIXES = tuple(detrack_patterns.PREFIXES)
_GOOGLE_HOST = re.compile(r"(www\.)?google(\.[a-z]{2,3}){1,2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _wrapper_params(host: str, path: str) -> tuple[str, ...]:
    """The query parameters that hold the real URL when `host` + `path` is a redirect wrapper."""
    if host == "news.google.com":
        return ("url",)
    if _GOOGLE_HOST.fullmatch(host) and path == "/url":
        return ("url", "q")
    if host in ("l.facebook.com", "lm.facebook.com") and path == "/l.php":
        return ("u",)
    return ()


def is_aggregator(host: str) -> bool:
    """Whether `host` is Google News or a Google site, whose links wrap other sites' stories:
    its domain says nothing about a story's outlet."""
    return host == "news.google.com" or _GOOGLE_HOST.fullmatch(host) is not None


def unwrap_url(url: str) -> str:
    """The story's own URL inside a redirect wrapper (Google Alerts, Google News, Facebook);
    any other URL unchanged. Google News's opaque article ids cannot be unwrapped."""
    url = url.strip()
    for _ in range(3):  # a wrapper inside a wrapper, but never a loop
        try:
            parts = urlsplit(url)
        except ValueError:  # not a URL at all: nothing to unwrap
            break
        keys = _wrapper_params((parts.hostname or "").lower(), parts.path)
        if not keys:
            break
        params = parse_qs(parts.query)
        inner = next((params[k][0].strip() for k in keys if k in params
                      and params[k][0].strip().lower().startswith(("http://", "https://"))), "")
        if not inner:
            break
        url = inner
    return url


def _drop_tracking(query: str) -> str:
    """A query string without its tracking parameters, the others as they were written."""
    def tracking(pair: str) -> bool:
        name = unquote_plus(pair.partition("=")[0]).strip().lower()
        return name.startswith(_TRACKING_PREFIXES) or name in _TRACKING_PARAMS

    return "&".join(p for p in query.split("&") if p and not tracking(p))


def story_link(url: str) -> str:
    """The link to keep for a story: unwrapped and without tracking parameters, but
    otherwise as the outlet wrote it (www and all), so that it still opens."""
    url = unwrap_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(query=_drop_tracking(parts.query)))


def canonical_url(url: str) -> str:
    """One spelling per story, for deduplication: redirect wrappers unwrapped, tracking
    parameters (utm_*, fbclid, _ga, mtm_cid, ...) dropped, scheme and host lower-cased,
    no "www.", default port, user name or fragment. Text that is not an http(s) URL comes
    back stripped but otherwise unchanged."""
    url = unwrap_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").removeprefix("www.")
    if scheme not in _DEFAULT_PORTS or not host:
        return url
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", _drop_tracking(parts.query), ""))


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Ana  Núñez-Q.' -> 'ana nunez q'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def without_source(title: str, source: str) -> str:
    """A Google News headline without the " - Outlet" it appends, when `source` is that
    outlet: "Acme strike - Daily Example" -> "Acme strike". Otherwise `title` unchanged."""
    head, dash, tail = title.rpartition(" - ")
    if dash and head.strip() and source and fold(tail) == fold(source):
        return head.strip()
    return title


def title_key(outlet: str, title: str) -> str:
    """Outlet and headline, normalised, for spotting one story under different links (Google
    News links are opaque); a trailing ' - Outlet', as Google News adds, is ignored. "" when
    either is empty."""
    name, text = fold(outlet), fold(title)
    if text.endswith(" " + name):
        text = text[: -len(name) - 1]
    if not name or not text:
        return ""
    return f"{name}|{text}"[:700]
