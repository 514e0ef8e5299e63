"""CSV cells never run as formulas; the URL guard refuses inside addresses, on every hop."""

from __future__ import annotations

import csv
import io
import socket
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from markdown_it import MarkdownIt

from outreach import safety
from outreach.config import Settings
from outreach.errors import ConfigError, FetchFailed, UnsafeURL
from outreach.net import URLGuard, guarded_get, http_client
from outreach.safety import csv_safe, csv_text, write_csv

ALLOW_HINT = "Add the host or its network to OUTREACH_URL_ALLOWLIST if this is intended."


# --- CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=HYPERLINK(\"http://x\")", "+1 312 555 0100", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"],
)
def test_text_starting_a_formula_gets_a_quote(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Union Local 7", "a=b", "5", "", "'already quoted"])
def test_plain_text_is_unchanged(text):
    assert csv_safe(text) == text


@pytest.mark.parametrize(
    ("number", "written"),
    [(-5, "-5"), (0, "0"), (-2.5, "-2.5"), (Decimal("-1.50"), "-1.50"), (True, "True")],
)
def test_python_numbers_are_written_as_they_are(number, written):
    assert csv_safe(number) == written


def test_none_is_an_empty_cell_and_other_objects_are_text():
    class Sneaky:
        def __str__(self):
            return "=cmd|' /C calc'!A0"

    assert csv_safe(None) == ""
    assert csv_safe(date(2026, 11, 20)) == "2026-11-20"
    assert csv_safe(Sneaky()) == "'=cmd|' /C calc'!A0"
    assert csv_safe("-5") == "'-5"


def test_write_csv_round_trips_with_the_quote_prefix():
    rows = [
        {"name": "=HYPERLINK(\"http://evil.example\",\"click\")", "beat": "labor", "count": -5},
        {"name": "Ana \"Reporter\", Jr.\nnewsroom", "count": None, "extra": "@x"},
    ]
    out = io.StringIO(newline="")
    write_csv(rows, out)
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["name", "beat", "count", "extra"],
        ["'=HYPERLINK(\"http://evil.example\",\"click\")", "labor", "-5", ""],
        ["Ana \"Reporter\", Jr.\nnewsroom", "", "", "'@x"],
    ]


def test_write_csv_columns_choose_and_order_and_header_is_neutralised():
    out = io.StringIO(newline="")
    write_csv([{"a": 1, "b": "+b", "c": "left out"}], out, columns=["b", "-a", "a"])
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["b", "'-a", "a"],
        ["'+b", "", "1"],
    ]


# --- URL guard ---------------------------------------------------------------------------


def no_lookup(host, port):
    pytest.fail(f"the guard looked up {host!r}, which it must read without DNS")


def resolver_for(table):
    """A fake getaddrinfo answering from `table` (name -> addresses), recording each call."""

    def resolve(host, port):
        resolve.calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (address, port))
            for address in table[host]
        ]

    resolve.calls = []
    return resolve


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/feed", "10.0.0.1 is a private address"),
        ("http://192.168.1.1/admin", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fe80::1%25eth0]/", "is fe80::1, a link-local address"),
        ("http://[fc00::1]/", "fc00::1 is a private address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is 127.0.0.1, a loopback address"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is 10.0.0.1, a private address"),
        ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1 is 10.0.0.1, a private address"),
        # 6to4 (2002::/16) carries the IPv4 address after the prefix; Teredo (2001::/32)
        # carries its client's, inverted, in the last 32 bits, and is refused even when that
        # is public (8.8.8.8 here): its prefix is special-purpose.
        ("http://[2002:7f00:1::1]/", "2002:7f00:1::1 is 127.0.0.1, a loopback address"),
        ("http://[2002:c0a8:101::]/", "2002:c0a8:101:: is 192.168.1.1, a private address"),
        ("http://[2002:a9fe:a9fe::1]/", "is 169.254.169.254, a link-local address"),
        ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "is 10.0.0.1, a private address"),
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "is 127.0.0.1, a loopback address"),
        ("http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/",
         "2001:0:4136:e378:8000:63bf:f7f7:f7f7 is a private address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://[ff02::1]/", "ff02::1 is a multicast address"),
        ("http://100.64.0.1/", "100.64.0.1 is a non-public address"),
        ("http://2130706433/", "2130706433 is 127.0.0.1, a loopback address"),
        ("http://0x7f000001/", "0x7f000001 is 127.0.0.1, a loopback address"),
        ("http://127.1/", "127.1 is 127.0.0.1, a loopback address"),
        ("http://0x0a.0.0.1:8080/", "0x0a.0.0.1 is 10.0.0.1, a private address"),
    ],
)
def test_inside_addresses_are_refused_without_a_lookup(url, why):
    with pytest.raises(UnsafeURL) as refused:
        URLGuard(resolver=no_lookup).check(url)
    message = str(refused.value)
    assert message.startswith(f"Refused {url}: ")
    assert why in message
    assert "OUTREACH_URL_ALLOWLIST" in message


