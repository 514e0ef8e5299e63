"""Import a press list from CSV or XLSX, and export ours as CSV that imports back unchanged.

An import runs in three steps, so that the dashboard can show a preview before anything is
written and the command line can do it all at once:

    read_table(data, filename) -> Table           bytes to header and rows (any delimiter,
                                                  UTF-8/UTF-8 BOM/cp1252/UTF-16, or XLSX)
    plan_import(db, table, mapping=...) -> plan   what each row would do: added, merged into
                                                  a journalist on file or an earlier row,
                                                  unchanged, or skipped as invalid
    apply_import(db, actor, plan, now=...)        re-plans inside one transaction against the
                                                  store as it is then, and writes it all, or
                                                  nothing when a row is invalid

`import_file` chains them for a path; `format_report` prints the result; `export_rows` and
`export_csv` write our own format (the columns in `FIELDS`). The rules (header variants,
duplicates, merging, what counts as invalid) are described for users in
press_lists/README.md; the normalisers live in `outreach.presslist.fields`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gc
import io
import operator
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.errors import InvalidInput, NotFound
from outreach.presslist.contacts import FIELD_LIMITS
from outreach.presslist.fields import (
    FIELDS,
    clean_text,
    dedupe_items,
    domain_of,
    join_items,
    name_key,
    normalise_handle,
    normalise_preferred_contact,
    parse_bool,
    split_emails,
    split_items,
)
from outreach.roles import Actor, require
from outreach.safety import write_csv
from outreach.store.tables import (
    journalist_outlets,
    journalists,
    outlets,
    press_list_members,
    press_lists,
)

EXPORT_COLUMNS: list[str] = [
    label for name, label in FIELDS.items() if name not in ("first_name", "last_name")
]

# Headers that spreadsheets and PR tools' exports use, beyond our own labels and the field
# names. Compared after _header_key: case, spaces and punctuation do not matter.
_HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "name": ("Full Name", "Contact Name", "Journalist", "Journalist Name"),
    "first_name": ("First", "Given Name", "Forename"),
    "last_name": ("Last", "Surname", "Family Name"),
    "email": ("E-mail", "Email Address", "E-mail Address", "Work Email", "Primary Email",
              "Email 1"),
    "other_emails": ("Other Email", "Email 2", "Alternate Email", "Secondary Email",
                     "Personal Email"),
    "outlet": ("Media Outlet", "Outlet Name", "Publication", "Company", "Organization",
               "Organisation"),
    "outlet_domain": ("Outlet Website", "Outlet URL"),
    "outlet_feed_url": ("Outlet Feed", "Outlet RSS"),
    "title": ("Job Title", "Position"),
    "x_handle": ("Twitter", "Twitter Handle", "Twitter URL", "Twitter Username", "X Handle",
                 "X URL", "X (Twitter)", "Twitter/X"),
    "bluesky_handle": ("Bluesky Handle", "Bluesky URL", "Bsky"),
    "phone": ("Work Phone", "Mobile", "Mobile Phone", "Cell", "Phone Number", "Telephone"),
    "beats": ("Beat", "Topics", "Topic", "Subjects"),
    "city": ("Location",),
    "region": ("State", "Province"),
    "website": ("Web", "URL", "Homepage", "Blog"),
    "languages": ("Language",),
    "preferred_contact": ("Preferred Contact Method", "Contact Preference"),
    "tags": ("Tag",),
    "do_not_contact": ("DNC", "Opted Out"),
    "notes": ("Note", "Comments"),
    "lists": ("List", "Press Lists", "Press List"),
    "last_contacted_at": ("Last Contacted At", "Last Contact"),
}

# Spreadsheet "formula" prefixes that outreach.safety.csv_safe guards with a quote.
_GUARDED = frozenset("=+-@\t\r")
_DELIMITERS = ",;\t"
_SNIFF_CHARS = 64 * 1024
_DECODE_CHUNK = 1024 * 1024
_DELIMITER_NAMES = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated"}
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252",
                   "utf-16": "UTF-16", "xlsx": "XLSX"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

# How each kind of journalist field is read from its cells and merged.
_LINE_FIELDS = ("pronouns", "title", "phone", "city", "region", "do_not_contact_reason",
                "source")
_TEXT_FIELDS = ("website", "notes")
_ITEM_FIELDS = ("beats", "tags", "languages")
_OUTLET_FIELDS = {"outlet_domain": "domain", "outlet_kind": "kind",
                  "outlet_region": "region", "outlet_language": "language",
                  "outlet_feed_url": "feed_url"}
_KINDS = {
    **dict.fromkeys(("name", "first_name", "last_name", *_LINE_FIELDS), "line"),
    **dict.fromkeys(_TEXT_FIELDS, "text"),
    **dict.fromkeys(_ITEM_FIELDS, "items"),
    **dict.fromkeys(("x_handle", "bluesky_handle", "preferred_contact", "do_not_contact",
                     "last_contacted_at"), "parsed"),
    **dict.fromkeys(("email", "other_emails"), "emails"),
    "outlet": "outlet",
    **dict.fromkeys(_OUTLET_FIELDS, "outlet_attr"),
    **dict.fromkeys(("lists", "other_outlets"), "names"),
}
# The journalist columns an import writes, besides id and the timestamps: single values,
# list-like ones (kept as lists while planning, stored joined by "; "), and the rest.
_SCALARS = ("name", "pronouns", "title", "email", "phone", "bluesky_handle", "x_handle",
            "website", "city", "region", "preferred_contact", "do_not_contact_reason",
            "notes", "source")
_LISTS = ("other_emails", "beats", "tags", "languages")
_JOINED = (*_ITEM_FIELDS, "other_emails")  # the list-like columns, in a merge's report order
_WRITTEN = (*_SCALARS, *_LISTS, "outlet_id", "do_not_contact", "last_contacted_at")
# Column lengths, which PostgreSQL enforces and SQLite does not: checked while planning so
# that both refuse the same rows, with a message instead of a database error.
_OUTLET_LIMITS = {column.name: column.type.length for column in outlets.c
                  if isinstance(column.type, sa.String) and column.type.length}
_LIST_NAME_MAX = press_lists.c.name.type.length
_LABELS = {**FIELDS, "outlet_id": "Outlet"}  # for the columns a merge reports
_ERRORS_SHOWN = 5
_WRITE_PART = 10_000  # journalists per executemany

# How much one import reads. Constants rather than settings: they bound the work and memory
# a file can cost the machine (the page and the CLI share them), a committee's press list
# is tens of thousands of rows at most, and a bigger list is imported in parts. The planner
# holds about 1.3 KB per row (bench/press_list.py), so the row cap bounds its memory; a CSV
# file on disk is read as it is planned, and 40 MB is 300,000 rows of a PR tool's export.
# The row cap counts blank rows too, as they are read all the same.
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_ROWS = 300_000
# A workbook is read whole by openpyxl, whose memory grows with the rows: fewer are taken.
MAX_XLSX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit, so a cell of any spreadsheet fits
# An XLSX file is a zip of XML: the XML of a workbook holding as much as the largest CSV is
# about five times the CSV's size, and nothing more is unpacked.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Parts besides the sheets and their shared strings (styles, theme, properties) are read
# whole into many objects: a few megabytes is more than any workbook's styles take.
MAX_OTHER_PART_BYTES = 4 * 1024 * 1024
# openpyxl's work grows with the number of XML elements: about 200,000 rows of ten cells.
_MAX_XML_TAGS = 8_000_000
# The XML parser openpyxl reads sheets with (expat, through ElementTree.iterparse) scans a
# piece of XML that is not finished yet again on each 16 KB it is fed, so one piece of n
# bytes costs n squared: a 50 MB comment in a 52 KB file took over a minute. No piece of a
# spreadsheet's XML (a tag, a cell's text, a comment) is longer than a cell's text written
# out in full, and a workbook holds a handful of comments or processing instructions.
_MAX_XML_PIECE = 256 * 1024  # a cell in full, at the 8 bytes an escaped character may take
_MAX_XML_SPECIALS = 10_000
_XML_SPECIAL = re.compile(rb"<[!?]")
_XML_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
_SCAN_CHUNK = 256 * 1024
_RESAVE = "Open it in a spreadsheet program, save it again as .xlsx (or CSV) and import that."


def _header_key(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.casefold())


_FIELD_BY_HEADER: dict[str, str] = {}
for _field, _label in FIELDS.items():
    for _text in (_label, _field, *_HEADER_VARIANTS.get(_field, ())):
        _FIELD_BY_HEADER.setdefault(_header_key(_text), _field)


@dataclass(frozen=True)
class Table:
    """A file read into a header and rows, before any mapping.

    `rows` pairs each non-blank data row's number as a spreadsheet shows it (the header is
    row 1) with its cells as they are in the file; blank rows are left out but keep their
    number. read_table gives a list; import_file, for a CSV file on disk, an iterable that
    reads the file again each time, so that a big file is never held in memory. A column
    without a header is called "Column N". `encoding` is "utf-8",
    "utf-8-sig", "cp1252", "utf-16" or "xlsx"; `delimiter` is "," ";" or tab, "" for XLSX.
    """

    filename: str
    headers: list[str]
    rows: Iterable[tuple[int, list[str]]]
    encoding: str
    delimiter: str

    @property
    def form(self) -> str:
        """How the file was read, in words: "UTF-8, comma-separated" or "XLSX"."""
        return describe_form(self.encoding, self.delimiter)


def describe_form(encoding: str, delimiter: str) -> str:
    """An encoding and delimiter in words, as the CLI report and the page say them."""
    return (_ENCODING_NAMES.get(encoding, encoding)
            + (f", {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}" if delimiter else ""))


@dataclass(slots=True)  # one per row: without a __dict__ each takes half the memory
class RowOutcome:
    """What one row of the file does.

    `action` is "added", "merged" (into a journalist on file or an earlier row: `changes`
    holds (column, old, new)), "unchanged" (a duplicate that brings nothing new) or
    "skipped" (`detail` says why). `detail` names the match for merged and unchanged rows;
    `conflicts` holds (column, kept, offered) where the file differs from a non-empty value,
    which is kept; `notes` says anything else worth knowing (an outlet matched by domain).
    Each of the three is the shared empty tuple when there is nothing to say: a big import
    keeps an outcome per row, and three empty lists would double its size.
    """

    row: int
    action: str
    name: str
    detail: str = ""
    changes: Sequence[tuple[str, str, str]] = ()
    conflicts: Sequence[tuple[str, str, str]] = ()
    notes: Sequence[str] = ()


def _count(outcomes: Iterable[RowOutcome]) -> dict[str, int]:
    counts = dict.fromkeys(("added", "merged", "unchanged", "skipped"), 0)
    for outcome in outcomes:
        counts[outcome.action] += 1
    return counts


@dataclass
class _Writes:
    """Everything apply_import writes, with outlets and lists that do not exist yet as keys."""

    new_outlets: dict[int, dict[str, str]]
    new_lists: dict[str, str]
    inserts: list[_Record]
    updates: list[_Record]
    outlet_links: list[tuple[_Record, int]]
    memberships: list[tuple[_Record, str]]
    list_ids: dict[str, int]
    insert_columns: tuple[str, ...]


@dataclass
class ImportPlan:
    """What importing `table` would do to the store as it was when planned (nothing written).

    `mapping` is the effective header -> field mapping and `ignored` the headers no field
    takes; `outcomes` has one entry per non-blank row; `new_outlets` and `new_lists` are
    the names that would be created. `list_name` and `source` are the options it was
    planned with, and `manual_mapping` the mapping given, so that apply_import can plan the
    same import again inside its transaction.
    """

    table: Table
    manual_mapping: dict[str, str | None]
    mapping: dict[str, str | None]
    ignored: list[str]
    list_name: str | None
    source: str
    outcomes: list[RowOutcome]
    new_outlets: list[str]
    new_lists: list[str]
    _writes: _Writes = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows are added, merged, unchanged and skipped."""
        return _count(self.outcomes)

    @property
    def invalid(self) -> list[RowOutcome]:
        """The rows that cannot be imported, each with its reason."""
        return [outcome for outcome in self.outcomes if outcome.action == "skipped"]

    def failure(self) -> str:
        """The message an import without skip_invalid fails with, or "" when it would not."""
        invalid = self.invalid
        if not invalid:
            return ""
        shown = "; ".join(f"row {o.row}: {o.detail}" for o in invalid[:_ERRORS_SHOWN])
        more = len(invalid) - _ERRORS_SHOWN
        if more > 0:
            shown += f"; and {more} more invalid row{'s' if more > 1 else ''}"
        return (f"{self.table.filename}: {shown[0].upper()}{shown[1:]}. Nothing was imported: "
                "correct these rows, or skip invalid rows (--skip-invalid).")


