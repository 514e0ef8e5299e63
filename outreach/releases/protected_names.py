"""The protected-names guard: members who must not be named in public, caught before they are.

A fired or at-risk organizer named in a press release or a post can pay for it, so the
committee keeps a list of such members (each with nicknames and other spellings), and a
release or post that names one cannot be submitted or approved:

    add_protected / remove_protected / list_protected   the list (editors and above)
    find_matches(text, names, exempt) -> [Match]        pure matching, no store
    check_text(db, text) -> [Match]                     the list and the roster from the store
    require_clean(db, text, what)                       the one gate: raises NamesProtected
    highlight_markdown / describe_matches               show the matches to the writer

Matching. Both the text and every pattern go through `_fold_char`, one character at a time:
NFKD-decomposed, case-folded (so "𝐌", mathematical bold, is "m") and decomposed again,
with combining marks and invisible format characters dropped, letters NFKD leaves alone
spelled in ASCII ("ø" -> "o", "ł" -> "l", "ß" -> "ss"), dashes and typographic apostrophes
made plain. While the text is folded an index map records which
original character each folded character came from, so a match found in the folded text is
reported with offsets into the original, however normalisation changed lengths.

Each protected name and each alias is a pattern; a name of three or more words also gives
the pair of its first and last word ("María Elena González" -> "María González"), and a
pattern of several words is also matched as a list or byline writes it ("González, María
Elena") and run into one word, as hashtags, handles and e-mail addresses write it
("#MariaGonzalez", "#FreeMariaGonzalez", "@mariagonzalez.bsky.social", "maria_gonzalez",
"maria.gonzalez@..."): such a word is matched where it stands alone or where a capital
begins or ends it inside a longer one, never inside a lower-case word ("mariagonzalezfan"),
and only from seven letters. Letters of Cyrillic, Greek and other scripts drawn like Latin
ones are read as the Latin letter (Unicode's confusables data, UTS #39). Within a
pattern, words may be separated by any run of whitespace (line breaks too), hyphens or
marks that keep words apart without a space (/ + · • | * ~), so "Gómez-Ruiz", "Gomez/Ruiz"
and "Gomez\\nRuiz" are the same, but not by sentence punctuation ("Maria. Gonzalez"); a
pattern matches whole words only ("Ana" is not in "Banana"), except at an edge in a script
written without spaces (Chinese, Japanese, Korean, Thai...), where a name runs into the
next word. A possessive matches because the apostrophe ends the word; the match is the
name without the "'s".

All patterns, with the roster's spokespeople as exempt patterns, are compiled into one
regex: a trie of the patterns (shared prefixes written once, so a position costs a few
character tests, not one attempt per name) inside a lookahead, so one `finditer` over the
folded text yields the longest pattern starting at each position, overlapping ones
included. A check is one scan whatever the size of the list (200 names with aliases over
28,000 characters: a few milliseconds); the compiled regex is cached while the list and
the roster stay the same. A match that is, or lies inside, a spokesperson's name is
dropped; of overlapping matches the longest is kept.

Privacy: this module never logs, and the audit log (read and exported by admins) records
only the entry's id and counts, never a name or an alias.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach import trash
from outreach.auth import audit
from outreach.errors import InvalidInput, NotFound
from outreach.presslist import spokespeople
from outreach.roles import Actor, require
from outreach.store.tables import protected_names

NAME_MAX = 200

# Letters that NFKD does not decompose, spelled as a writer without the key would.
_ASCII_LETTERS = {
    "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i",
    "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k",
}
# Apostrophe look-alikes become "'" before NFKD, which would split an acute accent into
# a space and a combining mark.
_APOSTROPHES = dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u00b4\u0060\u2032\uff07", "'")
_DASHES = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58", "-")
_DROPPED = ("Mn", "Me", "Cf")
# Between a name's words: whitespace, hyphens, and the marks used to keep words apart
# without a space ("Maria/Quintana", "Maria·Quintana"), never sentence punctuation.
_SEPARATOR_PATTERN = r"[\s\-/+·•|*~]+"
_SEPARATOR = re.compile(_SEPARATOR_PATTERN)
_WORD = re.compile(r"\w")
# Scripts written without spaces between words: a name there has no word boundary.
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER",
                     "MYANMAR", "TIBETAN", "IDEOGRAPHIC")
_EXEMPT = -1
# Letters of these scripts drawn like Latin ones ("Маria" with a Cyrillic М, "Gοnzalez" with
# a Greek ο) are read as the Latin letter Unicode's confusables data (UTS #39) names.
_LOOKALIKE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")
# A name run together into one word ("mariagonzalez") is matched only from this length, so
# that two short names together ("Ana Li": "anali") are not taken for some other word.
_JOINED_MIN = 7


@dataclass(frozen=True)
class ProtectedName:
    """A member who must not be named, with the nicknames and spellings that also name them."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    """Where a text names a protected member: `text` is `original[start:end]`, as written.

    `protected` is the id of the entry that matched, so that a page can say which entry
    without showing any name beyond the one already in the text.
    """

    start: int
    end: int
    text: str
    protected: int


# --- normalisation ---------------------------------------------------------------------------


@functools.cache
def _lookalikes() -> dict[str, str]:
    """Each letter of _LOOKALIKE_SCRIPTS that is confusable with exactly one Latin letter,
    mapped to it, from the confusables data of the confusable_homoglyphs package."""
    # Here, not at the top: the data is a large JSON file, read only when names are checked.
    from confusable_homoglyphs.confusables import confusables_data

    table = {}
    for char, similar in confusables_data.items():
        if len(char) != 1 or not unicodedata.name(char, "").startswith(_LOOKALIKE_SCRIPTS):
            continue
        latin = {s["c"].casefold() for s in similar
                 if len(s["c"]) == 1 and s["c"].isascii() and s["c"].isalpha()}
        if len(latin) == 1:
            table[char] = latin.pop()
    return table


@functools.lru_cache(maxsize=4096)
@functools.lru_cache(maxsize=8192)  # a text repeats few distinct characters
def _fold_char(char: str) -> str:
    """One character as the matcher sees it: folded, unaccented, possibly several or none."""
    char = _APOSTROPHES.get(char, char)
    char = _lookalikes().get(char, char)
    folded = []
    # Compatibility forms first: "𝐌" (mathematical bold) has no case of its own until
    # NFKD makes it "M".
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold()):
        if unicodedata.category(c) in _DROPPED:
            continue
        folded.append(_DASHES.get(c) or _ASCII_LETTERS.get(c, c))
    return "".join(folded)


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the original character's index."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        out = _fold_char(char)
        folded.append(out)
        origin.extend([index] * len(out))
    return "".join(folded), origin


def _key(text: str) -> str:
    """A name's matching form: folded, words split at whitespace and hyphens, one space apart."""
    folded = "".join(_fold_char(c) for c in text)
    return " ".join(w for w in _SEPARATOR.split(folded) if w)


