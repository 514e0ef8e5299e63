"""Importing press lists from CSV and XLSX, merging duplicates, and exporting our own format."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.auth import audit
from outreach.cli import main
from outreach.errors import InvalidInput, NotFound, PermissionDenied
from outreach.presslist import importing as contacts_import
from outreach.presslist.fields import (
    domain_of,
    join_items,
    normalise_email,
    normalise_handle,
    normalise_preferred_contact,
    parse_bool,
    split_emails,
    split_items,
)
from outreach.presslist.importing import (
    EXPORT_COLUMNS,
    apply_import,
    auto_mapping,
    export_csv,
    export_rows,
    format_plan,
    format_report,
    import_file,
    plan_import,
    read_table,
)
from outreach.roles import Actor
from outreach.store.tables import (
    audit_log,
    journalist_outlets,
    journalists,
    metadata,
    outlets,
    press_list_members,
    press_lists,
)

DATA = Path(__file__).parent / "data" / "contacts"
SAMPLE = Path(__file__).resolve().parents[1] / "press_lists" / "sample.csv"
EDITOR = Actor("edna", "editor")


# --- helpers ---------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def table_of(text: str, name: str = "contacts.csv"):
    return read_table(text.encode(), name)


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table, to compare a store before and after."""
    with db.connect() as conn:
        return {
            table.name: sorted(
                (tuple(row) for row in conn.execute(sa.select(table))), key=repr
            )
            for table in metadata.sorted_tables
        }


def people(db) -> dict[str, dict]:
    """Journalists by name, with their outlet's name, other outlets and lists."""
    with db.connect() as conn:
        outlet_names = dict(conn.execute(sa.select(outlets.c.id, outlets.c.name)).all())
        list_names = dict(conn.execute(sa.select(press_lists.c.id, press_lists.c.name)).all())
        lists: dict[int, set[str]] = {}
        for lid, jid in conn.execute(sa.select(press_list_members)):
            lists.setdefault(jid, set()).add(list_names[lid])
        others: dict[int, set[str]] = {}
        for jid, oid in conn.execute(sa.select(journalist_outlets)):
            others.setdefault(jid, set()).add(outlet_names[oid])
        found = {}
        for row in conn.execute(sa.select(journalists)):
            record = dict(row._mapping)
            record["outlet"] = outlet_names.get(record.pop("outlet_id"))
            record["lists"] = lists.get(record["id"], set())
            record["other_outlets"] = others.get(record["id"], set())
            found[record["name"]] = record
    return found


def count(db, table) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def do_import(db, now, path, **options):
    return import_file(db, EDITOR, path, now=now, **options)


# --- normalisers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Ana@Ledger.TEST", "ana@ledger.test"),
    ("  ana@ledger.test \n", "ana@ledger.test"),
    ("mailto:ana@ledger.test", "ana@ledger.test"),
    ("Ana Q <ana@ledger.test>", "ana@ledger.test"),
    ("first.last+press@sub.example.org", "first.last+press@sub.example.org"),
    ("", ""),
])
def test_normalise_email(text, expected):
    assert normalise_email(text) == expected


@pytest.mark.parametrize("text", ["bob@", "@ledger.test", "ana ledger.test", "ana@ledger",
                                  "a@b@c.test", "josé@ledger.test", "ana@-ledger.test",
                                  "ana..q@ledger.test"])
def test_normalise_email_refuses_what_is_not_an_address(text):
    with pytest.raises(InvalidInput, match="not a valid e-mail address"):
        normalise_email(text)


def test_split_emails_keeps_order_and_drops_repeats():
    assert split_emails("a@x.test; B@y.test, a@X.test") == ["a@x.test", "b@y.test"]
    with pytest.raises(InvalidInput, match="'nope'"):
        split_emails("a@x.test; nope")


@pytest.mark.parametrize(("text", "platform", "expected"), [
    ("@anaquill", "x", "anaquill"),
    ("anaquill", "x", "anaquill"),
    ("https://x.com/AnaQuill", "x", "AnaQuill"),
    ("http://www.twitter.com/anaquill?lang=en", "x", "anaquill"),
    ("twitter.com/anaquill/status/123", "x", "anaquill"),
    ("mobile.twitter.com/ana_q", "x", "ana_q"),
    ("@Ana.bsky.social", "bluesky", "ana.bsky.social"),
    ("https://bsky.app/profile/AnaQuill.bsky.social", "bluesky", "anaquill.bsky.social"),
    ("bsky.app/profile/ana.example.org/post/3k", "bluesky", "ana.example.org"),
    ("anaquill", "bluesky", "anaquill.bsky.social"),
    ("did:plc:abc123XYZ", "bluesky", "did:plc:abc123XYZ"),
    ("", "x", ""),
])
def test_normalise_handle(text, platform, expected):
    assert normalise_handle(text, platform) == expected


@pytest.mark.parametrize(("text", "platform"), [
    ("ana.bsky.social", "x"), ("ana quill", "x"), ("https://x.com/", "x"),
    ("ana_quill.bsky.social", "bluesky"), ("https://bsky.app/about", "bluesky"),
])
def test_normalise_handle_refuses_what_is_not_a_handle(text, platform):
    with pytest.raises(InvalidInput, match="is not an? (X|Bluesky) handle"):
        normalise_handle(text, platform)


def test_items_split_trim_dedupe_and_join():
    assert split_items(" labor;  city  hall, Labor ,, economy ") == [
        "labor", "city hall", "economy"]
    assert split_items("") == []
    assert join_items(["labor", "LABOR", " economy "]) == "labor; economy"


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", True), ("Y", True), ("TRUE", True), ("1", True), ("x", True), ("X ", True),
    ("no", False), ("n", False), ("false", False), ("0", False), ("", False),
])
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


def test_parse_bool_refuses_a_guess():
    with pytest.raises(InvalidInput, match="'maybe' is not yes or no"):
        parse_bool("maybe")


