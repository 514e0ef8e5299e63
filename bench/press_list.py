"""Benchmark the press list: imports of 20,000 and 300,000 rows, and the page with 20,000.

Figures are ratios against baselines measured in the same run (best of --repeat):

- new: 20,000 generated PR-tool rows through `contacts import FILE` (the command line's own
  `main`, stdout captured) into a migrated, empty SQLite store, vs. what a volunteer gets
  from `pandas.read_csv(f).to_sql(...)` into a fresh SQLite file (target: at most 1.5x);
- unchanged: the same file again into the store that holds it, every row unchanged
  (target: at most 1.5x), and changed: a copy where 1% of rows bring one more beat, into a
  copy of that store, so 1% merge (target: at most 1.5x);
- 300k: `contacts import` of 300,000 rows (the header and 299,999 journalists) in a
  child process that imports only what `python -m outreach` does: its peak memory
  (VmHWM, not ru_maxrss, which counts the parent's memory at the fork), beside the same
  child importing a one-row file (the interpreter and its imports), target under 300 MB;
  and the time of the import measured inside the child against the same child's 20,000
  rows (target: at most 17x for 15x the rows);
- XLSX: the 20,000 rows as a workbook through `contacts import`, vs. openpyxl's read-only
  load and `iter_rows(values_only=True)` of it (target: at most 2x);
- page: the Press list page in AppTest, signed in as an editor, with 20,000 journalists vs.
  200 (target: at most 2x); the bench checks the page shows its table of journalists.

When OUTREACH_TEST_POSTGRES_URL is set, the new and unchanged imports also run against a
fresh PostgreSQL database, beside pandas' to_sql into the same server.

Run: `.venv/bin/python bench/press_list.py [--rows N] [--big-rows N] [--repeat N]`. The last
line printed is JSON.

Before (2 shared cores, another engineer's tests running; the default run):

    pandas read_csv + to_sql, 20000 rows     260.0 ms
    contacts import, new rows               1430.5 ms  5.5x
    re-import, all unchanged                1335.1 ms  5.14x
    re-import, 1% merged                     992.3 ms  3.82x
    openpyxl read-only load + iter_rows     2282.0 ms
    contacts import of the XLSX             5686.0 ms  2.49x
    PostgreSQL: pandas to_sql 1331.2 ms, new 3230.1 ms (2.43x), unchanged 938.0 ms (0.7x)
    child, one row: peak 67.8 MB; 20000 rows: peak 159.6 MB, import 2.00 s
    child, 300000 rows (34.2 MB): refused, "at most 20 MB is imported at once"
    press list page, 200 journalists 95.8 ms, 20000 journalists 121.4 ms: 1.27x

After (same machine, as loaded; one default run):

    pandas read_csv + to_sql, 20000 rows     148.8 ms
    contacts import, new rows                678.0 ms  4.56x
    re-import, all unchanged                 780.1 ms  5.24x
    re-import, 1% merged                     653.4 ms  4.39x
    contacts import of the XLSX             4627.2 ms  1.5x (openpyxl alone 3074.8 ms)
    PostgreSQL: pandas to_sql 630.8 ms, new 1303.2 ms (2.07x), unchanged 653.6 ms (1.04x)
    child, one row: peak 58.9 MB; 20000 rows: peak 87.4 MB, import 1.05 s
    child, 300000 rows (34.2 MB): peak 442.7 MB, import 14.31 s, 13.68x the 20000 rows
    press list page, 200 journalists 151.8 ms, 20000 journalists 112.1 ms: 0.74x

The absolute import times about halved, but the ratios swing with the baseline (149 to
260 ms between runs on this machine): repeat before believing one.

Where the time went (cProfile of the 20,000-row import, then timings without it): reading
and normalising each cell 35%, planning each row 20%, SQLAlchemy's per-parameter work in
executemany 20%, read_table 6%; a re-import also compared every journalist's full state.
What changed: a cell's effect is worked out once per distinct value of its column;
journalists are written through the driver's executemany, column by column (timestamps
converted once); a re-import fetches the journalists on file at once, splits each stored
list text once and returns early from a merge that brings nothing; a journalist on file
is written only when a merge changed it. What is left, for 20,000 new rows: about 440 ms
of planning in Python (some 22 us a row: reading the row, e-mail and handle checks, the
record, its index entries and its outcome), 130 ms of writing (80 ms of it in SQLite's
executemany with the table's two indexes) and 100 ms reading the CSV. 1.5x of read_csv +
to_sql leaves under 15 us a row for all of it, which per-row Python planning (needed for
the merge rules and the per-row report) does not reach; getting there would take the
planning itself into columns (pandas or SQL), which this change did not attempt.

Memory: a CSV on disk is now read as it is planned, a new journalist's values keep only
what the file gives, outcomes have no __dict__ and rows are written 10,000 at a time: 300,000
rows take 443 MB at peak (they were refused, and would have taken about 900 MB), about
1.3 KB a row: the record, its index entries and its outcome, which the report needs at the
end.

Then, for issue 16's 300 MB (same machine, one default run, PostgreSQL set):

    pandas read_csv + to_sql, 20000 rows     148.5 ms
    contacts import, new rows                554.5 ms  3.74x
    re-import, all unchanged                 613.1 ms  4.13x
    re-import, 1% merged                     692.8 ms  4.67x
    contacts import of the XLSX             3412.0 ms  1.14x (openpyxl alone 2998.6 ms)
    PostgreSQL: pandas to_sql 491.8 ms, new 1081.4 ms (2.2x), unchanged 667.8 ms (1.36x)
    child, one row: peak 59.1 MB; 20000 rows: peak 76.0 MB, import 0.92 s
    child, 300000 rows (34.2 MB): peak 281.5 MB, import 9.63 s, 10.45x the 20000 rows
    press list page, 200 journalists 83.5 ms, 20000 journalists 98.3 ms: 1.18x

The peak is planning's (tracemalloc by line, 60,000 rows): a new journalist's values dict
took 270 bytes, and each row also held three empty lists in its outcome, an empty dict and
list for its press lists and other outlets, an empty list of other e-mails and a (name,
outlet) tuple as its by-name key. Now the empty ones are shared (empty tuples, one
read-only empty mapping), the by-name index is by outlet and then by name, and values are
two tuples, the columns given (shared by the rows that give the same) and their values:
443 MB became 326 MB with the first, 281 MB with the second (three runs: 281 to 286 MB,
against 443 to 445 MB for the code before in the same runs); the times did not move beyond
the noise. About 740 bytes a row are left, mostly the row's own text (name, e-mail, handle,
each with its name key), its record and outcome objects and the two index dicts. Left
alone: formatting the report for the command line builds a line per row and joins them
(about 7 MB at 300,000 rows, then 14 MB more to print it), below the planning peak.

Then, the planner and the floor (same machine, two default runs with --big-rows 1000, and
one full run that gave the 300,000-row figures):

    pandas read_csv + to_sql, 20000 rows     152.5 ms   157.5 ms
    floor: csv.reader + executemany          138.5 ms   126.5 ms  0.91x  0.80x
    floor: each e-mail and handle checked     25.2 ms    25.6 ms  0.17x  0.16x
    contacts import, new rows                428.3 ms   415.9 ms  2.81x  2.64x
    re-import, all unchanged                 413.2 ms   398.4 ms  2.71x  2.53x
    re-import, 1% merged                     414.9 ms   422.5 ms  2.72x  2.68x
    contacts import of the XLSX                                   1.33x  1.36x
    PostgreSQL: new 1.55x and 1.75x to_sql, unchanged 0.8x and 0.94x
    child, 300000 rows: peak 282.7 MB, 12.67x the 20000 rows

What changed: the journalists on file are fetched through the driver and converted a
column at a time (SQLAlchemy's per-row result processing was half of loading them); a
merge collects only the columns it changes, and a row whose values are all the
journalist's own, to the letter, is answered "unchanged" from a subset test of the two
dicts' items (a property test checks it against the full merge); the insert picks each
record's columns with one itemgetter; rows without other outlets, lists or outlet details
skip those steps. Every cell is read by one set of rules (_cell_effect), whichever the
mapping, and a row's cells are measured against the cell cap only when the row is long;
bench/import_read.py times the reading alone, and found a column-wise reader no quicker.

Why 1.5x is out of reach: the floor lines are what any import of this file pays before
matching anything. Reading it with csv.reader and writing its rows into the journalists
table with the driver's executemany, nothing checked, is 0.8x to 0.91x the baseline (the
table's two indexes, the foreign key and the commit cost what pandas saves by writing a
new bare table); normalising each row's own e-mail and handle, which no memo can share,
is another 0.16x to 0.17x. That leaves about 0.5x, some 75 ms or 3.7 us a row, for reading
nine cells into fields, matching against the store and the earlier rows, the merge rules,
the records and the per-row report; in CPython that work now costs about 12 us a row
(reading 6 us, planning 4 us, the report and the write's conversions the rest). Getting
under it would take a vectorised importer (pyarrow's CSV reader and RE2 kernels) that
re-implements the e-mail, handle and merge rules outside Python: a different importer,
not a faster one. On PostgreSQL, whose to_sql is slower, the targets are about met.

The page figures of the bench before this one (4.5 ms and 4.8 ms) were of the sign-in
page: it put a user id in the session, which the app no longer reads. It now signs in
with a session token, as the page tests do, and checks the page lists the journalists.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

FIRST = ("Ana", "Marcus", "Priya", "Jonah", "Leila", "Tomas", "Grace", "Dmitri", "Rosa",
         "Kwame", "Hannah", "Luis", "Mei", "Samuel", "Fatima", "Owen", "Camila", "Idris")
LAST = ("Quill", "Bright", "Oaken", "Vella", "March", "Dun", "Okon", "Halvor", "Castel",
        "Ash", "Pen", "Itur", "Lind", "Fair", "Moren", "Thistle", "Aber", "Kest")
BEATS = ("labor", "business", "city hall", "immigration", "transportation", "education")
HEADER = ["First Name", "Last Name", "Email", "Media Outlet", "Job Title", "Twitter Handle",
          "Beats", "City", "Phone"]
TARGETS = {"new": 1.5, "unchanged": 1.5, "changed": 1.5, "big_mb": 300, "big_time": 17.0,
           "xlsx": 2.0, "page": 2.0}


def row(i: int, count: int, *, changed: bool = False) -> list[str]:
    """Row `i` of a fictional press list of `count` journalists at count/100 outlets."""
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    beats = f"{BEATS[i % len(BEATS)]}; {BEATS[(i + 2) % len(BEATS)]}"
    if changed and i % 100 == 0:
        beats += f"; {BEATS[(i + 3) % len(BEATS)]}"
    return [first, f"{last}{i}", f"{first.lower()}.{last.lower()}{i}@news.test",
            f"Outlet {i % max(1, count // 100):04d}", "Reporter", f"@{first.lower()}{i}",
            beats, "Riverside", f"555-01{i % 100:02d}"]


def write_rows(path: Path, count: int, *, changed: bool = False) -> None:
    """The press list as CSV; with `changed`, every hundredth row has one beat more."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(row(i, count, changed=changed) for i in range(count))