def test_an_octal_spelling_httpx_cannot_parse_is_refused_and_named():
    # httpx rejects leading zeros outright, so no allowlist could let it through: no remedy.
    with pytest.raises(UnsafeURL) as refused:
        URLGuard(["127.0.0.0/8"], resolver=no_lookup).check("https://0177.0.0.1/")
    assert str(refused.value) == (
        "Refused https://0177.0.0.1/: it is not a valid URL (Invalid IPv4 address: "
        "'0177.0.0.1'); 0177.0.0.1 is 127.0.0.1, a loopback address."
    )


def test_the_message_reads_as_one_sentence_with_the_remedy():
    with pytest.raises(UnsafeURL) as refused:
        URLGuard(resolver=no_lookup).check("http://10.0.0.1/feed")
    assert str(refused.value) == (
        f"Refused http://10.0.0.1/feed: 10.0.0.1 is a private address. {ALLOW_HINT}"
    )


def test_a_password_in_the_url_is_not_repeated():
    with pytest.raises(UnsafeURL) as refused:
        URLGuard(resolver=no_lookup).check("http://editor:hunter2@10.0.0.1/feed")
    assert "hunter2" not in str(refused.value)
    assert "Refused http://10.0.0.1/feed: 10.0.0.1 is a private address" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "only http and https URLs can be fetched, not file"),
        ("ftp://files.example.org/release.pdf", "only http and https URLs can be fetched, not ftp"),
        ("gopher://127.0.0.1:6379/_INFO", "not gopher"),
        ("javascript:alert(1)", "not javascript"),
        ("news.example.org/feed", "this one has no scheme"),
        ("http:///feed", "the URL has no host"),
        ("https://", "the URL has no host"),
    ],
)
def test_other_schemes_and_hostless_urls_are_refused(url, why):
    with pytest.raises(UnsafeURL) as refused:
        URLGuard(resolver=no_lookup).check(url)
    assert str(refused.value).startswith(f"Refused {url}: ")
    assert why in str(refused.value)


def test_a_name_resolving_to_a_private_address_is_refused():
    guard = URLGuard(resolver=resolver_for({"intranet.example.org": ["10.0.0.5"]}))
    with pytest.raises(UnsafeURL) as refused:
        guard.check("http://intranet.example.org/wiki")
    assert str(refused.value) == (
        "Refused http://intranet.example.org/wiki: intranet.example.org resolves to 10.0.0.5, "
        f"a private address. {ALLOW_HINT}"
    )


def test_every_address_of_a_name_must_be_public():
    resolver = resolver_for({"split.example.org": ["93.184.216.34", "192.168.0.7"]})
    with pytest.raises(UnsafeURL, match="split.example.org resolves to 192.168.0.7, a private"):
        URLGuard(resolver=resolver).check("https://split.example.org/")


@pytest.mark.parametrize(
    ("addresses", "why"),
    [
        (["127.0.0.1"], "resolves to 127.0.0.1, a loopback address"),
        (["::ffff:127.0.0.1"], "resolves to 127.0.0.1, a loopback address"),
        (["fe80::1%eth0"], "resolves to fe80::1, a link-local address"),
    ],
)
def test_names_resolving_to_loopback_or_link_local_are_refused(addresses, why):
    with pytest.raises(UnsafeURL, match=why):
        URLGuard(resolver=resolver_for({"localhost": addresses})).check("http://localhost:8501/")


def test_a_public_name_passes_the_check():
    resolver = resolver_for({"news.example.org": ["93.184.216.34", "2606:2800:220:1::1"]})
    url = "https://news.example.org/labor/feed.xml"
    assert URLGuard(resolver=resolver).check(url) == url
    assert resolver.calls == ["news.example.org"]


@pytest.mark.parametrize("url", ["http://[2002:808:808::1]/", "http://[::ffff:8.8.8.8]/"])
def test_an_ipv6_address_carrying_a_public_ipv4_passes(url):
    assert URLGuard(resolver=no_lookup).check(url) == url


def test_a_public_address_passes_the_check():
    assert URLGuard(resolver=no_lookup).check("http://93.184.216.34/") == "http://93.184.216.34/"


def test_a_name_that_does_not_resolve_is_a_lookup_error_not_a_verdict():
    with pytest.raises(OSError):
        URLGuard(resolver=resolver_for({})).check("http://nowhere.example.org/")


