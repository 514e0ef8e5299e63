"""Well-formed RSS 2.0 and Atom 1.0 read with lxml into the entries feedparser would give.

    read_entries(content, charset) -> FeedDocument   or raises Unusual

feedparser reads anything that calls itself a feed, but at 10-20 ms for fifty items it was
most of a first poll's time (bench/feeds.py). Almost every feed a committee follows is
well-formed RSS 2.0 or Atom 1.0 using a handful of elements, and lxml reads those in well
under a millisecond. This module reads exactly that case the way feedparser's strict parser
does (the same element names across namespaces, first title, guid as link, "email (Name)"
bylines, its date parser, its text clean-ups) and raises Unusual for anything else: a
DOCTYPE, xml:base, XHTML or base64 content, an element feedparser would map onto a field
coverage reads that is not handled here, or a declared charset the document contradicts.
parse.py then hands the body to feedparser, so the fast path can only ever skip work.
tests/test_feeds.py checks that both paths give the same items for every corpus feed.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from feedparser.datetimes import _parse_date  # feedparser's own date reading, pinned
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from lxml import etree

_ATOM = "http://www.w3.org/2005/Atom"
# feedparser's standard prefix for each namespace it knows (Atom's is none).
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_TITLE = frozenset({"title"})
_LINK = frozenset({"link"})
_GUID = frozenset({"guid", "id"})
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "dc_date", "dcterms_modified"})
_SUMMARY = frozenset({"description", "summary"})
_CONTENT = frozenset({"content", "content_encoded", "fullitem", "body", "xhtml_body"})
_AUTHOR = frozenset({"author", "managingeditor", "dc_creator", "dc_author", "itunes_author"})
_SOURCE = frozenset({"source"})
# Elements feedparser has a handler for that touch no field coverage reads.
_HARMLESS = frozenset({"category", "enclosure", "comments", "language", "rights", "copyright",
                       "dc_subject", "dc_language", "dc_rights", "dc_publisher",
                       "media_content", "media_thumbnail", "created", "dcterms_created"})
# Fields an item may give once: feedparser would keep the first of some, the last of others.
_ONCE = {key: group for group in (_TITLE, _LINK, _GUID, _PUBLISHED, _UPDATED, _SUMMARY, _SOURCE)
         for key in group}
_EMAIL = re.compile(r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|"
                    r"(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?")
_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}


class Unusual(Exception):
    """A body this reader leaves to feedparser: not plain RSS 2.0 or Atom 1.0 as handled."""


@dataclass
class FeedDocument:
    """feedparser's `feed` and `entries` for the fields coverage reads, and its version."""

    version: str
    feed: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)


_KEYS: dict[tuple[str, str | None], str] = {}


def _key(element: Any) -> str:
    """feedparser's name for an element: its standard namespace prefix, '_', local name."""
    known = _KEYS.get((element.tag, element.prefix))
    if known is None:
        qname = etree.QName(element)
        namespace = (qname.namespace or "").lower()
        prefix = _PREFIXES.get(namespace) if namespace in _PREFIXES else element.prefix or ""
        name = qname.localname.lower()
        known = f"{prefix.lower()}_{name}" if prefix else name
        if len(_KEYS) < 10_000:  # a hostile feed's made-up names must not grow it forever
            _KEYS[(element.tag, element.prefix)] = known
    return known


