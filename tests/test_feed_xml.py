"""The fast feed reader (lxml) gives exactly what feedparser gives, or steps aside.

parse_feed reads well-formed RSS 2.0 and Atom 1.0 with feed_xml (about five times faster
in bench/feeds.py) and everything else with feedparser; parse_feed(fast=False) is
feedparser alone. Every feed here is parsed both ways and the items must be equal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.feed_server import atom_document, rss_document, sample_items

from outreach.coverage import feed_xml
from outreach.coverage import parse as feed_parse

CORPUS = Path(__file__).parent / "data" / "feeds"
FAST = {"google-alerts.atom", "google-news.rss", "odd-dates-latin1.rss", "wordpress.rss"}


def both(body: bytes, headers: dict | None = None, url: str = "https://news.example.org/f"):
    fast = feed_parse.parse_feed(body, headers or {}, url=url)
    slow = feed_parse.parse_feed(body, headers or {}, url=url, fast=False)
    return fast, slow


def reads_fast(body: bytes, content_type: str = "") -> bool:
    try:
        feed_xml.read_entries(body, content_type)
    except feed_xml.Unusual:
        return False
    return True


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()
                                         if p.suffix not in (".json", ".html")))
def test_every_corpus_feed_reads_the_same_both_ways(name):
    """The real-shaped feeds: outlets' RSS, Google News and Alerts read fast; Atom with XHTML
    content and EDGAR's XML content go to feedparser; the items are the same either way."""
    body = (CORPUS / name).read_bytes()
    url = json.loads((CORPUS / f"{name}.json").read_text("utf-8"))["url"]
    fast, slow = both(body, url=url)
    assert fast == slow
    assert reads_fast(body) == (name in FAST)


def test_the_benchmark_feed_reads_fast_and_the_same():
    items = sample_items(50, host="n0.example.org", prefix="F0")
    body = rss_document("Bench feed 0", items)
    assert reads_fast(body, "application/rss+xml; charset=utf-8")
    fast, slow = both(body, {"Content-Type": "application/rss+xml; charset=utf-8"})
    assert fast == slow and len(fast.items) == 50


def rss(item_xml: str, *, head: str = "", channel: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:media="http://search.yahoo.com/mrss/" '
            'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Outlet</title>'
            f'<link>https://outlet.example.org/</link>{channel}<item>{item_xml}</item>'
            '</channel></rss>').encode()


@pytest.mark.parametrize(("why", "item_xml", "head"), [
    ("a DOCTYPE", "<title>A</title>", '<!DOCTYPE rss>'),
    ("media:title, which feedparser reads as the title", "<title>A</title>"
     "<media:title>B</media:title>", ""),
    ("two titles", "<title>A</title><title>B</title>", ""),
    ("markup in a title", "<title>A <b>bold</b> move</title>", ""),
    ("xml:base", '<title xml:base="https://x.test/">A</title><link>b</link>', ""),
])
def test_what_the_fast_reader_does_not_know_goes_to_feedparser(why, item_xml, head):
    body = rss(item_xml, head=head)
    assert not reads_fast(body), why
    fast, slow = both(body)
    assert fast == slow


def test_an_atom_link_inside_an_rss_item_counts_as_feedparser_counts_it():
    body = rss('<title>A</title><atom:link href="https://x.test/a"/><link>https://y.test/b'
               '</link><atom:link rel="enclosure" href="https://x.test/a.mp3"/>')
    assert reads_fast(body)
    fast, slow = both(body)
    assert fast == slow and fast.items[0].link == "https://y.test/b"


def test_a_declared_charset_the_document_contradicts_goes_to_feedparser():
    body = rss_document("Outlet", sample_items(2), encoding="iso-8859-1")
    assert not reads_fast(body, "text/xml; charset=utf-8")
    assert reads_fast(body, "text/xml; charset=ISO-8859-1")
    for content_type in ("text/xml; charset=utf-8", "text/xml; charset=latin1", ""):
        fast, slow = both(body, {"Content-Type": content_type})
        assert fast == slow


def test_the_feeds_site_is_its_link_else_its_self_link():
    body = rss("<title>A</title><link>https://outlet.example.org/a</link>")
    assert feed_parse.parse_feed(body).site_url == "https://outlet.example.org/"
    atom = atom_document("Notes", [{"title": "A", "link": "https://notes.example.org/a",
                                    "id": "urn:a", "authors": ["Ana"]}],
                         self_link="https://feeds.example.org/notes.xml")
    fast, slow = both(atom)
    assert fast == slow
    assert fast.site_url == "https://feeds.example.org/notes.xml"
    assert {item.site_name for item in fast.items} == {"Notes"}


# Text that exercises feedparser's clean-ups: entities and tags it takes for HTML, words
# it thinks were mis-decoded (Ã©), cp1252 controls, odd spacing.
TEXT = st.lists(st.sampled_from([*"ab Z&;<>/#1é\u00c3\u00a9\u0093\u201c\t\n", "&amp;",
                                 "&nbsp;", "</b>", "<b>", "&#233;", "</p>", "&bogus;"]),
                max_size=24).map("".join)