@dataclass(frozen=True)
class ImportReport:
    """The outcome of an import (or of a dry run, when `written` is False)."""

    filename: str
    encoding: str
    delimiter: str
    outcomes: list[RowOutcome]
    ignored: list[str]
    new_outlets: list[str]
    new_lists: list[str]
    list_name: str | None
    written: bool
    failure: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """How many rows were added, merged, unchanged and skipped."""
        return _count(self.outcomes)

    def __str__(self) -> str:
        """The counts in words, e.g. "40 added, 2 merged, 0 unchanged, 1 skipped"."""
        return ", ".join(f"{n} {action}" for action, n in self.counts.items())


# --- reading files ---------------------------------------------------------------------------


def read_table(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX file's bytes into a Table; raise InvalidInput if it cannot be read.

    XLSX is recognised by its content (a zip) or its name; its first worksheet is read,
    with the values Excel last computed for formulas. Text files are decoded as UTF-16 when
    they start with its byte-order mark, else as UTF-8 (with or without BOM), else as
    Windows-1252, the encoding Excel on Windows saves "CSV" in; the delimiter is sniffed
    among comma, semicolon and tab. NUL characters are dropped: no database keeps them.
    A file over MAX_FILE_BYTES, MAX_ROWS rows, MAX_COLUMNS columns or a cell over
    MAX_CELL_CHARS characters is refused as soon as reading comes to it, saying how to
    get under the limit.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(too_big_message(filename, len(data)))
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_OLE_MAGIC):
        raise InvalidInput(f"{filename} is an old Excel (.xls) workbook: save it as .xlsx or "
                           "CSV and import that.")
    if data.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, filename)
    rows = _CsvRows(lambda: io.BytesIO(data), filename)
    with _gc_paused():
        return rows.table(list(rows))


class _CsvRows:
    """The non-blank data rows of a CSV file as (row number, cells), read again from the
    start each time they are iterated, so that a file on disk is never held whole.

    `open_bytes` opens the file for reading bytes. The encoding (and whether the text
    holds NUL characters) is found by decoding the whole file once, the delimiter and the
    header row on construction; a cap passed or a malformed row raises InvalidInput when
    iteration comes to it.
    """

    def __init__(self, open_bytes: Callable[[], IO[bytes]], filename: str) -> None:
        self.open_bytes = open_bytes
        self.filename = filename
        self.encoding, self.has_nul = self._encoding()
        with self._text() as text:
            sample, header_line = self._head(text)
        self.delimiter = _sniff_delimiter(sample, header_line)
        self.header_number, header = next(self._numbered(), (0, []))
        if not self.header_number:
            raise InvalidInput(f"{filename} is empty: expected a header row and rows of "
                               "contacts.")
        self.headers = [_unguard(cell).strip() or f"Column {i}"
                        for i, cell in enumerate(header, 1)]

    def table(self, rows: Iterable[tuple[int, list[str]]]) -> Table:
        """The Table of this file with `rows` (this object, or a list of its rows)."""
        return Table(filename=self.filename, headers=self.headers, rows=rows,
                     encoding=self.encoding, delimiter=self.delimiter)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for number, cells in self._numbered():
            if number > self.header_number:
                yield number, cells

    def _encoding(self) -> tuple[str, bool]:
        """UTF-16 after its byte-order mark, else UTF-8 (with or without BOM), else
        Windows-1252; and whether the text holds NUL characters."""
        with self.open_bytes() as fileobj:
            start = fileobj.read(3)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")):
            if (found := self._decodes("utf-16")) is None:
                raise InvalidInput(f"{self.filename} starts like UTF-16 text but is not.")
            return "utf-16", found
        if (found := self._decodes("utf-8")) is not None:  # a BOM is UTF-8 too
            return ("utf-8-sig" if start == b"\xef\xbb\xbf" else "utf-8"), found
        if (found := self._decodes("cp1252")) is not None:
            return "cp1252", found
        raise InvalidInput(
            f"{self.filename} is not text in UTF-8 or Windows-1252, nor an XLSX workbook: "
            "save it as CSV (UTF-8) or XLSX and import that.")

    def _decodes(self, encoding: str) -> bool | None:
        """None when the file is not text in `encoding`, else whether it holds a NUL."""
        decoder = codecs.getincrementaldecoder(encoding)()
        has_nul = False
        with self.open_bytes() as fileobj:
            try:
                while chunk := fileobj.read(_DECODE_CHUNK):
                    has_nul = "\x00" in decoder.decode(chunk) or has_nul
                has_nul = "\x00" in decoder.decode(b"", final=True) or has_nul
            except UnicodeDecodeError:
                return None
        return has_nul

    def _text(self) -> IO[str]:
        return io.TextIOWrapper(self.open_bytes(), encoding=self.encoding, newline="")

    def _head(self, text: IO[str]) -> tuple[str, str]:
        """The first _SNIFF_CHARS characters and the first line (to "\n"), NULs dropped."""
        sample = ""
        while chunk := text.read(_SNIFF_CHARS):
            sample += chunk.replace("\x00", "") if self.has_nul else chunk
            if len(sample) >= _SNIFF_CHARS and "\n" in sample:
                break
        end = sample.find("\n")
        return sample[:_SNIFF_CHARS], sample if end < 0 else sample[:end]

    def _numbered(self) -> Iterator[tuple[int, list[str]]]:
        """Every non-blank row with its number, header included, within the caps."""
        filename = self.filename
        with self._text() as text:
            lines = (line.replace("\x00", "") for line in text) if self.has_nul else text
            reader = csv.reader(lines, delimiter=self.delimiter)
            number = 0
            try:
                for number, cells in enumerate(reader, 1):
                    joined = "".join(cells)
                    # No cell is longer than the row's cells together: only a long row's
                    # cells are measured.
                    if number > MAX_ROWS or len(cells) > MAX_COLUMNS or (
                            len(joined) > MAX_CELL_CHARS):
                        _within_limits(filename, number, cells)
                    # A row is blank when its cells, joined, are empty or only whitespace.
                    if joined and not joined.isspace():
                        yield number, cells
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise InvalidInput(_long_cell_message(filename, number + 1, None)) from None
                raise InvalidInput(
                    f"{filename}, row {number + 1}: the CSV cannot be read ({exc})."
                ) from None


