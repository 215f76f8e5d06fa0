"""Opaque placeholders for finished Markdown (code blocks, math) and the final tidy-up.

Code and math are rendered to their final Markdown early and stand in the tree as
placeholders (`\\x02B3\\x03` for a block, `\\x02I4\\x03` inline), so that escaping,
whitespace collapsing and list or blockquote indentation never touch their content.
`finish()` tidies whitespace outside them and puts them back, indented like the line
that holds them.
"""

from __future__ import annotations

import re

_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"
_TOKEN = re.compile("\x02([BI])(\\d+)\x03")
# A block placeholder alone on its line, after blockquote markers, list markers and indentation.
_BLOCK_TOKEN_LINE = re.compile(r"^(?P<lead>(?:[ >]|(?:[-+*]|\d{1,9}[.)]) )*)\x02B(?P<n>\d+)\x03$")
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)]) ")
_SPACES = re.compile(r"(?<=\S) {2,}")


class Fragments:
    """Final Markdown of code blocks and math, kept out of the converter's reach."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def register(self, markdown: str, block: bool) -> str:
        self.items.append(markdown)
        return f"{_MARK_OPEN}{'B' if block else 'I'}{len(self.items) - 1}{_MARK_CLOSE}"


def finish(markdown: str, fragments: Fragments) -> str:
    """Tidy whitespace outside code and math, then put code blocks and math back."""
    lines: list[str] = []
    for line in markdown.split("\n"):
        line = line.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        line = line[:indent] + _SPACES.sub(" ", line[indent:])
        if line.strip() == "\\":  # a <br> alone on its line: an empty line
            line = ""
        lines.append(line)
    # A hard break at the end of a block is meaningless (and would show as a backslash).
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.endswith("\\") and not nxt.strip() and odd_trailing_backslashes(line):
            lines[i] = line[:-1].rstrip()
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        match = _BLOCK_TOKEN_LINE.match(line)
        if match:
            lead = match.group("lead")
            continuation = _LIST_MARKER.sub(lambda m: " " * len(m.group()), lead)
            body = fragments.items[int(match.group("n"))].split("\n")
            out.append(lead + body[0])
            out.extend((continuation + b) if b else continuation.rstrip() for b in body[1:])
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    text = "\n".join(out)
    # Tokens still here share a line with other text (a table cell, a link): keep that one line.
    return _TOKEN.sub(lambda m: fragments.items[int(m.group(2))].replace("\n", " "), text)


def odd_trailing_backslashes(line: str) -> bool:
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1
