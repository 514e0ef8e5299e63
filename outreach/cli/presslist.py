"""`contacts`, `journalists`, `lists` and `spokespeople`: the press list, kept by hand or in
and out of CSV and XLSX files."""

from __future__ import annotations

from outreach import clock
from outreach.campaigns import parse_date
from outreach.cli import actions, command
from outreach.cli.output import add_json, print_json
from outreach.errors import InvalidInput
from outreach.presslist import contacts, spokespeople
from outreach.presslist.contacts import JournalistFilter
from outreach.presslist.fields import parse_bool
from outreach.presslist.importing import EXPORT_COLUMNS, export_rows, format_report, import_file
from outreach.safety import write_csv
from outreach.store import open_store
from outreach.trash import RETENTION


def cmd_import(args, settings) -> int:
    """`contacts import FILE`: print the report; a failed import prints why and exits 1."""
    report = import_file(
        open_store(settings.database_url), args.actor, args.file, now=clock.utcnow(),
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


def _pairs(items: list[str]) -> dict[str, str]:
    """`--set field=value` options as a dict; a malformed one is refused in words."""
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--set {item!r}: write FIELD=VALUE, e.g. --set beats=labor.")
        values[name.strip()] = value
    return values


def cmd_journalists_list(args, settings) -> int:
    """`journalists list`: matching journalists by name, with outlet and e-mail."""
    found = JournalistFilter(text=args.search, list_name=args.list or "")
    rows, total = contacts.search(open_store(settings.database_url), found, limit=args.limit)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No journalists match.")
    for r in rows:
        dnc = "  DO NOT CONTACT" if r["do_not_contact"] else ""
        print(f"{r['id']:>5}  {r['name']:<28} {r['outlet'] or '':<24} {r['email']}{dnc}")
    if total > len(rows):
        print(f"... and {total - len(rows)} more; narrow with --search or raise --limit.")
    return 0


def cmd_journalists_add(args, settings) -> int:
    """`journalists add NAME [--outlet O] [--set field=value]...`."""
    values = {**_pairs(args.set), "name": args.name}
    new_id = contacts.add_journalist(open_store(settings.database_url), args.actor, values,
                                     now=clock.utcnow(), outlet_name=args.outlet)
    print(f"Added journalist {new_id}: {args.name.strip()}.")
    return 0


def cmd_journalists_edit(args, settings) -> int:
    """`journalists edit ID --set field=value...`: only the fields named change."""
    changes = _pairs(args.set)
    if args.outlet is not None:
        changes["outlet"] = args.outlet
    if not changes:
        raise InvalidInput("Nothing to change: give --set FIELD=VALUE or --outlet NAME.")
    changed = contacts.update_journalist(open_store(settings.database_url), args.actor,
                                         args.id, changes, now=clock.utcnow())
    print(f"Journalist {args.id}: changed {', '.join(changed)}." if changed
          else f"Journalist {args.id} already had those values.")
    return 0


def cmd_journalists_remove(args, settings) -> int:
    """`journalists remove ID`: undoable for 30 days from the Press list page."""
    name = contacts.delete_journalist(open_store(settings.database_url), args.actor, args.id,
                                      now=clock.utcnow())
    print(f"Removed {name}; an editor can restore them from Press list › Recently deleted "
          f"for {RETENTION.days} days.")
    return 0


def cmd_lists_list(args, settings) -> int:
    """`lists list`: press lists and how many are on each."""
    rows = contacts.list_press_lists(open_store(settings.database_url))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No press lists yet: python -m outreach lists add NAME")
    for r in rows:
        print(f"{r['members']:>5}  {r['name']}" + (f"  ({r['description']})"
                                                    if r["description"] else ""))
    return 0


def cmd_lists_add(args, settings) -> int:
    """`lists add NAME [--description TEXT]`."""
    contacts.create_press_list(open_store(settings.database_url), args.actor, args.name,
                               args.description, now=clock.utcnow())
    print(f"Added the press list {args.name.strip()!r}.")
    return 0


def cmd_lists_remove(args, settings) -> int:
    """`lists remove NAME`: the list goes, its journalists stay; undoable for 30 days."""
    members = contacts.delete_press_list(open_store(settings.database_url), args.actor,
                                         args.name, now=clock.utcnow())
    print(f"Removed the press list {args.name!r} ({members} members; they stay on file).")
    return 0


def _spokesperson_values(items: list[str]) -> dict:
    values: dict = _pairs(items)
    if "media_trained" in values:
        values["media_trained"] = parse_bool(values["media_trained"])
    for key in ("available_from", "available_to"):
        if key in values:
            values[key] = parse_date(values[key]) if values[key].strip() else None
    return values


def cmd_spokespeople_list(args, settings) -> int:
    """`spokespeople list [--on DATE]`: the roster, or those available that day."""
    rows = spokespeople.roster(open_store(settings.database_url),
                               on=parse_date(args.on) if args.on else None)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Nobody on the roster." if not args.on else f"Nobody available on {args.on}.")
    for r in rows:
        print(f"{r['id']:>4}  {r['name']:<28} {r['union_role']:<24} {r['languages']}")
    return 0


def cmd_spokespeople_add(args, settings) -> int:
    """`spokespeople add NAME [--set field=value]...`."""
    values = {**_spokesperson_values(args.set), "name": args.name}
    new_id = spokespeople.add_spokesperson(open_store(settings.database_url), args.actor,
                                           values, now=clock.utcnow())
    print(f"Added spokesperson {new_id}: {args.name.strip()}.")
    return 0


def cmd_spokespeople_edit(args, settings) -> int:
    """`spokespeople edit ID --set field=value...`."""
    changes = _spokesperson_values(args.set)
    if not changes:
        raise InvalidInput("Nothing to change: give --set FIELD=VALUE.")
    spokespeople.update_spokesperson(open_store(settings.database_url), args.actor, args.id,
                                     changes, now=clock.utcnow())
    print(f"Spokesperson {args.id} updated: {', '.join(changes)}.")
    return 0


def cmd_spokespeople_remove(args, settings) -> int:
    """`spokespeople remove ID`: undoable for 30 days."""
    spokespeople.remove_spokesperson(open_store(settings.database_url), args.actor, args.id,
                                     now=clock.utcnow())
    print(f"Took spokesperson {args.id} off the roster; an editor can restore them for "
          f"{RETENTION.days} days.")
    return 0


def add_parsers(subparsers) -> None:
    """`contacts import|export`, `journalists ...`, `lists ...` and `spokespeople ...`."""
    _add_journalists(subparsers)
    _add_lists(subparsers)
    _add_spokespeople(subparsers)
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


def _add_journalists(subparsers) -> None:
    sub = actions(command(subparsers, "journalists"))
    fields = ", ".join(contacts.EDITABLE_FIELDS)
    p = sub.add_parser("list", help="journalists by name, with outlet and e-mail")
    p.add_argument("--search", default="", metavar="TEXT",
                   help="only those whose name, outlet, e-mail or notes contain TEXT")
    p.add_argument("--list", metavar="NAME", default=None, help="only this press list")
    p.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    add_json(p)
    p.set_defaults(func=cmd_journalists_list)
    p = sub.add_parser("add", help="add one journalist",
                       description="Add a journalist. Refused when one is on file with the "
                       "same e-mail, or the same name at the same outlet.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--outlet", default="", metavar="NAME",
                   help="their outlet (added when new)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help=f"a field's value; repeat for several. Fields: {fields}")
    p.set_defaults(func=cmd_journalists_add)
    p = sub.add_parser("edit", help="change some of a journalist's fields")
    p.add_argument("id", type=int, metavar="ID", help="from `journalists list`")
    p.add_argument("--outlet", default=None, metavar="NAME", help="'' clears it")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help=f"a field's new value ('' clears it); repeat for several. Fields: "
                   f"{fields}")
    p.set_defaults(func=cmd_journalists_edit)
    p = sub.add_parser("remove", help="delete a journalist (undoable for 30 days)")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_journalists_remove)


