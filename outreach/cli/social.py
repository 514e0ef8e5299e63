"""`social count|split`: a post's length on Bluesky or X, and long text as a thread."""

from __future__ import annotations

import sys

from outreach.cli import actions, command
from outreach.errors import InvalidInput
from outreach.social.text import PLATFORMS, count, split_thread


def _text(value: str) -> str:
    return sys.stdin.read().removesuffix("\n") if value == "-" else value


def cmd_count(args, settings) -> int:
    """`social count`: print the count against the limit; exit 1 when it does not fit."""
    counted = count(_text(args.text), args.platform)
    verdict = ("fits" if counted.fits
               else f"too long by {counted.used - counted.limit} {counted.unit}")
    print(f"{args.platform}: {counted.used} / {counted.limit} {counted.unit} — {verdict}")
    return 0 if counted.fits else 1


def cmd_split(args, settings) -> int:
    """`social split`: print the thread, each part under a line with its count."""
    parts = split_thread(_text(args.text), args.platform, number=args.number)
    if not parts:
        raise InvalidInput("The text is empty; there is nothing to split.")
    for i, part in enumerate(parts, 1):
        counted = count(part, args.platform)
        print(("\n" if i > 1 else "")
              + f"[{i}/{len(parts)}] {counted.used} / {counted.limit} {counted.unit}")
        print(part)
    return 0


def add_parsers(subparsers) -> None:
    """`social count` and `social split`."""
    sub = actions(command(subparsers, "social"))

    def with_text(p):
        p.add_argument("--platform", required=True, choices=PLATFORMS,
                       help="bluesky (300 graphemes, links shortened as shown) or x "
                       "(280 weighted characters, a link weighs 23)")
        p.add_argument("text", metavar="TEXT", help="the post's text, or - to read stdin")
        return p

    p = with_text(sub.add_parser(
        "count", help="TEXT's length against the platform's limit; exits 1 when too long"))
    p.set_defaults(func=cmd_count)
    p = with_text(sub.add_parser(
        "split", help="split TEXT into a thread of posts that each fit",
        description="Print the thread: each part with its count. Parts break at sentence "
        "ends, then between words; links are never split."))
    p.add_argument("--number", action="store_true", help="end each part with i/n")
    p.set_defaults(func=cmd_split)