def test_preferred_contact_and_domains():
    assert normalise_preferred_contact("E-mail") == "email"
    assert normalise_preferred_contact("Twitter") == "x"
    assert normalise_preferred_contact("") == ""
    with pytest.raises(InvalidInput, match="not a contact method"):
        normalise_preferred_contact("carrier pigeon")
    assert domain_of("Ana@Ledger.Test") == "ledger.test"
    assert domain_of("https://www.ledger.test/staff/ana") == "ledger.test"
    assert domain_of("not a domain") == ""
    # The registrable domain, by the Public Suffix List: one outlet whatever its host.
    assert domain_of("https://m.bbc.co.uk/news/uk") == "bbc.co.uk"
    assert domain_of("dana@news.daily.example.org") == "daily.example.org"
    assert domain_of("https://union.blogspot.com/post") == "union.blogspot.com"


def test_the_public_suffix_list_is_read_offline_and_never_cached_on_disk(tmp_path):
    """No connection is even tried and nothing is written under HOME: the bundled snapshot
    of the Public Suffix List is all that is used."""
    probe = ("import socket\n"
             "tried = []\n"
             "def refuse(*args):\n"
             "    tried.append(args)\n"
             "    raise OSError('no network in this test')\n"
             "socket.socket.connect = refuse\n"
             "socket.getaddrinfo = refuse\n"
             "from outreach.presslist.fields import domain_of\n"
             "print(domain_of('https://m.bbc.co.uk/news'), len(tried))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parent.parent,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": "",
                               "TLDEXTRACT_CACHE": ""})
    assert done.stdout.split() == ["bbc.co.uk", "0"]
    assert list(tmp_path.iterdir()) == []


# --- reading files and mapping headers -------------------------------------------------------


@pytest.mark.parametrize(("header", "field"), [
    ("Name", "name"), ("Full Name", "name"), ("first name", "first_name"),
    ("FIRST_NAME", "first_name"), ("Last Name", "last_name"), ("Email", "email"),
    ("E-mail", "email"), ("Email Address", "email"), ("e-mail address", "email"),
    ("Outlet", "outlet"), ("Media Outlet", "outlet"), ("Publication", "outlet"),
    ("Company", "outlet"), ("Title", "title"), ("Job Title", "title"),
    ("Twitter", "x_handle"), ("X", "x_handle"), ("Twitter Handle", "x_handle"),
    ("Twitter URL", "x_handle"), ("Bluesky", "bluesky_handle"), ("Phone", "phone"),
    ("Work Phone", "phone"), ("Mobile", "phone"), ("Beat", "beats"), ("Beats", "beats"),
    ("Topics", "beats"), ("City", "city"), ("Location", "city"), ("Pronouns", "pronouns"),
    ("Website", "website"), ("Region", "region"), ("Languages", "languages"),
    ("Preferred Contact", "preferred_contact"), ("Tags", "tags"),
    ("Do Not Contact", "do_not_contact"), ("do-not-contact reason", "do_not_contact_reason"),
    ("Notes", "notes"), ("Source", "source"), ("Lists", "lists"),
    ("Other Emails", "other_emails"), ("Other Outlets", "other_outlets"),
    ("Outlet Domain", "outlet_domain"), ("Last Contacted", "last_contacted_at"),
])
def test_auto_mapping_knows_the_header_variants(header, field):
    assert auto_mapping([header]) == ({header: field}, [])


def test_auto_mapping_maps_every_column_of_our_export():
    mapping, unmapped = auto_mapping(EXPORT_COLUMNS)
    assert unmapped == []
    assert set(mapping.values()) == set(contacts_import.FIELDS) - {"first_name", "last_name"}


def test_readme_documents_every_column_and_header_variant():
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    for label in EXPORT_COLUMNS:
        assert f"\n| {label} |" in readme, label
    for variants in contacts_import._HEADER_VARIANTS.values():
        for variant in variants:
            assert variant in readme, variant


def test_auto_mapping_reports_unknown_headers():
    assert auto_mapping(["Name", "Fax", "Twitter Followers"]) == (
        {"Name": "name"}, ["Fax", "Twitter Followers"])


@pytest.mark.parametrize(("fixture", "encoding", "delimiter"), [
    ("pr_tool_export.csv", "utf-8", ","),
    ("semicolon_bom.csv", "utf-8-sig", ";"),
    ("tab_separated.tsv", "utf-8", "\t"),
    ("windows_1252.csv", "cp1252", ","),
])
def test_read_table_detects_encoding_and_delimiter(fixture, encoding, delimiter):
    table = read_table((DATA / fixture).read_bytes(), fixture)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert len(table.rows) == 2 and table.rows[0][0] == 2
    assert all(len(cells) == len(table.headers) for _, cells in table.rows)


def test_read_table_decodes_cp1252_accents():
    table = read_table((DATA / "windows_1252.csv").read_bytes(), "windows_1252.csv")
    assert table.rows[0][1][0] == "José Núñez"
    assert table.rows[1][1][0] == "Zoë Brontë-Müller"
    assert table.rows[1][1][4] == "“Quotes” and €"