def write_workbook(path: Path, count: int) -> None:
    """The same press list as an XLSX workbook."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for i in range(count):
        sheet.append(row(i, count))
    workbook.save(path)


def timed(func) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def pandas_to_sql(csv_path: Path, url: str) -> None:
    """The baseline: read the CSV with pandas and write it, unchecked, into a new table."""
    import pandas as pd

    engine = sa.create_engine(url)
    pd.read_csv(csv_path).to_sql(f"t_{uuid.uuid4().hex[:8]}", engine, index=False)
    engine.dispose()


def fresh_store(url: str) -> None:
    from outreach.store import open_store

    open_store(url).dispose()


def cli_import(url: str, path: Path, expect: str) -> None:
    """`contacts import PATH` through the command line's own main, as `python -m outreach`
    runs it; stops the bench unless the report's last line says `expect`."""
    from outreach.cli import main

    os.environ["OUTREACH_DATABASE_URL"] = url
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["contacts", "import", str(path)])
    last = out.getvalue().rstrip().rpartition("\n")[2]
    if code != 0 or expect not in last:
        raise SystemExit(f"import of {path.name} went wrong: {last!r} {err.getvalue()!r}")


def best_of(repeat: int, prepare, run) -> float:
    """The fastest of `repeat` runs of run(prepare()): the one least disturbed by the rest
    of the machine. Only `run` is timed."""
    runs = []
    for attempt in range(repeat):
        state = prepare(attempt)
        runs.append(timed(lambda state=state: run(state)))
    return min(runs)