def _clean_name(text: str, what: str) -> str:
    """A name or alias as stored: trimmed, inner whitespace collapsed, checked."""
    clean = " ".join(text.split())
    if not clean:
        raise InvalidInput(f"A protected {what} cannot be empty.")
    if len(clean) > NAME_MAX:
        raise InvalidInput(f"A protected {what} can be at most {NAME_MAX} characters.")
    if not _WORD.search(_key(clean)):
        raise InvalidInput(f"A protected {what} needs at least one letter or digit.")
    return clean


# --- matching --------------------------------------------------------------------------------


def _base_keys(name: ProtectedName) -> list[str]:
    """An entry's name, each alias, and first + last name, as keys."""
    keys = [_key(name.name), *(_key(alias) for alias in name.aliases)]
    words = name.name.split()
    if len(words) >= 3:
        keys.append(_key(f"{words[0]} {words[-1]}"))
    return [k for k in keys if k]


def _patterns(name: ProtectedName) -> list[str]:
    """The keys an entry is matched by as whole words: the base keys, and each of several
    words also as a list or a byline writes it ("González, María Elena")."""
    keys = _base_keys(name)
    return keys + [f"{w[-1]}, {' '.join(w[:-1])}" for w in (k.split(" ") for k in keys)
                   if len(w) >= 2]


def _joined(name: ProtectedName) -> list[str]:
    """The keys of several words written as one, as hashtags, handles and e-mail addresses
    do: run together ("mariagonzalez", which also matches "#MariaGonzalez"), or joined by
    dots or underscores ("maria.gonzalez", "maria_gonzalez")."""
    found = []
    for key in _base_keys(name):
        words = key.split(" ")
        if len(words) >= 2 and len("".join(words)) >= _JOINED_MIN:
            found += ["".join(words), ".".join(words), "_".join(words)]
    return found