def test_read_table_reads_utf16_as_excel_saves_unicode_text():
    text = "Name\tEmail\r\nZoë Brontë\tzoe@herald.test\r\n"
    table = read_table(text.encode("utf-16"), "unicode.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows == [(2, ["Zoë Brontë", "zoe@herald.test"])]


def test_sniffing_trusts_the_header_line():
    # Commas inside notes must not make a semicolon file look comma-separated.
    text = "Name;Notes\nAna;likes commas, many, of, them\nBo;\"a, b, c\"\n"
    assert table_of(text).delimiter == ";"
    assert table_of("Name\nAna\n").delimiter == ","


def test_row_numbers_are_as_a_spreadsheet_shows_them():
    text = 'Name,Notes\n\nAna,"two\nlines"\n,\nBo,x\n'
    table = table_of(text)
    assert [number for number, _ in table.rows] == [3, 5]
    assert table.rows[0][1] == ["Ana", "two\nlines"]


def test_read_table_names_columns_without_a_header():
    assert table_of("Name,,Email\nAna,x,a@b.test\n").headers == ["Name", "Column 2", "Email"]


def test_read_table_refuses_what_it_cannot_read():
    with pytest.raises(InvalidInput, match="is empty"):
        read_table(b"\n\n ,\n", "empty.csv")
    with pytest.raises(InvalidInput, match="old Excel"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "list.xls")
    with pytest.raises(InvalidInput, match="not a readable XLSX"):
        read_table(b"Name\nAna\n", "list.xlsx")
    with pytest.raises(InvalidInput, match="not text in UTF-8 or Windows-1252"):
        read_table(b"Name\n\x81\x8d\n", "binary.csv")


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_read_table_reads_the_first_sheet_of_an_xlsx():
    data = xlsx_bytes([
        ["First Name", "Last Name", "Email", "Work Phone", "Do Not Contact"],
        ["Ana", "Quillfeather", "ana@ledger.test", 5550100, True],
        [None, None, None, None, None],
        ["Bo", "Dunmore", "bo@ledger.test", 1.5, False],
    ])
    table = read_table(data, "export.xlsx")
    assert (table.encoding, table.delimiter) == ("xlsx", "")
    assert table.headers == ["First Name", "Last Name", "Email", "Work Phone", "Do Not Contact"]
    assert table.rows == [(2, ["Ana", "Quillfeather", "ana@ledger.test", "5550100", "yes"]),
                          (4, ["Bo", "Dunmore", "bo@ledger.test", "1.5", "no"])]


def test_formula_guard_is_undone_exactly():
    text = "Name,Notes,Phone\n'=Ana,'@home,'+1 555 0100\n'Bo,''=x,'\t\n"
    plan_rows = [cells for _, cells in table_of(text).rows]
    reader = contacts_import._RowReader(
        ["Name", "Notes", "Phone"], {"Name": "name", "Notes": "notes", "Phone": "phone"})
    first, _, _ = reader.read(plan_rows[0])
    assert first.values == {"name": "=Ana", "notes": "@home", "phone": "+1 555 0100"}
    second, _, _ = reader.read(plan_rows[1])
    # Only a quote before = + - @ tab or CR was ours; others belong to the text.
    assert second.values == {"name": "'Bo", "notes": "''=x"}


# --- importing -------------------------------------------------------------------------------


def test_sample_press_list_imports(db, now):
    report = do_import(db, now, SAMPLE)
    assert report.written and report.counts == {
        "added": 40, "merged": 0, "unchanged": 0, "skipped": 0}
    assert count(db, outlets) == 10
    assert {x["Name"] for x in contacts_import.export_rows(db)} == {
        row["Name"] for row in csv.DictReader(SAMPLE.open(encoding="utf-8"))}
    found = people(db)
    marcus = found["Marcus Brightwater"]
    assert marcus["x_handle"] == "marcusbright_demo"
    assert marcus["bluesky_handle"] == "marcusbright.bsky.test"
    assert marcus["beats"] == "city hall; labor"
    assert marcus["lists"] == {"Labor beat", "Local TV & radio"}
    assert marcus["source"] == "sample.csv"
    assert marcus["created_at"] == marcus["updated_at"] == now


def test_pr_tool_headers_and_normalisation(db, now):
    report = do_import(db, now, DATA / "pr_tool_export.csv")
    assert report.ignored == ["Fax"]
    found = people(db)
    ana = found["Ana Quillfeather"]
    assert ana["email"] == "ana.quillfeather@riversideledger.test"
    assert ana["outlet"] == "Riverside Daily Ledger"
    assert (ana["title"], ana["phone"], ana["city"]) == ("Labor reporter", "555-0100",
                                                         "Riverside")
    assert (ana["x_handle"], ana["bluesky_handle"]) == ("anaquill", "anaquill.bsky.social")
    assert ana["beats"] == "labor; economy"
    marcus = found["Marcus Brightwater"]
    assert marcus["email"] == "marcus@ch7metro.test"
    assert marcus["other_emails"] == "m.bright@example.test"
    assert marcus["beats"] == "city hall; labor"


@pytest.mark.parametrize("fixture", ["semicolon_bom.csv", "tab_separated.tsv"])
def test_semicolon_and_tab_files_import(db, now, fixture):
    report = do_import(db, now, DATA / fixture)
    assert report.counts["added"] == 2
    found = people(db)
    if fixture == "semicolon_bom.csv":
        assert found["Priya Oakenshaw"]["beats"] == "transportation; business"
        assert found["Priya Oakenshaw"]["outlet"] == "KWRK Community Radio"
    else:
        assert found["Leila Marchetti"]["x_handle"] == "leilam"
        assert found["Tomas Dunmore"]["phone"] == "555-0105"


def test_cp1252_file_keeps_accented_names(db, now):
    do_import(db, now, DATA / "windows_1252.csv")
    found = people(db)
    assert found["José Núñez"]["notes"] == "Habla español – prefiere llamadas"
    assert found["Zoë Brontë-Müller"]["email"] == "zoe@laborherald.test"


def test_xlsx_file_imports(db, now, tmp_path):
    path = tmp_path / "muckrack.xlsx"
    path.write_bytes(xlsx_bytes([
        ["First Name", "Last Name", "Email", "Outlet", "Work Phone", "Do Not Contact"],
        ["Ana", "Quillfeather", "ana@ledger.test", "Ledger", 5550100, True],
    ]))
    report = do_import(db, now, path)
    assert report.counts["added"] == 1
    ana = people(db)["Ana Quillfeather"]
    assert (ana["phone"], ana["do_not_contact"], ana["outlet"]) == ("5550100", True, "Ledger")


def test_an_invalid_row_fails_the_whole_import_with_its_row_number(db, now):
    before = snapshot(db)
    with pytest.raises(InvalidInput) as failed:
        do_import(db, now, DATA / "invalid_rows.csv")
    message = str(failed.value)
    assert "Row 3: Email: 'bob@' is not a valid e-mail address" in message
    assert "row 5: the name is empty" in message
    assert "--skip-invalid" in message
    assert snapshot(db) == before


def test_skip_invalid_skips_and_reports_the_rows(db, now):
    report = do_import(db, now, DATA / "invalid_rows.csv", skip_invalid=True)
    assert report.counts == {"added": 3, "merged": 0, "unchanged": 0, "skipped": 2}
    skipped = {o.row: o.detail for o in report.outcomes if o.action == "skipped"}
    assert skipped == {3: "Email: 'bob@' is not a valid e-mail address",
                       5: "the name is empty"}
    assert set(people(db)) == {"Ana Quillfeather", "Hannah Penhallow", "Yuki Harrowgate"}
    text = format_report(report)
    assert "Row 3: skipped Bad Address: Email: 'bob@' is not a valid e-mail address" in text
    assert "Row 5: skipped: the name is empty" in text


def test_every_problem_of_a_row_is_named(db, now):
    table = table_of("Name,Email,X,Do Not Contact,Preferred Contact,Title\n"
                     f"Ana,ana@,ana.q,maybe,pigeon,{'t' * 201}\n")
    plan = plan_import(db, table)
    (outcome,) = plan.invalid
    for part in ("Email: 'ana@'", "X: 'ana.q' is not an X handle",
                 "Do Not Contact: 'maybe' is not yes or no",
                 "Preferred Contact: 'pigeon' is not a contact method",
                 "Title is longer than 200 characters"):
        assert part in outcome.detail


def test_duplicates_within_the_file_merge(db, now):
    report = do_import(db, now, DATA / "duplicates.csv")
    assert report.counts == {"added": 2, "merged": 2, "unchanged": 0, "skipped": 0}
    by_row = {o.row: o for o in report.outcomes}
    ana_again = by_row[4]
    assert ana_again.detail == "Ana Quillfeather from row 2 (same name at the same outlet)"
    assert ("Phone", "", "555-0100") in ana_again.changes
    assert ("Beats", "labor", "labor; economy") in ana_again.changes
    assert ana_again.conflicts == [("Title", "Labor reporter", "Senior labor reporter")]
    marcus_again = by_row[5]
    assert marcus_again.detail.endswith("(same e-mail marcus@ch7metro.test)")
    assert marcus_again.conflicts == [("Name", "Marcus Brightwater", "M. Brightwater")]
    found = people(db)
    assert set(found) == {"Ana Quillfeather", "Marcus Brightwater"}
    ana = found["Ana Quillfeather"]
    assert (ana["title"], ana["phone"], ana["beats"]) == ("Labor reporter", "555-0100",
                                                          "labor; economy")
    assert ana["lists"] == {"Labor beat", "Local TV & radio"}
    assert found["Marcus Brightwater"]["beats"] == "city hall; labor"
    assert found["Marcus Brightwater"]["lists"] == {"Labor beat"}
    text = format_report(report)
    assert "Row 4: merged into Ana Quillfeather from row 2" in text
    assert "    Phone: (empty) -> '555-0100'" in text
    assert "    Title: kept 'Labor reporter', the file has 'Senior labor reporter'" in text


def test_duplicates_of_journalists_on_file_merge(db, now, tmp_path):
    do_import(db, now, SAMPLE)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    path = write(tmp_path, "update.csv",
                 "Name,Email,Outlet,Title,Beats,Pronouns,Do Not Contact,Other Emails\n"
                 # same e-mail, new details, a different title
                 "Ana Quillfeather,ANA.QUILLFEATHER@riversideledger.test,,Editor,labor; "
                 "housing,she/her,yes,ana@home.test\n"
                 # same name at the same outlet (any case), nothing new
                 "hannah penhallow,,riverside daily ledger,,labor,,,\n"
                 # someone's other e-mail
                 "Marcus B,marcus.brightwater@ch7metro.test,,,,,no,\n")
    before_audit = count(db, audit_log)
    report = do_import(db, later, path)
    assert report.counts == {"added": 0, "merged": 1, "unchanged": 2, "skipped": 0}
    ana_outcome, hannah_outcome, marcus_outcome = report.outcomes
    assert ana_outcome.detail == ("Ana Quillfeather on file "
                                  "(same e-mail ana.quillfeather@riversideledger.test)")
    assert set(ana_outcome.changes) == {
        ("Pronouns", "", "she/her"), ("Do Not Contact", "no", "yes"),
        ("Beats", "labor", "labor; housing"), ("Other Emails", "", "ana@home.test")}
    assert ana_outcome.conflicts == [("Title", "Labor reporter", "Editor")]
    assert hannah_outcome.detail == "Hannah Penhallow on file (same name at the same outlet)"
    assert marcus_outcome.conflicts == [("Name", "Marcus Brightwater", "Marcus B")]
    found = people(db)
    ana = found["Ana Quillfeather"]
    assert (ana["title"], ana["pronouns"], ana["do_not_contact"]) == ("Labor reporter",
                                                                      "she/her", True)
    assert ana["beats"] == "labor; housing" and ana["other_emails"] == "ana@home.test"
    assert ana["source"] == "sample.csv" and ana["updated_at"] == later
    assert found["Hannah Penhallow"]["updated_at"] == now  # unchanged rows are not written
    assert len(found) == 40
    assert count(db, audit_log) == before_audit + 1


def test_do_not_contact_is_never_undone_by_an_import(db, now, tmp_path):
    do_import(db, now, write(tmp_path, "a.csv", "Name,Email,Do Not Contact\nAna,a@x.test,yes\n"))
    report = do_import(db, now, write(tmp_path, "b.csv",
                                      "Name,Email,Do Not Contact\nAna,a@x.test,no\n"))
    assert report.counts["unchanged"] == 1
    assert people(db)["Ana"]["do_not_contact"] is True


def test_an_email_on_another_journalist_is_not_copied(db, now, tmp_path):
    do_import(db, now, write(tmp_path, "a.csv", "Name,Email\nAna,a@x.test\nBo,b@x.test\n"))
    report = do_import(db, now, write(tmp_path, "b.csv", "Name,Email\nAna,a@x.test; b@x.test\n"))
    assert report.outcomes[0].notes == [
        "e-mail b@x.test not added: another journalist on file has it"]
    assert people(db)["Ana"]["other_emails"] == ""


def test_outlets_match_by_name_or_domain_and_are_created_otherwise(db, now, tmp_path):
    with db.begin() as conn:
        conn.execute(outlets.insert().values(name="Riverside Daily Ledger",
                                             domain="www.riversideledger.test", created_at=now))
    path = write(tmp_path, "outlets.csv",
                 "Name,Email,Outlet,Website\n"
                 "Ana,ana@riversideledger.test,RIVERSIDE DAILY LEDGER,\n"
                 "Bo,bo@gmail.test,The Ledger,https://riversideledger.test/staff/bo\n"
                 "Cy,cy@riversideledger.test,Ledger (Sunday),\n"
                 "Di,di@dispatch.test,The Valley Dispatch,\n"
                 "Ed,ed@dispatch.test,the valley dispatch,\n"
                 "Fa,fa@x.test,,\n")
    report = do_import(db, now, path)
    assert report.new_outlets == ["The Valley Dispatch"]
    assert report.outcomes[1].notes == [
        "outlet 'The Ledger' taken to be 'Riverside Daily Ledger', whose domain is "
        "riversideledger.test"]
    found = people(db)
    assert {name: found[name]["outlet"] for name in found} == {
        "Ana": "Riverside Daily Ledger", "Bo": "Riverside Daily Ledger",
        "Cy": "Riverside Daily Ledger", "Di": "The Valley Dispatch",
        "Ed": "The Valley Dispatch", "Fa": None}
    assert count(db, outlets) == 2


def test_several_columns_for_one_field(db, now, tmp_path):
    path = write(tmp_path, "phones.csv",
                 "Name,Work Phone,Mobile,Email,Email 2,Beat,Topics\n"
                 "Ana,555-0100,555-0199,a@x.test,a2@x.test,labor,economy\n")
    report = do_import(db, now, path)
    assert report.outcomes[0].notes == [
        "Mobile '555-0199' not imported: Work Phone already gives '555-0100'"]
    ana = people(db)["Ana"]
    assert (ana["phone"], ana["email"], ana["other_emails"], ana["beats"]) == (
        "555-0100", "a@x.test", "a2@x.test", "labor; economy")


def test_several_columns_for_a_checked_field_take_the_first_cell_as_it_is(db, now):
    # The first non-empty column wins for handles, yes/no and dates as for text: an
    # invalid first cell makes the row invalid though a later column is valid, and a
    # later cell that differs is noted, quoted as the file has it.
    table = table_of("Name,Twitter,X Handle,Email\n"
                     "Ana,ana.q,@ana,a@x.test\n"
                     "Bo,@Bo_Q,bo_r,b@x.test\n"
                     "Cy,,@cy,c@x.test\n"
                     "Di,@di,@DI,d@x.test\n")
    plan = plan_import(db, table)
    ana, bo, cy, di = plan.outcomes
    assert (ana.action, ana.detail) == (
        "skipped", "X: 'ana.q' is not an X handle: use letters, digits and _ (at most 50), "
        "with or without @")
    assert bo.notes == ["X Handle 'bo_r' not imported: Twitter already gives '@Bo_Q'"]
    assert cy.notes == di.notes == ()
    apply_import(db, EDITOR, plan, now=now, skip_invalid=True)
    found = people(db)
    assert {name: found[name]["x_handle"] for name in found} == {
        "Bo": "Bo_Q", "Cy": "cy", "Di": "di"}


def test_manual_mapping_overrides_and_extends(db, now, tmp_path):
    table = table_of("Reporter,Employer,Email,Fax\nAna Q,Ledger,a@x.test,555\n")
    assert auto_mapping(table.headers) == ({"Email": "email"}, ["Reporter", "Employer", "Fax"])
    plan = plan_import(db, table, mapping={"Reporter": "Name", "Employer": "outlet",
                                           "Email": None})
    assert plan.mapping == {"Reporter": "name", "Employer": "outlet", "Email": None,
                            "Fax": None}
    assert plan.ignored == ["Email", "Fax"]
    report = apply_import(db, EDITOR, plan, now=now)
    assert report.counts["added"] == 1
    ana = people(db)["Ana Q"]
    assert (ana["outlet"], ana["email"]) == ("Ledger", "")
    with pytest.raises(InvalidInput, match="not a field to import into"):
        plan_import(db, table, mapping={"Reporter": "shoe size"})
    with pytest.raises(InvalidInput, match="names 'Nope', which the file does not have"):
        plan_import(db, table, mapping={"Nope": "name"})


def test_a_file_without_a_name_column_is_refused(db):
    with pytest.raises(InvalidInput, match="no column gives the journalist's name"):
        plan_import(db, table_of("Email,Outlet\na@x.test,Ledger\n"))


def test_list_option_and_lists_column(db, now, tmp_path):
    do_import(db, now, SAMPLE)
    path = write(tmp_path, "strike.csv",
                 "Name,Email,Lists\n"
                 "Ana Quillfeather,ana.quillfeather@riversideledger.test,\n"
                 "New Person,new@x.test,\"Labor beat; Wire, and radio\"\n")
    report = do_import(db, now, path, list_name="Strike day")
    assert report.new_lists == ["Strike day", "Wire, and radio"]
    found = people(db)
    assert found["Ana Quillfeather"]["lists"] == {"Labor beat", "Strike day"}
    assert found["New Person"]["lists"] == {"Labor beat", "Strike day", "Wire, and radio"}
    assert "All are on the list 'Strike day'." in format_report(report)
    with db.connect() as conn:
        entry = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())).first()
        list_id = conn.execute(sa.select(press_lists.c.id)
                               .where(press_lists.c.name == "Strike day")).scalar_one()
    assert (entry.entity, entry.action, entry.actor) == ("press_list", "import", "edna")
    assert entry.entity_id == str(list_id)
    assert entry.summary == ("strike.csv: 1 added, 1 merged, 0 unchanged, 0 skipped; "
                             "new outlets: 0, new lists: 2; all on the list 'Strike day'")


