"""The campaign coverage query language: which stories count as coverage, and why.

A query such as ``"Acme Logistics" AND (union OR strike OR Teamsters) NOT "Acme Insurance"``
is compiled once (`compile_query`) and matched against many stories (`Query.match`).

Terms
    A bare word (``union``) or a double-quoted phrase (``"Acme Logistics"``; curly quotes
    work too). Matching is on whole words: the story and the terms are normalised
    (`normalize`: NFKD, accents removed, casefold, every run of characters that are not
    letters or digits becomes one space) and a term matches when its normalised words appear
    consecutively in the normalised text. So ``union`` does not match "reunion",
    ``"Acme Logistics"`` matches "ACME   logistics," and ``trabajadóres`` matches
    "Trabajadores". Punctuation inside a term splits it into words (``AT&T`` is the phrase
    "at t", found in "AT&T" and "AT-T"). A trailing ``*`` on a bare word makes its last word
    a prefix (``organi*`` finds "organizing" and "organise"); inside quotes ``*`` is plain
    punctuation. `match_item` keeps the title, summary and content apart, so a phrase never
    runs from the end of one into the start of the next.

Operators
    ``AND``, ``OR`` and ``NOT`` in any case (quote them to search for the words themselves:
    ``"and"``), and ``-term`` as NOT. NOT binds tighter than AND, AND tighter than OR; two
    terms side by side mean AND (``acme strike`` is ``acme AND strike``) and ``a NOT b`` is
    ``a AND NOT b``. Parentheses group, at most `MAX_DEPTH` deep.

Refused, with the 1-based character position of the problem (`InvalidInput`)
    an empty query; an unclosed quote; an unclosed ``(`` or an unmatched ``)``; AND, OR, NOT
    or ``-`` without the term it needs; an empty phrase ``""`` or empty parentheses ``()``;
    a term with no letters or digits; a ``*`` anywhere but at the end of a bare word; and a
    query that would match a story in which none of its terms is found (``NOT x``,
    ``a OR NOT b``): a query must name something a story has to contain.

Matched terms
    `Query.match` returns the terms, as written (without quotes), that were found in the text
    and made the query match: every term of a matching AND, those of the matching branches of
    an OR, never an excluded one. They come in query order, each once, and there is always at
    least one.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from outreach.errors import InvalidInput

MAX_DEPTH = 32
MAX_LENGTH = 5000

_ASCII_NON_WORD = re.compile(r"[^a-z0-9]+")
_QUOTES = frozenset('"\u201c\u201d\u201e')
_STOPS = frozenset('()"\u201c\u201d\u201e')
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Keeps fields apart in `normalize_item`: matches no term, as terms hold only words and spaces.
_FIELD_BREAK = "\n"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes for accents (Mn, removed) and for non-word runs (spacing marks stay in words)."""
    accents: list[int] = []
    marks: list[int] = []
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category == "Mn":
            accents.append(code)
        elif category in ("Mc", "Me"):
            marks.append(code)
    accent = re.compile(f"[{_char_class(accents)}]+")
    non_word = re.compile(f"(?:[^\\w{_char_class(marks)}]|_)+")
    return accent, non_word


