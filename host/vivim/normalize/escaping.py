"""Markdown escaping that backslashes only what would otherwise become Markdown syntax.

Chat text is full of `snake_case`, `2 * 3`, `[1]` and `$5`: escaping every special
character (markdownify's default) litters it with backslashes. Here a character is
escaped only where, in its context, CommonMark/GFM (or `$` math) would read it as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .rendering import BLOCK

_SPECIAL = re.compile(r"[\\`*_\[\]<&~$]")
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_LINK_SYNTAX = re.compile(r"\][(\[:]")
_MATH_PAIR = re.compile(r"\$(?=\S)[^$]*?(?<=\S)\$")
_LINE_START_SYNTAX = re.compile(
    r"^(?P<sp> *)(?:(?P<mark>#{1,6}(?=\s|$)|[-+*](?=\s|$)|>|={1,}\s*$|-{2,}\s*$|\+{1}(?=\s))"
    r"|(?P<num>\d{1,9})(?P<delim>[.)])(?=\s|$))"
)
# Elements after (or at the start of) which text begins a new output line.
_LINE_BLOCKS = BLOCK | {"td", "th", "[document]", "br"}


def is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def is_word(ch: str) -> bool:
    return bool(ch) and not ch.isspace() and not is_punct(ch)


def inline_code(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    if (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    ):
        text = f" {text} "
    return f"{ticks}{text}{ticks}"


def escape_inline(text: str) -> str:
    """Backslash only what would otherwise start Markdown syntax in running text."""
    if not _SPECIAL.search(text):
        return text
    link_syntax = _LINK_SYNTAX.search(text) is not None
    strike = text.count("~") >= 2
    math = _MATH_PAIR.search(text) is not None

    def repl(match: re.Match[str]) -> str:
        ch = match.group()
        i = match.start()
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\\":
            return "\\\\" if (not after or after in _ASCII_PUNCT) else ch
        if ch == "`":
            return "\\`"
        if ch == "*":
            return ch if (before.isspace() and after.isspace()) else "\\*"
        if ch == "_":
            if (before.isalnum() and after.isalnum()) or (before.isspace() and after.isspace()):
                return ch
            return "\\_"
        if ch in "[]":
            return "\\" + ch if link_syntax else ch
        if ch == "<":
            return "\\<" if (after.isalpha() or after in "/!?") else ch
        if ch == "&":
            return "\\&" if _ENTITY.match(text, i) else ch
        if ch == "~":
            return "\\~" if strike else ch
        if ch == "$":
            return "\\$" if math else ch
        return ch

    return _SPECIAL.sub(repl, text)


def escape_line_start(text: str) -> str:
    match = _LINE_START_SYNTAX.match(text)
    if not match:
        return text
    if match.group("num"):
        cut = match.start("delim")
        return text[:cut] + "\\" + text[cut:]
    cut = match.end("sp")
    return text[:cut] + "\\" + text[cut:]


def starts_line(node: Any) -> bool:
    """Whether this text node begins a line of the output (so `- x` would become a list)."""
    from bs4 import NavigableString, Tag

    current = node
    for _ in range(512):
        previous = current.previous_sibling
        while previous is not None:
            if isinstance(previous, Tag):
                if previous.name in _LINE_BLOCKS:
                    return True
                if previous.name != "img" and not previous.get_text():
                    previous = previous.previous_sibling
                    continue
                return False
            if isinstance(previous, NavigableString) and str(previous).strip():
                return False
            previous = previous.previous_sibling
        parent = current.parent
        if parent is None or parent.name in _LINE_BLOCKS:
            return True
        current = parent
    return False


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