def test_dry_run_writes_nothing(db, now):
    do_import(db, now, SAMPLE)
    before = snapshot(db)
    report = do_import(db, now, DATA / "duplicates.csv", dry_run=True, list_name="New list")
    assert not report.written and report.failure == ""
    # Ana and Marcus are on file (same name at the same outlet); the last row then
    # matches Marcus by the e-mail the row before it added, and brings nothing new.
    assert report.counts == {"added": 0, "merged": 3, "unchanged": 1, "skipped": 0}
    assert report.new_lists == ["New list"]
    assert snapshot(db) == before
    assert "Dry run, nothing written." in format_report(report)


def test_dry_run_says_why_the_import_would_fail(db, now):
    before = snapshot(db)
    report = do_import(db, now, DATA / "invalid_rows.csv", dry_run=True)
    assert report.failure.startswith("invalid_rows.csv: Row 3: Email")
    assert snapshot(db) == before
    assert do_import(db, now, DATA / "invalid_rows.csv", dry_run=True,
                     skip_invalid=True).failure == ""


def test_a_plan_previews_as_a_dry_run(db, now):
    plan = plan_import(db, read_table((DATA / "invalid_rows.csv").read_bytes(),
                                      "invalid_rows.csv"))
    text = format_plan(plan)
    assert "Row 2: added Ana Quillfeather (Riverside Daily Ledger)" in text
    assert "Dry run, nothing written. Importing would give: 3 added" in text
    assert text.endswith("Importing would fail: " + plan.failure())
    assert "would fail" not in format_plan(plan, skip_invalid=True)
    report = apply_import(db, EDITOR, plan, now=now, skip_invalid=True)
    assert str(report) == "3 added, 0 merged, 0 unchanged, 2 skipped"


