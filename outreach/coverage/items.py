"""One story as a feed gives it, before it is matched and stored as a press hit.

parse.py builds these from feed entries; hits.py
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
    # The feed's own title and site (see ParsedFeed.site_url): the outlet of an item that
    # names none and links to that site or through an aggregator.
    site_name: str = ""
    site_url: str = ""
