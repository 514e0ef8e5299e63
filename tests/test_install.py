"""`pip install .` gives a working `outreach` command that finds its templates, sample press
list and migrations inside the installed package, away from any checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("outreach", "templates", "press_lists", "pyproject.toml", "setup.py", "README.md",
           "requirements.txt")


def test_the_installed_command_works_without_the_checkout(tmp_path):
    source = tmp_path / "src"
    for name in SOURCES:  # a copy, so building leaves nothing in the checkout
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name, **({"ignore": shutil.ignore_patterns(
            "__pycache__")} if (ROOT / name).is_dir() else {}))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    # No index: the build uses the pinned setuptools already installed, nothing downloaded.
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path / "wheel"), str(source)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    target = tmp_path / "installed"
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "OUTREACH_DATA_DIR": str(elsewhere / "d")}
    env.pop("OUTREACH_DATABASE_URL", None)

    def outreach(*argv: str) -> str:
        done = subprocess.run([str(target / "bin" / "outreach"), *argv], cwd=elsewhere,
                              env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    from outreach import __version__

    assert outreach("--version") == f"outreach {__version__}\n"
    assert outreach("migrate").startswith("Applied 0001")
    assert "40 journalists" in outreach("demo")  # the sample press list, shipped inside
    assert "press_release.en" in outreach("templates", "list")
    found = subprocess.run([sys.executable, "-c", "import outreach.config as c; "
                            "print(c.TEMPLATES_DIR)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert Path(found.strip()) == target / "outreach" / "templates"