def test_a_failure_while_writing_leaves_every_table_as_it_was(db, now, monkeypatch):
    do_import(db, now, SAMPLE)
    before = snapshot(db)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        do_import(db, now, DATA / "duplicates.csv", list_name="Strike day")
    assert snapshot(db) == before


def test_importing_needs_an_editor(db, now):
    viewer = Actor("val", "viewer")
    with pytest.raises(PermissionDenied, match="importing contacts needs editor"):
        import_file(db, viewer, SAMPLE, now=now)
    plan = plan_import(db, read_table(SAMPLE.read_bytes(), "sample.csv"))
    with pytest.raises(PermissionDenied):
        apply_import(db, viewer, plan, now=now)
    assert count(db, journalists) == 0


def test_apply_replans_against_the_store_as_it_is_then(db, now, tmp_path):
    table = read_table(SAMPLE.read_bytes(), "sample.csv")
    plan = plan_import(db, table)
    assert plan.counts["added"] == 40
    do_import(db, now, SAMPLE)
    report = apply_import(db, EDITOR, plan, now=now)
    assert report.counts == {"added": 0, "merged": 0, "unchanged": 40, "skipped": 0}
    assert count(db, journalists) == 40


def test_a_merge_that_would_overflow_a_column_is_invalid(db, now, tmp_path):
    beats = "; ".join(f"beat{i:03}" for i in range(50))  # 448 characters
    more = "; ".join(f"more{i:03}" for i in range(10))
    path = write(tmp_path, "long.csv", f"Name,Email,Beats\nAna,a@x.test,{beats}\n"
                                       f"Ana,a@x.test,{more}\n")
    with pytest.raises(InvalidInput, match="Row 3: merging it into Ana from row 2 "
                                           ".*would make Beats longer than 500"):
        do_import(db, now, path)


