"""The URL guard: every URL the program fetches because someone typed or pasted it (feeds,
link cards, coverage links) passes it, and so does every redirect.

A URL that points inside the network lets whoever wrote it read a router's admin page or a
cloud server's metadata through us (server-side request forgery). `URLGuard` therefore allows
only http(s) to public addresses, unless OUTREACH_URL_ALLOWLIST names the host or its network,
and `guarded_get` applies it to the first URL and to every redirect before connecting.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from outreach.errors import ConfigError, OutreachError, UnsafeURL

Resolver = Callable[[str, int], Iterable[tuple[Any, ...]]]
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


_ALLOWLIST_HINT = "Add the host or its network to OUTREACH_URL_ALLOWLIST if this is intended."
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Only these characters make up the legacy IPv4 spellings (127.1, 2130706433, 0x7f000001,
# 0177.0.0.1); inet_aton also accepts trailing junk after a space, which no host may carry.
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_REFUSED_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)


@dataclass(frozen=True)
class _Target:
    """A vetted URL and the addresses to connect to for it; () means use the URL's host."""

    url: httpx.URL
    connect_to: tuple[str, ...]


class URLGuard:
    """Decides whether the program may fetch a URL: http or https, to public addresses only,
    unless the allowlist names the host or a network holding its address."""

    def __init__(self, allowlist: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        """Build a guard from `allowlist` (Settings.url_allowlist: exact host names and IP
        networks such as 10.1.0.0/16 or 127.0.0.1); an entry that is neither raises
        ConfigError naming it. `resolver(host, port)` returns getaddrinfo-style tuples; None
        means socket.getaddrinfo, looked up at each call so that a test's patch of it holds.
        """
        hosts: set[str] = set()
        networks: list[_IPNetwork] = []
        for entry in allowlist:
            allowed = _allowlist_entry(entry)
            if isinstance(allowed, str):
                hosts.add(allowed)
            else:
                networks.append(allowed)
        self._hosts = frozenset(hosts)
        self._networks = tuple(networks)
        self._resolver = resolver

    def check(self, url: str) -> str:
        """Return `url` if it may be fetched, or raise UnsafeURL naming the refused address and
        why. A host name passes only if every address it resolves to does; when it does not
        resolve at all, the lookup's OSError propagates, as the fetch itself would fail."""
        self._vet(url)
        return url

    def _vet(self, url: str) -> _Target:
        shown = _shown(url)
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            _refuse_unparsable(url, exc)
        if parsed.scheme not in _DEFAULT_PORTS:
            found = f"not {parsed.scheme}" if parsed.scheme else "and this one has no scheme"
            raise UnsafeURL(f"Refused {shown}: only http and https URLs can be fetched, {found}.")
        host = parsed.raw_host.decode("ascii")
        if not host:
            raise UnsafeURL(f"Refused {shown}: the URL has no host.")
        literal = _ip_literal(host)
        if literal is not None:
            self._require_allowed(shown, host, literal, resolved=False)
            # Connect to the address checked, whatever a resolver would make of 0x7f000001;
            # IPv6 literals are unambiguous and keep their brackets and zone id.
            return _Target(parsed, (str(literal),) if literal.version == 4 else ())
        if host.rstrip(".") in self._hosts:
            return _Target(parsed, ())
        resolver = self._resolver or socket.getaddrinfo
        infos = resolver(host, parsed.port or _DEFAULT_PORTS[parsed.scheme])
        addresses = [_ip_literal(str(info[4][0])) for info in infos]
        vetted = [address for address in dict.fromkeys(addresses) if address is not None]
        if not vetted:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        for address in vetted:
            self._require_allowed(shown, host, address, resolved=True)
        # Plain http connects to the addresses just checked, so that a second lookup cannot
        # rebind the name to an inside address. https resolves for itself: its certificate
        # check ties the connection to the name, and pinning would share pooled TLS
        # connections between names on one address.
        pinned = tuple(str(address) for address in vetted) if parsed.scheme == "http" else ()
        return _Target(parsed, pinned)

    def _require_allowed(
        self, shown: str, host: str, address: _IPAddress, *, resolved: bool
    ) -> None:
        reached = _embedded_ipv4(address)
        if any(ip in network for ip in (address, reached) for network in self._networks):
            return
        kind = _non_public_kind(reached)
        if kind is not None:
            raise UnsafeURL(
                f"Refused {shown}: {_describe(host, reached, kind, resolved=resolved)}. "
                f"{_ALLOWLIST_HINT}"
            )


def guarded_get(
    client: httpx.Client,
    guard: URLGuard,
    url: str,
    *,
    max_redirects: int = 5,
    headers: Mapping[str, str] | None = None,
    timeout: Any = httpx.USE_CLIENT_DEFAULT,
    stream: bool = False,
) -> httpx.Response:
    """GET `url` with `client`, following redirects by hand so that `guard` vets every hop
    before anything connects to it.

    Raises UnsafeURL for a refused URL or hop, or after more than `max_redirects` redirects,
    and httpx.HTTPError as client.get would (a host that cannot be looked up is
    httpx.ConnectError). `headers` and `timeout` apply to every hop, but Authorization and
    Cookie go only to the first URL's origin. Plain http is sent to the address the guard
    checked, so a second DNS answer cannot move it inside; the response's `url` is still the
    URL asked for, and its `history` holds the redirects.

    With `stream=True` the final response's body is not read: read it with `read_capped`
    (or iterate it) and close the response; redirect hops are closed unread.
    """
    first = target = _vet_for_fetch(guard, url)
    history: list[httpx.Response] = []
    while True:
        response = _send(client, target, headers, timeout,
                         same_origin=_same_origin(first, target), stream=stream)
        if not response.has_redirect_location:
            response.history = history
            return response
        response.close()
        if len(history) == max_redirects:
            raise UnsafeURL(
                f"Refused {_shown(url)}: it redirects more than {max_redirects} times "
                f"(stopped at {_shown(str(target.url))})."
            )
        history.append(response)
        source = _shown(str(target.url))
        try:
            target = _vet_for_fetch(guard, str(target.url.join(response.headers["Location"])))
        except UnsafeURL as exc:
            raise UnsafeURL(f"{exc} (redirected from {source})") from None


class ResponseTooLarge(OutreachError):
    """A fetched body went past the size limit; reading stopped there."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


def read_capped(
    response: httpx.Response, max_bytes: int, *, deadline: float | None = None
) -> bytes:
    """The body of a streamed response, refusing one larger than `max_bytes` (decoded).

    A declared Content-Length over the limit is refused before reading; otherwise reading
    stops at the first chunk past the limit, so a huge or endless body costs at most that
    much. Raises ResponseTooLarge naming the URL and the limit, or httpx.ReadTimeout once
    time.monotonic() passes `deadline` (a server trickling bytes would otherwise never
    trip the per-read timeout). The response is closed either way.
    """
    try:
        declared = response.headers.get("Content-Length", "")
        too_large = ResponseTooLarge(
            f"{_shown(str(response.url))} sent more than {_size(max_bytes)}; "
            "the limit stops a wrong or hostile address from filling memory.",
            max_bytes,
        )
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        chunks: list[bytes] = []
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise too_large
            if deadline is not None and time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    f"{_shown(str(response.url))} sent its body too slowly",
                    request=response.request,
                )
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        response.close()


def _size(count: int) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):g} MB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):g} KB"
    return f"{count} bytes"


def _vet_for_fetch(guard: URLGuard, url: str) -> _Target:
    try:
        return guard._vet(url)
    except OSError as exc:  # the name does not resolve: a network failure, as in httpx
        raise httpx.ConnectError(f"Could not look up the host of {_shown(url)}: {exc}") from exc


def _send(
    client: httpx.Client,
    target: _Target,
    headers: Mapping[str, str] | None,
    timeout: Any,
    *,
    same_origin: bool,
    stream: bool,
) -> httpx.Response:
    def send_to(address: str | None) -> httpx.Response:
        url = target.url if address is None else target.url.copy_with(host=address)
        request = client.build_request("GET", url, headers=headers, timeout=timeout)
        request.headers["Host"] = target.url.netloc.decode("ascii")
        if not same_origin:
            request.headers.pop("Authorization", None)
            request.headers.pop("Cookie", None)
        response = client.send(
            request, follow_redirects=False,
            auth=httpx.USE_CLIENT_DEFAULT if same_origin else None, stream=stream,
        )
        request.url = target.url  # callers see the URL they asked for, not the pinned address
        return response

    if not target.connect_to:
        return send_to(None)
    *others, last = target.connect_to
    for address in others:  # try each address in turn, as socket.create_connection would
        with contextlib.suppress(httpx.ConnectError):
            return send_to(address)
    return send_to(last)


def _same_origin(first: _Target, target: _Target) -> bool:
    a, b = first.url, target.url
    return (a.scheme, a.raw_host, a.port) == (b.scheme, b.raw_host, b.port)


def _allowlist_entry(entry: str) -> str | _IPNetwork:
    """One OUTREACH_URL_ALLOWLIST entry as an IP network or a normalised host name."""
    if "/" in entry:
        try:
            return ipaddress.ip_network(entry)
        except ValueError as exc:
            raise ConfigError(
                f"OUTREACH_URL_ALLOWLIST: {entry!r} is not an IP network ({exc})."
            ) from None
    address = _ip_literal(entry)
    if address is not None:
        return ipaddress.ip_network(address)
    with contextlib.suppress(httpx.InvalidURL):
        url = httpx.URL(f"http://{entry}/")
        host = url.raw_host.decode("ascii")
        # A port, user or path in the entry would change the URL; a bare name round-trips.
        if str(url) == f"http://{host}/" and _HOST_NAME.fullmatch(host.rstrip(".")):
            return host.rstrip(".")
    raise ConfigError(
        f"OUTREACH_URL_ALLOWLIST: {entry!r} is neither a host name nor an IP network "
        "(examples: intranet.example.org, 10.1.0.0/16, 127.0.0.1)."
    )


def _ip_literal(host: str) -> _IPAddress | None:
    """The address `host` spells in any form a socket accepts, or None for a name (no DNS)."""
    host = host.strip("[]")
    if ":" in host:
        host = host.partition("%")[0]  # an IPv6 zone id, percent-encoded or not
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def _embedded_ipv4(address: _IPAddress) -> _IPAddress:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address actually reaches, else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _non_public_kind(address: _IPAddress) -> str | None:
    for attribute, kind in _REFUSED_KINDS:
        if getattr(address, attribute):
            return kind
    return None if address.is_global else "a non-public address"


def _describe(host: str, address: _IPAddress, kind: str, *, resolved: bool) -> str:
    if resolved:
        return f"{host} resolves to {address}, {kind}"
    if host == str(address):
        return f"{host} is {kind}"
    return f"{host} is {address}, {kind}"


def _refuse_unparsable(url: str, exc: httpx.InvalidURL) -> NoReturn:
    """Refuse a URL httpx cannot parse, naming the address its host spells if not public."""
    message = f"Refused {_shown(url)}: it is not a valid URL ({exc})"
    with contextlib.suppress(ValueError):  # urlsplit refuses some of what httpx refuses
        host = urlsplit(url).hostname or ""
        address = _ip_literal(host)
        if address is not None:
            reached = _embedded_ipv4(address)
            kind = _non_public_kind(reached)
            if kind is not None:
                message += f"; {_describe(host, reached, kind, resolved=False)}"
    raise UnsafeURL(message + ".")


def _shown(url: str) -> str:
    """`url` fit for a message or a log: without any user name or password."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/?#]*@", r"\1", url, count=1, flags=re.IGNORECASE)