def test_an_allowlisted_host_is_not_even_looked_up():
    guard = URLGuard(["Intranet.Example.org."], resolver=no_lookup)
    assert guard.check("http://intranet.example.org/feed") == "http://intranet.example.org/feed"
    assert guard.check("http://INTRANET.example.org./feed")
    with pytest.raises(UnsafeURL):
        URLGuard(["intranet.example.org"], resolver=resolver_for(
            {"wiki.intranet.example.org": ["10.0.0.6"]})).check("http://wiki.intranet.example.org/")


def test_an_allowlisted_network_lets_its_addresses_through_and_no_others():
    resolver = resolver_for({"intranet.example.org": ["10.1.4.2"]})
    guard = URLGuard(["10.1.0.0/16", "127.0.0.1/32"], resolver=resolver)
    assert guard.check("http://intranet.example.org/")
    assert guard.check("http://127.0.0.1:8080/feed")
    assert guard.check("http://[::ffff:127.0.0.1]:8080/feed")
    for url in ("http://127.0.0.2/", "http://10.2.0.1/", "http://192.168.1.1/", "http://[::1]/"):
        with pytest.raises(UnsafeURL):
            guard.check(url)


def test_allowlist_entries_may_be_plain_addresses():
    guard = URLGuard(["127.0.0.1", "::1"], resolver=no_lookup)
    assert guard.check("http://127.0.0.1/")
    assert guard.check("http://[::1]/")


def test_the_allowlist_setting_feeds_the_guard():
    settings = Settings.from_env({"OUTREACH_URL_ALLOWLIST": "intranet.example.org, 10.1.0.0/16"},
                                 env_file=None)
    guard = URLGuard(settings.url_allowlist, resolver=no_lookup)
    assert guard.check("http://intranet.example.org/")
    assert guard.check("http://10.1.2.3/")


@pytest.mark.parametrize(
    "entry",
    ["http://intranet.example.org", "10.0.0.1/33", "10.1.2.3/16", "*.example.org",
     "intranet.example.org:8080", "user@intranet.example.org", "intra net"],
)
def test_an_invalid_allowlist_entry_is_a_config_error_naming_it(entry):
    with pytest.raises(ConfigError) as error:
        URLGuard(["intranet.example.org", entry])
    assert "OUTREACH_URL_ALLOWLIST" in str(error.value)
    assert repr(entry) in str(error.value)


# --- guarded_get against a server on 127.0.0.1 ---------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """/ok answers; /redirect?to=U redirects to U; /loop to itself; /hops/N takes N redirects."""

    def do_GET(self):
        self.server.seen.append(
            {"path": self.path, "host": self.headers["Host"],
             "authorization": self.headers.get("Authorization")}
        )
        parts = urlsplit(self.path)
        if parts.path == "/ok":
            self._answer(200, body=b"hello")
        elif parts.path == "/redirect":
            self._answer(302, location=parse_qs(parts.query)["to"][0])
        elif parts.path == "/loop":
            self._answer(302, location="/loop")
        elif parts.path.startswith("/hops/"):
            left = int(parts.path.rsplit("/", 1)[1])
            self._answer(302, location=f"/hops/{left - 1}") if left else self._answer(200)
        else:
            self._answer(404)

    def _answer(self, status, *, body=b"", location=None):
        self.send_response(status)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def base(server):
    server.seen.clear()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def guard():
    return URLGuard(["127.0.0.1/32"], resolver=no_lookup)


@pytest.fixture
def client(guard):
    with http_client(timeout=5, guard=guard) as client:
        yield client


def test_an_allowed_url_is_fetched(client, guard, base, server):
    response = guarded_get(client, guard, f"{base}/ok")
    assert (response.status_code, response.text, response.history) == (200, "hello", [])
    assert [seen["path"] for seen in server.seen] == ["/ok"]


def test_without_the_allowlist_the_local_server_is_not_contacted(client, base, server):
    with pytest.raises(UnsafeURL, match="127.0.0.1 is a loopback address"):
        guarded_get(client, URLGuard(resolver=no_lookup), f"{base}/ok")
    assert server.seen == []


def test_a_redirect_to_an_allowed_url_is_followed(client, guard, base, server):
    response = guarded_get(client, guard, f"{base}/redirect?to=/ok")
    assert (response.status_code, response.text) == (200, "hello")
    assert str(response.url) == f"{base}/ok"
    assert [r.status_code for r in response.history] == [302]
    assert [seen["path"] for seen in server.seen] == ["/redirect?to=/ok", "/ok"]


def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    client, guard, base, server
):
    # Connecting to 10.0.0.1 would trip the conftest guard (OutsideNetwork), not UnsafeURL.
    with pytest.raises(UnsafeURL) as refused:
        guarded_get(client, guard, f"{base}/redirect?to=http://10.0.0.1/latest")
    message = str(refused.value)
    assert message.startswith("Refused http://10.0.0.1/latest: 10.0.0.1 is a private address.")
    assert f"redirected from {base}/redirect?to=http://10.0.0.1/latest" in message
    assert len(server.seen) == 1