def _char_class(codes: list[int]) -> str:
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces, padded with one
    space at each end, ready for matching."""
    if text.isascii():
        words = _ASCII_NON_WORD.sub(" ", text.lower()).strip()
    else:
        accent, non_word = _patterns()
        decomposed = accent.sub("", unicodedata.normalize("NFKD", text.casefold()))
        words = non_word.sub(" ", decomposed).strip()
    return f" {words} " if words else " "


def normalize_item(*texts: str) -> str:
    """Normalise a story's texts (title, summary, content) once, for many `Query.match` calls;
    the texts stay apart so that no phrase matches across two of them."""
    return _FIELD_BREAK.join(normalize(text) for text in texts)


# Tokens ---------------------------------------------------------------------------------

class _Token(NamedTuple):
    kind: str  # "word", "phrase", "and", "or", "not", "(", ")", "end"
    text: str  # as written: the word, the phrase without quotes, the operator
    pos: int  # 1-based character position


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i + 1))
            i += 1
        elif ch in _QUOTES:
            end = next((j for j in range(i + 1, n) if query[j] in _QUOTES), -1)
            if end < 0:
                raise InvalidInput(
                    f"Unclosed quote opened at position {i + 1}; add the closing \" after "
                    "the phrase."
                )
            tokens.append(_Token("phrase", query[i + 1:end], i + 1))
            i = end + 1
        elif ch == "-" and (i + 1 == n or query[i + 1].isspace() or query[i + 1] == ")"):
            raise InvalidInput(
                f"Expected a term after - at position {i + 1}; write the word to leave out "
                "right after the minus, e.g. -insurance."
            )
        elif ch == "-":
            tokens.append(_Token("not", "-", i + 1))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _STOPS:
                j += 1
            word = query[i:j]
            upper = word.upper()
            tokens.append(_Token(upper.lower() if upper in _OPERATORS else "word", word, i + 1))
            i = j
    tokens.append(_Token("end", "", n + 1))
    return tokens


# Syntax tree, as parsed ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Term:
    label: str  # as written, without quotes
    needle: str  # what `in` looks for in normalised text
    pos: int


@dataclass(frozen=True)
class _Not:
    child: _Syntax
    op: str
    pos: int


@dataclass(frozen=True)
class _Group:
    is_and: bool
    children: tuple[_Syntax, ...]


_Syntax = _Term | _Not | _Group


def _term(token: _Token) -> _Term:
    raw = token.text
    if token.kind == "phrase":
        label, prefix = raw.strip(), False
        if not label:
            raise InvalidInput(
                f'Empty phrase "" at position {token.pos}; put words between the quotes or '
                "remove them."
            )
    else:
        star = raw.find("*")
        if 0 <= star < len(raw) - 1:
            raise InvalidInput(
                f"A * may only end a word (position {token.pos + star}); write it as a "
                "prefix like organi*, or remove it."
            )
        label, prefix = raw, raw.endswith("*")
    words = normalize(raw[:-1] if prefix else raw).strip()
    if not words:
        what = "phrase" if token.kind == "phrase" else "term"
        raise InvalidInput(
            f"The {what} {label!r} at position {token.pos} has no letters or digits to look "
            "for; remove it or use words."
        )
    return _Term(label, f" {words}" if prefix else f" {words} ", token.pos)


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := (NOT | -)* primary; primary := term | ( or )."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> _Syntax:
        if self.peek().kind == "end":
            raise InvalidInput(
                'Empty query at position 1; write the words or "phrases" to look for, e.g. '
                '"Acme Logistics" AND strike.'
            )
        tree = self.any_of(0, None)
        extra = self.peek()
        if extra.kind == ")":
            raise InvalidInput(
                f"Unmatched closing parenthesis at position {extra.pos}; remove it or add "
                "the ( it closes."
            )
        return tree

    def any_of(self, depth: int, after: _Token | None) -> _Syntax:
        children = [self.all_of(depth, after)]
        while self.peek().kind == "or":
            children.append(self.all_of(depth, self.take()))
        return children[0] if len(children) == 1 else _Group(False, tuple(children))

    def all_of(self, depth: int, after: _Token | None) -> _Syntax:
        children = [self.unary(depth, after)]
        while True:
            kind = self.peek().kind
            if kind == "and":
                children.append(self.unary(depth, self.take()))
            elif kind in ("word", "phrase", "not", "("):
                children.append(self.unary(depth, None))
            else:
                break
        return children[0] if len(children) == 1 else _Group(True, tuple(children))

    def unary(self, depth: int, after: _Token | None) -> _Syntax:
        nots = []
        while self.peek().kind == "not":
            nots.append(self.take())
        node = self.primary(depth, nots[-1] if nots else after)
        # NOT NOT x is x: only the parity of a chain of NOTs matters.
        return _Not(node, nots[0].text, nots[0].pos) if len(nots) % 2 else node

    def primary(self, depth: int, after: _Token | None) -> _Syntax:
        token = self.peek()
        if token.kind in ("word", "phrase"):
            return _term(self.take())
        if token.kind == "(":
            return self.parenthesised(depth)
        if token.kind == ")" and after is None:
            raise InvalidInput(
                f"Unmatched closing parenthesis at position {token.pos}; remove it or add "
                "the ( it closes."
            )
        if after is not None:
            raise InvalidInput(
                f"Expected a term after {after.text} at position {after.pos}; add a word or "
                f'"phrase" after it, or remove the {after.text}.'
            )
        raise InvalidInput(
            f"Expected a term before {token.text} at position {token.pos}; add a word or "
            f'"phrase" before it, or remove the {token.text}.'
        )

    def parenthesised(self, depth: int) -> _Syntax:
        opening = self.take()
        if depth >= MAX_DEPTH:
            raise InvalidInput(
                f"Parentheses nested more than {MAX_DEPTH} deep at position {opening.pos}; "
                "simplify the query."
            )
        kind = self.peek().kind
        if kind == ")":
            raise InvalidInput(
                f"Empty parentheses at position {opening.pos}; put terms between them or "
                "remove them."
            )
        if kind == "end":
            raise InvalidInput(
                f"Unclosed parenthesis opened at position {opening.pos}; add a ) to close it."
            )
        inner = self.any_of(depth + 1, None)
        if self.peek().kind != ")":
            raise InvalidInput(
                f"Unclosed parenthesis opened at position {opening.pos}; add a ) to close it."
            )
        self.take()
        return inner


def _exclusion_only(node: _Syntax) -> _Not | None:
    """The NOT that lets `node` match a text where none of its terms is found, if any."""
    if isinstance(node, _Term):
        return None
    if isinstance(node, _Not):
        return node if _exclusion_only(node.child) is None else None
    culprits = [_exclusion_only(child) for child in node.children]
    if node.is_and:
        return culprits[0] if all(culprits) else None
    return next((c for c in culprits if c is not None), None)


# Compiled form: negation pushed down to the terms, nested closures for speed ----------------

@dataclass(frozen=True)
class _Leaf:
    needle: str
    positive: bool
    slot: int  # index into Query._labels, shared by terms with the same needle
    test: Callable[[str], bool]


@dataclass(frozen=True)
class _Branch:
    is_and: bool
    children: tuple[_Node, ...]
    test: Callable[[str], bool]


_Node = _Leaf | _Branch


def _leaf(needle: str, positive: bool, slot: int) -> _Leaf:
    if positive:
        return _Leaf(needle, True, slot, lambda text: needle in text)
    return _Leaf(needle, False, slot, lambda text: needle not in text)


def _branch(is_and: bool, children: tuple[_Node, ...]) -> _Branch:
    present = tuple(c.needle for c in children if isinstance(c, _Leaf) and c.positive)
    absent = tuple(c.needle for c in children if isinstance(c, _Leaf) and not c.positive)
    subtests = tuple(c.test for c in children if isinstance(c, _Branch))

    def every(text: str) -> bool:
        for needle in present:
            if needle not in text:
                return False
        for needle in absent:
            if needle in text:
                return False
        return all(sub(text) for sub in subtests)

    def some(text: str) -> bool:
        for needle in present:
            if needle in text:
                return True
        for needle in absent:
            if needle not in text:
                return True
        return any(sub(text) for sub in subtests)

    return _Branch(is_and, children, every if is_and else some)


def _compile(node: _Syntax, negate: bool, slots: dict[str, int]) -> _Node:
    if isinstance(node, _Term):
        return _leaf(node.needle, not negate, slots[node.needle])
    if isinstance(node, _Not):
        return _compile(node.child, not negate, slots)
    is_and = node.is_and != negate  # De Morgan
    children: list[_Node] = []
    for child in node.children:
        compiled = _compile(child, negate, slots)
        if isinstance(compiled, _Branch) and compiled.is_and == is_and:
            children.extend(compiled.children)
        else:
            children.append(compiled)
    return _branch(is_and, tuple(children))


def _terms(node: _Syntax) -> list[_Term]:
    if isinstance(node, _Term):
        return [node]
    if isinstance(node, _Not):
        return _terms(node.child)
    return [term for child in node.children for term in _terms(child)]


def _collect(node: _Node, text: str, found: set[int]) -> None:
    """Add the slots of the positive terms that make `node` (known to match) match."""
    if isinstance(node, _Leaf):
        if node.positive:
            found.add(node.slot)
        return
    for child in node.children:
        if node.is_and or child.test(text):
            _collect(child, text, found)


@dataclass(frozen=True, slots=True)
class Query:
    """A compiled coverage query; `text` is its source. Build it with `compile_query`."""

    text: str
    terms: tuple[str, ...]  # each distinct term once, as written, in query order
    _root: _Node = field(repr=False, compare=False)
    _test: Callable[[str], bool] = field(repr=False, compare=False)

    def match(self, normalized: str) -> tuple[str, ...] | None:
        """None when the query does not match; else the terms (as written in the query,
        without quotes) that were found in the text and contributed to the match, in query
        order without duplicates."""
        if not self._test(normalized):
            return None
        found: set[int] = set()
        _collect(self._root, normalized, found)
        return tuple(self.terms[slot] for slot in sorted(found))

    def match_item(self, *texts: str) -> tuple[str, ...] | None:
        """Convenience: normalise and join the given texts (title, summary, content), then
        match."""
        return self.match(normalize_item(*texts))


def compile_query(text: str) -> Query:
    """Parse and compile a coverage query; a malformed one raises InvalidInput naming the
    1-based position of the problem and how to fix it."""
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            f"The query is {len(text)} characters long; shorten it to {MAX_LENGTH} (it runs "
            f"past the limit at position {MAX_LENGTH + 1})."
        )
    tree = _Parser(_tokens(text)).parse()
    culprit = _exclusion_only(tree)
    if culprit is not None:
        raise InvalidInput(
            f"The query only says what to leave out ({culprit.op} at position {culprit.pos}) "
            "and would match almost every story; add a term stories must contain, e.g. "
            "Acme NOT insurance."
        )
    slots: dict[str, int] = {}
    labels: list[str] = []
    for term in _terms(tree):
        if term.needle not in slots:
            slots[term.needle] = len(labels)
            labels.append(term.label)
    root = _compile(tree, False, slots)
    return Query(text, tuple(labels), root, root.test)
