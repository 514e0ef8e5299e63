"""Benchmark the command line's cold start against `python -c "import sqlalchemy"`.

Each figure is the best of N fresh processes, timed in the same run on the same machine:

- `python -m outreach --help` (target: at most 1.5x the baseline): the top level names the
  commands and imports nothing else, since a command's module is imported when it runs;
- `python -m outreach social count` for a post with a link and a hashtag, on X and on
  Bluesky (target: at most 3x). X loads twitter-text only. Bluesky needs the atproto SDK's
  facet detection to find the links it shortens, and importing `atproto_client.utils` loads
  the whole package (most of its time is the generated async namespace): that import alone
  is measured too, to show what is left for our code.

Run: `.venv/bin/python bench/cli_start.py [--runs N]`. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POST = "Rally at the depot, Saturday 10am: https://example.org/rally #AcmeStrike"
HELP_TARGET, COUNT_TARGET = 1.5, 3.0


def best_of(argv: list[str], runs: int) -> float:
    """The fastest of `runs` fresh processes running `argv`, in seconds."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per figure (best of)")
    runs = parser.parse_args().runs
    py = sys.executable
    cli = [py, "-m", "outreach"]
    base = best_of([py, "-c", "import sqlalchemy"], runs)
    figures = {
        "baseline_import_sqlalchemy_s": base,
        "help_s": best_of([*cli, "--help"], runs),
        "count_x_s": best_of([*cli, "social", "count", "--platform", "x", POST], runs),
        "count_bluesky_s": best_of([*cli, "social", "count", "--platform", "bluesky", POST],
                                   runs),
        "import_atproto_utils_s": best_of([py, "-c", "import atproto_client.utils"], runs),
    }
    ratios = {
        "help_ratio": figures["help_s"] / base,
        "count_x_ratio": figures["count_x_s"] / base,
        "count_bluesky_ratio": figures["count_bluesky_s"] / base,
        "import_atproto_utils_ratio": figures["import_atproto_utils_s"] / base,
    }
    print(f"import sqlalchemy (baseline)   {base:.3f} s")
    print(f"--help                         {figures['help_s']:.3f} s  "
          f"{ratios['help_ratio']:.2f}x  (target <= {HELP_TARGET}x)")
    print(f"social count, X                {figures['count_x_s']:.3f} s  "
          f"{ratios['count_x_ratio']:.2f}x  (target <= {COUNT_TARGET}x)")
    print(f"social count, Bluesky          {figures['count_bluesky_s']:.3f} s  "
          f"{ratios['count_bluesky_ratio']:.2f}x  (target <= {COUNT_TARGET}x)")
    print(f"import atproto_client.utils    {figures['import_atproto_utils_s']:.3f} s  "
          f"{ratios['import_atproto_utils_ratio']:.2f}x  (what Bluesky counting must load)")
    print(json.dumps({**figures, **ratios, "runs": runs}))


if __name__ == "__main__":
    main()
