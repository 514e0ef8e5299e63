"""Normalisers for the fields of a journalist's record, shared by the importer and the UI.

Each function takes the text a person typed or a spreadsheet held and returns the form the
store keeps, or raises InvalidInput with a message fit to show that person. They are pure
(no store, no clock), so the press list page can check an inline edit with the same rules an
import uses, and a value written by one is read back unchanged by the other.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from outreach.errors import InvalidInput
from outreach.store.tables import CONTACT_METHODS

# Deliberately plainer than RFC 5322: an ASCII local part without quotes or comments, and a
# domain of dot-separated labels ending in a TLD of at least two letters (or punycode).
# Field -> its name for people: the column header of our own export, and the label in
# messages and on the page. The importer also accepts other headers (contacts_import);
# "first_name" and "last_name" are import-only (joined into the name).
FIELDS: dict[str, str] = {
    "name": "Name",
    "pronouns": "Pronouns",
    "title": "Title",
    "outlet": "Outlet",
    "outlet_domain": "Outlet Domain",
    "outlet_kind": "Outlet Kind",
    "outlet_region": "Outlet Region",
    "outlet_language": "Outlet Language",
    "outlet_feed_url": "Outlet Feed URL",
    "email": "Email",
    "other_emails": "Other Emails",
    "phone": "Phone",
    "beats": "Beats",
    "bluesky_handle": "Bluesky",
    "x_handle": "X",
    "website": "Website",
    "city": "City",
    "region": "Region",
    "languages": "Languages",
    "preferred_contact": "Preferred Contact",
    "tags": "Tags",
    "do_not_contact": "Do Not Contact",
    "do_not_contact_reason": "Do Not Contact Reason",
    "notes": "Notes",
    "source": "Source",
    "lists": "Lists",
    "other_outlets": "Other Outlets",
    "last_contacted_at": "Last Contacted",
    "first_name": "First Name",
    "last_name": "Last Name",
}
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_EMAIL_MAX = 254
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")
_ITEM_SEPARATORS = re.compile(r"[;,]")
_SPACES = re.compile(r"\s+")

_URL_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_PATH_SEPARATORS = re.compile(r"[/?#]")
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")
_X_HOSTS = ("x.com", "twitter.com")
# An atproto handle is a domain name whose last label starts with a letter.
_BLUESKY_HANDLE = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_BLUESKY_DID = re.compile(r"did:(?:plc|web):[A-Za-z0-9._:%-]{1,2000}")
_BLUESKY_HOSTS = ("bsky.app",)
_BLUESKY_DEFAULT_DOMAIN = ".bsky.social"
_HANDLE_MAX = {"x": 50, "bluesky": 253}

_TRUE = frozenset({"yes", "y", "true", "t", "1", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", ""})

_CONTACT_ALIASES = {
    "e-mail": "email", "mail": "email", "telephone": "phone", "call": "phone",
    "sms": "text", "texting": "text", "signal": "text", "whatsapp": "text", "twitter": "x",
    "bsky": "bluesky", "in-person": "in person", "in person": "in person",
}


def clean_text(text: str) -> str:
    """`text` trimmed, with every run of whitespace (newlines too) made one space.

    For one-line fields such as a name or a title, where a stray double space or a line
    break pasted from a web page would otherwise make two spellings of one value.
    """
    return " ".join(text.split())


def name_key(name: str) -> str:
    """The form in which two names count as the same person's: case-folded, spaces collapsed.

    "Ana  Quillfeather" and "ana quillfeather" give one key; the importer pairs it with the
    outlet to spot a journalist already on file who has no shared e-mail.
    """
    return clean_text(name).casefold()


def normalise_email(text: str) -> str:
    """One e-mail address, trimmed and lower-cased; empty text gives "" (no address).

    Accepts what mail programs and spreadsheets paste around an address: a `mailto:`
    prefix, or `Jane Doe <jane@example.org>`. Raises InvalidInput naming the text when it is
    not an address, so that a typo is caught before anyone sends a pitch to it. Lower-casing
    the local part is a simplification every mail provider we know of honours, and it lets
    `Ana@X.org` and `ana@x.org` be recognised as one person.
    """
    value = text.strip()
    if "<" in value:
        angle = _ANGLE_ADDRESS.search(value)
        if angle:
            value = angle.group(1).strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].strip()
    value = value.lower()
    if not value:
        return ""
    if len(value) > _EMAIL_MAX or not _EMAIL.fullmatch(value):
        raise InvalidInput(f"{text.strip()!r} is not a valid e-mail address.")
    return value


def split_emails(text: str) -> list[str]:
    """Every address in a cell that may hold several, separated by `;` or `,`, normalised.

    The order is kept and repeats are dropped; the first is the one to use as the primary
    address. Raises InvalidInput for the first part that is not an address.
    """
    if ";" not in text and "," not in text:
        email = normalise_email(text)
        return [email] if email else []
    found: dict[str, None] = {}
    for part in _ITEM_SEPARATORS.split(text):
        email = normalise_email(part)
        if email:
            found[email] = None
    return list(found)


def normalise_handle(text: str, platform: str) -> str:
    """A social handle as the store keeps it: bare, without `@` or a profile URL.

    `platform` is "x" or "bluesky". For X, `@name`, `x.com/name` and
    `https://twitter.com/name/status/...` all give `name` (case kept; letters, digits and
    `_`). For Bluesky, `@name.bsky.social` and `https://bsky.app/profile/name.bsky.social`
    give `name.bsky.social`, lower-cased as handles are case-insensitive; a DID is kept as
    it is, and a bare name without a dot is taken to mean `name.bsky.social`, where almost
    every Bluesky account lives. Empty text gives "". Raises InvalidInput when what is left
    cannot be a handle on that platform.
    """
    if platform not in _HANDLE_MAX:
        raise ValueError(f"unknown platform {platform!r}")
    value = text.strip()
    if not value:
        return ""
    if "/" in value:
        value = _handle_from_url(value, _X_HOSTS if platform == "x" else _BLUESKY_HOSTS,
                                 platform)
    value = value.lstrip("@").strip()
    shown = "an X handle" if platform == "x" else "a Bluesky handle"
    if platform == "x":
        if not _X_HANDLE.fullmatch(value):
            raise InvalidInput(
                f"{text.strip()!r} is not {shown}: use letters, digits and _ "
                f"(at most {_HANDLE_MAX['x']}), with or without @."
            )
        return value
    if _BLUESKY_DID.fullmatch(value):
        return value
    value = value.lower().rstrip(".")
    if value and "." not in value:
        value += _BLUESKY_DEFAULT_DOMAIN
    if len(value) > _HANDLE_MAX["bluesky"] or not _BLUESKY_HANDLE.fullmatch(value):
        raise InvalidInput(
            f"{text.strip()!r} is not {shown}: expected a name like "
            "alice.bsky.social or a profile link."
        )
    return value


def _handle_from_url(value: str, hosts: tuple[str, ...], platform: str) -> str:
    """The handle inside a profile URL on one of `hosts`; other text comes back unchanged."""
    rest = _URL_SCHEME.sub("", value)
    host, slash, path = rest.partition("/")
    host = host.lower()
    for prefix in ("www.", "mobile."):
        host = host.removeprefix(prefix)
    if host not in hosts or not slash:
        return value
    parts = [part for part in _PATH_SEPARATORS.split(path) if part]
    if platform == "bluesky":
        if len(parts) >= 2 and parts[0] == "profile":
            return parts[1]
        return value
    return parts[0] if parts else value


def split_items(text: str) -> list[str]:
    """The items of a list-like cell (beats, tags, languages), split on `;` or `,`.

    Each item is trimmed with its spaces collapsed; empty items and repeats that differ only
    in case are dropped, keeping the first spelling and the order.
    """
    if ";" not in text and "," not in text:  # the common single item, without a regex
        cleaned = " ".join(text.split())
        return [cleaned] if cleaned else []
    return dedupe_items(_ITEM_SEPARATORS.split(text))


def dedupe_items(items: Iterable[str]) -> list[str]:
    """`items` cleaned (see clean_text) without empties or case-insensitive repeats, in order."""
    seen: dict[str, str] = {}
    for item in items:
        cleaned = " ".join(item.split())
        if cleaned:
            key = cleaned.casefold()
            if key not in seen:
                seen[key] = cleaned
    return list(seen.values())


def join_items(items: Iterable[str]) -> str:
    """The stored form of a list-like field: the cleaned, de-duplicated items joined by "; "."""
    return "; ".join(dedupe_items(items))


def parse_bool(text: str) -> bool:
    """A yes/no cell (Do Not Contact): yes/no, y/n, true/false, t/f, 1/0 or x; empty is no.

    Raises InvalidInput for anything else rather than guessing, because reading "maybe" as
    "no" could put someone who asked not to be contacted back on a pitch list.
    """
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{text.strip()!r} is not yes or no (use yes/no, true/false, 1/0 or x).")


def normalise_preferred_contact(text: str) -> str:
    """How the journalist likes to be reached, as one of the store's contact methods.

    Case and a few common spellings ("E-mail", "Twitter", "SMS") are forgiven; anything
    else raises InvalidInput listing the methods, so that the pitching code can rely on it.
    """
    value = clean_text(text).casefold()
    value = _CONTACT_ALIASES.get(value, value)
    if value not in CONTACT_METHODS:
        allowed = ", ".join(method for method in CONTACT_METHODS if method)
        raise InvalidInput(f"{text.strip()!r} is not a contact method (use one of {allowed}).")
    return value


# Names reserved for documentation and tests (RFC 2606, RFC 6761) count as public suffixes,
# so that daily.example.org and ledger.example.org, like two blogs on one host, are two sites.
_RESERVED_SUFFIXES = ("example", "test", "invalid", "localhost",
                      "example.com", "example.net", "example.org")


@functools.cache
def _suffix_list():
    """The Public Suffix List from tldextract's bundled snapshot: never fetched, never cached
    on disk. Imported on first use, as only outlet matching needs it."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True,
                                 extra_suffixes=_RESERVED_SUFFIXES)


def domain_of(text: str) -> str:
    """An outlet's identity: the registrable web domain in an e-mail address or a URL,
    lower-cased, by the Public Suffix List (so www., m. and news. go, and a blog on a
    shared host such as name.blogspot.com keeps its own name).

    "ana@news.Ledger.example" and "https://m.ledger.example/staff" both give
    "ledger.example"; an address or name with no known suffix (an IP, "localhost") is kept
    whole; text with no domain gives "". The importer and coverage match outlets on it.
    """
    value = text.strip().lower()
    if "@" in value and "/" not in value:
        value = value.rpartition("@")[2]
    else:
        value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
        value = re.split(r"[/?#:]", value, maxsplit=1)[0]
        value = value.rpartition("@")[2]
    value = value.strip(".")
    if "." not in value or _SPACES.search(value):
        return ""
    site = _suffix_list()(value).top_domain_under_public_suffix
    return site or value.removeprefix("www.").removeprefix("m.")
