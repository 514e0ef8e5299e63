"""A small web server on 127.0.0.1 with pages to fetch: articles with OpenGraph tags, plain
pages, images and broken answers, for link cards and pasted stories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.images import photo_with_location

ARTICLE = b"""<!doctype html>
<html><head>
<meta charset="utf-8">
<title>Site title, not the card's</title>
<meta property="og:title" content="Why we strike: pay &amp; safety at Acme&#8217;s plant">
<meta property="og:description"
      content="  Local 7 explains the vote:
                 94% yes. ">
<meta property="og:image" content="/img/picket.jpg">
</head><body><p>Text of the article.</p></body></html>
"""


# No OpenGraph tags, and in Latin-1 as its Content-Type says.
PLAIN = """<html><head><title>Rally at Caf\u00e9 Solidaridad &mdash; Local 7</title>
<meta name="description" content="Bring signs &amp; water.">
</head><body>Details.</body></html>
""".encode("latin-1")


@dataclass
class Page:
    """What the server answers for one path."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    # Without Content-Length the body runs until the connection closes (HTTP/1.0).
    send_length: bool = True


@dataclass
class Site:
    """A web server on 127.0.0.1 serving `pages`, recording the paths asked for."""

    base: str
    pages: dict[str, Page]
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The address of `path` on this server."""
        return self.base + path


@pytest.fixture
def site() -> Iterator[Site]:
    pages = {
        "/article": Page(ARTICLE),
        "/img/picket.jpg": Page(photo_with_location(), "image/jpeg"),
        "/plain": Page(PLAIN, "text/html; charset=iso-8859-1"),
        "/no-image": Page(b'<head><meta property="og:title" content="Strike fund">'
                          b'<meta property="og:image" content="/img/gone.jpg"></head>'),
        "/img/gone.jpg": Page(b"gone", "text/plain", status=404),
        "/report.json": Page(b'{"vote": "yes"}', "application/json"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.hits.append(self.path)
            page = state.pages.get(self.path, Page(b"no such page", "text/plain", status=404))
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            if page.send_length:
                self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Site(f"http://127.0.0.1:{server.server_address[1]}", pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()