def read_rows(csv_path: Path) -> list[list[str]]:
    """The file's data rows through csv.reader, the parser the import reads CSV with."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def floor_write(csv_path: Path, url: str) -> None:
    """What an import of the file pays before checking anything: csv.reader over it, then
    the driver's executemany of its values into the journalists table of a new store (its
    indexes and foreign key on), committed. Nothing an import can do costs less."""
    stamp = "2026-12-01 00:00:00.000000"
    rows = [(i, f"{r[0]} {r[1]}", r[2], r[4], r[5], r[6], r[7], r[8], stamp, stamp)
            for i, r in enumerate(read_rows(csv_path), 1)]
    connection = sqlite3.connect(sa.make_url(url).database)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executemany(
        "INSERT INTO journalists (id, name, email, title, x_handle, beats, city, phone, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()


def floor_checks(rows: list[list[str]]) -> None:
    """The checks no import may skip, once for each row's own values: its e-mail and its
    handle normalised (each is unique to the row, so no memo saves the work)."""
    from outreach.presslist.fields import normalise_handle, split_emails

    for cells in rows:
        split_emails(cells[2])
        normalise_handle(cells[5], "x")


def sqlite_imports(work: Path, rows: int, repeat: int, csv_path: Path, changed: Path,
                   xlsx: Path) -> dict[str, float]:
    """Seconds for each SQLite figure and its baseline."""
    out: dict[str, float] = {}
    out["baseline"] = best_of(repeat, lambda a: f"sqlite:///{work / f'pandas{a}.db'}",
                              lambda url: pandas_to_sql(csv_path, url))

    def floor_store(attempt: int) -> str:
        url = f"sqlite:///{work / f'floor{attempt}.db'}"
        fresh_store(url)
        return url

    out["floor_write"] = best_of(repeat, floor_store, lambda url: floor_write(csv_path, url))
    out["floor_checks"] = best_of(repeat, lambda a: read_rows(csv_path), floor_checks)

    def new_store(attempt: int, kind: str = "new") -> str:
        url = f"sqlite:///{work / f'{kind}{attempt}.db'}"
        fresh_store(url)
        return url

    out["new"] = best_of(repeat, new_store,
                         lambda url: cli_import(url, csv_path, f"{rows} added"))
    held = work / "new0.db"
    out["unchanged"] = best_of(repeat, lambda a: f"sqlite:///{held}",
                               lambda url: cli_import(url, csv_path, f"{rows} unchanged"))

    def copy_of_held(attempt: int) -> str:
        copy = work / f"changed{attempt}.db"
        with sqlite3.connect(held) as source, sqlite3.connect(copy) as target:
            source.backup(target)  # with what the write-ahead log holds, unlike a file copy
        return f"sqlite:///{copy}"

    out["changed"] = best_of(repeat, copy_of_held, lambda url: cli_import(
        url, changed, f"{rows // 100} merged, {rows - rows // 100} unchanged"))
    import openpyxl

    def openpyxl_read() -> None:
        workbook = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
        for _ in workbook.worksheets[0].iter_rows(values_only=True):
            pass
        workbook.close()

    out["xlsx_baseline"] = best_of(repeat, lambda a: None, lambda _: openpyxl_read())
    out["xlsx"] = best_of(repeat, lambda a: new_store(a, "xlsx"),
                          lambda url: cli_import(url, xlsx, f"{rows} added"))
    return out


def postgres_imports(base_url: str, rows: int, repeat: int, csv_path: Path
                     ) -> dict[str, float]:
    """Seconds for the baseline, new and unchanged imports on a new PostgreSQL database."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        out = {"baseline": best_of(repeat, lambda a: url,
                                   lambda u: pandas_to_sql(csv_path, u))}
        fresh_store(url)
        engine = sa.create_engine(url)

        def emptied(attempt: int) -> str:
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE journalists, outlets, press_lists, "
                                     "press_list_members, journalist_outlets, audit_log CASCADE"))
            return url

        out["new"] = best_of(repeat, emptied,
                             lambda u: cli_import(u, csv_path, f"{rows} added"))
        out["unchanged"] = best_of(repeat, lambda a: url,
                                   lambda u: cli_import(u, csv_path, f"{rows} unchanged"))
        engine.dispose()
        return out
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def child_import(path: Path, work: Path) -> dict:
    """Import `path` with `python -m outreach` code in a child process into a new store:
    the child's own seconds for the import, its peak memory in MB, and its last line."""
    url = f"sqlite:///{work / f'child-{uuid.uuid4().hex[:8]}.db'}"
    fresh_store(url)
    env = {**os.environ, "OUTREACH_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], env=env, cwd=work,
                          capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        return {"seconds": None, "mb": None, "said": done.stderr.strip()[-300:]}
    return json.loads(lines[-1])


def run_child(path: str) -> None:
    """In the child: run `contacts import PATH` as `python -m outreach` would, then print
    its seconds, the process's peak memory and the report's last line (or the error).

    The peak is VmHWM, the high-water mark of this process's own memory since it started:
    ru_maxrss of a child also counts the parent's memory at the fork, hundreds of MB here.
    """
    from outreach.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        started = time.perf_counter()
        code = main(["contacts", "import", path])
        seconds = time.perf_counter() - started
    said = (out.getvalue().rstrip().rpartition("\n")[2] if code == 0
            else err.getvalue().strip())
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines()
                       if line.startswith("VmHWM:")))
    print(json.dumps({"seconds": seconds if code == 0 else None, "mb": round(peak_kb / 1024, 1),
                      "said": said[:300]}))


