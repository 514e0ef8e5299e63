"""What the metrics snapshots read from a platform: an account's counts and its posts'.

The Bluesky and X adapters implement MetricsReader. Errors are outreach.errors
PublishError subclasses: RateLimited and TransientPublishError mean try later,
ReadRefused means the platform will not give this read to this account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AccountCounts:
    """An account's audience and output at one moment."""

    followers: int
    following: int
    posts: int


@dataclass(frozen=True)
class PostCounts:
    """One published post's engagement at one moment; impressions only where given."""

    likes: int
    reposts: int
    replies: int
    quotes: int
    impressions: int | None = None


class MetricsReader(Protocol):
    """A platform adapter's read side."""

    def account_counts(self) -> AccountCounts:
        """The connected account's followers, following and posts."""

    def post_counts(self, remote_ids: Sequence[str]) -> dict[str, PostCounts]:
        """Counts for posts by their platform ids (at:// URIs, tweet ids); ids the
        platform no longer has (deleted) are left out."""
