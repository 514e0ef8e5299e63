"""The one factory for the HTTP clients that fetch pages and feeds for the committee."""

from __future__ import annotations

import httpx

from outreach import __version__

# One name for every fetch, so a site's operator can see who we are and ask us to stop.
USER_AGENT = f"UnionMediaDesk/{__version__}"


def http_client(*, timeout: httpx.Timeout | float, connections: int = 10) -> httpx.Client:
    """A client with our User-Agent and explicit timeouts, and no proxy taken from the
    environment: the URL guard vets the address we connect to, which a proxy would hide."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=timeout, trust_env=False,
        limits=httpx.Limits(max_connections=connections,
                            max_keepalive_connections=connections),
    )
