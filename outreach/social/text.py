"""What a post may hold on Bluesky and X: counting, splitting into threads, Bluesky facets.

Pure functions, no I/O. Every platform figure is a named constant below, so a platform's
change is a one-line change.

Bluesky counts graphemes (the `regex` module's ``\\X``) of the text *as posted*: like the
official app, we post a long link shortened to host + start of path + "..." and keep the
full URL in the link facet, so the shortened form is what counts against the 300 (see
`bluesky_display_text`). X counts twitter-text v3 weights, computed by the
`twitter-text-parser` package. Link, mention and tag detection for Bluesky is the atproto
SDK's port of the official `detectFacets`, tightened where noted. Each platform's library
is imported when that platform's text is first counted: the atproto SDK alone takes most of
a second to load, which `social count --platform x` need not wait for.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from urllib.parse import quote, urlsplit

import regex

from outreach.errors import InvalidInput

BLUESKY = "bluesky"
X = "x"
PLATFORMS = (BLUESKY, X)

BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
# A tag facet (app.bsky.richtext.facet#tag) holds at most 64 graphemes and 640 bytes.
BLUESKY_TAG_MAX_GRAPHEMES = 64
BLUESKY_TAG_MAX_BYTES = 640
# The official app (social-app's toShortUrl) shows a link's path, query and fragment in
# full up to 15 characters; a longer one as its first 13 characters and "...".
BLUESKY_LINK_PATH_MAX = 15
BLUESKY_LINK_PATH_KEEP = 13
BLUESKY_LINK_ELLIPSIS = "..."

X_MAX_WEIGHT = 280
X_URL_WEIGHT = 23
# twitter-text v3: code points in these ranges weigh 1, all others 2 (CJK, emoji).
X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"

# parse_tweet's documented options, built from the constants above (weights scaled by 100).
_X_OPTIONS = {
    "max_weighted_tweet_length": X_MAX_WEIGHT,
    "scale": 100,
    "default_weight": 200,
    "emoji_parsing_enabled": True,
    "transformed_url_length": X_URL_WEIGHT,
    "ranges": [{"start": a, "end": b, "weight": 100} for a, b in X_LIGHT_RANGES],
}

_GRAPHEME = regex.compile(r"\X")
_WHITESPACE = re.compile(r"\s+")  # the characters str.split() splits at
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# A sentence ends at . ! ? and kin, maybe followed by closing quotes or brackets.
_SENTENCE_END = regex.compile(r"[.!?…‼⁇⁈⁉。！？][\"'”’»)\]]*$")
# Full stops of scripts written without spaces end a sentence even with no space after.
_UNSPACED_STOPS = frozenset("。！？")
# Sentence punctuation and closing quotes end prose rather than a link.
_LINK_TRAILING = frozenset(".,;:!?…\"”’»")
_LINK_CLOSERS = {")": "(", "]": "[", "}": "{"}
_SCHEME = regex.compile(r"https?://", regex.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Count:
    """How long a text is on a platform: `used` of `limit` `unit`, and whether it fits.

    On Bluesky the unit is graphemes, unless the text is within 300 graphemes but over
    3000 bytes of UTF-8: then it is bytes, so `used` and `limit` say what is wrong.
    """

    used: int
    limit: int
    fits: bool
    unit: str


@dataclass(frozen=True)
class _Span:
    """A facet's feature over text[start:end] (code point offsets)."""

    start: int
    end: int
    feature: dict


@dataclass(frozen=True)
class _Cut:
    """Where a thread may break: a part ends at `end`, the next starts at `resume`.

    text[end:resume] is whitespace, or empty inside an overlong word. Level 0 is a
    sentence or line end, 1 a space between words, 2 a grapheme boundary inside a word.
    """

    end: int
    resume: int
    level: int