def too_big_message(filename: str, size: int) -> str:
    """Why a file of `size` bytes is not imported, and how to import it anyway."""
    return (f"{filename} is {size / 1_048_576:.1f} MB; at most "
            f"{MAX_FILE_BYTES // 1_048_576} MB is imported at once. Split it into smaller "
            "files, each starting with the header row, and import them one after another.")


def _within_limits(filename: str, number: int, cells: list[str],
                   max_rows: int = MAX_ROWS) -> list[str]:
    """`cells`, the row numbered `number`, or InvalidInput when it passes a cap."""
    if number > max_rows:
        raise InvalidInput(
            f"{filename} has more than {max_rows:,} rows; at most {max_rows:,} are imported "
            "at once. Split it into files of fewer rows, each starting with the header row, "
            "and import them one after another.")
    if len(cells) > MAX_COLUMNS:
        raise InvalidInput(
            f"{filename}, row {number}: {len(cells):,} columns; at most {MAX_COLUMNS} are "
            "read. Delete the columns the press list does not need (and any stray cells far "
            "to the right) and import it again.")
    for column, cell in enumerate(cells, 1):
        if len(cell) > MAX_CELL_CHARS:
            raise InvalidInput(_long_cell_message(filename, number, column))
    return cells


def _long_cell_message(filename: str, row: int, column: int | None) -> str:
    where = f"row {row}" + (f", column {column}" if column else "")
    return (f"{filename}, {where}: a cell holds more than {MAX_CELL_CHARS:,} characters, "
            "the most a cell may hold (as in Excel). Shorten it and import the file again.")