def big_import(work: Path, rows: int, big_rows: int) -> dict:
    """The one-row, `rows` and `big_rows` imports in child processes."""
    tiny, small, big = work / "one.csv", work / "child-small.csv", work / "child-big.csv"
    write_rows(tiny, 1)
    write_rows(small, rows)
    write_rows(big, big_rows)
    return {"one": child_import(tiny, work), "small": child_import(small, work),
            "big": child_import(big, work), "big_file_mb": big.stat().st_size / 1_048_576}


def store_with(work: Path, name: str, csv_path: Path) -> tuple[str, int]:
    """A data folder whose store holds the journalists of `csv_path` and an editor."""
    from outreach.auth import users
    from outreach.clock import utcnow
    from outreach.roles import Actor

    data = work / name
    url = f"sqlite:///{data / 'outreach.db'}"
    fresh_store(url)
    cli_import(url, csv_path, "added")
    from outreach.store import open_store

    db = open_store(url)
    editor = users.add_user(db, Actor("bench", "admin"), "editor", "editor",
                            "benchmark password", now=utcnow())
    db.dispose()
    return str(data), editor.id


def time_page(data_dir: str, user: int, journalists: int, repeat: int) -> float:
    """Seconds to render the Press list page in AppTest (best of `repeat`, after a warm-up),
    checked to show the count and a page of the journalist table."""
    from streamlit.testing.v1 import AppTest

    from outreach.auth import sessions
    from outreach.clock import utcnow
    from outreach.roles import Actor
    from outreach.store import open_store
    from outreach.ui.auth import SESSION_KEY

    os.environ["OUTREACH_DATA_DIR"] = data_dir
    os.environ.pop("OUTREACH_DATABASE_URL", None)
    db = open_store(f"sqlite:///{Path(data_dir) / 'outreach.db'}")
    runs = []
    for _ in range(repeat + 1):
        token = sessions.start_session(db, Actor("", "editor", user), now=utcnow(),
                                       lifetime=timedelta(days=1))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state[SESSION_KEY] = token
        at.run()
        started = time.perf_counter()
        at.switch_page("outreach/ui/press_list.py").run()
        runs.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"the page failed: {at.exception}")
        captions = [c.value for c in at.caption]
        shown = min(50, journalists)
        if (f"{journalists} journalists match; showing 1–{shown}" not in captions
                or not at.dataframe or len(at.dataframe[0].value) != shown
                or "name" not in at.dataframe[0].value.columns):
            raise SystemExit(f"the page does not show {journalists} journalists: {captions}")
    db.dispose()
    return min(runs[1:])


def ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value and base else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="journalists (default 20000)")
    parser.add_argument("--big-rows", type=int, default=299_999,
                        help="journalists in the big import (default 299999: with the "
                        "header, 300,000 rows, the most an import takes)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return
    for name in ("OUTREACH_DATABASE_URL", "OUTREACH_USER"):
        os.environ.pop(name, None)
    # AppTest warns on every run that it has no ScriptRunContext: noise here. A filter,
    # because Streamlit sets its loggers' levels itself.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: False)
    rows, repeat = args.rows, args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv_path, changed, xlsx = work / "list.csv", work / "changed.csv", work / "list.xlsx"
        small = work / "small.csv"
        write_rows(csv_path, rows)
        write_rows(changed, rows, changed=True)
        write_rows(small, 200)
        write_workbook(xlsx, rows)
        os.environ["OUTREACH_DATA_DIR"] = str(work / "cli-data")
        lite = sqlite_imports(work, rows, repeat, csv_path, changed, xlsx)
        pg_url = os.environ.get("OUTREACH_TEST_POSTGRES_URL", "")
        pg = postgres_imports(pg_url, rows, repeat, csv_path) if pg_url else {}
        big = big_import(work, rows, args.big_rows)
        page_small = time_page(*store_with(work, "page-small", small), 200, repeat)
        page_big = time_page(*store_with(work, "page-big", csv_path), rows, repeat)
    ms = {k: round(v * 1000, 1) for k, v in lite.items()}
    figures = {
        "new": ratio(lite["new"], lite["baseline"]),
        "unchanged": ratio(lite["unchanged"], lite["baseline"]),
        "changed": ratio(lite["changed"], lite["baseline"]),
        "xlsx": ratio(lite["xlsx"], lite["xlsx_baseline"]),
        "big_mb": big["big"]["mb"],
        "big_time": ratio(big["big"]["seconds"], big["small"]["seconds"]),
        "page": ratio(page_big, page_small),
    }
    print(f"pandas read_csv + to_sql, {rows} rows:      {ms['baseline']:8.1f} ms")
    print(f"floor: csv.reader + executemany, no checks: {ms['floor_write']:8.1f} ms  ratio "
          f"{ratio(lite['floor_write'], lite['baseline'])}x")
    print(f"floor: each row's e-mail and handle checked: {ms['floor_checks']:8.1f} ms  ratio "
          f"{ratio(lite['floor_checks'], lite['baseline'])}x")
    for key, what in (("new", "contacts import, new rows"),
                      ("unchanged", "re-import, all unchanged"),
                      ("changed", "re-import, 1% merged")):
        print(f"{what + ':':42} {ms[key]:8.1f} ms  ratio {figures[key]}x "
              f"(target <= {TARGETS[key]}x)")
    print(f"openpyxl read-only load + iter_rows:      {ms['xlsx_baseline']:8.1f} ms")
    print(f"contacts import of the XLSX:              {ms['xlsx']:8.1f} ms  ratio "
          f"{figures['xlsx']}x (target <= {TARGETS['xlsx']}x)")
    if pg:
        print(f"PostgreSQL: pandas to_sql {pg['baseline'] * 1000:.1f} ms, new "
              f"{pg['new'] * 1000:.1f} ms ({ratio(pg['new'], pg['baseline'])}x), unchanged "
              f"{pg['unchanged'] * 1000:.1f} ms ({ratio(pg['unchanged'], pg['baseline'])}x)")
    one, small_child, big_child = big["one"], big["small"], big["big"]
    print(f"child, one row:        peak {one['mb']:6.1f} MB (interpreter and imports)")
    print(f"child, {rows} rows:   peak {small_child['mb']:6.1f} MB, import "
          f"{small_child['seconds'] or 0:.2f} s")
    print(f"child, {args.big_rows} rows ({big['big_file_mb']:.1f} MB): peak "
          f"{big_child['mb']:6.1f} MB (target < {TARGETS['big_mb']} MB), import "
          + (f"{big_child['seconds']:.2f} s, {figures['big_time']}x the {rows} rows "
             f"(target <= {TARGETS['big_time']}x)" if big_child["seconds"]
             else f"refused: {big_child['said']}"))
    print(f"press list page, 200 journalists:         {page_small * 1000:8.1f} ms")
    print(f"press list page, {rows} journalists:      {page_big * 1000:8.1f} ms  ratio "
          f"{figures['page']}x (target <= {TARGETS['page']}x)")
    met = all(figures[k] is not None and (figures[k] < TARGETS[k] if k == "big_mb"
                                           else figures[k] <= TARGETS[k]) for k in TARGETS)
    print(json.dumps({
        "rows": rows, "big_rows": args.big_rows, "ms": ms,
        "postgres_ms": {k: round(v * 1000, 1) for k, v in pg.items()},
        "child": big, "page_ms": {"200": round(page_small * 1000, 1),
                                  str(rows): round(page_big * 1000, 1)},
        "ratios": figures, "targets": TARGETS, "met": met,
    }))


if __name__ == "__main__":
    main()