# --- export and round trip -------------------------------------------------------------------


RICH = (
    "Name,Pronouns,Title,Outlet,Outlet Domain,Outlet Kind,Outlet Region,Outlet Language,"
    "Outlet Feed URL,Email,Other Emails,Phone,Beats,Bluesky,X,Website,City,Region,Languages,"
    "Preferred Contact,Tags,Do Not Contact,Do Not Contact Reason,Notes,Source,Lists,"
    "Other Outlets,Last Contacted\n"
    "Alba Quintero,she/her,Labor reporter,Riverside Daily Ledger,riversideledger.test,"
    "daily paper,Riverside,en,https://riversideledger.test/rss.xml,ana@ledger.test,"
    "ana@home.test; aq@wire.test,+1 312 555 0100,labor; economy,ana.bsky.social,ana_q,"
    "https://ana.example.org,Riverside,IL,en; es,email,friendly; quotes us,no,,"
    "\"=HYPERLINK(\"\"http://evil.test\"\")\n-- second line\",conference 2026,"
    "Labor beat; Strike day,Continental Wire; The Labor Herald,2026-11-02T14:30:00+00:00\n"
    "Bo Dunmore,,Host,KWRK Community Radio,kwrk.test,radio,Valley City,en,,bo@kwrk.test,,,"
    "@mentions,,,,,,,,-minus,yes,asked us to stop,@home office,,Labor beat,,\n"
    "Cy Freelance,they/them,Freelancer,,,,,,,cy@freelance.test,,,,,,,,,,phone,,no,,"
    "\"+ plus\nand a line\",,,Continental Wire,\n"
    "Di Noemail,,,KWRK Community Radio,kwrk.test,radio,Valley City,en,,,,555-0199,,,,,,,,,,"
    "no,,,web form,Strike day,,\n"
)


def natural(db) -> dict:
    """The store's journalists, outlets and lists without ids and timestamps."""
    found = people(db)
    for record in found.values():
        for key in ("id", "created_at", "updated_at"):
            record.pop(key)
    with db.connect() as conn:
        outlet_rows = {row.name: {k: v for k, v in row._mapping.items()
                                  if k not in ("id", "created_at")}
                       for row in conn.execute(sa.select(outlets))}
        list_rows = sorted(conn.execute(sa.select(press_lists.c.name,
                                                  press_lists.c.description)).all())
    return {"journalists": found, "outlets": outlet_rows, "lists": list_rows}


