"""Fetches by name over https reach the address the guard checked, with the certificate
still checked against the name (tests/support/tls.py serves a made-up host on 127.0.0.1)."""

from __future__ import annotations

import socket

import pytest
from support.tls import TlsServer

from outreach.errors import FetchFailed, UnsafeURL
from outreach.net import URLGuard, guarded_get, http_client

HOST = "news.example.org"


class Rebinding:
    """A getaddrinfo whose answers for a name come from a list, one lookup at a time, the
    last repeated: how a hostile DNS server moves a checked name inside."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host, port):
        self.calls.append(host)
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def server():
    with TlsServer(HOST) as running:
        yield running


def test_https_goes_to_the_checked_address_and_checks_the_certificate_for_the_name(server):
    # Were httpx to look the name up itself, the conftest guard would stop it; the second
    # answer (10.0.0.1) would trip it too, so passing means one lookup, used to connect.
    resolver = Rebinding("127.0.0.1", "10.0.0.1")
    guard = URLGuard(["127.0.0.1/32"], resolver=resolver)
    with http_client(timeout=5, guard=guard, verify=server.client_context()) as client:
        first = guarded_get(client, guard, f"https://{HOST}:{server.port}/one")
        second = guarded_get(client, guard, f"https://{HOST}:{server.port}/two")
    assert (first.text, second.text) == ("over tls", "over tls")
    assert resolver.calls == [HOST]
    assert [(s["sni"], s["host"]) for s in server.seen] == [(HOST, f"{HOST}:{server.port}")] * 2


def test_a_name_rebound_inside_is_refused_when_connecting(server):
    resolver = Rebinding("127.0.0.1", "10.0.0.1")
    guard = URLGuard(["127.0.0.1/32"], resolver=resolver)
    context = server.client_context()
    url = f"https://{HOST}:{server.port}/feed"
    with http_client(timeout=5, guard=guard, verify=context) as client:
        assert guarded_get(client, guard, url).status_code == 200
    with http_client(timeout=5, guard=guard, verify=context) as client, \
            pytest.raises(UnsafeURL) as refused:
        guarded_get(client, guard, url)
    assert str(refused.value) == (
        f"Refused {url}: {HOST} resolves to 10.0.0.1, a private address. Add the host or "
        "its network to OUTREACH_URL_ALLOWLIST if this is intended.")
    assert len(server.seen) == 1


def test_the_certificate_must_name_the_host_asked_for(server):
    # Both names resolve to the one server, whose certificate names only HOST: the other
    # name fails its own check, and never rides on the connection HOST opened.
    other = "other.example.org"
    guard = URLGuard(["127.0.0.1/32"], resolver=lambda host, port: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))])
    with http_client(timeout=5, guard=guard, verify=server.client_context()) as client:
        assert guarded_get(client, guard, f"https://{HOST}:{server.port}/").status_code == 200
        with pytest.raises(FetchFailed) as failed:
            guarded_get(client, guard, f"https://{other}:{server.port}/")
    assert str(failed.value).startswith(f"Could not connect to {other}: ")
    assert "certificate" in str(failed.value)
    assert [s["sni"] for s in server.seen] == [HOST]


def test_a_refused_connection_is_fetch_failed_in_words():
    guard = URLGuard(["127.0.0.1/32"])
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with http_client(timeout=5, guard=guard) as client, pytest.raises(FetchFailed) as failed:
        guarded_get(client, guard, f"http://127.0.0.1:{port}/feed")
    assert str(failed.value).startswith("Could not connect to 127.0.0.1: ")
    assert failed.value.timeout is None
