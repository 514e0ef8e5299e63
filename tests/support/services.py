"""The real services the suite runs against: whether CI demands them, and free ports."""

from __future__ import annotations

import os
import socket

import pytest

REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL", "")


def missing_service(what: str) -> None:
    """Skip the test when a service is absent, or fail it under CI=true."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