def _add_lists(subparsers) -> None:
    sub = actions(command(subparsers, "lists"))
    p = sub.add_parser("list", help="press lists and their member counts")
    add_json(p)
    p.set_defaults(func=cmd_lists_list)
    p = sub.add_parser("add", help="add an empty press list")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--description", default="", help="what the list is for")
    p.set_defaults(func=cmd_lists_add)
    p = sub.add_parser("remove", help="delete a press list, not its journalists (undoable)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_lists_remove)


def _add_spokespeople(subparsers) -> None:
    sub = actions(command(subparsers, "spokespeople"))
    fields = ", ".join(f for f in spokespeople.FIELDS if f != "name")
    p = sub.add_parser("list", help="the spokesperson roster")
    p.add_argument("--on", default="", metavar="DATE",
                   help="only those available that day, YYYY-MM-DD")
    add_json(p)
    p.set_defaults(func=cmd_spokespeople_list)
    p = sub.add_parser("add", help="put a member on the roster")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help=f"repeat for several. Fields: {fields} (dates YYYY-MM-DD, "
                   "media_trained yes/no)")
    p.set_defaults(func=cmd_spokespeople_add)
    p = sub.add_parser("edit", help="change some of a spokesperson's fields")
    p.add_argument("id", type=int, metavar="ID", help="from `spokespeople list`")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help=f"repeat for several. Fields: name, {fields}")
    p.set_defaults(func=cmd_spokespeople_edit)
    p = sub.add_parser("remove", help="take someone off the roster (undoable for 30 days)")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_spokespeople_remove)