def graphemes(text: str) -> int:
    """The number of user-perceived characters (extended grapheme clusters) in `text`.

    An emoji with a skin tone, a flag, a ZWJ family and a letter with combining accents
    are one each: this is what Bluesky's 300 counts.
    """
    return len(_GRAPHEME.findall(text))


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise InvalidInput(f"Unknown platform {platform!r}; use {' or '.join(PLATFORMS)}.")


# --- Bluesky: links as displayed ---------------------------------------------------------


def _percent_encode(part: str, also: str) -> str:
    """`part` with non-ASCII, control characters and those in `also` percent-encoded as
    UTF-8, as a browser's URL parser does for the path, query or fragment."""
    return "".join(
        quote(ch, safe="") if not ch.isascii() or not ch.isprintable() or ch in also else ch
        for ch in part
    )


def _short_link(link: str) -> str:
    """The link text as the official app shows it; see `bluesky_display_text`."""
    try:
        parts = urlsplit(link)
        host, port = parts.hostname, parts.port
    except ValueError:
        return link
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return link
    with contextlib.suppress(UnicodeError):  # a name IDNA refuses is shown as written
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host += f":{port}"
    rest = ("" if parts.path in ("", "/") else _percent_encode(parts.path, '"<>`{}'))
    if parts.query:
        rest += "?" + _percent_encode(parts.query, "\"<>'")
    if parts.fragment:
        rest += "#" + _percent_encode(parts.fragment, '"<>`')
    if len(rest) > BLUESKY_LINK_PATH_MAX:
        rest = rest[:BLUESKY_LINK_PATH_KEEP] + BLUESKY_LINK_ELLIPSIS
    return host + rest


def _trim_link(link: str) -> str:
    """`link` without the sentence punctuation, closing quotes and unbalanced closing
    brackets that end it: "(see example.org/a_(b))." links example.org/a_(b)."""
    while link:
        last = link[-1]
        opener = _LINK_CLOSERS.get(last)
        if last in _LINK_TRAILING or (opener and link.count(last) > link.count(opener)):
            link = link[:-1]
        else:
            break
    return link


def _bluesky_facets(text: str) -> list:
    from atproto_client.utils import detect_facets

    return detect_facets(text)


def _bluesky_mentions(text: str) -> list:
    from atproto_client.utils import detect_mentions

    return detect_mentions(text)


def _char_offset(encoded: bytes, byte_offset: int) -> int:
    return len(encoded[:byte_offset].decode("utf-8"))


def _links(text: str) -> list[_Span]:
    """Links as Bluesky detects them: with http(s):// or a bare domain under a known TLD
    (which gets https://), trailing punctuation excluded."""
    encoded = text.encode("utf-8")
    spans = []
    for facet in _bluesky_facets(text):
        if facet.features[0].py_type != LINK:
            continue
        start = _char_offset(encoded, facet.index.byte_start)
        shown = _trim_link(text[start:_char_offset(encoded, facet.index.byte_end)])
        uri = shown if _SCHEME.match(shown) else f"https://{shown}"
        try:
            host = urlsplit(uri).hostname
        except ValueError:
            continue
        if not host or not _could_exist(host):
            continue
        spans.append(_Span(start, start + len(shown), {"$type": LINK, "uri": uri}))
    return spans


def _could_exist(host: str) -> bool:
    """False for a host no DNS name can be: a label over 63 characters or a name over 253.
    Tightens the SDK, which takes "example.org。" and the unspaced text after it (as
    Japanese is written) for one long host that could neither be visited nor shortened."""
    labels = regex.split(r"[.\u3002\uff0e\uff61]", host)
    return len(host) <= 253 and all(len(label) <= 63 for label in labels)


def _render(text: str, spans: Sequence[_Span], *, shorten: bool) -> tuple[str, list[dict]]:
    """The text with each link shortened (when `shorten`), and the spans as facets with
    UTF-8 byte offsets into that text."""
    pieces, facets, position, size = [], [], 0, 0
    for span in spans:
        before, shown = text[position:span.start], text[span.start:span.end]
        if shorten and span.feature["$type"] == LINK:
            shown = _short_link(shown)
        start = size + len(before.encode("utf-8"))
        size = start + len(shown.encode("utf-8"))
        facets.append({"index": {"byteStart": start, "byteEnd": size},
                       "features": [dict(span.feature)]})
        pieces += (before, shown)
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces), facets


