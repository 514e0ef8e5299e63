"""A local feed server on 127.0.0.x for tests and benchmarks: feeds shaped like the real ones.

    with FeedServer() as server:                  # or FeedServer(hosts=("127.0.0.1", "127.0.0.2"))
        url = server.url("/rss.xml")
        ...
        assert server.requests["/rss.xml"] == 2 and server.body_bytes["/rss.xml"] == size

Standard paths (STANDARD_PATHS): /rss.xml (RSS 2.0, dc:creator, HTML descriptions),
/atom.xml (Atom, several authors), /google-news.xml (a Google News search feed: opaque links,
<source url=...>), /alerts.xml (a Google Alerts Atom feed: links wrapped in
https://www.google.com/url?...&url=REAL, no ETag or Last-Modified, never 304),
/broken-encoding.xml (declares UTF-8, is Windows-1252), /malformed.xml (not well-formed, no
items), /page.html (a web page), /ttl.xml (<ttl>90</ttl>), /max-age.xml (Cache-Control
max-age=7200), /error.xml (500 with Retry-After: 7200), /busy.xml (429 with Retry-After:
10800), /slow.xml (answers once `server.release` is set), /huge.xml (10 MB, chunked, no
Content-Length), /cgi-bin/browse-edgar (a company's SEC EDGAR filings, the Atom of
tests/data/feeds/edgar.atom, whatever the query). Any other path is 404 unless `add` serves it.

Every feed that is not marked otherwise sends an ETag and Last-Modified and answers 304 to a
matching If-None-Match (or, without one, If-Modified-Since). `requests` and `body_bytes` count
per path (query left out), `seen` keeps each request's path, host and headers, and
`peak_in_flight` the most requests served at once per host and in all ("*"). Run as a
script it serves N generated feeds until killed (bench/feeds.py does that).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

CORPUS = Path(__file__).parent.parent / "data" / "feeds"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
LAST_MODIFIED = datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
HUGE_BYTES = 10 * 1024 * 1024


@dataclass
class Route:
    """What one path answers: a body (or a function making chunks), status and headers."""

    body: bytes | Callable[[], Iterator[bytes]] = b""
    content_type: str = RSS_TYPE
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # send ETag/Last-Modified and honour them with 304
    wait_for_release: bool = False


# --- documents -------------------------------------------------------------------------------


def rss_document(title: str, items: Iterable[dict], *, ttl: int | None = None,
                 encoding: str = "utf-8", declared: str | None = None,
                 link: str = "https://news.example.org/") -> bytes:
    """An RSS 2.0 feed. Each item: title, link, guid, authors (dc:creator each), published
    (aware datetime), description (HTML, escaped into the XML), source ((name, url))."""
    parts = []
    for item in items:
        xml = [f"<title>{escape(item['title'])}</title>", f"<link>{escape(item['link'])}</link>"]
        if item.get("guid"):
            xml.append(f'<guid isPermaLink="false">{escape(item["guid"])}</guid>')
        if item.get("published"):
            xml.append(f"<pubDate>{format_datetime(item['published'], usegmt=True)}</pubDate>")
        xml += [f"<dc:creator>{escape(a)}</dc:creator>" for a in item.get("authors", ())]
        if item.get("description"):
            xml.append(f"<description>{escape(item['description'])}</description>")
        if item.get("source"):
            name, url = item["source"]
            xml.append(f"<source url={quoteattr(url)}>{escape(name)}</source>")
        parts.append("<item>" + "".join(xml) + "</item>")
    head = (f'<?xml version="1.0" encoding="{declared or encoding}"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            f"<title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<description>{escape(title)}</description>"
            + (f"<ttl>{ttl}</ttl>" if ttl else "") + "\n")
    return (head + "\n".join(parts) + "\n</channel>\n</rss>\n").encode(encoding)


def atom_document(title: str, entries: Iterable[dict], *, feed_id: str = "urn:test:feed",
                  self_link: str = "https://news.example.org/atom.xml") -> bytes:
    """An Atom 1.0 feed. Each entry: title, link, id, authors (names; "" gives the empty
    <author><name/></author> Google Alerts sends), published, updated, content (HTML)."""
    parts = []
    for entry in entries:
        published = entry.get("published") or LAST_MODIFIED
        xml = [f"<id>{escape(entry['id'])}</id>",
               f'<title type="html">{escape(entry["title"])}</title>',
               f'<link href={quoteattr(entry["link"])}/>',
               f"<published>{published.isoformat().replace('+00:00', 'Z')}</published>",
               f"<updated>{(entry.get('updated') or published).isoformat()}</updated>"]
        xml += [f"<author><name>{escape(a)}</name></author>" for a in entry.get("authors", ())]
        if entry.get("content"):
            xml.append(f'<content type="html">{escape(entry["content"])}</content>')
        parts.append("<entry>" + "".join(xml) + "</entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<id>{escape(feed_id)}</id><title>{escape(title)}</title>"
            f'<link href={quoteattr(self_link)} rel="self"/>'
            f"<updated>{LAST_MODIFIED.isoformat()}</updated>\n"
            + "\n".join(parts) + "\n</feed>\n").encode("utf-8")


def sample_items(count: int, *, prefix: str = "Story", host: str = "news.example.org",
                 start: datetime = LAST_MODIFIED) -> list[dict]:
    """`count` RSS items about a fictional campaign, one hour apart, newest first."""
    return [{
        "title": f"{prefix} {i}: Acme Logistics warehouse workers weigh contract offer",
        "link": f"https://{host}/2026/11/{prefix.lower()}-{i}",
        "guid": f"https://{host}/?p={i}",
        "authors": (f"Reporter {i % 7}",),
        "published": start - timedelta(hours=i),
        "description": (f"<p>Workers at <b>Acme Logistics</b> warehouse {i} met on Tuesday "
                        "as bargaining with the company entered its fourth month.</p>"
                        "<p>The union says a strike vote is possible.</p>"),
    } for i in range(count)]


def _standard_routes() -> dict[str, Route]:
    rss = rss_document("Riverside Ledger: Labor", [
        {"title": "Acme Logistics workers vote to authorize strike",
         "link": "https://ledger.example.org/2026/11/acme-strike-vote",
         "guid": "https://ledger.example.org/?p=101",
         "authors": ("Dana Quill",),
         "published": datetime(2026, 11, 19, 14, 30, tzinfo=UTC),
         "description": "<p>Members of <b>Local 101</b> voted 94% to authorize a strike "
                        "&amp; picket.</p><script>track()</script>"},
        {"title": "City council hears warehouse safety testimony",
         "link": "https://ledger.example.org/2026/11/safety-hearing",
         "guid": "https://ledger.example.org/?p=102",
         "authors": ("Marcus Bright", "Priya Oaken"),
         "published": datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
         "description": "Testimony ran past midnight."},
    ])
    atom = atom_document("Harbor Weekly", [
        {"title": "Inside the Acme bargaining table", "id": "urn:harbor:story:7",
         "link": "https://harbor.example.org/stories/acme-bargaining",
         "authors": ("Leila March", "Tomas Dun"),
         "published": datetime(2026, 11, 17, 16, 45, tzinfo=UTC),
         "content": "<p>Negotiators met for <em>eleven</em> hours.</p>"},
    ], feed_id="urn:harbor:feed", self_link="https://harbor.example.org/atom.xml")
    google_news = rss_document('"Acme Logistics" - Google News', [
        {"title": "Acme Logistics strike looms - Riverside Ledger",
         "link": "https://news.google.com/rss/articles/CBMiQWh0dHBzOi8vbGVkZ2VyLmV4YW1wbGU?oc=5",
         "guid": "CBMiQWh0dHBzOi8vbGVkZ2VyLmV4YW1wbGU",
         "published": datetime(2026, 11, 19, 15, 0, tzinfo=UTC),
         "description": '<a href="https://news.google.com/rss/articles/CBMi?oc=5" '
                        'target="_blank">Acme Logistics strike looms</a>&nbsp;&nbsp;'
                        '<font color="#6f6f6f">Riverside Ledger</font>',
         "source": ("Riverside Ledger", "https://ledger.example.org")},
        {"title": "Warehouse union rallies downtown - Harbor Weekly",
         "link": "https://news.google.com/rss/articles/CBMiRGh0dHBzOi8vaGFyYm9y?oc=5",
         "guid": "CBMiRGh0dHBzOi8vaGFyYm9y",
         "published": datetime(2026, 11, 18, 20, 0, tzinfo=UTC),
         "description": "Warehouse union rallies downtown",
         "source": ("Harbor Weekly", "https://harbor.example.org")},
    ], link="https://news.google.com/search?q=%22Acme+Logistics%22")
    alerts = atom_document("Google Alert - Acme Logistics", [
        {"title": "Workers at <b>Acme Logistics</b> set strike deadline",
         "id": "tag:google.com,2013:googlealerts/feed:10458329374563817263",
         "link": "https://www.google.com/url?rct=j&sa=t&url=https://tribune.example.org/"
                 "news/acme-deadline%3Fref%3Drss&ct=ga&cd=CAIyGjA&usg=AOvVaw0",
         "authors": ("",),
         "published": datetime(2026, 11, 19, 12, 5, tzinfo=UTC),
         "content": "Union members at <b>Acme Logistics</b> said on Thursday ..."},
    ], feed_id="tag:google.com,2005:reader/user/0123/state/com.google/alerts/456",
        self_link="https://www.google.com/alerts/feeds/0123/456")
    broken = rss_document("Café Obrero", [
        {"title": "Huelga en el almacén: los trabajadores dicen ¡basta!",
         "link": "https://cafe.example.org/huelga", "guid": "cafe-1",
         "authors": ("Mónica Peña",), "published": datetime(2026, 11, 16, 8, 0, tzinfo=UTC),
         "description": "Según la sección sindical, la votación será el viernes."},
    ], encoding="windows-1252", declared="utf-8")
    malformed = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
                 b"<title>Local 12 News</title>\n"
                 b"<description>Workers <b>rally</description>\n</channel>\n</rss>\n")
    page = (b"<!DOCTYPE html><html><head><title>Riverside Ledger</title></head>"
            b"<body><h1>Latest news</h1><p>No feed here.</p></body></html>")
    ttl = rss_document("Slow News Day", sample_items(3, prefix="Ttl"), ttl=90)
    return {
        "/rss.xml": Route(rss),
        "/atom.xml": Route(atom, ATOM_TYPE),
        "/google-news.xml": Route(google_news, "application/xml; charset=utf-8"),
        "/alerts.xml": Route(alerts, ATOM_TYPE, conditional=False),
        "/broken-encoding.xml": Route(broken, "text/xml"),
        "/malformed.xml": Route(malformed, "application/xml"),
        "/page.html": Route(page, "text/html; charset=utf-8"),
        "/ttl.xml": Route(ttl),
        "/max-age.xml": Route(rss_document("Cached Gazette", sample_items(2, prefix="Cached")),
                              headers={"Cache-Control": "public, max-age=7200"}),
        "/error.xml": Route(b"<h1>Internal Server Error</h1>", "text/html", status=500,
                            headers={"Retry-After": "7200"}, conditional=False),
        "/busy.xml": Route(b"Too many requests", "text/plain", status=429,
                           headers={"Retry-After": "10800"}, conditional=False),
        "/slow.xml": Route(rss_document("Tortoise Times", sample_items(2, prefix="Slow")),
                           wait_for_release=True),
        "/huge.xml": Route(_huge_body),
        "/cgi-bin/browse-edgar": Route((CORPUS / "edgar.atom").read_bytes(),
                                       "application/atom+xml"),
    }


def _huge_body() -> Iterator[bytes]:
    """A 10 MB RSS feed in chunks: one channel, then items until the size is reached."""
    head = rss_document("Enormous Daily", [])
    opening = head[: head.index(b"</channel>")]
    yield opening
    sent = len(opening)
    item = rss_document("x", sample_items(1, prefix="Huge"))
    one = item[item.index(b"<item>"): item.index(b"</item>") + 7] + b"\n"
    while sent < HUGE_BYTES:
        chunk = one * 256
        yield chunk
        sent += len(chunk)
    yield b"</channel></rss>\n"


STANDARD_PATHS = tuple(_standard_routes())


# --- the server ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HostServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.owner._answer(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    owner: FeedServer


class FeedServer:
    """Feeds over HTTP on one or more 127.0.0.x addresses; a context manager."""

    def __init__(self, hosts: Iterable[str] = ("127.0.0.1",), *, latency: float = 0.0,
                 release_timeout: float = 30.0) -> None:
        """`hosts` are loopback addresses to listen on (each gets the same routes);
        `latency` seconds are waited before each answer, as a far server would;
        /slow.xml waits for `release` at most `release_timeout` seconds."""
        self.hosts = tuple(hosts)
        self.latency = latency
        self.release_timeout = release_timeout
        self.release = threading.Event()
        self.routes: dict[str, Route] = _standard_routes()
        self.requests: Counter[str] = Counter()
        self.body_bytes: Counter[str] = Counter()
        self.seen: list[dict] = []
        # The most requests in progress at once, per listening host and ("*") in all.
        self.peak_in_flight: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._servers: list[_HostServer] = []
        self._threads: list[threading.Thread] = []
        self._ports: dict[str, int] = {}

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on every host (the first one's port on the others when it is free)."""
        port = 0
        for host in self.hosts:
            try:
                httpd = _HostServer((host, port), _Handler)
            except OSError:
                httpd = _HostServer((host, 0), _Handler)
            httpd.owner = self
            port = port or httpd.server_address[1]
            self._ports[host] = httpd.server_address[1]
            thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True,
                                      name=f"feed-server-{host}")
            thread.start()
            self._servers.append(httpd)
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop listening; a handler still waiting for `release` is let go."""
        self.release.set()
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join()
        self._servers.clear()
        self._threads.clear()

    def url(self, path: str, host: str | None = None) -> str:
        """The address of `path` on `host` (default: the first host)."""
        host = host or self.hosts[0]
        return f"http://{host}:{self._ports[host]}{path}"

    @property
    def base(self) -> str:
        """http://HOST:PORT of the first host."""
        return self.url("")

    def add(self, path: str, body: bytes | Callable[[], Iterator[bytes]], *,
            content_type: str = RSS_TYPE, status: int = 200,
            headers: dict[str, str] | None = None, conditional: bool = True,
            wait_for_release: bool = False) -> str:
        """Serve `body` at `path` (replacing what was there); returns its URL."""
        self.routes[path] = Route(body, content_type, status, dict(headers or {}),
                                  conditional, wait_for_release)
        return self.url(path)

    def reset_counts(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()
            self.body_bytes.clear()
            self.seen.clear()
            self.peak_in_flight.clear()

    def _answer(self, handler: _Handler) -> None:
        host = handler.server.server_address[0]
        with self._lock:
            for key in (host, "*"):
                self._in_flight[key] += 1
                self.peak_in_flight[key] = max(self.peak_in_flight[key], self._in_flight[key])
        try:
            self._respond(handler)
        finally:
            with self._lock:
                for key in (host, "*"):
                    self._in_flight[key] -= 1

    def _respond(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        with self._lock:
            self.requests[path] += 1
            self.seen.append({"path": handler.path, "host": handler.headers.get("Host", ""),
                              "headers": dict(handler.headers.items()),
                              "at": time.monotonic()})
        if self.latency:
            time.sleep(self.latency)
        route = self.routes.get(path)
        if route is None:
            self._send(handler, path, 404, {"Content-Type": "text/plain"}, b"Not found")
            return
        if route.wait_for_release:
            self.release.wait(self.release_timeout)
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.conditional and route.status == 200:
            tag = '"' + hashlib.sha1(_bytes_of(route)).hexdigest()[:16] + '"'  # noqa: S324
            headers["ETag"] = tag
            headers["Last-Modified"] = format_datetime(LAST_MODIFIED, usegmt=True)
            if _not_modified(handler, tag):
                self._send(handler, path, 304, {"ETag": tag}, None)
                return
        self._send(handler, path, route.status, headers, route.body)

    def _send(self, handler: _Handler, path: str, status: int, headers: dict[str, str],
              body: bytes | Callable[[], Iterator[bytes]] | None) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        try:
            if body is None:
                handler.end_headers()
            elif isinstance(body, bytes):
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                self._count(path, len(body))
            else:
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for chunk in body():
                    handler.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    self._count(path, len(chunk))
                handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client stopped reading, as a capped one does

    def _count(self, path: str, size: int) -> None:
        with self._lock:
            self.body_bytes[path] += size


def _bytes_of(route: Route) -> bytes:
    return route.body if isinstance(route.body, bytes) else route.content_type.encode()


def _not_modified(handler: _Handler, tag: str) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = handler.headers.get("If-None-Match")
    if if_none_match is not None:
        return tag in [t.strip() for t in if_none_match.split(",")] or if_none_match == "*"
    since = handler.headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        return parsedate_to_datetime(since) >= LAST_MODIFIED
    except (TypeError, ValueError):
        return False


def loopback_hosts(count: int) -> list[str]:
    """`count` distinct loopback addresses, 127.0.0.1 first."""
    return [f"127.0.{(i + 1) // 256}.{(i + 1) % 256}" for i in range(count)]


def main() -> None:
    """Serve generated feeds until killed; print one JSON line with their URLs first."""
    parser = argparse.ArgumentParser(description="Serve generated RSS feeds on loopback.")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    hosts = loopback_hosts(args.hosts)
    server = FeedServer(hosts, latency=args.latency_ms / 1000)
    urls = []
    for i in range(args.feeds):
        path = f"/feeds/{i}.xml"
        server.routes[path] = Route(rss_document(
            f"Bench feed {i}", sample_items(args.items, prefix=f"F{i}", host=f"n{i}.example.org")))
        urls.append(path)
    server.start()
    print(json.dumps({"urls": [server.url(path, hosts[i % len(hosts)])
                               for i, path in enumerate(urls)]}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin or kills us
    finally:
        server.stop()


if __name__ == "__main__":
    main()