def clear(db) -> None:
    with db.begin() as conn:
        for table in (press_list_members, journalist_outlets, journalists, outlets,
                      press_lists, audit_log):
            conn.execute(table.delete())


def test_export_then_import_reproduces_the_press_list(db, now, tmp_path):
    report = do_import(db, now, write(tmp_path, "rich.csv", RICH))
    assert report.counts["added"] == 4
    do_import(db, now, SAMPLE)
    original = natural(db)
    assert original["journalists"]["Alba Quintero"]["other_outlets"] == {
        "Continental Wire", "The Labor Herald"}
    assert original["journalists"]["Alba Quintero"]["notes"] == (
        '=HYPERLINK("http://evil.test")\n-- second line')
    assert original["journalists"]["Alba Quintero"]["last_contacted_at"] == datetime(
        2026, 11, 2, 14, 30, tzinfo=UTC)
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as fileobj:
        assert export_csv(db, fileobj) == 44
    clear(db)
    report = do_import(db, now, path)
    assert report.counts == {"added": 44, "merged": 0, "unchanged": 0, "skipped": 0}
    assert natural(db) == original


def test_export_neutralises_formulas(db, now, tmp_path):
    do_import(db, now, write(tmp_path, "rich.csv", RICH))
    buffer = io.StringIO(newline="")
    export_csv(db, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))
    ana = next(row for row in rows if row["Name"] == "Alba Quintero")
    bo = next(row for row in rows if row["Name"] == "Bo Dunmore")
    cy = next(row for row in rows if row["Name"] == "Cy Freelance")
    assert ana["Notes"].startswith("'=HYPERLINK(")
    assert ana["Phone"] == "'+1 312 555 0100"
    assert (bo["Tags"], bo["Notes"], bo["Beats"]) == ("'-minus", "'@home office", "'@mentions")
    assert cy["Notes"] == "'+ plus\nand a line"
    assert all(not cell.startswith(("=", "+", "-", "@"))
               for row in rows for cell in row.values())


def test_export_one_list(db, now):
    do_import(db, now, SAMPLE)
    rows = export_rows(db, "Spanish-language")
    assert rows and all("Spanish-language" in row["Lists"] for row in rows)
    assert list(rows[0]) == EXPORT_COLUMNS
    with pytest.raises(NotFound, match="no press list called 'Nope'"):
        export_rows(db, "Nope")


# --- arbitrary input never crashes the planner -----------------------------------------------


@pytest.fixture(scope="module")
def hypothesis_store(tmp_path_factory):
    from outreach.store import make_engine, upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('h') / 'outreach.db'}")
    upgrade_to_head(engine)
    with engine.begin() as conn:
        conn.execute(outlets.insert().values(name="Ledger", domain="ledger.test",
                                             created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    yield engine
    engine.dispose()


def plan_or_invalid(db, data: bytes, filename: str) -> None:
    try:
        plan = plan_import(db, read_table(data, filename))
    except InvalidInput as exc:
        assert str(exc)
    else:
        assert sum(plan.counts.values()) == len(plan.table.rows)
        for outcome in plan.invalid:
            assert outcome.detail
        format_report(contacts_import._report(plan, written=False))


CSV_ALPHABET = st.sampled_from(
    list("Name,Email;Outlet\tX\n\r\"'=+-@ ;,ab@.test") + ["Name", "Email", "Lists",
                                                         "Do Not Contact", "é", "\x00"])


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=300), st.lists(CSV_ALPHABET, max_size=80).map("".join)))
def test_any_csv_text_gives_a_plan_or_a_clear_error(hypothesis_store, text):
    plan_or_invalid(hypothesis_store, text.encode("utf-8", "surrogatepass"), "fuzz.csv")


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ana@ledger.test", "ANA@ledger.test; bo@x.test", "@ana", "yes", "maybe",
                     "Ledger", "ledger", "labor; Labor, economy", "'=1+1", "x" * 210,
                     "https://bsky.app/profile/ana.test", "2026-11-02T14:30:00", "email"]),
)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(headers=st.lists(st.sampled_from([*EXPORT_COLUMNS, "First Name", "Last Name", "Fax"]),
                        min_size=1, max_size=8),
       rows=st.lists(st.lists(CELL, max_size=9), max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_table_of_known_columns_gives_a_plan_or_a_clear_error(
    hypothesis_store, headers, rows, delimiter
):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([["Name", *headers], *rows])
    plan_or_invalid(hypothesis_store, buffer.getvalue().encode("utf-8", "surrogatepass"),
                    "fuzz.csv")


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300),
       filename=st.sampled_from(["fuzz.csv", "fuzz.xlsx", "fuzz.txt"]))
def test_any_bytes_give_a_plan_or_a_clear_error(hypothesis_store, data, filename):
    plan_or_invalid(hypothesis_store, data, filename)


MERGE_COLUMNS = {
    "Name": ["Ana Quill", "ana  quill", "Bo Reed", "Cy Lund", "Di Moss"],
    "Email": ["", "ana@ledger.test", "ANA@ledger.test; bo@x.test", "bo@x.test", "cy@x.test",
              "di@x.test"],
    "Other Emails": ["", "bo@x.test", "cy@x.test"],
    "Outlet": ["", "Ledger", "ledger", "Post"],
    "Title": ["", "Reporter", "reporter", "Editor"],
    "Beats": ["", "labor", "labor; economy", "Labor"],
    "Lists": ["", "A", "A; B"],
    "Other Outlets": ["", "Post", "Ledger"],
    "Do Not Contact": ["", "yes", "no"],
    "Source": ["", "tip line"],
}
MERGE_ROWS = st.lists(st.tuples(*(st.sampled_from(values) for values in MERGE_COLUMNS.values())),
                      min_size=1, max_size=5)


