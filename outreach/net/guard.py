"""The URL guard: every URL the program fetches because someone typed or pasted it (feeds,
link cards, coverage links) passes it, and so does every redirect.

A URL that points inside the network lets whoever wrote it read a router's admin page or a
cloud server's metadata through us (server-side request forgery). `URLGuard` therefore allows
only http(s) to public addresses, unless OUTREACH_URL_ALLOWLIST names the host or its network,
and `guarded_get` applies it to the first URL and to every redirect before connecting. A name
is looked up once, when a connection opens (`URLGuard.addresses`, called by the transport in
`net.client`): the addresses that lookup gave are the ones checked and the ones connected to,
over http and https alike, so a second DNS answer cannot move a fetch inside.

Plain http carries whatever it sends in clear: URLs that will receive a password or a token
(`check(url, secrets=True)`) must be https unless the allowlist names their host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from outreach.errors import ConfigError, FetchFailed, OutreachError, UnsafeURL

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

    def check(self, url: str, *, secrets: bool = False) -> str:
        """Return `url` if it may be fetched, or raise UnsafeURL naming the refused address and
        why. A host name passes only if every address it resolves to does; when it does not
        resolve at all, the lookup's OSError propagates, as the fetch itself would fail.
        With `secrets` (the URL is to receive a password or a token), plain http passes only
        to a host the allowlist names, decided before any lookup."""
        parsed = self.vet_url(url, secrets=secrets)
        host = parsed.raw_host.decode("ascii")
        if host.rstrip(".") in self._hosts:  # allowed whatever it resolves to: no lookup
            return url
        try:
            self.addresses(host, parsed.port or _DEFAULT_PORTS[parsed.scheme])
        except AddressRefused as exc:
            raise exc.for_url(url) from None
        return url

    def vet_url(self, url: str, *, secrets: bool = False) -> httpx.URL:
        """`url` parsed, if what it says without a lookup may be fetched: http or https, a host,
        no inside address written as the host and, with `secrets`, https or an allowlisted
        host. Raises UnsafeURL saying why not; a name's addresses are `addresses`' concern."""
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
        if secrets and parsed.scheme == "http" and not self._names(host):
            raise UnsafeURL(
                f"Refused {shown}: plain http would carry the password and sign-in tokens "
                "unencrypted, readable by anyone on the way. Use its https address; for a "
                f"server on your own network, add {host.strip('[]')} to "
                "OUTREACH_URL_ALLOWLIST.")
        literal = _ip_literal(host)
        if literal is not None:
            reason = self._refusal(host, literal, resolved=False)
            if reason:
                raise UnsafeURL(f"Refused {shown}: {reason}. {_ALLOWLIST_HINT}")
        return parsed

    def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The addresses to connect to for `host`, each one checked: the address a literal
        spells (whatever a resolver would make of 0x7f000001), or those one lookup of a name
        gives, so a second lookup can never move the connection. A name the allowlist holds
        is looked up unchecked. Raises AddressRefused saying which address and why, or the
        lookup's OSError."""
        literal = _ip_literal(host)
        if literal is not None:
            reason = self._refusal(host, literal, resolved=False)
            if reason:
                raise AddressRefused(reason)
            # IPv6 literals are unambiguous and keep their zone id.
            return (str(literal) if literal.version == 4
                    else host.strip("[]").replace("%25", "%", 1),)
        resolver = self._resolver or socket.getaddrinfo
        infos = resolver(host, port)
        if host.rstrip(".") in self._hosts:
            return tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        found = [_ip_literal(str(info[4][0])) for info in infos]
        vetted = [address for address in dict.fromkeys(found) if address is not None]
        if not vetted:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        for address in vetted:
            reason = self._refusal(host, address, resolved=True)
            if reason:
                raise AddressRefused(reason)
        return tuple(str(address) for address in vetted)

    def _names(self, host: str) -> bool:
        """Whether the allowlist holds `host` itself: its name, or the address it spells."""
        literal = _ip_literal(host)
        if literal is None:
            return host.rstrip(".") in self._hosts
        return any(literal in network for network in self._networks)

    def _refusal(self, host: str, address: _IPAddress, *, resolved: bool) -> str | None:
        """Why `address` (of `host`) may not be reached, or None when it may."""
        reached = _embedded_ipv4(address)
        if any(ip in network for ip in (address, reached) for network in self._networks):
            return None
        kind = _non_public_kind(reached)
        if kind is None and isinstance(address, ipaddress.IPv6Address) and address.teredo:
            # Teredo's own prefix is special-purpose: refused even to a public client.
            reached, kind = address, _non_public_kind(address)
        return None if kind is None else _describe(host, reached, kind, resolved=resolved)