def test_a_redirect_to_a_file_url_is_refused(client, guard, base):
    with pytest.raises(UnsafeURL, match="only http and https URLs can be fetched, not file"):
        guarded_get(client, guard, f"{base}/redirect?to=file:///etc/passwd")


def test_a_redirect_to_a_url_httpx_cannot_parse_fails_without_following(
    client, guard, base, server
):
    with pytest.raises(FetchFailed, match="0177.0.0.1"):
        guarded_get(client, guard, f"{base}/redirect?to=http://0177.0.0.1/")
    assert len(server.seen) == 1


def test_a_redirect_loop_is_refused_after_max_redirects(client, guard, base, server):
    with pytest.raises(UnsafeURL) as refused:
        guarded_get(client, guard, f"{base}/loop")
    assert f"Refused {base}/loop: it redirects more than 5 times" in str(refused.value)
    assert len(server.seen) == 6


def test_max_redirects_redirects_are_followed_and_one_more_is_refused(client, guard, base):
    assert guarded_get(client, guard, f"{base}/hops/5").status_code == 200
    assert len(guarded_get(client, guard, f"{base}/hops/2", max_redirects=2).history) == 2
    with pytest.raises(UnsafeURL, match="more than 5 times"):
        guarded_get(client, guard, f"{base}/hops/6")


def test_a_name_is_fetched_at_the_address_the_guard_checked(server, base):
    # Were httpx to look the name up itself, the conftest guard would stop it: the request
    # must go to the checked address, so a second lookup cannot rebind it elsewhere.
    port = server.server_address[1]
    resolver = resolver_for({"feeds.example.org": ["127.0.0.1"]})
    guard = URLGuard(["127.0.0.1/32"], resolver=resolver)
    with http_client(timeout=5, guard=guard) as client:
        response = guarded_get(client, guard, f"http://feeds.example.org:{port}/ok")
    assert response.text == "hello"
    assert str(response.url) == f"http://feeds.example.org:{port}/ok"
    assert server.seen[0]["host"] == f"feeds.example.org:{port}"
    assert resolver.calls == ["feeds.example.org"]


def test_the_next_checked_address_is_tried_when_one_does_not_answer(server, base):
    port = server.server_address[1]
    resolver = resolver_for({"feeds.example.org": ["::1", "127.0.0.1"]})
    guard = URLGuard(["127.0.0.1/32", "::1/128"], resolver=resolver)
    with http_client(timeout=5, guard=guard) as client:
        assert guarded_get(client, guard, f"http://feeds.example.org:{port}/ok").text == "hello"


def test_credentials_are_not_sent_to_another_origin(server, base):
    port = server.server_address[1]
    guard = URLGuard(["127.0.0.1/32"], resolver=resolver_for({"localhost": ["127.0.0.1"]}))
    with http_client(timeout=5, guard=guard) as client:
        response = guarded_get(
            client, guard, f"{base}/redirect?to=http://localhost:{port}/ok",
            headers={"Authorization": "Bearer feed-token"},
        )
    assert response.text == "hello"
    assert [seen["authorization"] for seen in server.seen] == ["Bearer feed-token", None]
    assert server.seen[1]["host"] == f"localhost:{port}"


def test_a_name_that_does_not_resolve_fails_in_words():
    guard = URLGuard(resolver=resolver_for({}))
    with http_client(timeout=5, guard=guard) as client, pytest.raises(FetchFailed) as failed:
        guarded_get(client, guard, "http://nowhere.example.org/feed")
    assert str(failed.value).startswith("Could not connect to nowhere.example.org: could not "
                                        "look up nowhere.example.org")


def test_csv_text_is_safe_and_reads_back():
    text = csv_text([{"actor": "=HYPERLINK(\"http://evil.example\")", "n": -3}])
    assert list(csv.reader(io.StringIO(text))) == [
        ["actor", "n"], ["'=HYPERLINK(\"http://evil.example\")", "-3"]]


@pytest.mark.parametrize("text", ["*bold* _it_", "- a list", "1. first", "# heading",
                                  "<b>tag</b>", "a | b", "line\n\nbreak", "`code`",
                                  "![](http://127.0.0.1:9/pixel.gif)", "costs $5 or $6"])
def test_md_escape_keeps_text_literal(text):
    html = MarkdownIt("commonmark").render(f"Before {safety.md_escape(text)}\n\n"
                                           f"{safety.md_escape(text)}")
    shown = " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
    assert html.count(shown) == 2, html
    assert "<img" not in html
