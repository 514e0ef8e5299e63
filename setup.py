"""Only what pyproject.toml cannot say: the shipped templates and the sample press list sit at
the top of the checkout (where committees edit them), and a built package carries them
inside `outreach/`, where outreach.config looks when there is no checkout around it."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "press_lists")


class BuildWithShippedFiles(build_py):
    """build_py, then the shipped folders copied into the built package."""

    def run(self):
        super().run()
        for folder in SHIPPED:
            shutil.copytree(folder, Path(self.build_lib) / "outreach" / folder,
                            dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithShippedFiles})