class AddressRefused(UnsafeURL):
    """An address the guard will not connect to; the message says which and why, without
    the URL, which `for_url` adds."""

    def for_url(self, url: str) -> UnsafeURL:
        """The refusal of a fetch of `url`, with the remedy."""
        return UnsafeURL(f"Refused {_shown(url)}: {self}. {_ALLOWLIST_HINT}")


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
    """GET `url` with `client` (from `net.http_client`, whose connections `guard` vets),
    following redirects by hand so that `guard` vets every hop before it is requested.

    Raises UnsafeURL for a refused URL or hop, or after more than `max_redirects` redirects,
    and FetchFailed, saying what went wrong in words, when no usable answer arrives (no
    connection, a timeout, a broken reply, a host that cannot be looked up). `headers` and
    `timeout` apply to every hop, but Authorization and Cookie go only to the first URL's
    origin. The response's `history` holds the redirects.

    With `stream=True` the final response's body is not read: read it with `read_capped`
    (or iterate it) and close the response; redirect hops are closed unread.
    """
    first = target = guard.vet_url(url)
    history: list[httpx.Response] = []
    source = ""  # the hop that redirected to `target`, for messages
    while True:
        try:
            response = _send(client, target, headers, timeout,
                             same_origin=_same_origin(first, target), stream=stream)
        except UnsafeURL as exc:  # refused when connecting: the name's address is inside
            raise UnsafeURL(f"{exc} (redirected from {source})" if source else str(exc)) from None
        except httpx.HTTPError as exc:
            raise _fetch_failed(exc, target) from exc
        if not response.has_redirect_location:
            response.history = history
            return response
        response.close()
        if len(history) == max_redirects:
            raise UnsafeURL(
                f"Refused {_shown(url)}: it redirects more than {max_redirects} times "
                f"(stopped at {_shown(str(target))})."
            )
        history.append(response)
        source = _shown(str(target))
        try:
            target = guard.vet_url(str(target.join(response.headers["Location"])))
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
    much. Raises ResponseTooLarge naming the URL and the limit, or FetchFailed when the
    connection breaks, a read times out, or time.monotonic() passes `deadline` (a server
    trickling bytes would otherwise never trip the per-read timeout; its `timeout` is then
    "deadline"). The response is closed either way.
    """
    shown = _shown(str(response.url))
    try:
        declared = response.headers.get("Content-Length", "")
        too_large = ResponseTooLarge(
            f"{shown} sent more than {_size(max_bytes)}; "
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
                raise FetchFailed(f"{shown} sent its answer too slowly; reading stopped.",
                                  timeout="deadline")
            chunks.append(chunk)
        return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise _fetch_failed(exc, response.url) from exc
    finally:
        response.close()


def _size(count: int) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):g} MB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):g} KB"
    return f"{count} bytes"


def _fetch_failed(exc: httpx.HTTPError, url: httpx.URL) -> FetchFailed:
    """Our error for an httpx failure on the way to `url`, in words."""
    host = url.host
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return FetchFailed(f"Timed out connecting to {host}.", timeout="connect")
    if isinstance(exc, httpx.TimeoutException):
        return FetchFailed(f"Timed out waiting for {host} to answer.", timeout="read")
    if isinstance(exc, httpx.ConnectError):
        return FetchFailed(f"Could not connect to {host}: {exc or 'connection failed'}.")
    return FetchFailed(f"The connection to {host} failed: {exc or type(exc).__name__}.")


def _send(
    client: httpx.Client,
    url: httpx.URL,
    headers: Mapping[str, str] | None,
    timeout: Any,
    *,
    same_origin: bool,
    stream: bool,
) -> httpx.Response:
    request = client.build_request("GET", url, headers=headers, timeout=timeout)
    if not same_origin:
        request.headers.pop("Authorization", None)
        request.headers.pop("Cookie", None)
    return client.send(request, follow_redirects=False,
                       auth=httpx.USE_CLIENT_DEFAULT if same_origin else None, stream=stream)


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
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
    """The IPv4 address an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address actually reaches
    (a relay or translator on the way delivers it there), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]  # the client's address; [0] is its Teredo server
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