class _Reader:
    """One document's text clean-ups, as feedparser applies them to every element's text."""

    def __init__(self, encoding: str, rss: bool) -> None:
        self.utf8 = encoding == "utf-8"
        self.rss = rss

    def text(self, element: Any) -> str:
        """An element's text as feedparser pops it: stripped, mojibake and cp1252 mended."""
        if len(element):
            raise Unusual("markup inside a text element")
        value = (element.text or "").strip()
        if self.utf8:
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                value = value.encode("iso-8859-1").decode("utf-8")  # as feedparser mends
        return value.translate(_cp1252)

    def content(self, element: Any, default: str) -> tuple[str, dict[str, str]]:
        """A text construct's value and detail ({"type"}), as push_content/pop_content."""
        if element.get("mode") or element.get("src") is not None:
            raise Unusual("base64 or out-of-line content")
        kind = element.get("type", default).lower()
        kind = _TYPES.get(kind, kind)
        if kind in ("xhtml", "application/xhtml+xml"):
            raise Unusual("XHTML content")
        value = self.text(element)
        if self.rss and kind == "text/plain" and _FeedParserMixin.looks_like_html(value):
            kind = "text/html"
        return value, {"type": kind}

    def author(self, element: Any) -> dict[str, str]:
        """One byline as feedparser's authors[-1]: name and email, from children or text."""
        if len(element):
            detail = {}
            for child in element:
                if (element.text or "").strip() or (child.tail or "").strip():
                    raise Unusual("text beside an author's parts")
                key = _key(child)
                if key in ("name", "email"):
                    detail[key] = self.text(child)
                elif key not in ("uri", "url", "homepage"):
                    raise Unusual(f"<{key}> in an author")
            return detail
        author, email = self.text(element), None
        if not author:
            return {}
        found = _EMAIL.search(author)
        if found:
            email = found.group(0)
            author = author.replace(email, "").replace("()", "").replace("<>", "")
            author = author.replace("&lt;&gt;", "").strip()
            author = author[1:] if author.startswith("(") else author
            author = (author[:-1] if author.endswith(")") else author).strip()
        return {k: v for k, v in (("name", author), ("email", email)) if v}

    def link(self, element: Any) -> str | None:
        """An entry link as feedparser keeps it: an alternate HTML href, or the text of a
        plain <link>; None for a link that is not the entry's (self, enclosure, ...)."""
        href = element.get("href")
        if href is None:
            value = _urljoin("", self.text(element)).replace("&amp;", "&")
            return re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", value)
        if len(element):
            raise Unusual("markup inside a link")
        rel = element.get("rel", "alternate").lower()
        kind = element.get("type", "application/atom+xml" if rel == "self" else "text/html")
        if rel == "alternate" and _TYPES.get(kind.lower(), kind.lower()) in (
                "text/html", "application/xhtml+xml"):
            return _urljoin("", href)
        return None

    def entry(self, item: Any) -> dict[str, Any]:
        """One item or entry as feedparser's entry dict, for the fields coverage reads."""
        if item.get("href") is not None or item.get("lastmod") is not None:
            raise Unusual("CDF attributes on an item")
        entry: dict[str, Any] = {}
        seen: set[frozenset[str]] = set()
        guid, guid_is_link, link = None, False, None
        for child in item:
            key = _key(child)
            group = _ONCE.get(key)
            if group is not None and not (group is _LINK and child.get("href") is not None):
                if group in seen:
                    raise Unusual(f"two <{key}> in one item")
                seen.add(group)
            if key in _TITLE:
                entry["title"], entry["title_detail"] = self.content(child, "text/plain")
            elif key in _LINK:
                found = self.link(child)
                if found is not None:
                    link = found
            elif key in _GUID:
                permalink = next((v for k, v in child.attrib.items()
                                  if k.lower() == "ispermalink"), "true") == "true"
                guid = self.text(child)
                guid_is_link = permalink
                if permalink:
                    guid = _urljoin("", guid)
            elif key in _PUBLISHED:
                entry["published_parsed"] = _parse_date(self.text(child))
            elif key in _UPDATED:
                entry["updated_parsed"] = _parse_date(self.text(child))
            elif key in _SUMMARY:
                default = "text/html" if key == "description" else "text/plain"
                entry["summary"], entry["summary_detail"] = self.content(child, default)
            elif key in _CONTENT:
                value, detail = self.content(child, "text/html" if key != "content" else
                                             "text/plain")
                entry.setdefault("content", []).append({**detail, "value": value})
            elif key in _AUTHOR:
                byline = self.author(child)
                if len(child) and entry.get("authors") and not byline.get("name"):
                    # feedparser lends such a byline the previous one's name or e-mail
                    raise Unusual("a second author without a name")
                entry.setdefault("authors", []).append(byline)
            elif key in _SOURCE:
                if not self.rss or len(child):
                    raise Unusual("an Atom <source>")
                source = {"href": child.get("url")} if child.get("url") is not None else {}
                if title := self.text(child):
                    source["title"] = title
                entry["source"] = source
            elif len(child) or (key not in _HARMLESS and hasattr(_FeedParserMixin,
                                                                 f"_start_{key}")):
                raise Unusual(f"<{key}> in an item")
        if guid is not None:
            entry["id"] = guid
        if link is not None:
            entry["link"] = link
        elif guid is not None and guid_is_link:
            entry["link"] = guid
        return entry


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def read_entries(content: bytes, content_type: str = "") -> FeedDocument:
    """A well-formed RSS 2.0 or Atom 1.0 body as feedparser's feed and entries; Unusual
    for any body feedparser should read instead (see the module's docstring)."""
    head = content[:4096]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"xml:base" in content:
        raise Unusual("DOCTYPE or xml:base")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Unusual(f"not well-formed: {exc}") from None
    encoding = _codec(root.getroottree().docinfo.encoding or "utf-8")
    declared = _charset(content_type)
    if declared and _codec(declared) != encoding:
        raise Unusual("the declared charset differs from the document's")
    if root.tag == "rss" and root.get("version", "").startswith("2."):
        channel = root.find("channel")
        if channel is None or len(root) != 1:
            raise Unusual("an <rss> without one <channel>")
        items, children, reader = channel.findall("item"), channel, _Reader(encoding, True)
        if sum(1 for _ in root.iter("item", "{*}entry")) != len(items):
            raise Unusual("items outside the channel")
        document = FeedDocument("rss20")
    elif root.tag == f"{{{_ATOM}}}feed" and root.get("version") is None:
        items = root.findall(f"{{{_ATOM}}}entry")
        children, reader = root, _Reader(encoding, False)
        document = FeedDocument("atom10")
    else:
        raise Unusual("neither RSS 2.0 nor Atom 1.0")
    if channel_attrs := {"href", "lastmod"} & set(children.attrib):
        raise Unusual(f"CDF attributes {sorted(channel_attrs)}")
    links = []
    for child in children:
        key = _key(child)
        if key in ("item", "entry"):
            continue
        if key == "title":
            if "title" in document.feed:
                raise Unusual("two feed titles")
            document.feed["title"], document.feed["title_detail"] = reader.content(
                child, "text/plain")
        elif key in ("dc_title", "media_title", "itunes_title"):
            raise Unusual(f"<{key}> beside the feed's title")
        elif key == "ttl":
            document.feed["ttl"] = reader.text(child)
        elif key == "link":
            href = child.get("href")
            if href is not None and child.get("rel", "alternate").lower() == "self":
                links.append(_urljoin("", href))
            elif (found := reader.link(child)) is not None:
                document.feed["link"] = found
    document.feed["links"] = [{"rel": "self", "href": href} for href in links]
    document.entries = [reader.entry(item) for item in items]
    return document
