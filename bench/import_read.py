"""Benchmark the first two stages of an import: reading a CSV's rows, and reading their cells.

Figures are ratios against `csv.reader` over the same file, measured in the same run (best
of --repeat), with the garbage collector paused as the importer pauses it:

- rows: the rows of the file as import_file streams them from disk (decoding, the caps,
  blank rows left out), vs. csv.reader alone over the decoded file;
- cells: those rows read into what the planner takes (every cell's rules, worked out once
  per distinct value of its column) vs. the same csv.reader, and in ms per 1,000 rows.

The file is bench/press_list.py's: 20,000 journalists in nine columns, three of which (last
name, e-mail, X handle) hold a different value on every row.

Run: `.venv/bin/python bench/import_read.py [--rows N] [--repeat N]`. The last line printed
is JSON.

Figures (2 shared cores, --repeat 5, before and after run in turn, three times each): rows
44-49 ms before measuring a row's cells only when the row is long, 1.5-1.6x csv.reader;
35-39 ms after, 1.2x. Cells: 108-123 ms before the cell rules were shared and 109-118 ms
after, about 3.8x: the same within the noise. A column-wise reader (each column's effects
in one pass over a part of 10,000 rows, then the rows put together from them) measured no
quicker (within 5% either way at parts of 1,000 to 10,000 rows): most of the time goes to
the normalisers of the columns that differ on every row (about 1.1 us an e-mail, 0.9 us
an X handle, 0.4 us a name) and to the objects each row's result is made of (about 30 ms
for 20,000 rows), which a reader pays whichever way it walks the cells.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from press_list import write_rows  # noqa: E402

from outreach.presslist import importing  # noqa: E402


def best(func, repeat: int) -> float:
    """The shortest of `repeat` runs of `func`, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="journalists (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        write_rows(path, args.rows)

        def raw_csv() -> list[list[str]]:
            with path.open(encoding="utf-8", newline="") as text:
                return list(csv.reader(text))

        table = importing._read_path(path)
        rows = list(table.rows)
        mapping = importing._effective_mapping(table.headers, {})

        def cells() -> None:
            reader = importing._RowReader(table.headers, mapping)
            for _, row in rows:
                reader.read(row)

        with importing._gc_paused():
            baseline = best(raw_csv, args.repeat)
            read_rows = best(lambda: list(table.rows), args.repeat)
            read_cells = best(cells, args.repeat)
    figures = {"baseline_ms": round(baseline * 1000, 1),
               "rows_ms": round(read_rows * 1000, 1),
               "cells_ms": round(read_cells * 1000, 1),
               "rows": round(read_rows / baseline, 2), "cells": round(read_cells / baseline, 2)}
    print(f"csv.reader over {args.rows} rows:       {figures['baseline_ms']:8.1f} ms")
    print(f"the import's rows from disk:      {figures['rows_ms']:8.1f} ms  {figures['rows']}x")
    print(f"their cells read into values:     {figures['cells_ms']:8.1f} ms  {figures['cells']}x "
          f"({read_cells * 1000 * 1000 / args.rows:.1f} ms per 1,000 rows)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