def bluesky_display_text(text: str) -> str:
    """`text` with each link shortened as the official Bluesky app posts and shows it.

    The rule is social-app's ``toShortUrl``: a link written with http:// or https:// is
    shown as its host (lower-cased, IDNA-encoded, ``www.`` kept, a non-default port
    kept) followed by its path, query and fragment (a bare "/" path dropped, non-ASCII
    percent-encoded as a browser does); when that tail is longer than 15 characters only
    its first 13 are kept and "..." added: "https://www.example.org/news/2026/11/vote"
    shows as "www.example.org/news/2026/11..." (31 graphemes). A link written without a
    scheme ("example.org/...") is shown as written, as the app does. The link's facet
    keeps the full URL, and the shortened text is what counts against the 300.
    """
    return _render(text, _links(text), shorten=True)[0]


def bluesky_length(text: str) -> int:
    """Graphemes of `text` as Bluesky counts it: with links shortened as displayed."""
    return graphemes(bluesky_display_text(text))


# --- Bluesky: facets ---------------------------------------------------------------------


def mentions(text: str) -> list[str]:
    """The handles `text` mentions (@name.domain), lower-cased, each once, in order.

    These are what `bluesky_facets` asks its `resolve` to turn into DIDs.
    """
    return list(dict.fromkeys(m.handle.lower() for m in _bluesky_mentions(text)))


def _mentions(text: str, resolve: Callable[[str], str | None]) -> list[_Span]:
    encoded, dids, spans = text.encode("utf-8"), {}, []
    for found in _bluesky_mentions(text):
        handle = found.handle.lower()
        if handle not in dids:
            dids[handle] = resolve(handle)
        if dids[handle]:
            spans.append(_Span(_char_offset(encoded, found.byte_start),
                               _char_offset(encoded, found.byte_end),
                               {"$type": MENTION, "did": dids[handle]}))
    return spans


def _tags(text: str) -> list[_Span]:
    """#hashtags (not all digits, trailing punctuation excluded, at most 64 graphemes and
    640 bytes) and $CASHTAGS, as the atproto SDK detects them."""
    encoded, spans = text.encode("utf-8"), []
    for facet in _bluesky_facets(text):
        feature = facet.features[0]
        if feature.py_type != TAG:
            continue
        if (graphemes(feature.tag) > BLUESKY_TAG_MAX_GRAPHEMES
                or len(feature.tag.encode("utf-8")) > BLUESKY_TAG_MAX_BYTES):
            continue
        spans.append(_Span(_char_offset(encoded, facet.index.byte_start),
                           _char_offset(encoded, facet.index.byte_end),
                           {"$type": TAG, "tag": feature.tag}))
    return spans