@pytest.fixture(scope="module")
def merge_store(tmp_path_factory):
    from outreach.store import make_engine, upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('m') / 'outreach.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def merge_table(rows: list[tuple[str, ...]], with_source: bool):
    headers = [h for h in MERGE_COLUMNS if with_source or h != "Source"]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([headers, *(row[:len(headers)] for row in rows)])
    return read_table(buffer.getvalue().encode(), "merge.csv")


def what_plan_writes(plan) -> tuple:
    writes = plan._writes
    return (plan.outcomes, plan.new_outlets, plan.new_lists,
            [(r.row, dict(r.values), dict(r.lists), r.others) for r in writes.inserts],
            [(r.id, dict(r.values), dict(r.lists), r.others) for r in writes.updates])


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(on_file=MERGE_ROWS, data=st.data(), sources=st.tuples(st.booleans(), st.booleans()),
       linked_to_own_outlet=st.booleans())
def test_the_shortcut_for_rows_that_bring_nothing_agrees_with_the_full_merge(
    merge_store, on_file, data, sources, linked_to_own_outlet
):
    # A re-import answers "unchanged" for a row that holds nothing new without working out
    # the merge; planned without that shortcut, every row must come out the same. The rows
    # planned are those on file, some with one cell changed, and a few others.
    with merge_store.begin() as conn:
        for table in (press_list_members, journalist_outlets, journalists, press_lists,
                      outlets):
            conn.execute(table.delete())
    apply_import(merge_store, EDITOR, plan_import(merge_store, merge_table(
        on_file, sources[0])), now=datetime(2026, 11, 2, tzinfo=UTC), skip_invalid=True)
    if linked_to_own_outlet:  # as the journalist's page can leave it
        with merge_store.begin() as conn:
            conn.execute(journalist_outlets.insert().from_select(
                ["journalist_id", "outlet_id"],
                sa.select(journalists.c.id, journalists.c.outlet_id).where(
                    journalists.c.outlet_id.is_not(None),
                    ~sa.exists().where(journalist_outlets.c.journalist_id == journalists.c.id,
                                       journalist_outlets.c.outlet_id == journalists.c.outlet_id))))
    columns = list(MERGE_COLUMNS.values())
    incoming = []
    for row in on_file:
        at = data.draw(st.integers(0, len(columns)))
        if at < len(columns):
            row = (*row[:at], data.draw(st.sampled_from(columns[at])), *row[at + 1:])
        incoming.append(row)
    table = merge_table([*incoming, *data.draw(MERGE_ROWS)], sources[1])
    quick = what_plan_writes(plan_import(merge_store, table))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(contacts_import._Planner, "_brings_nothing", lambda *args: False)
        full = what_plan_writes(plan_import(merge_store, table))
    assert quick == full


# --- command line ----------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_dry_run_then_import_then_export(app_env, capsys, tmp_path):
    code, out, _ = run(capsys, "contacts", "import", str(SAMPLE), "--dry-run")
    assert code == 0
    assert out.startswith("Read sample.csv (UTF-8, comma-separated): 40 rows.\n")
    assert "Row 2: added Ana Quillfeather (Riverside Daily Ledger)" in out
    assert out.rstrip().endswith("Dry run, nothing written. Importing would give: "
                                 "40 added, 0 merged, 0 unchanged, 0 skipped.")
    code, out, _ = run(capsys, "contacts", "import", str(SAMPLE), "--list", "Everyone")
    assert code == 0 and "New press lists: Labor beat, Everyone, Local TV & radio" in out
    assert out.rstrip().endswith("Imported: 40 added, 0 merged, 0 unchanged, 0 skipped. "
                                 "All are on the list 'Everyone'.")
    code, out, _ = run(capsys, "contacts", "import", str(SAMPLE))
    assert code == 0 and "Row 2: unchanged, nothing new for Ana Quillfeather on file " in out
    target = tmp_path / "out.csv"
    code, out, _ = run(capsys, "contacts", "export", str(target), "--list", "Labor beat")
    on_list = sum("Labor beat" in row["Lists"] for row in csv.DictReader(SAMPLE.open()))
    assert code == 0
    assert out == f"Wrote {on_list} journalists on the list 'Labor beat' to {target}.\n"
    assert target.read_bytes().startswith(b"\xef\xbb\xbfName,Pronouns,Title,Outlet,")
    code, _, err = run(capsys, "contacts", "export", str(target), "--list", "Nope")
    assert code == 1 and err == "error: There is no press list called 'Nope'.\n"


def test_cli_import_fails_on_invalid_rows_unless_skipped(app_env, capsys):
    invalid = str(DATA / "invalid_rows.csv")
    code, out, err = run(capsys, "contacts", "import", invalid)
    assert code == 1 and out == ""
    assert err.startswith("error: invalid_rows.csv: Row 3: Email: 'bob@' is not a valid")
    assert "row 5: the name is empty" in err
    code, out, err = run(capsys, "contacts", "import", invalid, "--dry-run")
    assert code == 1 and "Row 5: skipped: the name is empty" in out
    assert err.startswith("error: invalid_rows.csv: Row 3")
    code, out, _ = run(capsys, "contacts", "import", invalid, "--skip-invalid")
    assert code == 0 and "Imported: 3 added, 0 merged, 0 unchanged, 2 skipped." in out
    code, _, err = run(capsys, "contacts", "import", str(DATA / "missing.csv"))
    assert code == 1 and err.startswith("error: Cannot read ")


@pytest.mark.parametrize(("argv", "options"), [
    (["contacts"], ["import", "export"]),
    (["contacts", "import"], ["FILE", "--list NAME", "--dry-run", "--skip-invalid"]),
    (["contacts", "export"], ["FILE", "--list NAME"]),
], ids=" ".join)
def test_cli_contacts_commands_have_help(capsys, argv, options):
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m outreach " + " ".join(argv))
    for option in options:
        assert option in text
