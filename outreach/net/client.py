"""The one factory for the HTTP clients that leave the building: our User-Agent, explicit
timeouts, no proxy from the environment, and every connection opened through the URL guard.

httpx looks a host up itself when it connects; ours asks `URLGuard.addresses` instead, so
the addresses checked are the very ones connected to. The URL keeps its name, so https
still sends it as SNI and in Host and checks the certificate against it, and connections
are pooled by name, never shared between two names on one address.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from outreach import __version__
from outreach.net.guard import AddressRefused, URLGuard

# One name for every fetch, so a site's operator can see who we are and ask us to stop.
USER_AGENT = f"UnionMediaDesk/{__version__}"


def http_client(*, timeout: httpx.Timeout | float, guard: URLGuard, connections: int = 10,
                verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client with our User-Agent and explicit timeouts whose every connection `guard`
    vets (see `guarded_transport`). `verify` is the certificate check: certifi's
    authorities by default; a test passes a context trusting its own."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=timeout, trust_env=False,
        transport=guarded_transport(guard, connections=connections, verify=verify),
    )


def guarded_transport(guard: URLGuard, *, secrets: bool = False, connections: int = 10,
                      verify: ssl.SSLContext | bool = True) -> httpx.HTTPTransport:
    """An httpx transport that sends each request only if `guard.vet_url` passes its URL
    (with `secrets`: https, or a host the allowlist names) and connects only to addresses
    `guard.addresses` checked. It takes no proxy from the environment: the guard vets the
    address we connect to, which a proxy would hide. For SDKs that build their own client."""
    return _GuardedTransport(guard, secrets=secrets, verify=verify,
                             limits=httpx.Limits(max_connections=connections,
                                                 max_keepalive_connections=connections))


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, guard: URLGuard, *, secrets: bool, verify: ssl.SSLContext | bool,
                 limits: httpx.Limits) -> None:
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        # httpx takes no network backend (encode/httpx#3749 proposes it): the pool it built
        # is replaced by the same pool opening its connections through the guard.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=_VettedBackend(guard))
        self._guard = guard
        self._secrets = secrets

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self._guard.vet_url(url, secrets=self._secrets)
        try:
            return super().handle_request(request)
        except AddressRefused as exc:
            raise exc.for_url(url) from None


class _VettedBackend(httpcore.NetworkBackend):
    """Opens TCP connections to the addresses the guard checked for the host, in turn."""

    def __init__(self, guard: URLGuard) -> None:
        self._guard = guard
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                    ) -> httpcore.NetworkStream:
        try:
            addresses = self._guard.addresses(host, port)
        except OSError as exc:  # the name does not resolve: a network failure, as in httpx
            raise httpcore.ConnectError(f"could not look up {host}: {exc}") from exc
        *others, last = addresses
        for address in others:  # as socket.create_connection would
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return self._sockets.connect_tcp(address, port, timeout, local_address,
                                                 socket_options)
        return self._sockets.connect_tcp(last, port, timeout, local_address, socket_options)

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)