def _facet_spans(text: str, resolve: Callable[[str], str | None]) -> list[_Span]:
    """Links, then mentions, then tags, each kept only if it overlaps none kept before.

    Links come first so that the record text of `bluesky_richtext` is always
    `bluesky_display_text`, whatever else the text holds.
    """
    kept: list[_Span] = []
    for span in chain(_links(text), _mentions(text, resolve), _tags(text)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def bluesky_facets(text: str, resolve: Callable[[str], str | None]) -> list[dict]:
    """The facets of `text` as an app.bsky.feed.post record wants them, in order.

    Each is ``{"index": {"byteStart": b, "byteEnd": e}, "features": [feature]}`` with
    UTF-8 byte offsets (end exclusive), never overlapping. Features: ``#link`` with the
    full ``uri`` (https:// added to a bare domain); ``#mention`` with the ``did`` that
    `resolve(handle)` gives (no facet when it gives None); ``#tag`` with the tag without
    its ``#`` (a $CASHTAG keeps its ``$``). Offsets are into `text` as given; to post,
    use `bluesky_richtext`, whose text has the links shortened as Bluesky counts them.
    """
    return _render(text, _facet_spans(text, resolve), shorten=False)[1]


def bluesky_richtext(text: str, resolve: Callable[[str], str | None]) -> tuple[str, list[dict]]:
    """The record text and facets to post: links shortened as the official app posts
    them (`bluesky_display_text`), each link facet over the short form keeping the full
    URL. Bluesky checks its 300 graphemes against this text, which `count` measures.
    """
    return _render(text, _facet_spans(text, resolve), shorten=True)


def first_link(text: str) -> str | None:
    """The full URL of the first link in `text`, for a link card; None without one."""
    links = _links(text)
    return links[0].feature["uri"] if links else None


# --- X -----------------------------------------------------------------------------------


def x_weight(text: str) -> int:
    """The weighted length X counts against its 280 (twitter-text v3).

    After NFC normalisation, a code point in X_LIGHT_RANGES weighs 1 and any other 2; an
    emoji sequence (skin tone, flag, ZWJ family) weighs 2 as a whole; every URL weighs
    X_URL_WEIGHT whatever its length. An emoji newer than the package's table (e.g. the
    ZWJ sequences of Emoji 15.1) is weighed per code point instead.
    """
    from twitter_text import parse_tweet

    return parse_tweet(text, _X_OPTIONS).weightedLength


def _x_links(text: str) -> list[tuple[int, int]]:
    from twitter_text import extract_urls_with_indices

    return [tuple(found["indices"]) for found in extract_urls_with_indices(text)]


# --- both --------------------------------------------------------------------------------


def count(text: str, platform: str) -> Count:
    """How long `text` is on `platform` ("bluesky" or "x") against its limit."""
    _check_platform(platform)
    if platform == X:
        used = x_weight(text)
        return Count(used, X_MAX_WEIGHT, used <= X_MAX_WEIGHT, "weighted characters")
    shown = bluesky_display_text(text)
    used, size = graphemes(shown), len(shown.encode("utf-8"))
    if used <= BLUESKY_MAX_GRAPHEMES and size > BLUESKY_MAX_BYTES:
        return Count(size, BLUESKY_MAX_BYTES, False, "bytes")
    return Count(used, BLUESKY_MAX_GRAPHEMES, used <= BLUESKY_MAX_GRAPHEMES, "graphemes")


def fits(text: str, platform: str) -> bool:
    """Whether `text` fits in one post on `platform`."""
    return count(text, platform).fits


# --- threads -----------------------------------------------------------------------------


def _layout(text: str, platform: str) -> tuple[list[_Cut], list[int]]:
    """Where a thread may break `text`, in order and never inside a link; and `floor`,
    where floor[i] counts the graphemes that start before i outside links.

    No slice of the text counts less than its share of that floor on either platform (a
    grapheme weighs at least 1, a link at least its shortened self or 23), so the
    splitter need not measure a slice whose floor is already over the limit.
    """
    links = _x_links(text) if platform == X else [(s.start, s.end) for s in _links(text)]
    linked = bytearray(len(text))
    for a, b in links:
        linked[a:b] = b"\x01" * (b - a)
    end = len(text.rstrip())
    cuts = []
    for run in _WHITESPACE.finditer(text, 0, end):
        if run.start() == 0:
            continue
        sentence = (not _LINE_BREAKS.isdisjoint(run.group())
                    or _SENTENCE_END.search(text, max(0, run.start() - 8), run.start()))
        cuts.append(_Cut(run.start(), run.end(), 0 if sentence else 1))
    counted = bytearray(len(text))
    for grapheme in _GRAPHEME.finditer(text):
        at = grapheme.start()
        counted[at] = not linked[at]
        if (0 < at < end and not (linked[at - 1] and linked[at])
                and not text[at].isspace() and not text[at - 1].isspace()):
            cuts.append(_Cut(at, at, 0 if text[at - 1] in _UNSPACED_STOPS else 2))
    cuts.append(_Cut(end, end, 0))
    return sorted(cuts, key=lambda c: c.end), [0, *accumulate(counted)]


def _furthest(n: int, ok: Callable[[int], bool]) -> int | None:
    """The largest k < n with ok(k), searched as if ok were True up to a point and False
    after it (galloping, then bisecting); None when ok(0) is False."""
    if n == 0 or not ok(0):
        return None
    lo, step = 0, 1
    while lo + step < n and ok(lo + step):
        lo += step
        step *= 2
    hi = min(lo + step, n)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _furthest_cut(text: str, platform: str, start: int, candidates: list[_Cut],
                  floor: list[int], tail: str) -> _Cut | None:
    """The furthest of `candidates` after `start` where a part ending in `tail` fits."""
    limit = X_MAX_WEIGHT if platform == X else BLUESKY_MAX_GRAPHEMES
    first = bisect.bisect_right(candidates, start, key=lambda c: c.end)

    def ok(k: int) -> bool:
        end = candidates[first + k].end
        return (floor[end] - floor[start] + len(tail) <= limit
                and fits(text[start:end] + tail, platform))

    best = _furthest(len(candidates) - first, ok)
    return None if best is None else candidates[first + best]


def _split(text: str, platform: str, total: int | None) -> list[tuple[int, int]]:
    """Greedy split into (start, end) slices of `text`, each measured with " i/total"
    after it when `total` is given.

    Each part ends at the furthest sentence end that fits; failing that the furthest word
    end; failing that (one overlong word) the furthest grapheme boundary.
    """
    cuts, floor = _layout(text, platform)
    by_level = [[c for c in cuts if c.level <= level] for level in range(3)]
    start, end, slices = len(text) - len(text.lstrip()), len(text.rstrip()), []
    while start < end:
        tail = f" {len(slices) + 1}/{total}" if total else ""
        for candidates in by_level:
            cut = _furthest_cut(text, platform, start, candidates, floor, tail)
            if cut is not None:
                break
        else:
            raise InvalidInput(_unsplittable(text, start, platform))
        slices.append((start, cut.end))
        start = cut.resume
    return slices


def _unsplittable(text: str, start: int, platform: str) -> str:
    word = text[start:].split(maxsplit=1)[0]
    shown = word if len(word) <= 60 else word[:57] + "..."
    return (f"{shown!r} cannot be split to fit one {platform} post: a link is never split, "
            "nor is a single character.")


def split_thread(text: str, platform: str, *, number: bool = False) -> list[str]:
    """Split `text` into a thread of posts that each fit on `platform`.

    Parts break at sentence (or line) ends first, then between words, then, for a
    single word longer than a post, between graphemes; a link is never split (one that
    cannot fit alone raises InvalidInput). Text that fits is one part. With `number`,
    a thread of two or more parts gets " i/n" after each part, counted in its length;
    n is recomputed until every part fits with its own number.

    Nothing is lost, added or reordered. Each part (without its number) is a slice of
    `text`, the slices are in order, and what lies before the first, between two and
    after the last is whitespace only: empty where an overlong word was cut. Whitespace
    inside a part (line breaks) is kept. So, for instance,
    ``"".join("".join(parts).split()) == "".join(text.split())``, and when no word was
    cut, ``" ".join(parts).split() == text.split()``. Whitespace-only text gives [].
    """
    _check_platform(platform)
    slices = _split(text, platform, None)
    if number and len(slices) > 1:
        total = len(slices)
        while len(slices := _split(text, platform, total)) > total:
            total = len(slices)
        # Fewer parts than `total` need only shorter numbers, so each still fits.
        return [f"{text[a:b]} {i}/{len(slices)}" for i, (a, b) in enumerate(slices, 1)]
    return [text[a:b] for a, b in slices]
