"""OPML, the file feed readers exchange their lists in: read one into feeds to add, and write
a campaign's feeds out, so a committee can move 300 feeds between tools in one step."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from xml.parsers import expat

from outreach.errors import InvalidInput

# An OPML file of a few thousand feeds is well under a megabyte.
MAX_BYTES = 5 << 20


def read_opml(data: bytes) -> list[dict]:
    """The feeds an OPML file lists, in its order, each {"name", "url"} (folders flattened,
    outlines without an xmlUrl skipped); InvalidInput in words for anything else."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"The OPML file is {len(data) / (1 << 20):.1f} MB; a feed list is "
                           f"at most {MAX_BYTES >> 20} MB. Is it the right file?")
    try:
        _refuse_declarations(data)
        root = ET.fromstring(data)  # noqa: S314 (no DOCTYPE or entity gets this far)
    except (ET.ParseError, expat.ExpatError) as exc:
        line, column = getattr(exc, "position", None) or (exc.lineno, exc.offset)
        raise InvalidInput(f"Not an OPML file: the XML breaks at line {line}, column "
                           f"{column + 1}.") from None
    if root.tag != "opml" or root.find("body") is None:
        raise InvalidInput("Not an OPML file: it has no <opml> with a <body>; export the "
                           "feed list as OPML from the feed reader.")
    found = []
    for outline in root.find("body").iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url:
            name = outline.get("title") or outline.get("text") or ""
            found.append({"name": " ".join(name.split()), "url": url})
    return found


def _refuse_declarations(data: bytes) -> None:
    """Entity declarations are how a small XML file grows into gigabytes, and an OPML export
    never has a DOCTYPE: a first pass with expat (which reads any encoding) refuses both."""
    def refuse(*_args) -> None:
        raise InvalidInput("The OPML file declares a DOCTYPE or entities, which an OPML "
                           "export never does; export the list again from the feed reader.")

    scan = expat.ParserCreate()
    scan.StartDoctypeDeclHandler = refuse
    scan.EntityDeclHandler = refuse
    scan.Parse(data, True)


def write_opml(title: str, feeds: Iterable[dict]) -> str:
    """An OPML 2.0 document listing `feeds` ({"title", "url", "site"?}), which feed readers
    and `read_opml` take back."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed["title"], "title": feed["title"],
                      "xmlUrl": feed["url"]}
        if feed.get("site"):
            attributes["htmlUrl"] = feed["site"]
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
