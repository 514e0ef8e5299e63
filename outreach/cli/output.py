"""What list commands print for machines: `--json` gives one JSON document on stdout."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"{type(value).__name__} is not JSON")


def print_json(value: Any) -> None:
    """Print `value` (rows, dataclasses, times as ISO 8601) as indented JSON."""
    print(json.dumps(value, indent=2, ensure_ascii=False, default=_plain))


def add_json(parser) -> None:
    """The `--json` flag every list command takes."""
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
