"""Feed documents: an RSS or Atom body as plain-text FeedItems.

    parse_feed(content, headers, url=) -> ParsedFeed   title, format, <ttl>, site and items
    plain_text(html)                                    the text of an HTML fragment

Well-formed RSS 2.0 and Atom 1.0 are read by feed_xml.py (lxml, some thirty times faster);
everything else by feedparser. Both give feedparser-shaped entries, turned into items here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from outreach.coverage import feed_xml
from outreach.coverage.items import FeedItem
from outreach.coverage.story_keys import unwrap_url
from outreach.errors import InvalidInput

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document as the poller uses it: title, format, <ttl> and its items."""

    title: str
    version: str  # feedparser's name for the format: rss20, atom10, ...
    items: list[FeedItem]
    ttl_minutes: int | None = None
    # The feed's own site: its channel (or Atom alternate) link, else its self link.
    site_url: str = ""


class _TextOnly(HTMLParser):
    """The text of an HTML fragment: tags dropped, block ends as spaces, scripts skipped."""

    _SKIP = frozenset({"script", "style", "template"})
    _BLOCK = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table",
                        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "figure",
                        "figcaption", "section", "article", "header", "footer", "dd", "dt"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


# A plain start or end tag: a name, then attributes whose quoted values may hold anything.
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:\s(?:[^<>"']|"[^"]*"|'[^']*')*)?/?>""")


def _simple_text(html: str) -> str | None:
    """plain_text for the common fragment (plain tags, text and entities) by one regex pass,
    five times faster than HTMLParser; None for anything else (a script or style, a comment,
    a stray '<'), which HTMLParser then reads."""
    parts, start = [], 0
    for tag in _TAG.finditer(html):
        name = tag.group(2).lower()
        between = html[start:tag.start()]
        if name in _TextOnly._SKIP or "<" in between:
            return None
        parts.append(unescape(between) if "&" in between else between)
        if name in _TextOnly._BLOCK:
            parts.append(" ")
        start = tag.end()
    rest = html[start:]
    if "<" in rest:
        return None
    parts.append(unescape(rest) if "&" in rest else rest)
    return " ".join("".join(parts).split())


def plain_text(html: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    simple = _simple_text(html)
    return simple if simple is not None else _parsed_text(html)


def _parsed_text(html: str) -> str:
    """plain_text by HTMLParser, for any fragment."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _text(value: str, detail: Mapping[str, Any] | None) -> str:
    """A feed text field as plain text: HTML stripped only when the feed says it is HTML."""
    if detail is not None and detail.get("type") in _HTML_TYPES:
        return plain_text(value)
    return " ".join(value.split())


# Feeds began in the late 1990s; a date before 1990 (a CMS's empty "0001-01-01") is no
# story's, and a year past 9998 cannot be shown in every time zone. Either is kept unknown.
_PLAUSIBLE_YEARS = range(1990, 9999)


def _when(entry: Mapping[str, Any]) -> datetime | None:
    # dict.get: feedparser's own get lends updated for published with a DeprecationWarning.
    moment = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if not moment or moment[0] not in _PLAUSIBLE_YEARS:
        return None
    try:
        return datetime(*moment[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names = [(a.get("name") or a.get("email") or "").strip() for a in entry.get("authors") or []]
    if not any(names) and entry.get("author"):
        names = [entry["author"].strip()]
    return tuple(dict.fromkeys(" ".join(n.split()) for n in names if n))


def _absolute(link: str, base: str) -> str:
    link = link.strip()
    return link if not base or link.startswith(("http://", "https://")) else urljoin(base, link)


def _item(entry: Mapping[str, Any], base: str, site: tuple[str, str]) -> FeedItem:
    source = entry.get("source") or {}
    content = " ".join(plain_text(part.get("value", "")) for part in entry.get("content") or [])
    # Without a summary of its own, feedparser lends an entry its content: not twice here.
    summary = entry.get("summary", "") if entry.get("summary_detail") is not None else ""
    return FeedItem(
        title=_text(entry.get("title", ""), entry.get("title_detail")),
        link=unwrap_url(_absolute(entry.get("link", ""), base)),
        guid=entry.get("id", "").strip(),
        authors=_authors(entry),
        published=_when(entry),
        summary=plain_text(summary),
        content=content.strip(),
        source_name=" ".join(str(source.get("title", "")).split()),
        source_url=str(source.get("href", "")).strip(),
        site_name=site[0],
        site_url=site[1],
    )


def _not_a_feed(problem: BaseException | None, content_type: str) -> InvalidInput:
    if isinstance(problem, SAXParseException):
        where = f"line {problem.getLineNumber()}, column {problem.getColumnNumber() + 1}"
        return InvalidInput(f"Not a feed: {problem.getMessage()} at {where}.")
    if "html" in content_type:
        return InvalidInput("Not a feed: the address sent a web page, not RSS or Atom; "
                            "look on that page for its feed link.")
    return InvalidInput("Not a feed: the document holds no RSS or Atom; check the address.")


def _site_url(feed: Mapping[str, Any], base: str) -> str:
    """The feed's site: its alternate link, else its self link (feedparser keeps that in
    `links`), made absolute against the feed's address; only a web address counts (an Atom
    feed's id, which feedparser may lend as its link, does not)."""
    links = [feed.get("link") or ""]
    links += [found.get("href") or "" for found in feed.get("links") or []
              if found.get("rel") == "self"]
    for link in links:
        link = _absolute(str(link), base) if str(link).strip() else ""
        if link.startswith(("http://", "https://")):
            return link
    return ""


def _feedparser(content: bytes, headers: dict[str, str]) -> tuple[str, Any, list]:
    """feedparser's version, feed and entries; InvalidInput "Not a feed: ..." for a body
    that holds no feed."""
    try:
        parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as exc:  # feedparser can trip over odd input in many ways
        raise InvalidInput(f"Not a feed: {exc}.") from None
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    serious = problem is not None and not isinstance(problem, ThingsNobodyCaresAboutButMe)
    if not parsed.entries and (serious or not parsed.version):
        raise _not_a_feed(problem, headers.get("content-type", ""))
    return parsed.version or "", parsed.feed, parsed.entries


def parse_feed(content: bytes, headers: Mapping[str, str] | None = None, *,
               url: str = "", fast: bool = True) -> ParsedFeed:
    """Parse a feed body (given the response headers, so a declared charset counts) into
    plain-text FeedItems; InvalidInput "Not a feed: ... line N" when the body is no feed. A
    feed feedparser reads despite a wrong declared encoding is a feed; `url`, the feed's own
    address, makes relative item links absolute. fast=False skips feed_xml and reads with
    feedparser alone: the yardstick the fast reader is tested against."""
    given = {k.lower(): v for k, v in (headers or {}).items()}
    # The body is already decoded, so Content-Encoding and Content-Length must not go along;
    # nor does the URL as Content-Location, which makes feedparser resolve every element
    # against it (a quarter of its time): relative item links are resolved here instead.
    kept = {k: given[k] for k in ("content-type", "content-language") if k in given}
    try:
        if not fast:
            raise feed_xml.Unusual("feedparser asked for")
        document = feed_xml.read_entries(content, kept.get("content-type", ""))
        version, feed, entries = document.version, document.feed, document.entries
    except feed_xml.Unusual:
        version, feed, entries = _feedparser(content, kept)
    title = _text(feed.get("title", ""), feed.get("title_detail"))
    site = (title, _site_url(feed, url))
    ttl = str(feed.get("ttl", "")).strip()
    return ParsedFeed(
        title=title,
        version=version,
        items=[_item(entry, url, site) for entry in entries],
        ttl_minutes=int(ttl) if ttl.isdigit() and int(ttl) > 0 else None,
        site_url=site[1],
    )