AUTHORS = st.sampled_from(["Ana Quill", "ana@outlet.example.org (Ana Quill)",
                           "Ana Quill <ana@outlet.example.org>", "desk@outlet.example.org",
                           " ", "(Bo)", "Bo L & Cy M"])
DATES = st.sampled_from(["Mon, 30 Nov 2026 17:45:00 GMT", "30 Nov 2026 17:45 +0100",
                         "2026-11-30T17:45:00Z", "2026-11-30T17:45:00.123+05:30",
                         "2026-11-30", "Monday", "", "0001-01-01T00:00:00Z",
                         "Tue, 01 Dec 2026 09:00:00 EST", "2026-11-30 17:45:00"])
LINKS = st.sampled_from(["https://outlet.example.org/a?x=1&y=2", "/relative/path",
                         "https://outlet.example.org/b?utm_source=x&amp;c=1",
                         "http:///outlet.example.org//c", "", " https://o.example.org/d "])


@st.composite
def rss_items(draw) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<title>{escape(draw(TEXT))}</title>")
    link = draw(st.none() | LINKS)
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"',
                                          ' isPermaLink="True"']))
        parts.append(f"<guid{permalink}>{escape(draw(LINKS))}</guid>")
    for author in draw(st.lists(AUTHORS, max_size=3)):
        tag = draw(st.sampled_from(["dc:creator", "author"]))
        parts.append(f"<{tag}>{escape(author)}</{tag}>")
    if draw(st.booleans()):
        parts.append(f"<pubDate>{escape(draw(DATES))}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<dc:date>{escape(draw(DATES))}</dc:date>")
    if draw(st.booleans()):
        parts.append(f"<description>{escape(draw(TEXT))}</description>")
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"<content:encoded><![CDATA[{draw(TEXT)}]]></content:encoded>")
    if draw(st.booleans()):
        parts.append(f"<source url={quoteattr(draw(LINKS))}>{escape(draw(TEXT))}</source>")
    if draw(st.booleans()):
        parts.append("<category>Labor</category><comments>https://o.example.org/c</comments>")
    return "".join(draw(st.permutations(parts)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rss_items())
def test_random_rss_items_read_the_same_both_ways(item_xml):
    body = rss(item_xml)
    assert reads_fast(body)
    fast, slow = both(body)
    assert fast == slow


@st.composite
def atom_entries(draw) -> str:
    parts = [f"<id>{escape(draw(LINKS))}</id>"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["", ' type="text"', ' type="html"']))
        parts.append(f"<title{kind}>{escape(draw(TEXT))}</title>")
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"',
                                    ' type="text/html"', ' type="application/pdf"']))
        parts.append(f"<link{rel} href={quoteattr(draw(LINKS))}/>")
    for author in draw(st.lists(AUTHORS, max_size=3)):
        email = "<email>ana@outlet.example.org</email>" if draw(st.booleans()) else ""
        parts.append(f"<author><name>{escape(author)}</name>{email}</author>")
    for tag in ("published", "updated"):
        if draw(st.booleans()):
            parts.append(f"<{tag}>{escape(draw(DATES))}</{tag}>")
    for tag in ("summary", "content"):
        if draw(st.booleans()):
            kind = draw(st.sampled_from(["", ' type="text"', ' type="html"']))
            parts.append(f"<{tag}{kind}>{escape(draw(TEXT))}</{tag}>")
    return "".join(draw(st.permutations(parts)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(atom_entries())
def test_random_atom_entries_read_the_same_both_ways(entry_xml):
    body = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            '<title type="html">Notes &amp;amp; more</title><id>urn:f</id>'
            '<link rel="self" href="https://notes.example.org/feed"/>'
            f"<updated>{datetime(2026, 11, 30, tzinfo=UTC).isoformat()}</updated>"
            f"<entry>{entry_xml}</entry></feed>").encode()
    # feedparser lends a nameless second author the first one's e-mail: left to it
    assert reads_fast(body) or entry_xml.count("<author>") > 1 and "<name> </name>" in entry_xml
    fast, slow = both(body)
    assert fast == slow


HTML = st.lists(st.sampled_from([
    *"ab <>/=\"'&;#\n", "&amp;", "&nbsp", "&#x41;", "<p>", "</p>", "<br/>", "<B>", "</b>",
    '<a href="x>y">', "<a href='q'>", "<img src=x alt=\"a<b\">", "<script>", "</script>",
    "<style>", "<!-- c -->", "<h1 class=t>", "</div >", "<my-tag>", "<![CDATA[x]]>", "< p>",
    "&lt;b&gt;", "</", "<li", "é"]), max_size=30).map("".join)


@settings(max_examples=1000, deadline=None)
@given(HTML)
def test_the_quick_html_to_text_agrees_with_htmlparser(html):
    """Item text goes through a one-regex pass when the HTML is plain tags and text, and
    through HTMLParser otherwise; both must give the same words."""
    assert feed_parse.plain_text(html) == feed_parse._parsed_text(html)
