"""Who a story is by and where it ran: its outlet, found by name or web domain (and created
when new), and its bylines matched to the journalists on file.

    OutletBook   the outlets on file, looked up by name or domain, created when new
    outlet_hint  the name and address that say which outlet a feed item ran at
    Bylines      a story's bylines -> (journalist id, "confirmed" | "suggested" | ""), and
                 every co-author surely matched
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from outreach.coverage.items import FeedItem
from outreach.coverage.story_keys import fold, is_aggregator
from outreach.presslist.fields import domain_of
from outreach.store.tables import journalist_outlets, journalists, outlets

# Byline similarity (0-1) at the story's outlet: at or above CONFIRM the journalist is taken
# as the author; from SUGGEST up an editor is asked first.
CONFIRM_SCORE = 0.93
SUGGEST_SCORE = 0.75
_BYLINE_SPLIT = re.compile(r"\s+and\s+|\s*&\s*|\s*[;,/]\s*", re.IGNORECASE)


# --- outlets ---------------------------------------------------------------------------------


def outlet_hint(item: FeedItem, link: str) -> tuple[str, str]:
    """The (name, address) whose domain is the outlet of `item`, whose story is at `link`:
    its <source>; else the feed's own site and title when the story is on that site or
    behind an aggregator's link (a Google redirect); else the story's own address."""
    if item.source_name or item.source_url:
        return item.source_name, item.source_url or link
    site = domain_of(item.site_url) if item.site_url else ""
    if site and not is_aggregator(site):
        here = domain_of(link) if link else ""
        if not here or here == site or is_aggregator(here):
            return item.site_name, item.site_url
    return "", link



class OutletBook:
    """The outlets on file, looked up by web domain (theirs, or their journalists' e-mail
    domain) or by name, and created when new."""

    def __init__(self, conn: sa.Connection, now: datetime) -> None:
        self._conn, self._now = conn, now
        self._names: dict[int, str] = {}
        self._by_name: dict[str, int] = {}
        self._by_domain: dict[str, int] = {}
        self._has_domain: set[int] = set()
        for oid, name, domain in conn.execute(
            sa.select(outlets.c.id, outlets.c.name, outlets.c.domain).order_by(outlets.c.id)
        ):
            self._remember(oid, name, domain)
        self._learn_from_staff()

    def _learn_from_staff(self) -> None:
        """An outlet without a domain is known by its journalists' e-mail domain, when all of
        them with an address share one that no other outlet has."""
        sites: dict[int, set[str]] = {}
        for oid, email in self._conn.execute(
            sa.select(journalists.c.outlet_id, journalists.c.email)
            .where(journalists.c.outlet_id.is_not(None), journalists.c.email != "")
        ):
            if oid not in self._has_domain and domain_of(email):
                sites.setdefault(oid, set()).add(domain_of(email))
        for oid, found in sites.items():
            if len(found) == 1 and next(iter(found)) not in self._by_domain:
                self._by_domain[found.pop()] = oid

    def _remember(self, oid: int, name: str, domain: str) -> None:
        self._names[oid] = name
        self._by_name.setdefault(name.casefold(), oid)
        if domain_of(domain):
            self._by_domain.setdefault(domain_of(domain), oid)
            self._has_domain.add(oid)

    def name(self, outlet_id: int | None) -> str:
        """The outlet's name, or "" when there is none."""
        return self._names.get(outlet_id, "") if outlet_id is not None else ""

    def resolve(self, name: str, url: str) -> int | None:
        """The outlet at `url`'s web domain (its identity: names are labels, and "Daily
        Example – Local News" and "The Daily Example" at one domain are one outlet), else the
        one called `name` (any case), else a new outlet with that name (or the domain as its
        name); None with neither. An outlet found by name without a domain takes this one."""
        name = " ".join(name.split())[:200]
        domain = domain_of(url) if url else ""
        if is_aggregator(domain):
            domain = ""  # an aggregator's domain says nothing about the outlet
        found = self._by_domain.get(domain) if domain else None
        if found is None and name:
            found = self._by_name.get(name.casefold())
            if found is not None and domain and found not in self._has_domain:
                self._conn.execute(outlets.update().where(outlets.c.id == found)
                                   .values(domain=domain))
                self._by_domain[domain] = found
                self._has_domain.add(found)
        if found is not None or not (name or domain):
            return found
        return self._create(name or domain, domain)

    def _create(self, name: str, domain: str) -> int:
        try:
            with self._conn.begin_nested():
                oid = self._conn.execute(outlets.insert().values(
                    name=name, domain=domain, created_at=self._now)).inserted_primary_key[0]
        except IntegrityError:  # another process added it since we looked
            oid, domain = self._conn.execute(
                sa.select(outlets.c.id, outlets.c.domain).where(outlets.c.name == name)
            ).one()
        self._remember(oid, name, domain)
        return oid