def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_UNSPACED_SCRIPTS)


def _trie_pattern(node: dict) -> str:
    """A trie of keys as a regex: children before the end, so the longest key wins."""
    branches = [
        (_SEPARATOR_PATTERN if piece == " " else re.escape(piece)) + _trie_pattern(child)
        for piece, child in sorted((p, c) for p, c in node.items() if p)
    ]
    if "" in node:
        branches.append(node[""])
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


@functools.lru_cache(maxsize=32)
def _compiled(keys: tuple[str, ...], whole_words: bool = True) -> re.Pattern[str]:
    """One regex for every key: at each position (a lookahead) the longest key there.

    The keys are laid out as a trie (shared prefixes written once), so each position costs
    a few character tests rather than one attempt per key. Without `whole_words` the keys
    match anywhere, for `_at_word_edges` to judge.
    """
    bounded: dict = {}
    unspaced: dict = {}
    for key in keys:
        node = unspaced if _unspaced(key[0]) or not whole_words else bounded
        for char in key:
            node = node.setdefault(char, {})
        node[""] = "" if _unspaced(key[-1]) or not whole_words else r"(?!\w)"
    parts = [r"(?<!\w)" + _trie_pattern(bounded)] if bounded else []
    if unspaced:
        parts.append(_trie_pattern(unspaced))
    return re.compile("(?=(" + "|".join(parts) + "))")


def _at_word_edges(text: str, folded: str, origin: list[int], start: int, end: int) -> bool:
    """Whether folded[start:end] is a word of its own, or a part a capital begins or ends
    inside one ("#FreeMariaGonzalez", "MariaGonzalezLibre"): CamelCase marks words too."""
    def word(char: str) -> bool:
        return char.isalnum() or char == "_"

    def capital_starts_at(folded_index: int) -> bool:
        i = origin[folded_index]
        return i > 0 and text[i].isupper() and text[i - 1].islower()

    return ((start == 0 or not word(folded[start - 1]) or capital_starts_at(start))
            and (end == len(folded) or not word(folded[end]) or capital_starts_at(end)))


def find_matches(
    text: str, names: Sequence[ProtectedName], exempt: Iterable[str] = ()
) -> list[Match]:
    """Every place `text` names a protected member, in order, longest of overlapping ones.

    `exempt` holds spokespeople's names: an entry whose name is a spokesperson's is not
    checked at all, and a match that is (or lies inside) a spokesperson's name is dropped,
    since the roster is who the committee has agreed may be named. The rules are in the
    module docstring.
    """
    exempt_keys = {k for k in (_key(n) for n in exempt) if k}
    owner: dict[str, int] = {}
    joined: dict[str, int] = {}
    for entry in names:
        if _key(entry.name) in exempt_keys:
            continue
        for key in _patterns(entry):
            owner.setdefault(key, entry.id)
        for key in _joined(entry):
            joined.setdefault(key, entry.id)
    if not owner:
        return []
    owner.update(dict.fromkeys(exempt_keys, _EXEMPT))
    folded, origin = _fold_with_map(text)
    found: list[tuple[int, int, int]] = []
    shields: list[tuple[int, int]] = []
    hits = [(hit, owner) for hit in _compiled(tuple(sorted(owner))).finditer(folded)]
    if joined:
        hits += [(hit, joined) for hit in _compiled(tuple(sorted(joined)), False)
                 .finditer(folded)
                 if _at_word_edges(text, folded, origin, hit.start(1), hit.end(1))]
    for hit, keys in hits:
        start = origin[hit.start(1)]
        end = origin[hit.end(1) - 1] + 1
        # An accent written as a separate mark belongs to the last letter.
        while end < len(text) and unicodedata.category(text[end]) in ("Mn", "Me"):
            end += 1
        who = keys[" ".join(_SEPARATOR.split(hit.group(1)))]
        if who == _EXEMPT:
            shields.append((start, end))
        else:
            found.append((start, end, who))
    found = [f for f in found if not any(s <= f[0] and f[1] <= e for s, e in shields)]
    kept: list[tuple[int, int, int]] = []
    for start, end, who in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if all(end <= s or e <= start for s, e, _ in kept):
            kept.append((start, end, who))
    return [Match(s, e, text[s:e], who) for s, e, who in sorted(kept)]


