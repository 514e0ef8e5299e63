"""Files named on the command line: read and written with errors a person can act on."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from outreach.errors import InvalidInput


def read_text(path: str) -> str:
    """A UTF-8 file's text (a BOM is dropped), or stdin for "-"."""
    if path == "-":
        return sys.stdin.read()
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text; save it as UTF-8 and check again.") \
            from None


def read_bytes(path: str, *, limit: int | None = None) -> bytes:
    """A file's bytes, or a clear error; with `limit`, no more than that is read, and a
    larger file is refused (a path to a huge file, or /dev/zero, cannot fill memory)."""
    try:
        with open(path, "rb") as fileobj:
            data = fileobj.read() if limit is None else fileobj.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if limit is not None and len(data) > limit:
        raise InvalidInput(f"{path} is larger than {limit // 1_048_576} MB, the most that is "
                           "read; use a smaller file.")
    return data


def write_text(path: str, text: str, *, encoding: str = "utf-8") -> None:
    """Write `text` to `path` (replacing it) exactly as given: no newline translation."""
    try:
        with open(path, "w", newline="", encoding=encoding) as fileobj:
            fileobj.write(text)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None


def write_bytes(path: str, data: bytes) -> None:
    """Write `data` to `path`, replacing it."""
    try:
        with open(path, "wb") as fileobj:
            fileobj.write(data)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None


def repeat(step: Callable[[], None], *, interval: float, once: bool) -> int:
    """Run `step` once (`once`), or every `interval` seconds until Ctrl-C: the loop of the
    commands that do one job of the worker's by hand (`feeds poll`, `metrics snapshot`)."""
    try:
        while True:
            step()
            if once:
                return 0
            time.sleep(interval)
    except KeyboardInterrupt:
        print("Stopped.")
        return 0
