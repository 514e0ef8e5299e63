"""Hostile files: imports and images are refused quickly, in words, with nothing written;
every CLI option that reads a file reports a missing one in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.hostile_files import HOSTILE, many_shared_strings, workbook, zip_bomb
from support.pages import open_page, user_id

from outreach.cli import main
from outreach.errors import InvalidInput
from outreach.presslist.importing import MAX_FILE_BYTES, MAX_ROWS, read_table
from outreach.social import queue as post_queue
from outreach.store.tables import journalists, post_images, posts

ROOT = Path(__file__).resolve().parents[1]
QUICK = 5.0  # seconds: each refusal below took a minute, or gigabytes, before the caps

REFUSED = {
    "comment.xlsx": "sheet1.xml holds a piece of XML .* longer than 256 KB.*save it again",
    "huge_string.xlsx": "sharedStrings.xml holds a piece of XML .* longer than 256 KB",
    "long_cell.xlsx": "row 2, column 2: a cell holds more than 32,767 characters.*Shorten it",
    "far_row.xlsx": "more than 200,000 rows; at most 200,000 are imported at once. Split it",
    "wide.xlsx": "row 1: 16,384 columns; at most 200 are read. Delete the columns",
    "wide.csv": "row 1: 201 columns; at most 200 are read. Delete the columns",
    "doctype.xlsx": "declares XML entities or a DOCTYPE",
    "styles.xlsx": "styles.xml unpacks to 4,960,166 bytes.*save it again",
}


def refused_quickly(data: bytes, name: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=message):
        read_table(data, name)
    assert time.monotonic() - started < QUICK


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_each_hostile_file_is_refused_quickly_in_words(name):
    refused_quickly((HOSTILE / name).read_bytes(), name, REFUSED[name])


def test_the_kept_files_are_small():
    assert (HOSTILE / "comment.xlsx").stat().st_size < 60_000
    assert all(path.stat().st_size < 100_000 for path in HOSTILE.iterdir())


def test_a_zip_bomb_is_refused_without_unpacking_it():
    bomb = zip_bomb(150 * 1024 * 1024)
    assert len(bomb) < 300_000
    refused_quickly(bomb, "bomb.xlsx", "unpacks to 150 MB of data; at most 100 MB is read. "
                    "Split it into smaller workbooks")


def test_a_huge_shared_strings_table_is_refused_before_openpyxl_reads_it():
    """Two million one-letter strings (35 MB of XML) took openpyxl minutes and gigabytes."""
    refused_quickly(many_shared_strings(2_000_000), "strings.xlsx",
                    "sharedStrings.xml holds more than 8,000,000 XML elements")


def test_a_workbook_within_the_caps_still_imports():
    table = read_table(workbook(), "ok.xlsx")
    assert table.headers == ["Name", "Email"]
    assert table.rows == [(2, ["Ana Ruiz", "ana@example.org"])]


@pytest.mark.parametrize("data, message", [
    (b"Name\n" + b"Ana\n" * MAX_ROWS, "more than 300,000 rows; at most 300,000"),
    (b"Name,Notes\nAna," + b"n" * 10_000_000 + b"\n",
     "row 2: a cell holds more than 32,767 characters"),
    (b"Name,Notes\nAna," + b"n" * 40_000 + b"\n",
     "row 2, column 2: a cell holds more than 32,767 characters"),
], ids=["rows", "10 MB cell", "40,000-character cell"])
def test_csv_caps(data, message):
    refused_quickly(data, "list.csv", message)


def test_a_row_longer_than_a_cell_may_be_is_read_when_each_cell_fits():
    # A long row is what makes the reader measure its cells; cells that each fit pass.
    notes, extra = "n" * 30_000, "x" * 30_000
    table = read_table(f"Name,Notes,Extra\nAna,{notes},{extra}\n".encode(), "list.csv")
    assert table.rows == [(2, ["Ana", notes, extra])]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read_whole(app_env, tmp_path,
                                                                      capsys):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fileobj:
        fileobj.write(b"Name\nAna\n")
        fileobj.truncate(MAX_FILE_BYTES + 1_000_000)
    assert main(["contacts", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == ("error: huge.csv is 41.0 MB; at most 40 MB is imported at once. Split it "
                   "into smaller files, each starting with the header row, and import them "
                   "one after another.\n")


def test_a_csv_past_the_old_20_mb_cap_imports_from_the_command_line(store, tmp_path,
                                                                      capsys):
    """25 MB of press list (long notes) was refused at 20 MB; it is now read from disk as
    it is imported, never whole in memory."""
    notes = "n" * 30_000
    path = tmp_path / "long-notes.csv"
    with path.open("w", encoding="utf-8") as fileobj:
        fileobj.write("Name,Email,Notes\n")
        fileobj.writelines(f"Ana {i},ana{i}@example.org,{notes}\n" for i in range(850))
    assert path.stat().st_size > 25_000_000
    assert main(["contacts", "import", str(path)]) == 0
    assert capsys.readouterr().out.endswith(
        "Imported: 850 added, 0 merged, 0 unchanged, 0 skipped.\n")
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(journalists)).scalar() == 850
        assert conn.execute(sa.select(journalists.c.notes).where(
            journalists.c.name == "Ana 849")).scalar() == notes


@pytest.mark.parametrize("name", ["comment.xlsx", "far_row.xlsx", "wide.csv"])
def test_the_cli_refuses_in_one_line_and_writes_nothing(store, capsys, name):
    assert main(["contacts", "import", str(HOSTILE / name)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"error: {name}") and err.count("\n") == 1 and not out
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(journalists)).scalar() == 0


def test_the_press_list_page_refuses_a_hostile_upload(store):
    at = open_page("press_list", as_user=user_id(store, "editor"))
    at.get("file_uploader")[0].upload(
        "comment.xlsx", (HOSTILE / "comment.xlsx").read_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert any("longer than 256 KB" in e.value for e in at.error), at.error
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(journalists)).scalar() == 0


# --- a picture that unpacks to gigabytes, at every door ----------------------------------


def test_the_composer_refuses_a_pixel_bomb(demo_store):
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    next(t for t in at.text_area if t.label == "Text").input("Day 1 at Gate 3.")
    at.get("file_uploader")[0].upload("gate3.png", (HOSTILE / "pixels.png").read_bytes(),
                                      "image/png").run()
    next(t for t in at.text_input if t.label == "Alt text for gate3.png").input(
        "Pickets at Gate 3").run()
    assert any("far more than 40 million pixels, the most that are read. Resize it"
               in w.value.replace("\\", "") for w in at.warning), [w.value for w in at.warning]
    with demo_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(post_images)).scalar() == 0


def test_post_schedule_refuses_a_pixel_bomb(demo_store, capsys):
    handle = demo_handle(demo_store)
    with demo_store.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(posts)).scalar()
    assert main(["post", "schedule", "--account", handle, "--at", "now", "--text", "Gate 3",
                 "--image", str(HOSTILE / "pixels.png"), "--alt", "Pickets at dawn"]) == 1
    assert capsys.readouterr().err == (
        "error: The image has far more than 40 million pixels, the most that are read. "
        "Resize it and try again.\n")
    with demo_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(posts)).scalar() == before


# --- a missing file on the command line --------------------------------------------------


def demo_handle(db) -> str:
    with db.connect() as conn:
        campaign_id = conn.execute(sa.text("SELECT min(id) FROM campaigns")).scalar_one()
    return post_queue.list_accounts(db, campaign_id)[0]["handle"]


READERS = [
    ["contacts", "import", "{missing}"],
    ["feeds", "import", "{missing}"],
    ["guard", "check", "{missing}"],
    ["release", "new", "press_release.en", "--data", "{missing}"],
    ["release", "edit", "1", "--data", "{missing}"],
    ["release", "render", "press_release.en", "--data", "{missing}", "--format", "md",
     "--out", "{out}"],
    ["post", "schedule", "--account", "{handle}", "--at", "now", "--file", "{missing}"],
    ["post", "edit", "1", "--file", "{missing}"],
    ["post", "schedule", "--account", "{handle}", "--at", "now", "--text", "Gate 3",
     "--image", "{missing}", "--alt", "Pickets"],
    ["restore", "{missing}"],
]
WRITERS = [
    ["contacts", "export", "{unwritable}"],
    ["coverage", "export", "{unwritable}"],
    ["coverage", "report", "--since", "2026-01-01", "--until", "2026-01-31",
     "--html", "{unwritable}"],
    ["feeds", "export", "{unwritable}"],
    ["digest", "--html", "{unwritable}"],
    ["backup", "{unwritable}"],
]


def fill(argv: list[str], tmp_path: Path, handle: str) -> list[str]:
    return [word.format(missing=tmp_path / "nowhere" / "gone.txt", handle=handle,
                        unwritable=tmp_path / "nowhere" / "out.csv", out=tmp_path / "out.md")
            for word in argv]


@pytest.mark.parametrize("argv", READERS, ids=lambda argv: " ".join(argv[:3]))
def test_a_missing_file_is_one_line(demo_store, tmp_path, capsys, argv):
    assert main(fill(argv, tmp_path, demo_handle(demo_store))) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot read ") and err.count("\n") == 1, err
    assert f"{tmp_path / 'nowhere' / 'gone.txt'}: No such file or directory." in err


@pytest.mark.parametrize("argv", WRITERS, ids=lambda argv: " ".join(argv[:2]))
def test_an_unwritable_file_is_one_line(demo_store, tmp_path, capsys, argv):
    assert main(fill(argv, tmp_path, demo_handle(demo_store))) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write ") and err.count("\n") == 1, err
    assert "No such file or directory." in err


@pytest.mark.parametrize("option", ["--file", "--image"])
def test_post_schedule_with_a_missing_file_has_no_traceback(demo_store, app_env, tmp_path,
                                                            option):
    """Through `python -m outreach` as a person runs it: one line, exit code 1."""
    missing = tmp_path / "gone.txt"
    argv = [sys.executable, "-m", "outreach", "post", "schedule", "--account",
            demo_handle(demo_store), "--at", "now", *(
                ["--file", str(missing)] if option == "--file"
                else ["--text", "Gate 3", "--image", str(missing), "--alt", "Pickets"])]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"error: Cannot read {missing}: No such file or directory.\n"


def test_an_image_file_past_the_upload_limit_is_not_read_whole(demo_store, capsys):
    """`--image /dev/zero` (or a mistaken path to a video) stops at the dashboard's own
    upload limit instead of filling memory."""
    code = main(["post", "schedule", "--account", demo_handle(demo_store), "--at", "now",
                 "--text", "Gate 3", "--image", "/dev/zero", "--alt", "Pickets"])
    assert code == 1
    assert capsys.readouterr().err == (
        "error: /dev/zero is larger than 50 MB, the most that is read; use a smaller file.\n")
