"""`contacts import|export`: the press list in and out of CSV and XLSX files."""

from __future__ import annotations

from outreach import clock
from outreach.cli import actions, command
from outreach.errors import InvalidInput
from outreach.presslist.importing import EXPORT_COLUMNS, export_rows, format_report, import_file
from outreach.roles import cli_actor
from outreach.safety import write_csv
from outreach.store import open_store


def cmd_import(args, settings) -> int:
    """`contacts import FILE`: print the report; a failed import prints why and exits 1."""
    report = import_file(
        open_store(settings.database_url), cli_actor(), args.file, now=clock.utcnow(),
        list_name=args.list, dry_run=args.dry_run, skip_invalid=args.skip_invalid,
    )
    print(format_report(report))
    if report.failure:
        raise InvalidInput(report.failure)
    return 0


def cmd_export(args, settings) -> int:
    """`contacts export FILE`: write our CSV format (UTF-8 with BOM, so Excel reads accents)."""
    rows = export_rows(open_store(settings.database_url), args.list)
    try:
        with open(args.file, "w", newline="", encoding="utf-8-sig") as fileobj:
            write_csv(rows, fileobj, EXPORT_COLUMNS)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {args.file}: {exc.strerror or exc}.") from None
    which = f" on the list {args.list!r}" if args.list else ""
    print(f"Wrote {len(rows)} journalists{which} to {args.file}.")
    return 0


def add_parsers(subparsers) -> None:
    """`contacts import` and `contacts export`."""
    sub = actions(command(subparsers, "contacts"))
    p = sub.add_parser(
        "import", help="import journalists from a CSV or XLSX file, merging duplicates",
        description="Import journalists from FILE. Headers from spreadsheets and PR tools "
        "are recognised (see press_lists/README.md). Duplicates (same e-mail, or same name "
        "at the same outlet) are merged. All or nothing: an invalid row stops the import "
        "unless --skip-invalid.",
    )
    p.add_argument("file", metavar="FILE", help="a .csv (comma, semicolon or tab; UTF-8 or "
                   "Windows-1252) or .xlsx file")
    p.add_argument("--list", metavar="NAME", default=None,
                   help="also add every imported or merged journalist to this press list "
                   "(created if new)")
    p.add_argument("--dry-run", action="store_true",
                   help="show what the import would do and write nothing")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip and report invalid rows (bad e-mail, empty name, ...) instead "
                   "of failing the whole import")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser(
        "export", help="write the press list to a CSV file in our own format",
        description="Write journalists to FILE as CSV in the format `contacts import` reads "
        "back exactly. Cells that a spreadsheet would run as formulas get a leading '.",
    )
    p.add_argument("file", metavar="FILE", help="the CSV file to write (replaced if it exists)")
    p.add_argument("--list", metavar="NAME", default=None,
                   help="only the members of this press list")
    p.set_defaults(func=cmd_export)

