"""A story pasted by hand: its article page, fetched through the URL guard, and what that
page's metadata says about the story.

    fetch_page(client, guard, url) -> (final url, html)   guarded, capped in size and time
    read_page_meta(html, url) -> PageInfo                 title, authors, date, description
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import httpx

from outreach.errors import FetchFailed, InvalidInput
from outreach.net import URLGuard, guarded_get, read_capped

# A pasted article page is read up to this size, for at most this long.
MAX_PAGE_BYTES = 3_000_000
PAGE_DEADLINE_S = 30.0
_ARTICLE_TYPES = ("article", "posting", "report")


def fetch_page(client: httpx.Client, guard: URLGuard, url: str) -> tuple[str, str]:
    """The address a pasted link ends at and its HTML, read through the guard and capped at
    MAX_PAGE_BYTES; or our error saying what is wrong with the link."""
    try:
        response = guarded_get(client, guard, url, stream=True)
        with contextlib.closing(response):
            if response.status_code >= 400:
                raise InvalidInput(f"{url} answered HTTP {response.status_code}; paste the link "
                                   "the story can be read at.")
            kind = response.headers.get("Content-Type", "text/html").partition(";")[0]
            if kind.strip().lower() not in ("text/html", "application/xhtml+xml"):
                raise InvalidInput(f"{url} is not a web page ({kind.strip()}); paste the link "
                                   "of the page the story is on.")
            body = read_capped(response, MAX_PAGE_BYTES,
                               deadline=time.monotonic() + PAGE_DEADLINE_S)
    except FetchFailed as exc:
        raise InvalidInput(f"Could not fetch {url}: {exc} Check the link and that the site "
                           "is up, then try again.") from None
    try:
        text = body.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    return str(response.url), text


# --- what the page says ----------------------------------------------------------------------


class _PageMeta(HTMLParser):
    """The <title>, <meta> tags, canonical link and JSON-LD blocks of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.canonical = ""
        self.json_ld: list[str] = []
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"])
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self.canonical = self.canonical or a.get("href", "")
        elif tag == "title" and not self.title:
            self._in = "title"
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in = "ld"
            self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "script"):
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "ld":
            self.json_ld[-1] += data


def _ld_objects(blocks: list[str]) -> list[dict]:
    """The JSON-LD objects of a page, articles first; malformed blocks are ignored."""
    found: list[dict] = []
    for block in blocks:
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for obj in data if isinstance(data, list) else [data]:
            if isinstance(obj, dict):
                found += [g for g in obj.get("@graph", []) if isinstance(g, dict)] or [obj]

    def is_article(obj: dict) -> bool:
        kinds = obj.get("@type", "")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return any(k in str(t).lower() for t in kinds for k in _ARTICLE_TYPES)

    return sorted(found, key=lambda obj: not is_article(obj))


def _ld_names(value) -> tuple[str, ...]:
    """Names in a JSON-LD author: "Ana", {"name": "Ana"}, or a list of either."""
    values = value if isinstance(value, list) else [value]
    names = [v if isinstance(v, str) else v.get("name", "") if isinstance(v, dict) else ""
             for v in values]
    return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())


def _parse_time(text: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 time as aware UTC; a date alone is its midnight UTC."""
    text = text.strip()
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError):
        return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass(frozen=True)
class PageInfo:
    """What an article page says about itself."""

    title: str
    authors: tuple[str, ...]
    published: datetime | None
    description: str
    site_name: str
    canonical: str


def read_page_meta(html: str, url: str) -> PageInfo:
    """Title (og:title, <title>), authors (meta author, article:author, JSON-LD author), date
    (article:published_time, JSON-LD datePublished, meta date), description and site name
    from an article page; relative canonical links are resolved against `url`."""
    page = _PageMeta()
    page.feed(html)
    page.close()
    meta = page.meta
    ld = _ld_objects(page.json_ld)

    def first_ld(key: str):
        return next((obj[key] for obj in ld if obj.get(key)), None)

    authors = tuple(a for a in (meta.get("author", ""), meta.get("article:author", ""))
                    if a and not a.lower().startswith(("http://", "https://")))
    authors = authors or _ld_names(first_ld("author")) or tuple(
        a for a in [meta.get("byl", "")] if a)
    published = None
    for text in (meta.get("article:published_time"), first_ld("datePublished"),
                 meta.get("datepublished"), meta.get("date"), meta.get("pubdate"),
                 meta.get("dc.date.issued"), meta.get("dc.date")):
        published = _parse_time(text) if isinstance(text, str) else None
        if published:
            break
    publisher = first_ld("publisher")
    headline = first_ld("headline")
    canonical = page.canonical or meta.get("og:url", "")
    try:
        canonical = str(httpx.URL(url).join(canonical)) if canonical else ""
    except httpx.InvalidURL:
        canonical = ""
    if not canonical.startswith(("http://", "https://")):
        canonical = ""
    return PageInfo(
        title=" ".join((meta.get("og:title") or page.title
                        or (headline if isinstance(headline, str) else "")).split()),
        authors=authors,
        published=published,
        description=" ".join((meta.get("og:description") or meta.get("description")
                              or meta.get("twitter:description") or "").split()),
        site_name=meta.get("og:site_name") or (
            publisher.get("name", "") if isinstance(publisher, dict) else ""),
        canonical=canonical,
    )
