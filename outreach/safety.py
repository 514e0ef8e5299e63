"""Safe outputs: CSV cells a spreadsheet will not run (csv_safe, write_csv) and outside text
that Markdown shows as it is (md_escape). Safe fetches are outreach.net's.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

Resolver = Callable[[str, int], Iterable[tuple[Any, ...]]]
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Markdown reads these as markup anywhere in a line (& only where it starts an entity; $ for
# the dashboard's formulas)...
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$]|&(?=#?\w+;))")
# ... and these at the start of one (lists, headings, setext underlines, ordered lists).
_MD_LEADING = re.compile(r"^( ?)([-+#=])(?=\s|$|\2+\s*$)")
_MD_ORDERED = re.compile(r"^( ?\d{1,9})([.)])(?=\s|$)")


def md_escape(value: object) -> str:
    """`value` as literal Markdown text on one line: markup characters are backslash-escaped
    and line breaks (any run of white space) become one space. For every text from outside
    (a feed's title, an imported name, a platform's error) shown where Markdown is rendered:
    `![](http://host/pixel)` in a headline must not make each reader's browser fetch it."""
    text = _MD_INLINE.sub(r"\\\1", re.sub(r"\s+", " ", str(value)))
    return _MD_ORDERED.sub(r"\1\\\2", _MD_LEADING.sub(r"\1\\\2", text))


def csv_safe(value: object) -> str:
    """Text for one CSV cell that a spreadsheet shows as text and never runs as a formula.

    Text starting with =, +, -, @, tab or carriage return gets a leading single quote, as
    OWASP advises; None is an empty cell. Python numbers (int, float, Decimal, not strings)
    are written as they are: their text cannot hold a formula, and -5 stays a number that a
    spreadsheet can sum. The string "-5", or a phone number "+1 312 555 0100", is text and
    comes out as '-5 and '+1 312 555 0100.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, numbers.Number) or not text.startswith(_FORMULA_PREFIXES):
        return text
    return "'" + text


def write_csv(
    rows: Iterable[Mapping[str, object]],
    fileobj: IO[str],
    columns: list[str] | None = None,
) -> None:
    """Write a header and one line per row to `fileobj`, every cell (header too) via csv_safe.

    `columns` chooses and orders the columns, leaving other keys out; by default every key
    found in `rows`, in order of first appearance. A missing key is an empty cell. Open the
    file with newline="", as the csv module asks.
    """
    rows = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.writer(fileobj)
    writer.writerow([csv_safe(name) for name in columns])
    writer.writerows([csv_safe(row.get(name)) for name in columns] for row in rows)


def csv_text(rows: Iterable[Mapping[str, object]], columns: list[str] | None = None) -> str:
    """The CSV of `write_csv` as a string, for a download button."""
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer, columns)
    return buffer.getvalue()
