"""Plain text of captured HTML, as a browser's `innerText` would give it.

Used when the extension sent HTML but no text, and as the last-resort fallback of the
Markdown converter. It follows the innerText algorithm of the HTML standard closely enough
for chat turns: whitespace collapses outside preformatted elements, block elements start
and end lines, a `<p>` is set off by a blank line, `<br>` breaks a line, table cells are
separated by tabs and rows by newlines, and elements that are never rendered (script,
style, template, `hidden`, `display:none`) contribute nothing. It knows no stylesheet, only
the whitespace-preserving utility classes the sites render prompts with; so it cannot see
what a site hides with CSS classes, and the extension's own `text` (a real innerText) is
preferred whenever it was sent.

The walk is iterative: arbitrarily deep markup cannot exhaust Python's stack.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .rendering import BLOCK, PREFORMATTED, is_not_rendered, preserves_whitespace

if TYPE_CHECKING:  # bs4 is imported lazily: the host's cold start must not pay for it
    from bs4 import Tag

_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")
_Item = str | int | tuple  # collapsible text, a required line-break count, or ("pre", text)


def inner_text(node: Tag | str | None) -> str:
    """innerText of an element, a soup, or an HTML string."""
    if node is None:
        return ""
    if isinstance(node, str):
        from bs4 import BeautifulSoup

        from .sanitize import clean_input

        node = BeautifulSoup(clean_input(node), "html.parser")
    return _assemble(_items(node))


def _items(root: Tag) -> list[_Item]:
    from bs4 import Comment, NavigableString, Tag
    from bs4.element import CData, Declaration, Doctype, ProcessingInstruction

    skipped = (Comment, CData, Doctype, Declaration, ProcessingInstruction)
    items: list[_Item] = []
    # Stack of (node, preformatted?) to enter, or closing markers (tag, count).
    stack: list = [(root, False)]
    while stack:
        entry = stack.pop()
        if entry[0] == "close":
            _, tag, count = entry
            if tag.name in ("td", "th"):
                sibling = tag.find_next_sibling(["td", "th"])
                if sibling is not None:
                    items.append(("pre", "\t"))
            if count:
                items.append(count)
            continue
        node, pre = entry
        if isinstance(node, NavigableString):
            if isinstance(node, skipped):
                continue
            text = str(node)
            if pre:
                items.append(("pre", text))
            else:
                items.append(_COLLAPSIBLE.sub(" ", text))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if node is not root and is_not_rendered(node):
            continue
        if name == "br":
            items.append(("pre", "\n"))
            continue
        count = 2 if name == "p" else 1 if name in BLOCK else 0
        if count:
            items.append(count)
        stack.append(("close", node, count))
        child_pre = pre or name in PREFORMATTED or preserves_whitespace(node)
        for child in reversed(node.contents):
            stack.append((child, child_pre))
    return items


def _assemble(items: list[_Item]) -> str:
    out: list[str] = []
    collapsible: list[bool] = []  # per chunk: may its spaces be trimmed at a line's end?
    pending = 0  # required line breaks waiting for the next content

    def at_line_start() -> bool:
        return not out or out[-1].endswith("\n")

    def trim_trailing_space() -> None:
        while out and collapsible[-1] and out[-1].endswith(" "):
            out[-1] = out[-1].rstrip(" ")
            if not out[-1]:
                out.pop()
                collapsible.pop()

    for item in items:
        if isinstance(item, int):
            trim_trailing_space()
            pending = max(pending, item)
            continue
        if isinstance(item, tuple):
            text = item[1]
            if not text:
                continue
            if text.startswith("\n"):
                trim_trailing_space()
            flexible = False
        else:
            text = item
            if pending or at_line_start() or (out and out[-1].endswith(" ")):
                text = text.lstrip(" ")
            if not text:
                continue
            flexible = True
        if pending and out:
            out.append("\n" * pending)
            collapsible.append(False)
        pending = 0
        out.append(text)
        collapsible.append(flexible)
    trim_trailing_space()
    return "".join(out)
