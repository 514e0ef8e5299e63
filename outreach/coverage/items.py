"""One story as a feed gives it, before it is matched and stored as a press hit.

feed_parse.py builds these from feedparser's entries; press_hits.py
matches, deduplicates and stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FeedItem:
    """A feed entry's fields that coverage uses; text fields are plain text, not HTML."""

    title: str
    link: str
    guid: str = ""
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    summary: str = ""
    content: str = ""
    # Google News names the outlet in <source url="https://outlet.example">Outlet</source>.
    source_name: str = ""
    source_url: str = ""
