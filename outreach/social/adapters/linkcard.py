"""Bluesky link cards from a page's OpenGraph tags, fetched through the URL guard.

Bluesky does not fetch a card for a post: the client does, as the official app does. The link
comes from the post (someone typed it), so the page and its image are fetched only through
`net.guarded_get`, with short timeouts, a size cap and an overall deadline: a card is a
nicety and must never hold a post up. The thumbnail is re-encoded from its pixels alone, so
no EXIF or GPS data of the page's image travels with it.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable
from contextlib import closing
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
import regex
from PIL import Image as PILImage
from PIL import ImageOps

from outreach.config import Settings
from outreach.errors import FetchFailed, InvalidInput, NotFound, OutreachError
from outreach.net import (
    USER_AGENT,
    ResponseTooLarge,
    URLGuard,
    guarded_get,
    http_client,
    read_capped,
)
from outreach.social.adapters.bluesky import LinkCard
from outreach.social.images import MAX_BYTES, refuse_too_many_pixels
from outreach.social.text import first_link

__all__ = ["LinkCard", "card_fetcher", "fetch_card", "first_link", "preview_card"]

log = logging.getLogger(__name__)

FETCH_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# The page and its image together get this long, however slowly a server sends them.
CARD_DEADLINE_SECONDS = 20.0
MAX_PAGE_BYTES = 1_000_000
MAX_IMAGE_BYTES = 5_000_000
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
THUMB_MAX_SIDE = 1000
# Bluesky takes a thumb of up to 1,000,000 bytes; older servers refuse blobs over 976.56 KB.
MAX_THUMB_BYTES = MAX_BYTES["bluesky"]
THUMB_QUALITIES = (85, 75, 65, 55)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif;q=0.9,*/*;q=0.1"
_IMAGE_TAGS = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_GRAPHEME = regex.compile(r"\X")
_FEED_CHUNK = 65_536


def fetch_card(
    url: str, *, client: httpx.Client, guard: URLGuard, max_bytes: int = MAX_PAGE_BYTES
) -> LinkCard:
    """The link card for the page at `url`: its OpenGraph title, description and image.

    Falls back to <title> and <meta name="description">. The page (at most `max_bytes`,
    HTML only) and its image (at most MAX_IMAGE_BYTES) are fetched with `client` through
    `guard`. Raises UnsafeURL when the guard refuses the page, NotFound for a 404 or 410,
    InvalidInput for any other failure; a missing or unusable image only leaves out the thumb.
    """
    deadline = time.monotonic() + CARD_DEADLINE_SECONDS
    with closing(_open(client, guard, url, what="page", accept=_HTML_ACCEPT)) as page:
        media_type = page.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in HTML_TYPES:
            raise InvalidInput(f"{url} is not a web page (it is "
                               f"{media_type or 'of no stated type'}), so it has no link card; "
                               "link to an article instead.")
        content = _read(page, url, what="page", max_bytes=max_bytes, deadline=deadline)
    tags = _read_tags(content, page.charset_encoding)
    title = tags.get("og:title") or tags.get("<title>", "")
    description = tags.get("og:description") or tags.get("description", "")
    if not title and not description:
        raise InvalidInput(f"The page at {url} has no title or description to show in a card.")
    image = next((tags[name] for name in _IMAGE_TAGS if tags.get(name)), "")
    thumb = _thumb(client, guard, urljoin(str(page.url), image), deadline) if image else None
    return LinkCard(uri=url, title=_trim(title, MAX_TITLE),
                    description=_trim(description, MAX_DESCRIPTION), thumb=thumb)


def preview_card(text: str, *, client: httpx.Client, guard: URLGuard) -> LinkCard | None:
    """The card the first link in `text` will get when posted, for the composer's preview;
    None when the text has no link or its card cannot be made (the post then has none)."""
    url = first_link(text)
    if url is None:
        return None
    try:
        return fetch_card(url, client=client, guard=guard)
    except OutreachError as exc:
        log.info("no link card for %s: %s", url, exc)
        return None


def card_fetcher(client: httpx.Client, guard: URLGuard) -> Callable[[str], LinkCard]:
    """`fetch_card` bound to a client and guard, as `publishing.publish_due` takes it."""
    return lambda url: fetch_card(url, client=client, guard=guard)


def preview(url: str, settings: Settings) -> LinkCard:
    """The card the worker would attach for `url`, fetched now through this install's guard
    (for the composer's preview)."""
    guard = URLGuard(settings.url_allowlist)
    with http_client(timeout=FETCH_TIMEOUT, guard=guard) as client:
        return fetch_card(url, client=client, guard=guard)


def _open(client: httpx.Client, guard: URLGuard, url: str, *, what: str,
          accept: str) -> httpx.Response:
    """GET `url` through the guard with its body unread: a 2xx response for the caller to
    read and close, or our error saying what failed."""
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    try:
        response = guarded_get(client, guard, url, headers=headers, timeout=FETCH_TIMEOUT,
                               stream=True)
    except FetchFailed as exc:
        raise _unreachable(what, url, exc) from None
    if response.is_success:
        return response
    response.close()
    if response.status_code in (404, 410):
        raise NotFound(f"The {what} at {url} was not found (HTTP {response.status_code}); "
                       "check the link.")
    raise InvalidInput(f"The {what} at {url} answered HTTP {response.status_code} "
                       f"{response.reason_phrase}; try again later or check the link.")


def _read(response: httpx.Response, url: str, *, what: str, max_bytes: int,
          deadline: float) -> bytes:
    """The body of a streamed response, refused as soon as it says or proves to be over
    `max_bytes` (decompressed), or is still arriving at the deadline: a card never waits
    long or fills memory."""
    try:
        return read_capped(response, max_bytes, deadline=deadline)
    except ResponseTooLarge:
        raise InvalidInput(f"The {what} at {url} is larger than {max_bytes:,} bytes, "
                           "too large to read for a link card.") from None
    except FetchFailed as exc:
        if exc.timeout == "deadline":
            raise InvalidInput(f"The {what} at {url} took longer than "
                               f"{CARD_DEADLINE_SECONDS:.0f} seconds to load.") from None
        raise _unreachable(what, url, exc) from None


def _unreachable(what: str, url: str, exc: FetchFailed) -> InvalidInput:
    return InvalidInput(f"Could not fetch the {what} at {url}: {exc} Check the link, "
                        "or post without a card.")


class _TagReader(HTMLParser):
    """Collects <meta> tags by property or name (first one wins) and the first <title>,
    until </head>; attribute values and text arrive with entities already unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self.done = False
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note a meta tag's content, or start collecting the title."""
        if tag == "meta":
            values = {name.lower(): value for name, value in attrs if value is not None}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.tags.setdefault(key, _clean(values["content"]))
        elif tag == "title" and "<title>" not in self.tags:
            self._title = []

    def handle_endtag(self, tag: str) -> None:
        """Finish the title; stop at the end of the head."""
        if tag == "title" and self._title is not None:
            self.tags["<title>"] = _clean("".join(self._title))
            self._title = None
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        """Collect the title's text."""
        if self._title is not None:
            self._title.append(data)


def _read_tags(content: bytes, charset: str | None) -> dict[str, str]:
    text = _decode(content, charset)
    reader = _TagReader()
    for start in range(0, len(text), _FEED_CHUNK):
        reader.feed(text[start:start + _FEED_CHUNK])
        if reader.done:
            break
    return reader.tags


def _decode(content: bytes, charset: str | None) -> str:
    """The page's text: in the charset its header names, else its <meta charset>, else UTF-8."""
    declared = _META_CHARSET.search(content[:4096])
    for encoding in (charset, declared and declared[1].decode("ascii")):
        if encoding:
            try:
                return content.decode(encoding, errors="replace")
            except LookupError:
                continue
    return content.decode("utf-8", errors="replace")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a grapheme boundary, ending in "…"."""
    if len(text) <= limit:
        return text
    kept, size = [], 0
    for grapheme in _GRAPHEME.findall(text):
        if size + len(grapheme) > limit - 1:
            break
        kept.append(grapheme)
        size += len(grapheme)
    return "".join(kept).rstrip() + "…"


def _thumb(client: httpx.Client, guard: URLGuard, url: str, deadline: float) -> bytes | None:
    """The page's image as a JPEG thumbnail, or None when it cannot be fetched or read."""
    try:
        with closing(_open(client, guard, url, what="image", accept=_IMAGE_ACCEPT)) as image:
            data = _read(image, url, what="image", max_bytes=MAX_IMAGE_BYTES, deadline=deadline)
        return _thumbnail(data)
    except OutreachError as exc:
        log.info("link card without a thumbnail: %s", exc)
        return None


def _thumbnail(data: bytes) -> bytes:
    """An upright JPEG of at most THUMB_MAX_SIDE pixels a side and MAX_THUMB_BYTES, made from
    the pixels alone (no EXIF, GPS or other metadata); InvalidInput when it cannot be made."""
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            refuse_too_many_pixels(opened)
            opened.draft("RGB", (THUMB_MAX_SIDE, THUMB_MAX_SIDE))  # JPEG: decode smaller
            picture = ImageOps.exif_transpose(opened).convert("RGBA")
    except (OSError, ValueError, PILImage.DecompressionBombError) as exc:
        raise InvalidInput(f"The image cannot be read ({exc}).") from None
    picture.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
    flat = PILImage.new("RGB", picture.size, "white")
    flat.paste(picture, mask=picture.getchannel("A"))
    for quality in THUMB_QUALITIES:
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_THUMB_BYTES:
            return out.getvalue()
    raise InvalidInput("The image cannot be made small enough for a link card.")