# --- bylines ---------------------------------------------------------------------------------


def byline_names(authors: Iterable[str]) -> list[str]:
    """Person names in bylines: 'By Ana Q and Bo L', 'ana@x.test (Ana Q)' -> ['Ana Q', ...]."""
    names = []
    for author in authors:
        inside = re.search(r"\(([^)]+)\)", author)
        text = inside.group(1) if inside and "@" in author else author
        text = re.sub(r"^\s*by\s+", "", text, flags=re.IGNORECASE)
        names += [n.strip() for n in _BYLINE_SPLIT.split(text) if n.strip() and "@" not in n]
    return names


def _similarity(a: str, b: str) -> float:
    """How alike two folded names are, 0-1, in either word order."""
    plain = difflib.SequenceMatcher(None, a, b).ratio()
    ordered = difflib.SequenceMatcher(None, " ".join(sorted(a.split())),
                                      " ".join(sorted(b.split()))).ratio()
    return max(plain, ordered)


def at_outlet(outlet_id: int) -> sa.ColumnElement[bool]:
    """SQL condition: the journalist's main outlet, or one of their extra ones, is
    `outlet_id`."""
    extra = sa.select(journalist_outlets.c.journalist_id).where(
        journalist_outlets.c.outlet_id == outlet_id)
    return sa.or_(journalists.c.outlet_id == outlet_id, journalists.c.id.in_(extra))


class Bylines:
    """Matches a story's bylines to journalists, within one transaction."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._everyone: dict[str, int] | None = None

    def _by_exact_name(self) -> dict[str, int]:
        """Folded name -> lowest journalist id with it, read once (most bylines never get
        this far)."""
        if self._everyone is None:
            self._everyone = {}
            for jid, name in self._conn.execute(
                sa.select(journalists.c.id, journalists.c.name).order_by(journalists.c.id)
            ):
                self._everyone.setdefault(fold(name), jid)
        return self._everyone

    def match(self, outlet_id: int | None, authors: Sequence[str]) -> tuple[int | None, str]:
        """(journalist id, "confirmed" | "suggested" | "") for a story's bylines.

        At the outlet (main or extra) a close match confirms; a middling one, or two
        journalists close to one byline name, is only suggested. Elsewhere only the exact
        name (accents and case aside) is suggested, as a freelancer may write for an outlet
        not yet on their record."""
        names = [n for n in (fold(a) for a in byline_names(authors)) if n]
        if not names:
            return None, ""
        if outlet_id is not None:
            staff = self._conn.execute(sa.select(journalists.c.id, journalists.c.name)
                                       .where(at_outlet(outlet_id))).all()
            scored = sorted(((_similarity(n, fold(j.name)), j.id, n) for n in names
                             for j in staff), key=lambda row: (-row[0], row[1]))
            if scored and scored[0][0] >= SUGGEST_SCORE:
                best, jid, name = scored[0]
                # Two journalists close to one name is doubt; co-authors' names are not.
                rivals = any(score >= CONFIRM_SCORE and j != jid and n == name
                             for score, j, n in scored)
                return jid, "confirmed" if best >= CONFIRM_SCORE and not rivals else "suggested"
        everyone = self._by_exact_name()
        jid = next((everyone[n] for n in names if n in everyone), None)
        return jid, "suggested" if jid is not None else ""

    def co_authors(self, outlet_id: int | None, authors: Sequence[str]) -> list[int]:
        """The journalists each surely matched to one person of a shared byline ("Ana Q and
        Bo L"), in byline order, each once: all of them are credited with the story."""
        found: list[int] = []
        for name in byline_names(authors):
            jid, match = self.match(outlet_id, [name])
            if match == "confirmed" and jid not in found:
                found.append(jid)
        return found
