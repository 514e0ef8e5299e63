"""Files built to cost an importer time or memory: workbooks, CSV and images.

The small ones are kept in tests/data/hostile (see its README.md); run this module to
write them again: `python tests/support/hostile_files.py`. The big ones are made by the
test that needs them, in its tmp_path.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image as PILImage

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _parts(sheet_data: str, shared: list[str], before_data: str) -> dict[str, str]:
    strings = "".join(f"<si><t>{text}</t></si>" for text in shared)
    return {
        "[Content_Types].xml": (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_TYPE}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'{_HEAD}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
            f'<sheet name="Press list" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{_HEAD}<Relationships xmlns="{_RELS}">'
            f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
            f'</Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'{_HEAD}<worksheet xmlns="{_MAIN}">{before_data}<sheetData>{sheet_data}'
            f'</sheetData></worksheet>'),
        "xl/sharedStrings.xml": f'{_HEAD}<sst xmlns="{_MAIN}">{strings}</sst>',
    }


_PRESS_LIST = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
               '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>')
_STRINGS = ["Name", "Email", "Ana Ruiz", "ana@example.org"]


def workbook(sheet_data: str = _PRESS_LIST, shared: list[str] | None = None, *,
             before_data: str = "", replace: dict[str, bytes] | None = None) -> bytes:
    """An XLSX file written by hand, part by part: a press list of one journalist unless
    `sheet_data` (the XML inside <sheetData>) says otherwise; `replace` swaps whole parts."""
    parts = {name: text.encode() for name, text in
             _parts(sheet_data, _STRINGS if shared is None else shared, before_data).items()}
    parts.update(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def commented_workbook(comment_bytes: int = 50_000_000) -> bytes:
    """A press list of about 52 KB whose sheet holds a 50 MB XML comment."""
    return workbook(before_data=f"<!--{'x' * comment_bytes}-->")


def zip_bomb(unpacked: int) -> bytes:
    """A workbook whose sheet unpacks to `unpacked` bytes of blanks (about a thousandth of
    that packed), its real size declared: a zip bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _parts(_PRESS_LIST, _STRINGS, "").items():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, text)
        head, tail = _parts(_PRESS_LIST, _STRINGS, "")["xl/worksheets/sheet1.xml"].split(
            "<sheetData>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            blanks = b" " * (1 << 20)
            for _ in range(unpacked // len(blanks)):
                part.write(blanks)
            part.write(b"<sheetData>" + tail.encode())
    return out.getvalue()


def many_shared_strings(count: int) -> bytes:
    """A press list whose shared-strings table holds `count` one-letter strings."""
    return workbook(shared=[*_STRINGS, *["a"] * count])


def pixel_bomb(side: int = 20_000) -> bytes:
    """A PNG of a few kilobytes that says it is side x side pixels (400 million for 20,000)."""
    out = io.BytesIO()
    PILImage.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def small_files() -> dict[str, bytes]:
    """The hostile files kept in tests/data/hostile, by name."""
    return {
        "comment.xlsx": commented_workbook(),
        "far_row.xlsx": workbook(_PRESS_LIST + '<row r="200001"><c r="A200001" t="s">'
                                 '<v>2</v></c></row>'),
        "wide.xlsx": workbook('<row r="1"><c r="A1" t="s"><v>0</v></c>'
                              '<c r="XFD1" t="s"><v>1</v></c></row>'),
        "long_cell.xlsx": workbook(shared=[*_STRINGS[:3], "y" * 40_000]),
        "huge_string.xlsx": workbook(shared=[*_STRINGS[:3], "y" * 10_000_000]),
        "doctype.xlsx": workbook(replace={"xl/sharedStrings.xml": (
            f'{_HEAD}<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            f'<sst xmlns="{_MAIN}"><si><t>Name</t></si><si><t>Email</t></si>'
            f'<si><t>&b;</t></si><si><t>ana@example.org</t></si></sst>').encode()}),
        "styles.xlsx": workbook(replace={"xl/styles.xml": (
            f'{_HEAD}<styleSheet xmlns="{_MAIN}"><cellXfs>'
            + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' * 80_000
            + '</cellXfs></styleSheet>').encode()}),
        "wide.csv": (",".join(f"Column {n}" for n in range(1, 202)) + "\nAna\n").encode(),
        "pixels.png": pixel_bomb(),
    }


if __name__ == "__main__":
    for name, data in small_files().items():
        (HOSTILE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