def checker(db: Engine) -> Callable[[str], list[Match]]:
    """check_text with the list and the roster read once, for many texts in a row (every
    e-mail of a pitch)."""
    exempt = [person["name"] for person in spokespeople.roster(db)]
    with db.connect() as conn:
        names = _load(conn)
    return lambda text: find_matches(text, names, exempt)


def check_text(db: Engine, text: str) -> list[Match]:
    """The matches of the stored protected list in `text`, with the roster exempt."""
    return checker(db)(text)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def describe_matches(text: str, matches: Iterable[Match]) -> list[str]:
    """One line per match, like "line 3: 'María González'", to say where to look.

    A name split across a line break reads "lines 3-4: 'María\\nGonzález'".
    """
    lines = []
    for m in matches:
        first, last = _line_of(text, m.start), _line_of(text, m.end)
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        lines.append(f"{where}: {m.text!r}")
    return lines


class NamesProtected(InvalidInput):
    """Words name a protected member: refused when written or approved, held when leaving.

    `str()` says where, for the writer; `HIDDEN` says only that they do, for a viewer or a
    page any member may read, so the list itself is never disclosed.
    """

    HIDDEN = "It names a protected member; an editor can see where."


# Stored as a held post's or e-mail's reason: shown to every member, so it names no words.
HELD = ("Held, not sent: it now names a protected member. Edit it and ask the committee "
        "again.")


def require_clean(db: Engine, text: str, what: str) -> None:
    """Raise NamesProtected when `text` names a protected member; `what` is "release", "post"...

    This is the one gate for every door: called when words are written (post text, alt
    text, pitch note), when they are submitted or approved, and at the moment they leave
    (the post publisher, the pitch sender, release exports, .eml downloads). The message
    quotes only the text as written, never the list.
    """
    matches = check_text(db, text)
    if not matches:
        return
    where = "; ".join(describe_matches(text, matches))
    if len(matches) == 1:
        raise NamesProtected(f"This {what} names a protected member ({where}); "
                             "remove the name before submitting.")
    raise NamesProtected(f"This {what} names protected members ({where}); "
                         "remove the names before submitting.")


# --- display ---------------------------------------------------------------------------------