def _sniff_delimiter(sample: str, header_line: str) -> str:
    """Comma, semicolon or tab: csv.Sniffer's guess from the start of the text when the
    header line agrees with it, else the one the header line holds most of (comma when it
    holds none)."""
    in_header = {d: header_line.count(d) for d in _DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in in_header and (in_header[sniffed] or not any(in_header.values())):
        return sniffed
    best = max(_DELIMITERS, key=lambda d: in_header[d])
    return best if in_header[best] else ","


def _read_xlsx(data: bytes, filename: str) -> Table:
    _check_workbook_parts(data, filename)
    import openpyxl  # only XLSX imports pay for loading it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise InvalidInput(f"{filename} is not a readable XLSX workbook ({exc}).") from None
    try:
        if not workbook.worksheets:
            raise InvalidInput(f"{filename} has no worksheet.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs record a wrong used range; read every row
        records = [
            (number, _within_limits(filename, number, [_cell_text(value) for value in values],
                                    MAX_XLSX_ROWS))
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged sheet fails while it is read, not when opened
        raise InvalidInput(f"{filename} is not a readable XLSX workbook ({exc}).") from None
    finally:
        workbook.close()
    return _table(filename, records, "xlsx", "")


def _check_workbook_parts(data: bytes, filename: str) -> None:
    """Refuse, before openpyxl parses anything, a workbook that unpacks to more than
    MAX_UNPACKED_BYTES (a zip bomb) or whose XML holds a piece too long to parse quickly,
    or a DOCTYPE (entity tricks), which no spreadsheet program writes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl says it is not a workbook, in its words
    with archive:
        # zipfile never unpacks more of a part than its declared size (it stops there and
        # fails the checksum), so the declared sizes bound the work before any is done.
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise InvalidInput(
                f"{filename} unpacks to {unpacked / 1_048_576:,.0f} MB of data; at most "
                f"{MAX_UNPACKED_BYTES // 1_048_576} MB is read. Split it into smaller "
                "workbooks and import them one after another.")
        for info in archive.infolist():
            name = info.filename.lower()
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            if (info.file_size > MAX_OTHER_PART_BYTES and name != "xl/sharedstrings.xml"
                    and not name.startswith("xl/worksheets/")):
                raise InvalidInput(
                    f"{filename}: {info.filename} unpacks to {info.file_size:,} bytes, more "
                    "than a spreadsheet's styles or settings take. " + _RESAVE)
            try:
                with archive.open(info) as part:
                    problem = _xml_problem(part)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                return  # a damaged part: openpyxl reports it
            if problem:
                raise InvalidInput(f"{filename}: {info.filename} {problem}")


def _xml_problem(part: IO[bytes]) -> str:
    """What makes the XML in `part` unsafe to parse, or "" (read in chunks, never whole).

    Refused: a piece (text or a tag, so a run without "<"; a comment, CDATA section or
    processing instruction) longer than _MAX_XML_PIECE, more than _MAX_XML_SPECIALS
    comments and the like or _MAX_XML_TAGS elements, and any other "<!" declaration (a
    DOCTYPE or ENTITY).
    """
    carry = b""
    specials = tags = 0
    ended = False
    while not ended:
        chunk = part.read(_SCAN_CHUNK)
        ended = not chunk
        buf = carry + chunk
        # Where the piece that may go on in the next chunk starts.
        keep = len(buf) if ended else max(buf.rfind(b"<"), 0)
        pos = 0
        while (found := _XML_SPECIAL.search(buf, pos, keep)) is not None:
            start = found.start()
            opener = next((o for o in _XML_CLOSERS if buf.startswith(o, start)), None)
            if opener is None:
                if not ended and len(buf) - start < len(b"<![CDATA["):
                    keep = start  # the chunk ends inside the opener: look again with more
                    break
                return ("declares XML entities or a DOCTYPE, which spreadsheets never do. "
                        + _RESAVE)
            specials += 1
            if specials > _MAX_XML_SPECIALS:
                return (f"holds more than {_MAX_XML_SPECIALS:,} XML comments or processing "
                        "instructions, which spreadsheets never write. " + _RESAVE)
            closer = _XML_CLOSERS[opener]
            end = buf.find(closer, start + len(opener), start + _MAX_XML_PIECE)
            if end < 0:
                if ended or len(buf) - start >= _MAX_XML_PIECE:
                    return _long_piece_message()
                keep = start
                break
            pos = end + len(closer)
        if pos > keep:  # a special ran past the last "<": what follows it is unfinished
            last = buf.rfind(b"<", pos)
            keep = pos if last < 0 else last
        if keep and max(map(len, buf[:keep].split(b"<"))) > _MAX_XML_PIECE:
            return _long_piece_message()
        tags += buf.count(b"<", 0, keep)
        if tags > _MAX_XML_TAGS:
            return (f"holds more than {_MAX_XML_TAGS:,} XML elements, more than "
                    f"{MAX_XLSX_ROWS:,} rows of a press list take. Split it into smaller "
                    "workbooks and import them one after another.")
        carry = buf[keep:]
        if len(carry) > _MAX_XML_PIECE:
            return _long_piece_message()
    return ""


def _long_piece_message() -> str:
    return (f"holds a piece of XML (a cell's text, a tag or a comment) longer than "
            f"{_MAX_XML_PIECE // 1024} KB, more than any cell of a spreadsheet needs. "
            + _RESAVE)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number shows without ".0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table(
    filename: str, records: list[tuple[int, list[str]]], encoding: str, delimiter: str
) -> Table:
    body = [(n, cells) for n, cells in records
            if (joined := "".join(cells)) and not joined.isspace()]
    if not body:
        raise InvalidInput(f"{filename} is empty: expected a header row and rows of contacts.")
    _, header_cells = body[0]
    headers = [
        _unguard(cell).strip() or f"Column {i}" for i, cell in enumerate(header_cells, 1)
    ]
    return Table(filename=filename, headers=headers, rows=body[1:], encoding=encoding,
                 delimiter=delimiter)


def _unguard(cell: str) -> str:
    """Undo csv_safe: drop the quote it puts before a cell starting with = + - @ tab or CR."""
    if cell[:1] == "'" and cell[1:2] in _GUARDED and len(cell) > 1:
        return cell[1:]
    return cell


# --- mapping headers to fields ---------------------------------------------------------------


def auto_mapping(headers: Iterable[str]) -> tuple[dict[str, str | None], list[str]]:
    """The fields the importer would read from `headers`, and the headers it does not know.

    Returns (mapping header -> field for each recognised header, unrecognised headers in
    order). Headers are compared ignoring case, spaces and punctuation, against our own
    column names (FIELDS) and the variants spreadsheets and PR tools use, so "E-mail",
    "Email Address" and "email" all give "email". A dashboard shows this as the column
    mapping preview; a manual mapping passed to plan_import overrides it.
    """
    mapping: dict[str, str | None] = {}
    unmapped: list[str] = []
    for header in headers:
        found = _FIELD_BY_HEADER.get(_header_key(header))
        if found:
            mapping[header] = found
        elif header not in unmapped:
            unmapped.append(header)
    return mapping, unmapped


def _field_named(target: str) -> str:
    found = _FIELD_BY_HEADER.get(_header_key(target))
    if found is None:
        raise InvalidInput(
            f"{target!r} is not a field to import into; use one of {', '.join(FIELDS)}."
        )
    return found


def _effective_mapping(
    headers: list[str], manual: Mapping[str, str | None]
) -> dict[str, str | None]:
    for header in manual:
        if header not in headers:
            raise InvalidInput(f"The column mapping names {header!r}, which the file does not "
                               f"have (its columns: {', '.join(headers)}).")
    automatic, _ = auto_mapping(headers)
    effective: dict[str, str | None] = {}
    for header in headers:
        if header in manual:
            target = manual[header]
            effective[header] = None if target is None else _field_named(target)
        else:
            effective[header] = automatic.get(header)
    return effective


# --- planning --------------------------------------------------------------------------------


class _Values(dict):
    """A journalist's values by column (lists as lists), holding only those given: any
    other reads as its empty value."""

    __slots__ = ()

    def __missing__(self, name: str) -> Any:
        return _empty(name)


def _empty(name: str) -> Any:
    """The value of a column a journalist has nothing in (a new list for a list-like one)."""
    if name in _LISTS:
        return []
    return _EMPTY[name]


_NO_LISTS: Mapping[str, str] = MappingProxyType({})
# The columns journalists have values in, each combination once: most rows give the same.
_SHARED_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}

_EMPTY: dict[str, Any] = {**dict.fromkeys(_SCALARS, ""), "do_not_contact": False,
                          "last_contacted_at": None, "outlet_id": None}


def _shared(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names`, or the equal tuple met before: records giving the same columns share one."""
    found = _SHARED_NAMES.get(names)
    if found is None and len(_SHARED_NAMES) < _MEMO_MAX:
        found = _SHARED_NAMES[names] = names
    return found or names


class _Record:
    """A journalist as the import leaves it: one on file (`id` set) or a new one (`row`).

    `before` is None until a merge changes a journalist on file; then it holds the lists
    and other outlets they had, so that only the new links are written. Neither `lists` nor
    `others` is changed in place (a merge replaces them), so a journalist without any
    shares the empty ones rather than holding their own. Its values are kept as two tuples,
    the columns given (shared by the rows that give the same ones) and their values, half
    the size of their dict: read `values` for the dict (a copy) or `value(name)` for one of
    them, and assign `values` to change them.
    """

    __slots__ = ("id", "row", "_names", "_values", "lists", "others", "before")

    def __init__(self, names: tuple[str, ...], values: tuple, lists: Mapping[str, str],
                 others: tuple[int, ...], *, id: int | None = None, row: int = 0) -> None:
        self.id = id
        self.row = row
        self._names = names
        self._values = values
        self.lists = lists
        self.others = others
        self.before: tuple[tuple[str, ...], tuple[int, ...]] | None = None

    @property
    def values(self) -> _Values:
        """The journalist's values by column, as a new dict."""
        return _Values(zip(self._names, self._values, strict=True))

    @values.setter
    def values(self, values: dict[str, Any]) -> None:
        self._names = _shared(tuple(values))
        self._values = tuple(values.values())

    def value(self, name: str) -> Any:
        """One of the journalist's values, without making the dict."""
        names = self._names
        return self._values[names.index(name)] if name in names else _empty(name)

    def emails(self) -> list[str]:
        return [e for e in (self.value("email"), *self.value("other_emails")) if e]


@dataclass
class _Incoming:
    """One row's normalised values."""

    values: dict[str, Any]
    emails: list[str]
    outlet: str
    outlet_attrs: dict[str, str]
    lists: list[str]
    other_outlets: list[str]
    notes: list[str]


def _split_names(text: str) -> list[str]:
    """Press list and outlet names may hold commas, so only ";" separates them."""
    return dedupe_items(text.split(";"))


def _parse_datetime(text: str) -> datetime:
    """An ISO 8601 date and time, in UTC when it names no zone (our export always does)."""
    try:
        value = datetime.fromisoformat(text)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{text!r} is not a date and time like 2026-11-20T15:00:00+00:00."
        ) from None


_PARSERS = {
    "x_handle": lambda text: normalise_handle(text, "x"),
    "bluesky_handle": lambda text: normalise_handle(text, "bluesky"),
    "preferred_contact": normalise_preferred_contact,
    "do_not_contact": parse_bool,
    "last_contacted_at": _parse_datetime,
}


class _Planner:
    """Plans one import against the store as `conn` sees it; rows go through `add_row`."""

    def __init__(self, conn: sa.Connection, source: str, list_name: str | None) -> None:
        self.default_source = source
        self.outlet_names: dict[int, str] = {}
        self.outlet_by_name: dict[str, int] = {}
        self.outlet_by_domain: dict[str, list[int]] = {}
        for oid, name, domain in conn.execute(
            sa.select(outlets.c.id, outlets.c.name, outlets.c.domain)
        ):
            self.outlet_names[oid] = name
            self.outlet_by_name.setdefault(name.casefold(), oid)
            if domain_of(domain):
                self.outlet_by_domain.setdefault(domain_of(domain), []).append(oid)
        self.new_outlets: dict[int, dict[str, str]] = {}
        self.list_ids: dict[str, int] = {}
        self.list_names: dict[str, str] = {}
        for lid, name in conn.execute(sa.select(press_lists.c.id, press_lists.c.name)):
            self.list_ids.setdefault(name.casefold(), lid)
            self.list_names.setdefault(name.casefold(), name)
        self.extra_list = list_name
        self.by_email: dict[str, _Record] = {}
        # By outlet, then name_key: a tuple key per journalist would take 60 bytes more.
        self.by_name: dict[int | None, dict[str, _Record]] = {}
        self.records: list[_Record] = []
        self.file_records: list[_Record] = []
        # The columns some new journalist has a value in: the insert leaves out the others
        # (their defaults are the same empty values), which makes it a third faster.
        self.new_fields: set[str] = {"name"}
        self.new_names: set[tuple[str, ...]] = set()  # the column tuples new_fields has
        self._load_journalists(conn)

    def _load_journalists(self, conn: sa.Connection) -> None:
        names_of_list = {lid: self.list_names[cf] for cf, lid in self.list_ids.items()}
        lists_of: dict[int, dict[str, str]] = {}
        for lid, jid in conn.execute(
            sa.select(press_list_members.c.list_id, press_list_members.c.journalist_id)
        ):
            name = names_of_list.get(lid)
            if name is not None:
                lists_of.setdefault(jid, {})[name.casefold()] = name
        others_of: dict[int, tuple[int, ...]] = {}
        for jid, oid in conn.execute(sa.select(journalist_outlets)):
            others_of[jid] = (*others_of.get(jid, ()), oid)
        # Through the driver, a column at a time: SQLAlchemy's per-row result processing
        # took half the time of loading 20,000 journalists.
        select = sa.select(journalists.c.id, *(journalists.c[name] for name in _WRITTEN))
        rows = conn.exec_driver_sql(str(select.compile(dialect=conn.dialect))).fetchall()
        if not rows:
            return
        ids, *columns = map(list, zip(*rows, strict=True))
        del rows
        stored = dict(zip(_WRITTEN, columns, strict=True))
        stored["other_emails"] = [
            [e for e in re.split(r"[;,\s]+", text.lower()) if e] if text else []
            for text in stored["other_emails"]]
        # Stored lists repeat (beats above all), and none is changed in place: each
        # distinct text is split once and its list shared.
        split: dict[str, list[str]] = {}
        for name in _ITEM_FIELDS:
            stored[name] = [split[text] if text in split else split.setdefault(
                text, split_items(text)) for text in stored[name]]
        stored["do_not_contact"] = list(map(bool, stored["do_not_contact"]))
        process = journalists.c.last_contacted_at.type.dialect_impl(
            conn.dialect).result_processor(conn.dialect, None)
        if process is not None:
            stored["last_contacted_at"] = [None if value is None else process(value)
                                           for value in stored["last_contacted_at"]]
        names, outlet_ids = stored["name"], stored["outlet_id"]
        emails, others = stored["email"], stored["other_emails"]
        for at, values in enumerate(zip(*stored.values(), strict=True)):
            jid = ids[at]
            record = _Record(_WRITTEN, values, lists_of.get(jid, _NO_LISTS),
                             others_of.get(jid, ()), id=jid)
            self._index(record, [e for e in (emails[at], *others[at]) if e], outlet_ids[at],
                        name_key(names[at]))
            self.records.append(record)

    def _index(self, record: _Record, emails: list[str], outlet_id: int | None,
               key: str) -> None:
        """Make `record` found by its e-mails and by `key`, its name_key, at its outlet."""
        for email in emails:
            self.by_email.setdefault(email, record)
        if key:
            names = self.by_name.get(outlet_id)
            if names is None:
                names = self.by_name[outlet_id] = {}
            names.setdefault(key, record)

    def outlet_label(self, key: int | None) -> str:
        if key is None:
            return ""
        if key < 0:
            return self.new_outlets[key]["name"]
        return self.outlet_names[key]

    def _outlet_key(self, incoming: _Incoming, notes: list[str]) -> int | None:
        """The outlet a row names: same name (ignoring case); else an outlet on file with
        the row's outlet domain, website domain or e-mail domain; else a new outlet."""
        name = incoming.outlet
        if not name:
            return None
        key = self.outlet_by_name.get(name.casefold())
        if key is not None:
            if key < 0 and incoming.outlet_attrs:
                self._fill_new_outlet(key, incoming.outlet_attrs, notes)
            return key
        if not self.outlet_by_domain:  # no outlet on file to find by its domain
            return self._new_outlet(name, incoming.outlet_attrs)
        candidates = [incoming.outlet_attrs.get("domain", ""), incoming.values.get("website", ""),
                      *incoming.emails]
        for text in candidates:
            domain = domain_of(text)
            found = self.outlet_by_domain.get(domain, []) if domain else []
            if len(found) == 1:
                notes.append(f"outlet {name!r} taken to be {self.outlet_names[found[0]]!r}, "
                             f"whose domain is {domain}")
                return found[0]
        return self._new_outlet(name, incoming.outlet_attrs)

    def _new_outlet(self, name: str, attrs: dict[str, str]) -> int:
        key = -1 - len(self.new_outlets)
        self.new_outlets[key] = {"name": name, **attrs}
        self.outlet_by_name[name.casefold()] = key
        return key

    def _fill_new_outlet(self, key: int, attrs: dict[str, str], notes: list[str]) -> None:
        outlet = self.new_outlets[key]
        for name, value in attrs.items():
            if not outlet.get(name):
                outlet[name] = value
            elif outlet[name] != value:
                notes.append(f"outlet {outlet['name']!r} keeps {name} {outlet[name]!r} "
                             f"from an earlier row, not {value!r}")

    def _list_key(self, name: str) -> str:
        key = name.casefold()
        self.list_names.setdefault(key, name)
        return key

    def add_row(self, number: int, incoming: _Incoming) -> RowOutcome:
        """Merge one valid row into the plan and say what it does."""
        notes = list(incoming.notes)
        outlet_key = self._outlet_key(incoming, notes)
        others = ([self._outlet_ref(name) for name in incoming.other_outlets]
                  if incoming.other_outlets else [])
        lists = [self._list_key(name) for name in incoming.lists] if incoming.lists else []
        if self.extra_list:
            lists.append(self._list_key(self.extra_list))
        key = name_key(incoming.values["name"])
        match, how = self._match(incoming.emails, key, outlet_key)
        if match is None:
            return self._add(number, incoming, outlet_key, key, others, lists, notes)
        return self._merge(number, match, how, incoming, outlet_key, others, lists, notes)

    def _outlet_ref(self, name: str) -> int:
        key = self.outlet_by_name.get(name.casefold())
        return key if key is not None else self._new_outlet(name, {})

    def _match(self, emails: list[str], key: str,
               outlet_key: int | None) -> tuple[_Record | None, str]:
        """The journalist a row with `emails` and name_key `key` at the outlet is, if any."""
        for email in emails:
            found = self.by_email.get(email)
            if found is not None:
                return found, f"same e-mail {email}"
        names = self.by_name.get(outlet_key)
        found = None if names is None else names.get(key)
        if found is not None:
            return found, "same name at the same outlet" if outlet_key else "same name"
        return None, ""

    def _add(self, number: int, incoming: _Incoming, outlet_key: int | None, key: str,
             others: list[int], lists: list[str], notes: list[str]) -> RowOutcome:
        values: dict[str, Any] = {"outlet_id": outlet_key}
        if self.default_source:
            values["source"] = self.default_source
        values.update(incoming.values)
        emails = incoming.emails
        if emails:  # unset, they read as empty (see _Values)
            values["email"] = emails[0]
        if len(emails) > 1:
            values["other_emails"] = emails[1:]
        names = _shared(tuple(values))
        record = _Record(names, tuple(values.values()),
                         {key: self.list_names[key] for key in lists} if lists else _NO_LISTS,
                         tuple(key for key in dict.fromkeys(others) if key != outlet_key)
                         if others else (), row=number)
        self._index(record, emails, outlet_key, key)
        self.records.append(record)
        self.file_records.append(record)
        if names not in self.new_names:
            self.new_names.add(names)
            self.new_fields.update(names)
        detail = self.outlet_label(outlet_key)
        return RowOutcome(number, "added", values["name"], detail, notes=notes or ())

    def _merge(self, number: int, record: _Record, how: str, incoming: _Incoming,
               outlet_key: int | None, others: list[int], lists: list[str],
               notes: list[str]) -> RowOutcome:
        """Fill the record's empty fields and union its list-like ones; a different
        non-empty value is a conflict and the record keeps its own."""
        old = record.values
        given = incoming.values
        where = "on file" if record.id is not None else f"from row {record.row}"
        detail = f"{old['name']} {where} ({how})"
        if self._brings_nothing(record, old, incoming, outlet_key, others, lists):
            return RowOutcome(number, "unchanged", given["name"], detail, notes=notes or ())
        changed: dict[str, Any] = {}  # the new values of the columns the merge changes
        changes: list[tuple[str, str, str]] = []
        conflicts: list[tuple[str, str, str]] = []
        offered = [*given.items(), ("outlet_id", outlet_key)]
        if self.default_source and "source" not in given:
            offered.append(("source", self.default_source))
        for name, value in offered:
            if value in ("", None, False) or name in _ITEM_FIELDS:
                continue
            current = old[name]
            if current == value or (isinstance(current, str) and isinstance(value, str)
                                    and current.casefold() == value.casefold()):
                continue  # "Labor reporter" and "labor reporter" do not clash
            if name == "do_not_contact":  # a "do not contact" once given is never undone
                changed[name] = True
            elif name == "last_contacted_at":
                if current is not None and current >= value:
                    continue
                changed[name] = value
            elif current in ("", None):
                changed[name] = value
            elif name != "source":  # each file is a new source; the first one stays
                conflicts.append((name, self._shown(name, current), self._shown(name, value)))
                continue
            else:
                continue
            changes.append((name, self._shown(name, current), self._shown(name, value)))
        for name in _ITEM_FIELDS:
            if name in given and given[name] != old[name]:
                items = dedupe_items((*old[name], *given[name]))
                if items != old[name]:
                    changed[name] = items
        fresh: list[str] = []
        if incoming.emails:
            known = record.emails()
            fresh = [e for e in incoming.emails if e not in known]
            for email in fresh:
                owner = self.by_email.get(email)
                if owner is not None and owner is not record:
                    notes.append(f"e-mail {email} not added: another journalist on file has it")
            fresh = [e for e in fresh if self.by_email.get(e) in (None, record)]
            if fresh and not old["email"]:
                changed["email"] = fresh.pop(0)
                changes.append(("email", "", changed["email"]))
            if fresh:
                changed["other_emails"] = [*old["other_emails"], *fresh]
        new_lists = record.lists
        if lists and any(key not in new_lists for key in lists):
            new_lists = dict(new_lists)
            for key in lists:
                new_lists.setdefault(key, self.list_names[key])
        main = changed.get("outlet_id", old["outlet_id"])
        new_others = (tuple(k for k in dict.fromkeys((*record.others, *others)) if k != main)
                      if others or record.others else ())
        if changed:
            changes.extend((name, join_items(old[name]), join_items(changed[name]))
                           for name in _JOINED if name in changed)
        if new_lists != record.lists:
            changes.append(("lists", join_items(record.lists.values()),
                            join_items(new_lists.values())))
        if new_others != record.others:
            changes.append(("other_outlets", self._outlets_text(record.others),
                            self._outlets_text(new_others)))
        too_long = _too_long(changed) if changed else ""
        if too_long:
            return RowOutcome(number, "skipped", given["name"],
                              f"merging it into {detail} would make {too_long}")
        clashes = [(_LABELS[n], a, b) for n, a, b in conflicts]
        if not changes:  # a merge only fills and adds, so the record is as it was
            return RowOutcome(number, "unchanged", given["name"], detail, (),
                              clashes or (), notes or ())
        if record.id is not None and record.before is None:
            record.before = (tuple(record.lists), tuple(record.others))
        old.update(changed)
        record.values, record.lists, record.others = old, new_lists, new_others
        self._index(record, record.emails(), old["outlet_id"], name_key(old["name"]))
        if record.id is None:
            self.new_fields.update(name for name, _, _ in changes)
        labelled = [(_LABELS[n], a, b) for n, a, b in changes]
        return RowOutcome(number, "merged", given["name"], detail, labelled,
                          clashes or (), notes or ())

    def _brings_nothing(self, record: _Record, old: _Values, incoming: _Incoming,
                        outlet_key: int | None, others: list[int], lists: list[str]) -> bool:
        """Whether a row gives only what `record` (whose values are `old`) already holds, to
        the letter: then the merge would change nothing and find no conflict, and saying
        so takes a few comparisons in C, where a re-import spends most of its rows."""
        main = old["outlet_id"]
        return (incoming.values.items() <= old.items()
                and (outlet_key is None or outlet_key == main)
                and bool(old["source"] or not self.default_source or "source" in incoming.values)
                and all(key in record.lists for key in lists)
                and all(email in (old["email"], *old["other_emails"])
                        for email in incoming.emails)
                and main not in record.others
                and all(key in record.others or key == main for key in others))

    def _shown(self, name: str, value: Any) -> str:
        if name == "outlet_id":
            return self.outlet_label(value)
        if name == "do_not_contact":
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    def _outlets_text(self, keys: Iterable[int]) -> str:
        return "; ".join(self.outlet_label(key) for key in keys)

    def writes(self) -> _Writes:
        """The inserts and updates that take the store to the planned state."""
        inserts = self.file_records
        # A merge that brings nothing new leaves a journalist as it was (it only fills and
        # adds), so the journalists on file to update are those a merge changed.
        updates = [r for r in self.records if r.before is not None]
        touched = [*inserts, *updates]
        used_outlets = {r.value("outlet_id") for r in touched} | {
            key for r in touched for key in r.others
        }
        links: list[tuple[_Record, int]] = []
        members: list[tuple[_Record, str]] = []
        for record in touched:
            old_lists, old_others = record.before or ((), ())
            links.extend((record, key) for key in record.others if key not in old_others)
            members.extend((record, key) for key in record.lists if key not in old_lists)
        used_lists = {key for _, key in members}
        return _Writes(
            new_outlets={k: v for k, v in self.new_outlets.items() if k in used_outlets},
            new_lists={k: name for k, name in self.list_names.items()  # as first met
                       if k in used_lists and k not in self.list_ids},
            inserts=inserts, updates=updates, outlet_links=links, memberships=members,
            list_ids=dict(self.list_ids),
            insert_columns=tuple(name for name in _WRITTEN if name in self.new_fields),
        )


def _too_long(changed: dict[str, Any]) -> str:
    """Which list-like field a merge made too long for its column, or "", given the values
    it changes. (A row's own values are checked as it is read; only a union can grow
    beyond them.)"""
    for name in _LISTS:
        limit = FIELD_LIMITS[name]
        if name in changed and len("; ".join(changed[name])) > limit:
            return f"{FIELDS[name]} longer than {limit} characters"
    return ""


def _cell_effect(name: str, header: str, raw: str) -> tuple | None:
    """What one non-empty cell of a column for field `name`, headed `header`, gives the
    row: None when it is only spaces, else (value, problems, text, cell). Every rule for
    reading a cell is here, and _RowReader only combines a row's effects; pure, so that a
    column's repeated values are worked out once.

    `value` is what the field takes (None for an invalid value, [] for invalid e-mails),
    `problems` what is wrong with the cell, `text` the cleaned text by which columns giving
    one field are compared (see _first) and `cell` the trimmed cell, as a note quotes it.
    """
    cell = (_unguard(raw) if raw[0] == "'" else raw).strip()
    if not cell:
        return None
    kind = _KINDS[name]
    # The kinds whose values differ from row to row (names, e-mails, handles) come first.
    if kind == "line" or kind == "text" or kind == "outlet" or kind == "outlet_attr":
        text = cell if kind == "text" else clean_text(cell)
        limit = _TEXT_LIMITS.get(name)
        if limit is not None and len(text) > limit:
            return text, (f"{FIELDS[name]} is longer than {limit} characters",), text, cell
        return text, (), text, cell
    if kind == "emails":
        try:
            return split_emails(cell), (), cell, cell
        except InvalidInput as exc:
            return [], (f"{header}: {exc}".rstrip("."),), cell, cell
    if kind == "parsed":
        text = clean_text(cell)
        try:
            return _PARSERS[name](text), (), text, cell
        except InvalidInput as exc:
            return None, (f"{FIELDS[name]}: {exc}".rstrip("."),), text, cell
    if kind == "items":
        items = split_items(cell)
        return items, _items_problems(name, items), cell, cell
    limit = _LIST_NAME_MAX if name == "lists" else _OUTLET_LIMITS["name"]  # names
    names = _split_names(cell)
    return names, tuple(f"{FIELDS[name]}: {n[:40]!r}... is longer than {limit} characters"
                        for n in names if len(n) > limit), cell, cell


# The longest a line or text field, or an outlet's name or detail, may be: its column's.
_TEXT_LIMITS = {
    **{name: FIELD_LIMITS[name] for name, kind in _KINDS.items()
       if kind in ("line", "text") and name in FIELD_LIMITS},
    "outlet": _OUTLET_LIMITS["name"],
    **{name: _OUTLET_LIMITS[column] for name, column in _OUTLET_FIELDS.items()},
}


def _items_problems(name: str, items: list[str]) -> tuple[str, ...]:
    """What is wrong with a list-like field's items: together too long for its column."""
    limit = FIELD_LIMITS[name]
    if len("; ".join(items)) > limit:
        return (f"{FIELDS[name]} is longer than {limit} characters",)
    return ()


def _target(name: str) -> tuple[str, str]:
    """Where a cell of field `name` goes in _Incoming: (target, key), the target "value"
    for the values dict, "outlet", "outlet_attr" or the field's own name."""
    kind = _KINDS[name]
    if kind == "outlet":
        return "outlet", "name"
    if kind == "outlet_attr":
        return "outlet_attr", _OUTLET_FIELDS[name]
    if kind == "names" or kind == "emails":
        return name, name
    return "value", name


def _emails(effects: Iterable[tuple], errors: list[str]) -> list[str]:
    """The addresses of a row's e-mail cells, given their effects in order (the Email
    columns' first, so that its first address is the primary), without repeats; their
    problems go to `errors`, after every other field's."""
    emails: list[str] = []
    for value, problems, _, _ in effects:
        emails.extend(value)
        errors.extend(problems)
    return _distinct_emails(emails, errors) if len(emails) > 1 else emails


def _distinct_emails(emails: list[str], errors: list[str]) -> list[str]:
    """A row's `emails` without repeats, in order; when those after the primary are too
    long together for their column, `errors` says so."""
    emails = list(dict.fromkeys(emails))
    if len("; ".join(emails[1:])) > FIELD_LIMITS["other_emails"]:
        errors.append(f"the other e-mails are longer than {FIELD_LIMITS['other_emails']} "
                      "characters together")
    return emails


# How many distinct values of one column _RowReader remembers: outlets, titles, beats and
# cities repeat, and a column of unique values (e-mails) should not fill memory.
_MEMO_MAX = 4096


class _RowReader:
    """Turns one row's cells into _Incoming, collecting every problem with the row.

    Each cell's effect is _cell_effect's, remembered per distinct value of its column; a
    row only combines its cells' effects.
    """

    def __init__(self, headers: list[str], mapping: dict[str, str | None]) -> None:
        self.columns = [(i, mapping[h], h) for i, h in enumerate(headers) if mapping.get(h)]
        self.has_source = any(f == "source" for _, f, _ in self.columns)
        fields_read = [f for _, f, _ in self.columns]
        # When each field comes from one column, a row takes each cell's effect as it is.
        self.one_column_each = len(fields_read) == len(set(fields_read))
        self.memos: list[tuple[int, dict[str, tuple | None], Any, str, str]] = [
            (i, {}, functools.partial(_cell_effect, name, header), *_target(name))
            for i, name, header in self.columns
        ]

    def _effects(self, cells: list[str]) -> list[tuple | None]:
        """Each mapped column's effect on the row of `cells`, in column order."""
        size = len(cells)
        effects: list[tuple | None] = []
        for index, memo, effect_of, _, _ in self.memos:
            raw = cells[index] if index < size else ""
            if not raw:
                effects.append(None)
            elif raw in memo:
                effects.append(memo[raw])
            else:
                effect = effect_of(raw)
                if len(memo) < _MEMO_MAX:
                    memo[raw] = effect
                effects.append(effect)
        return effects

    def read(self, cells: list[str]) -> tuple[_Incoming | None, str, str]:
        """(incoming or None, name for the report, the problems joined as one reason)."""
        if not self.one_column_each:
            return self._combine(self._effects(cells))
        size = len(cells)
        values: dict[str, Any] = {}
        errors: list[str] = []
        main_emails: list[str] = []
        other_emails: list[str] = []
        main_problems: tuple[str, ...] = ()
        other_problems: tuple[str, ...] = ()
        outlet = ""
        attrs: dict[str, str] = {}
        lists: list[str] = []
        others: list[str] = []
        # _effects inlined: this loop runs for every cell of the file.
        for index, memo, effect_of, target, key in self.memos:
            if index >= size:
                break
            raw = cells[index]
            if not raw:
                continue
            if raw in memo:
                effect = memo[raw]
            else:
                effect = effect_of(raw)
                if len(memo) < _MEMO_MAX:
                    memo[raw] = effect
            if effect is None:
                continue
            value, problems, _, _ = effect
            if target == "value":
                values[key] = value
            elif target == "outlet":
                outlet = value
            elif target == "outlet_attr":
                attrs[key] = value
            elif target == "lists":
                lists.extend(value)
            elif target == "other_outlets":
                others.extend(value)
            elif target == "email":
                main_emails, main_problems = value, problems
                continue
            else:
                other_emails, other_problems = value, problems
                continue
            if problems:
                errors.extend(problems)
        if main_problems or other_problems:  # the e-mails' problems come last, as in _emails
            errors.extend((*main_problems, *other_problems))
        emails = [*main_emails, *other_emails] if other_emails else main_emails
        if len(emails) > 1:
            emails = _distinct_emails(emails, errors)
        return self._finish(values, errors, emails, outlet, attrs, lists, others, [])

    def _finish(self, values: dict[str, Any], errors: list[str], emails: list[str],
                outlet: str, attrs: dict[str, str], lists: list[str], others: list[str],
                notes: list[str]) -> tuple[_Incoming | None, str, str]:
        name = values.pop("name", "")
        first_name = values.pop("first_name", "")
        last_name = values.pop("last_name", "")
        if not name and (first_name or last_name):
            name = f"{first_name} {last_name}".strip()
            if len(name) > FIELD_LIMITS["name"]:
                errors.append(f"Name is longer than {FIELD_LIMITS['name']} characters")
        values["name"] = name
        if not name:
            errors.append("the name is empty")
        if errors:
            return None, name, "; ".join(errors)
        return _Incoming(values, emails, outlet, attrs, lists, others, notes), name, ""

    def _combine(self, effects: list[tuple | None]) -> tuple[_Incoming | None, str, str]:
        """read, for a mapping that gives some field from several columns: a single value
        is the first non-empty column's (see _first), list-like fields take the union of
        their columns' items, and names and e-mails every column's, in order."""
        found: dict[str, list[tuple[str, tuple]]] = {}
        for (_, name, header), effect in zip(self.columns, effects, strict=True):
            if effect is not None:
                found.setdefault(name, []).append((header, effect))
        errors: list[str] = []
        notes: list[str] = []
        values: dict[str, Any] = {}
        outlet = ""
        attrs: dict[str, str] = {}
        lists: list[str] = []
        others: list[str] = []
        for name, entries in found.items():
            kind = _KINDS[name]
            if kind == "emails":
                continue
            if kind == "items":
                items, problems = entries[0][1][:2]
                if len(entries) > 1:
                    items = dedupe_items(item for _, effect in entries for item in effect[0])
                    problems = _items_problems(name, items)
                values[name] = items
            elif kind == "names":
                names = lists if name == "lists" else others
                for _, effect in entries:
                    names.extend(effect[0])
                    errors.extend(effect[1])
                continue
            else:
                value, problems = _first(entries, notes)
                if kind == "outlet":
                    outlet = value
                elif kind == "outlet_attr":
                    attrs[_OUTLET_FIELDS[name]] = value
                else:
                    values[name] = value
            errors.extend(problems)
        emails = _emails([effect for name in ("email", "other_emails")
                          for _, effect in found.get(name, ())], errors)
        return self._finish(values, errors, emails, outlet, attrs, lists, others, notes)


def _first(entries: list[tuple[str, tuple]], notes: list[str]) -> tuple[Any, tuple[str, ...]]:
    """The value and problems of the first column's cell, for a field several columns
    give; another column's cell whose text differs (ignoring case) is noted as not
    imported rather than dropped silently."""
    first_header, (value, problems, text, _) = entries[0]
    for header, (_, _, other_text, other) in entries[1:]:
        if other_text.casefold() != text.casefold():
            notes.append(f"{header} {other!r} not imported: {first_header} already gives "
                         f"{text!r}")
    return value, problems


def _plan(conn: sa.Connection, table: Table, manual: Mapping[str, str | None],
          list_name: str | None, source: str) -> ImportPlan:
    mapping = _effective_mapping(table.headers, manual)
    fields_used = set(mapping.values())
    if "name" not in fields_used and not fields_used & {"first_name", "last_name"}:
        raise InvalidInput(
            f"{table.filename}: no column gives the journalist's name (looked for "
            f"{', '.join(table.headers)}): call the column Name, or map one to the name."
        )
    if list_name is not None:
        list_name = clean_text(list_name)
        if not list_name or len(list_name) > _LIST_NAME_MAX:
            raise InvalidInput(f"A press list name needs 1 to {_LIST_NAME_MAX} characters.")
    reader = _RowReader(table.headers, mapping)
    planner = _Planner(conn, "" if reader.has_source else source, list_name)
    outcomes: list[RowOutcome] = []
    for number, cells in table.rows:
        incoming, name, problem = reader.read(cells)
        if incoming is None:
            outcomes.append(RowOutcome(number, "skipped", name, problem))
        else:
            outcomes.append(planner.add_row(number, incoming))
    writes = planner.writes()
    return ImportPlan(
        table=table, manual_mapping=dict(manual), mapping=mapping,
        ignored=[h for h, f in mapping.items() if f is None], list_name=list_name,
        source=source, outcomes=outcomes,
        new_outlets=[o["name"] for o in writes.new_outlets.values()],
        new_lists=list(writes.new_lists.values()), _writes=writes,
    )


def plan_import(
    db: Engine,
    table: Table,
    *,
    mapping: Mapping[str, str | None] | None = None,
    list_name: str | None = None,
    source: str = "",
) -> ImportPlan:
    """What importing `table` would do, read from the store without writing anything.

    `mapping` (header -> field name or our column label, or None to ignore the column)
    overrides auto_mapping for the headers it names. `list_name` adds every row's
    journalist to that press list (created when new). `source` is recorded on journalists
    when the file has no Source column; by default the file's name. Raises InvalidInput for
    a problem with the whole file (no name column, a mapping naming a missing column);
    invalid rows are reported in the plan instead.
    """
    with _gc_paused(), db.connect() as conn:
        return _plan(conn, table, mapping or {}, list_name,
                     source or PurePath(table.filename).name)


def apply_import(
    db: Engine, actor: Actor, plan: ImportPlan, *, now: datetime, skip_invalid: bool = False
) -> ImportReport:
    """Import what `plan` describes, in one transaction, and report what was done.

    The plan is made again inside the transaction, so that the writes and the report match
    the store as it is now, not as it was at the preview. Without `skip_invalid`, an invalid
    row raises InvalidInput naming it (the first few, with their row numbers and reasons)
    and nothing is written; with it, invalid rows are skipped and reported. The acting user
    must be an editor or above. One audit entry records the import.
    """
    require(actor, "editor", "importing contacts")
    return _import(db, actor, plan.table, plan.manual_mapping, plan.list_name, plan.source,
                   now=now, skip_invalid=skip_invalid)


def _import(db: Engine, actor: Actor, table: Table, manual: Mapping[str, str | None],
            list_name: str | None, source: str, *, now: datetime,
            skip_invalid: bool) -> ImportReport:
    with _gc_paused(), db.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two imports at once would each miss the other's new journalists and add them
            # twice; ordinary reads go on meanwhile.
            conn.execute(sa.text("LOCK TABLE journalists, outlets, press_lists "
                                 "IN SHARE ROW EXCLUSIVE MODE"))
        plan = _plan(conn, table, manual, list_name, source)
        failure = plan.failure()
        if failure and not skip_invalid:
            raise InvalidInput(failure)
        list_ids = _write(conn, plan._writes, now)
        report = _report(plan, written=True)
        summary = (f"{table.filename}: {report}; new outlets: {len(report.new_outlets)}, "
                   f"new lists: {len(report.new_lists)}"
                   + (f"; all on the list {plan.list_name!r}" if plan.list_name else ""))
        list_id = list_ids.get((plan.list_name or "").casefold(), "")
        audit.record(conn, actor, entity="press_list", entity_id=list_id, action="import",
                     summary=summary, now=now)
    return report


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a big file is read and planned.

    Tens of thousands of small objects that all stay alive make it run over and over for
    nothing; pausing it halves the time of a 20,000-row import. Reference counting still
    frees memory meanwhile, and the collector resumes (if it was on) at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write(conn: sa.Connection, writes: _Writes, now: datetime) -> dict[str, int]:
    """Insert and update what `writes` holds; return every list's id by case-folded name."""
    outlet_ids: dict[int, int] = {}
    if writes.new_outlets:
        keys = list(writes.new_outlets)
        rows = [{"name": o["name"], "domain": o.get("domain", ""), "kind": o.get("kind", ""),
                 "region": o.get("region", ""), "language": o.get("language", ""),
                 "feed_url": o.get("feed_url", ""), "created_at": now}
                for o in writes.new_outlets.values()]
        outlet_ids = dict(zip(keys, _insert_with_new_ids(conn, outlets, rows), strict=True))
    list_ids = dict(writes.list_ids)
    if writes.new_lists:
        rows = [{"name": name, "description": "", "created_at": now}
                for name in writes.new_lists.values()]
        list_ids.update(zip(writes.new_lists,
                            _insert_with_new_ids(conn, press_lists, rows), strict=True))

    def outlet_id(key: int | None) -> int | None:
        return outlet_ids[key] if key is not None and key < 0 else key

    stamp = _bind(conn, journalists.c.updated_at, now)
    if writes.inserts:
        ids = _new_ids(conn, journalists, len(writes.inserts))
        for record, new_id in zip(writes.inserts, ids, strict=True):
            record.id = new_id
    # In parts, so that only a part's rows are ever held in the driver's form.
    for start in range(0, len(writes.inserts), _WRITE_PART):
        part = writes.inserts[start:start + _WRITE_PART]
        _executemany(conn, journalists.insert(), {
            **_stored(conn, part, outlet_id, writes.insert_columns),
            "created_at": [stamp] * len(part), "updated_at": [stamp] * len(part),
            "id": [r.id for r in part]})
    for start in range(0, len(writes.updates), _WRITE_PART):
        part = writes.updates[start:start + _WRITE_PART]
        _executemany(conn, journalists.update(), {
            **_stored(conn, part, outlet_id, _WRITTEN),
            "updated_at": [stamp] * len(part), "id": [r.id for r in part]})
    if writes.outlet_links:
        records, keys = zip(*writes.outlet_links, strict=True)
        _executemany(conn, journalist_outlets.insert(), {
            "journalist_id": [r.id for r in records], "outlet_id": list(map(outlet_id, keys))})
    if writes.memberships:
        records, keys = zip(*writes.memberships, strict=True)
        _executemany(conn, press_list_members.insert(), {
            "list_id": [list_ids[key] for key in keys], "journalist_id": [r.id for r in records]})
    return list_ids


def _insert_with_new_ids(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert `rows` with one executemany and return their new ids, in the order of `rows`."""
    ids = _new_ids(conn, table, len(rows))
    conn.execute(table.insert(), [row | {"id": new_id}
                                  for row, new_id in zip(rows, ids, strict=True)])
    return ids


def _new_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, taken before they are inserted.

    The ids are taken first and inserted explicitly, because INSERT ... RETURNING cannot do
    it quickly: SQLite does not promise an order for a batch's RETURNING rows, so
    SQLAlchemy would send one statement per row, and on PostgreSQL the ordered form it
    uses instead took seven times as long as a plain insert for 20,000 journalists.
    PostgreSQL hands out the ids from the column's own sequence, as an insert would.
    SQLite numbers on from the largest id, which is safe because a SQLite transaction
    that writes is the only writer (a concurrent one makes this one fail, and the primary
    key refuses a clash in any case).
    """
    if conn.dialect.name == "sqlite":
        last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        return list(range(last + 1, last + 1 + count))
    return list(conn.execute(
        sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :n)"),
        {"table": table.name, "n": count},
    ).scalars())


def _executemany(conn: sa.Connection, statement: sa.Insert | sa.Update,
                 columns: dict[str, list]) -> None:
    """Run `statement` once per row of `columns` (name -> that column's values, in the
    form the driver takes): an insert of them all, or an update of all but "id" by "id".

    Through the driver's own executemany, the rows zipped from the columns: SQLAlchemy's
    processes every parameter of every row in Python, which took a fifth of a 20,000-row
    import. The SQL is still SQLAlchemy's, compiled once for the dialect.
    """
    names = {name: sa.bindparam(f"p_{name}") for name in columns}
    if isinstance(statement, sa.Insert):
        statement = statement.values(names)
    else:
        statement = statement.where(statement.table.c.id == names.pop("id")).values(names)
    compiled = statement.compile(dialect=conn.dialect)
    if compiled.positional:
        order = [name.removeprefix("p_") for name in compiled.positiontup]
        conn.exec_driver_sql(compiled.string,
                             list(zip(*(columns[name] for name in order), strict=True)))
    else:  # PostgreSQL's driver takes named parameters
        keys = [f"p_{name}" for name in columns]
        conn.exec_driver_sql(compiled.string, [
            dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)])


def _bind(conn: sa.Connection, column: sa.Column, value: Any) -> Any:
    """`value` as SQLAlchemy would hand it to the driver for `column` (a timestamp to
    SQLite becomes text)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return value if process is None or value is None else process(value)


def _stored(conn: sa.Connection, records: list[_Record], outlet_id,
            columns: tuple[str, ...]) -> dict[str, list]:
    """The records' `columns`, column by column, as the store keeps them: lists joined,
    outlets by their real id, a last contact as the driver takes it. Booleans go as they
    are: SQLite stores True as the 1 SQLAlchemy would send, and PostgreSQL takes a bool.

    Each record's values are picked in `columns` order by one itemgetter per set of
    columns given (its values followed by every column's empty value, for those it does
    not give), then each conversion runs over a whole column."""
    empties = tuple("" if name in _LISTS else _EMPTY[name] for name in columns)
    getters: dict[tuple[str, ...], Callable[[tuple], tuple]] = {}
    picked = []
    for record in records:
        names = record._names
        getter = getters.get(names)
        if getter is None:
            at = [names.index(name) if name in names else len(names) + i
                  for i, name in enumerate(columns)]
            getter = getters[names] = (operator.itemgetter(*at) if len(at) > 1
                                       else lambda values, i=at[0]: (values[i],))
        picked.append(getter(record._values + empties))
    stored = dict(zip(columns, map(list, zip(*picked, strict=True)), strict=True))
    for name in columns:
        if name in _LISTS:
            stored[name] = list(map("; ".join, stored[name]))
        elif name == "outlet_id":
            stored[name] = list(map(outlet_id, stored[name]))
        elif name == "last_contacted_at":
            process = functools.partial(_bind, conn, journalists.c.last_contacted_at)
            stored[name] = list(map(process, stored[name]))
    return stored


def _report(plan: ImportPlan, *, written: bool, failure: str = "") -> ImportReport:
    return ImportReport(
        filename=plan.table.filename, encoding=plan.table.encoding,
        delimiter=plan.table.delimiter, outcomes=plan.outcomes, ignored=plan.ignored,
        new_outlets=plan.new_outlets, new_lists=plan.new_lists, list_name=plan.list_name,
        written=written, failure=failure,
    )


def import_file(
    db: Engine,
    actor: Actor,
    path: str | Path,
    *,
    now: datetime,
    list_name: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    mapping: Mapping[str, str | None] | None = None,
) -> ImportReport:
    """Import a CSV or XLSX file at `path`: read_table, then plan_import and apply_import.

    With `dry_run` nothing is written and the report says what would happen; its `failure`
    says why the real import would fail (invalid rows without `skip_invalid`), instead of
    raising, so that the report can still be shown. Needs the editor role or above.
    """
    require(actor, "editor", "importing contacts")
    path = Path(path)
    table = _read_path(path)
    if dry_run:
        plan = plan_import(db, table, mapping=mapping, list_name=list_name)
        return _report(plan, written=False, failure="" if skip_invalid else plan.failure())
    return _import(db, actor, table, mapping or {}, list_name, path.name, now=now,
                   skip_invalid=skip_invalid)


def _read_path(path: Path) -> Table:
    """The file at `path` as read_table reads it; a CSV file is streamed from disk as it is
    planned (its rows are an iterable that reads the file again), not held in memory."""
    try:
        with path.open("rb") as fileobj:
            start = fileobj.read(len(_OLE_MAGIC))
            streamed = (path.is_file() and not start.startswith((_OLE_MAGIC, _ZIP_MAGIC))
                        and path.suffix.lower() not in (".xlsx", ".xlsm"))
            if not streamed:
                data = start + fileobj.read(MAX_FILE_BYTES + 1 - len(start))
        size = path.stat().st_size if path.is_file() else len(data)
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if size > MAX_FILE_BYTES:  # told before reading more than the cap, even of /dev/zero
        raise InvalidInput(too_big_message(path.name, size))
    if not streamed:
        return read_table(data, path.name)
    rows = _CsvRows(lambda: path.open("rb"), path.name)
    return rows.table(rows)


def format_report(report: ImportReport) -> str:
    """The report as lines for a terminal: what was read, one line per row (with the
    fields a merge changes, as old -> new, and conflicts kept as they were), new outlets
    and lists, and the totals."""
    lines = [
        f"Read {report.filename} ({describe_form(report.encoding, report.delimiter)}): "
        f"{len(report.outcomes)} rows."
    ]
    if report.ignored:
        lines.append("Ignored columns: " + ", ".join(report.ignored))
    for o in report.outcomes:
        if o.action == "added":
            lines.append(f"Row {o.row}: added {o.name}" + (f" ({o.detail})" if o.detail else ""))
        elif o.action == "skipped":
            lines.append(f"Row {o.row}: skipped{f' {o.name}' if o.name else ''}: {o.detail}")
        elif o.action == "merged":
            lines.append(f"Row {o.row}: merged into {o.detail}")
        else:
            lines.append(f"Row {o.row}: unchanged, nothing new for {o.detail}")
        lines.extend(f"    {column}: {_quoted(old)} -> {_quoted(new)}"
                     for column, old, new in o.changes)
        lines.extend(f"    {column}: kept {_quoted(kept)}, the file has {_quoted(offered)}"
                     for column, kept, offered in o.conflicts)
        lines.extend(f"    note: {note}" for note in o.notes)
    if report.new_outlets:
        lines.append("New outlets: " + ", ".join(report.new_outlets))
    if report.new_lists:
        lines.append("New press lists: " + ", ".join(report.new_lists))
    counts = str(report)
    if report.written:
        lines.append(f"Imported: {counts}."
                     + (f" All are on the list {report.list_name!r}." if report.list_name
                        else ""))
    else:
        lines.append(f"Dry run, nothing written. Importing would give: {counts}.")
    return "\n".join(lines)


def format_plan(plan: ImportPlan, *, skip_invalid: bool = False) -> str:
    """A plan as format_report prints a dry run, for a preview before importing; when
    invalid rows would stop the import (without `skip_invalid`), the last line says so."""
    failure = "" if skip_invalid else plan.failure()
    text = format_report(_report(plan, written=False, failure=failure))
    return f"{text}\nImporting would fail: {failure}" if failure else text


def _quoted(text: str) -> str:
    return repr(text) if text else "(empty)"


# --- export ----------------------------------------------------------------------------------


def export_rows(db: Engine, list_name: str | None = None) -> list[dict[str, str]]:
    """Every journalist (or one press list's members) as rows in our own format.

    Keys are EXPORT_COLUMNS. Importing these rows into an empty store gives back the same
    journalists, the outlets they work for (with their details) and their list memberships:
    a journalist's Lists name every list they are on, even when only one list is exported.
    Raises NotFound for an unknown list.
    """
    with db.connect() as conn:
        list_ids = {name: lid for lid, name in conn.execute(
            sa.select(press_lists.c.id, press_lists.c.name))}
        query = sa.select(journalists).order_by(journalists.c.name, journalists.c.id)
        if list_name is not None:
            if list_name not in list_ids:
                raise NotFound(f"There is no press list called {list_name!r}.")
            query = query.where(journalists.c.id.in_(
                sa.select(press_list_members.c.journalist_id)
                .where(press_list_members.c.list_id == list_ids[list_name])
            ))
        outlet_rows = {row.id: row for row in conn.execute(sa.select(outlets))}
        names_of_list = {lid: name for name, lid in list_ids.items()}
        lists_of: dict[int, list[str]] = {}
        for lid, jid in conn.execute(sa.select(press_list_members)):
            lists_of.setdefault(jid, []).append(names_of_list[lid])
        others_of: dict[int, list[str]] = {}
        for jid, oid in conn.execute(sa.select(journalist_outlets)):
            others_of.setdefault(jid, []).append(outlet_rows[oid].name)
        people = list(conn.execute(query))
    rows = []
    for person in people:
        outlet = outlet_rows.get(person.outlet_id)
        row = {FIELDS[name]: getattr(person, name) for name in (*_SCALARS, *_LISTS)}
        row.update({
            "Outlet": outlet.name if outlet else "",
            "Do Not Contact": "yes" if person.do_not_contact else "no",
            "Lists": "; ".join(sorted(lists_of.get(person.id, []))),
            "Other Outlets": "; ".join(sorted(others_of.get(person.id, []))),
            "Last Contacted": (person.last_contacted_at.isoformat()
                               if person.last_contacted_at else ""),
        })
        for key, column in _OUTLET_FIELDS.items():
            row[FIELDS[key]] = getattr(outlet, column) if outlet else ""
        rows.append({column: row[column] for column in EXPORT_COLUMNS})
    return rows


def export_csv(db: Engine, fileobj: IO[str], list_name: str | None = None) -> int:
    """Write export_rows as CSV to `fileobj` (opened with newline=""), cells made safe from
    spreadsheet formulas by outreach.safety.write_csv; return how many journalists."""
    rows = export_rows(db, list_name)
    write_csv(rows, fileobj, EXPORT_COLUMNS)
    return len(rows)
