"""What every platform adapter offers the scheduler, so domain code never sees an SDK."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Image:
    """An image ready to upload: already resized, re-encoded and stripped of metadata."""

    data: bytes
    mime: str
    alt: str


@dataclass(frozen=True)
class Published:
    """Where a post landed: the platform's id, its public URL, and (Bluesky) its cid."""

    remote_id: str
    url: str
    cid: str = ""


@dataclass(frozen=True)
class OutgoingPost:
    """One post (or one part of a thread) as the scheduler hands it to an adapter.

    `key` is chosen when the post is scheduled and never changes: Bluesky uses it as
    the record key, so a retry collides instead of posting twice.
    """

    text: str
    key: str
    images: tuple[Image, ...] = field(default=())
    reply_to: Published | None = None
    thread_root: Published | None = None


class Publisher(Protocol):
    """A platform adapter. Errors are outreach.errors.PublishError subclasses."""

    def publish(self, post: OutgoingPost) -> Published:
        """Publish one post (a reply when `reply_to` is set); return where it landed."""

    def find_published(self, post: OutgoingPost) -> Published | None:
        """The post if an earlier attempt already published it, else None."""

    def repost(self, url: str, key: str) -> Published:
        """Repost another account's post, given its public URL."""

    def quote(self, url: str, post: OutgoingPost) -> Published:
        """Publish `post` quoting another account's post, given its public URL."""

    def verify(self) -> str:
        """Sign in and say who we are (a DID or @username); the platform's error if not."""


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def new_key(now_us: int | None = None) -> str:
    """A fresh record key in the AT Protocol's TID form (13 sortable base32 characters).

    Every platform's posts get one when scheduled; Bluesky uses it as the record key,
    so publishing the same part twice collides instead of creating a second post.
    """
    micros = time.time_ns() // 1000 if now_us is None else now_us
    value = ((micros & ((1 << 53) - 1)) << 10) | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))