def _escape(text: str, start: int, end: int) -> str:
    """text[start:end] as inert HTML and Markdown: punctuation as character references."""
    out = []
    for i in range(start, end):
        char = text[i]
        if char == "\n":
            out.append("" if i and text[i - 1] == "\r" else "<br>")
        elif char == "\r":
            out.append("<br>")
        elif char in " \t":
            after_space = i == 0 or text[i - 1].isspace()
            out.append("&nbsp;" if after_space else " ")
        elif char.isascii() and not char.isalnum():
            out.append(f"&#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


def highlight_markdown(text: str, matches: Iterable[Match]) -> str:
    """`text` with each match in <mark>, safe for st.markdown(..., unsafe_allow_html=True).

    Every ASCII punctuation character of the text is written as a numeric character
    reference, which neither HTML nor Markdown reads as syntax: a `<script>` or a
    `[link](javascript:...)` in a draft shows as typed. Line breaks become <br> and repeated
    spaces &nbsp;, so the draft keeps its shape; the <mark> tags are the only markup.
    """
    out, pos = [], 0
    for m in sorted(matches, key=lambda m: m.start):
        out.append(_escape(text, pos, m.start))
        out.append(f"<mark>{_escape(text, m.start, m.end)}</mark>")
        pos = m.end
    out.append(_escape(text, pos, len(text)))
    return "".join(out)


# --- the list --------------------------------------------------------------------------------


def _row(row) -> ProtectedName:
    return ProtectedName(row.id, row.name, tuple(row.aliases or ()), row.created_by,
                         row.created_at)


def _load(conn: sa.Connection) -> list[ProtectedName]:
    rows = conn.execute(sa.select(protected_names)).all()
    return sorted((_row(r) for r in rows), key=lambda p: (_key(p.name), p.id))


def _find(entries: Iterable[ProtectedName], name: str) -> ProtectedName | None:
    key = _key(name)
    return next((p for p in entries if _key(p.name) == key), None)


def count_aliases(n: int) -> str:
    """"1 alias", "3 aliases": how many spellings an entry has, in words."""
    return f"{n} alias" if n == 1 else f"{n} aliases"


def add_protected(
    db: Engine, actor: Actor, name: str, aliases: Iterable[str] = (), *, now: datetime
) -> ProtectedName:
    """Protect a member's name (editors and above); returns the entry as stored.

    Adding a name that is already listed (compared as the matcher compares, so "maria
    gonzalez" finds "María González") adds the new aliases to that entry instead of
    refusing, which is how a nickname heard later gets added. Aliases that match like the
    name or like each other are kept once. The audit entry holds the id and alias counts,
    never a name.
    """
    require(actor, "editor", "changing the protected-names list")
    name = _clean_name(name, "name")
    wanted = [_clean_name(a, "alias") for a in aliases]
    with db.begin() as conn:
        existing = _find(_load(conn), name)
        kept = list(existing.aliases) if existing else []
        seen = {_key(a) for a in kept} | {_key(existing.name if existing else name)}
        for alias in wanted:
            if _key(alias) not in seen:
                seen.add(_key(alias))
                kept.append(alias)
        if existing is None:
            entry_id = conn.execute(protected_names.insert().values(
                name=name, aliases=kept, created_by=actor.name, created_at=now,
            )).inserted_primary_key[0]
            audit.record(conn, actor, entity="protected_name", entity_id=entry_id,
                         action="add", summary=f"with {count_aliases(len(kept))}", now=now)
        else:
            entry_id = existing.id
            added = len(kept) - len(existing.aliases)
            if added:
                conn.execute(protected_names.update()
                             .where(protected_names.c.id == entry_id).values(aliases=kept))
                audit.record(conn, actor, entity="protected_name", entity_id=entry_id,
                             action="add_alias",
                             summary=f"added {count_aliases(added)}, {len(kept)} in all",
                             now=now)
        return next(p for p in _load(conn) if p.id == entry_id)


def remove_protected(db: Engine, actor: Actor, name: str, *, now: datetime) -> int:
    """Take an entry, with its aliases, off the list (approvers and admins: it unshields
    someone); returns its id. Undoable for 30 days by an approver or admin.

    `name` is compared as the matcher compares. The audit entry holds who, when and the
    id, never the name.
    """
    require(actor, "approver", "removing a protected name")
    with db.begin() as conn:
        entry = _find(_load(conn), name)
        if entry is None:
            raise NotFound("No entry on the protected list has that name.")
        trash.keep(conn, actor, entity="protected_name", entity_id=entry.id,
                   label=entry.name, audit_summary="", now=now,
                   rows={"protected_names": trash.rows_of(
                       conn, protected_names, protected_names.c.id == entry.id)})
        conn.execute(protected_names.delete().where(protected_names.c.id == entry.id))
    return entry.id


def update_protected(db: Engine, actor: Actor, entry_id: int, name: str,
                     aliases: Iterable[str], *, now: datetime) -> ProtectedName:
    """Correct an entry's name and replace its aliases (editors and above). Dropping an
    alias unshields a spelling, so it needs an approver or admin, like a removal."""
    require(actor, "editor", "changing the protected-names list")
    name = _clean_name(name, "name")
    wanted = list(dict.fromkeys(_clean_name(a, "alias") for a in aliases))
    with db.begin() as conn:
        entries = _load(conn)
        entry = next((p for p in entries if p.id == entry_id), None)
        if entry is None:
            raise NotFound("That entry is no longer on the protected list.")
        other = _find([p for p in entries if p.id != entry_id], name)
        if other is not None:
            raise InvalidInput("Another entry already protects that name: add the spelling "
                               "to it instead.")
        dropped = {_key(a) for a in entry.aliases} - {_key(a) for a in wanted}
        if dropped:
            require(actor, "approver", "removing a spelling of a protected name")
        conn.execute(protected_names.update().where(protected_names.c.id == entry_id)
                     .values(name=name, aliases=wanted))
        audit.record(conn, actor, entity="protected_name", entity_id=entry_id, action="edit",
                     summary=f"{count_aliases(len(wanted))}, {len(dropped)} dropped", now=now)
        return next(p for p in _load(conn) if p.id == entry_id)


def list_protected(db: Engine, actor: Actor) -> list[ProtectedName]:
    """The protected list, by name (editors and above: the list itself is sensitive)."""
    require(actor, "editor", "reading the protected-names list")
    with db.connect() as conn:
        return _load(conn)
