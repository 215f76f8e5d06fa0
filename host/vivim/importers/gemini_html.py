"""The HTML variant of Takeout's Gemini activity (`My Activity.html`), read with beautifulsoup4.

Each activity is a `div.outer-cell`: a header cell (the product, "Gemini Apps"), a body cell
holding "<verb>&nbsp;<prompt><br><date><br><answer html>", and a caption cell. The file is
split on its cells and each cell parsed alone, so a large file never becomes one huge tree.
Entries come out shaped like the JSON variant's, for `gemini.parse`.

Dates are in the export's language; English ("Nov 25, 2025, 2:30:00 PM UTC"), day-first
numeric ("25.11.2025, 14:30:00 MEZ") and ISO are understood. An entry whose date cannot be
read keeps no time and becomes a conversation of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

CELL_MARKER = '<div class="outer-cell'
_TZ_OFFSETS_HOURS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 1,
    "IST": 5.5,
    "CET": 1,
    "MEZ": 1,
    "SEČ": 1,
    "CEST": 2,
    "MESZ": 2,
    "SELČ": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
    "BRT": -3,
    "ART": -3,
}
_GMT_OFFSET = re.compile(r"^(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$")
_ENGLISH = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S", "%b %d, %Y, %H:%M:%S")
_NUMERIC = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})$")


def iter_entries(text: str) -> Iterator[dict[str, Any]]:
    from bs4 import BeautifulSoup

    pieces = text.split(CELL_MARKER)
    for piece in pieces[1:]:
        soup = BeautifulSoup(CELL_MARKER + piece, "html.parser")
        yield _entry(soup)


def _entry(cell: Any) -> dict[str, Any]:
    from bs4.element import NavigableString, Tag

    header_tag = cell.select_one(".header-cell .mdl-typography--title") or cell.select_one("p")
    header = header_tag.get_text(" ", strip=True) if header_tag else ""
    body = None
    for candidate in cell.select("div.content-cell"):
        classes = candidate.get("class") or []
        if "mdl-typography--body-1" in classes and "mdl-typography--text-right" not in classes:
            body = candidate
            break
    if body is None:
        return {"header": header, "title": ""}
    # Lines of the body up to each <br>; the first line that is a date ends the prompt.
    lines: list[str] = [""]
    rest: list[Any] = []
    date: float | None = None
    found_date = False
    for child in list(body.children):
        if found_date:
            rest.append(child)
            continue
        if isinstance(child, Tag) and child.name == "br":
            parsed = parse_date(lines[-1]) if len(lines) > 1 else None
            if parsed is not None:
                date, found_date = parsed, True
                lines.pop()
            else:
                lines.append("")
        elif isinstance(child, NavigableString):
            lines[-1] += str(child)
        elif isinstance(child, Tag) and child.name in (
            "p",
            "div",
            "ul",
            "ol",
            "pre",
            "table",
            "h1",
            "h2",
            "h3",
        ):
            # Block content before any date: the answer started without a date line.
            rest.append(child)
            found_date = True
        else:
            lines[-1] += child.get_text()
    if not found_date and len(lines) > 1 and parse_date(lines[-1]) is not None:
        date = parse_date(lines.pop())
    title = "\n".join(line.strip() for line in lines if line.strip())
    answer = "".join(str(node) for node in rest).strip()
    entry: dict[str, Any] = {
        "header": header,
        "title": title,
        "time": datetime.fromtimestamp(date, tz=UTC).isoformat() if date is not None else None,
        "safeHtmlItem": [{"html": answer}] if answer else [],
    }
    links = [
        a.get("href") for a in cell.select("a[href]") if "gemini.google.com/app/" in (a.get("href") or "")
    ]
    if links:
        entry["details"] = [{"url": href} for href in links]
    return entry


def parse_date(raw: str) -> float | None:
    text = " ".join(raw.replace("\u202f", " ").replace("\u00a0", " ").split())
    if not text or not any(c.isdigit() for c in text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        pass
    body, _, zone = text.rpartition(" ")
    offset = _offset(zone)
    if offset is None:
        body, offset = text, timedelta(0)
    tz = timezone(offset)
    for fmt in _ENGLISH:
        try:
            return datetime.strptime(body, fmt).replace(tzinfo=tz).timestamp()
        except ValueError:
            continue
    match = _NUMERIC.match(body)
    if match:
        day, month, year, hour, minute, second = (int(g) for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()
        except ValueError:
            return None
    return None


def _offset(zone: str) -> timedelta | None:
    if zone in _TZ_OFFSETS_HOURS:
        return timedelta(hours=_TZ_OFFSETS_HOURS[zone])
    match = _GMT_OFFSET.match(zone)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return None
