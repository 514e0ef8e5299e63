"""Everything that leaves for the web goes through here: the URL guard, the one factory for
HTTP clients (our User-Agent, explicit timeouts, no proxy from the environment, connections
only to addresses the guard checked) and reading a response with a size cap."""

from outreach.net.client import USER_AGENT, guarded_transport, http_client
from outreach.net.guard import ResponseTooLarge, URLGuard, guarded_get, read_capped

__all__ = ["USER_AGENT", "ResponseTooLarge", "URLGuard", "guarded_get",
           "guarded_transport", "http_client", "read_capped"]
