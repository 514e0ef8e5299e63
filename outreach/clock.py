"""The clock: the one source of "now" for code that does not get it passed in."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC, aware."""
    return datetime.now(UTC)
