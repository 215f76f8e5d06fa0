"""Make untrusted captured HTML safe to walk: clean the string, then prune the tree.

Nothing here executes or re-emits HTML. The tree is pruned of everything a reader never
sees (scripts, styles, embedded documents, graphics, form controls, hidden and
screen-reader-only elements), and flattened where it is deeper than the converter's
recursion can go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .rendering import BLOCK, NOT_RENDERED, hidden_by_attributes, preserves_whitespace

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

# markdownify walks the tree recursively (about three Python frames per level). Deeper
# subtrees are flattened: no chat turn's real content nests this deep.
MAX_DEPTH = 96
BLOCK_BREAKS = BLOCK | {"td", "th", "br"}

# C0 controls other than tab/newline/carriage return (and DEL) carry no text; the
# converter also uses \x02..\x03 as private markers, so input must never contain them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Removed wherever they appear, with their content (beyond those a browser never renders).
# Media elements are not text but are kept: they become Markdown images and links.
MEDIA_TAGS = frozenset({"img", "picture", "video", "audio", "source", "track"})
JUNK_TAGS = (NOT_RENDERED - MEDIA_TAGS) | {"button", "form", "nav", "menu", "label", "mat-icon", "slot"}
JUNK_ROLES = frozenset(
    {
        "button",
        "toolbar",
        "menu",
        "menubar",
        "menuitem",
        "tooltip",
        "dialog",
        "alertdialog",
        "progressbar",
        "switch",
        "tab",
        "tablist",
    }
)
# Screen-reader-only and hidden utility classes of the common CSS frameworks.
HIDDEN_CLASSES = frozenset(
    {
        "sr-only",
        "visually-hidden",
        "visuallyhidden",
        "cdk-visually-hidden",
        "screen-reader-text",
        "screen-reader-only",
        "a11y-hidden",
        "invisible",
        "material-icons",
        "material-symbols-outlined",
        "google-symbols",
    }
)
_VISIBILITY_HIDDEN = re.compile(r"visibility\s*:\s*hidden", re.I)
# Tailwind `hidden` is display:none unless a responsive variant shows it again (md:block).
_SHOWN_AGAIN = re.compile(r"^[\w-]+:(block|flex|inline|inline-block|inline-flex|grid|table|contents)$")
_VERBATIM = frozenset({"pre", "code", "kbd", "samp"})  # their whitespace is the converter's business


def _quiet_bs4_guesses() -> None:
    """bs4 warns when a turn's text looks like a file name, URL or XML: it is still a turn."""
    import warnings

    from bs4 import MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)
    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)


_quiet_bs4_guesses()


def is_gone(tag: object) -> bool:
    """Whether `tag` was decomposed. bs4's own `.decomposed` searches the whole subtree
    (its `__getattr__` turns the missing `_decomposed` into a `find()`): quadratic on big turns."""
    return bool(getattr(tag, "__dict__", {}).get("_decomposed", False))


def tags(root: Tag, names: frozenset[str] | set[str] | None = None) -> list[Tag]:
    """Every element under `root` (document order), optionally only those named `names`.

    A plain walk of `descendants`: several times faster than bs4's `find_all`, whose
    filter machinery dominates on large turns. Returned as a list, so callers may edit.
    """
    from bs4 import Tag

    if names is None:
        return [d for d in root.descendants if isinstance(d, Tag)]
    return [d for d in root.descendants if isinstance(d, Tag) and d.name in names]


def clean_input(html: object) -> str:
    """Any object in, a str of well-formed UTF-16-free text out: no NULs, no lone surrogates."""
    if not isinstance(html, str):
        html = "" if html is None else str(html)
    # Valid surrogate pairs (from JSON "\ud83d\ude00") join; lone halves become U+FFFD,
    # which SQLite and the UTF-8 channel can carry.
    html = html.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    # A browser's parser drops NUL in body text; the other controls carry nothing readable.
    return _CONTROLS.sub("", html)


def classes(tag: Tag) -> list[str]:
    value = tag.attrs.get("class") if tag.attrs else None
    if not value:
        return []
    return value if isinstance(value, list) else str(value).split()


def is_hidden(tag: Tag) -> bool:
    """Hidden by attribute or inline style, with a well-known class, or from everyone via aria."""
    if hidden_by_attributes(tag):
        return True
    attrs = tag.attrs
    if not attrs:
        return False
    if str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    cls = classes(tag)
    if cls:
        if HIDDEN_CLASSES.intersection(cls):
            return True
        if "hidden" in cls and not any(_SHOWN_AGAIN.match(c) for c in cls):
            return True
    style = attrs.get("style")
    return isinstance(style, str) and _VISIBILITY_HIDDEN.search(style) is not None


def remove_junk(soup: BeautifulSoup) -> None:
    """Drop chrome, hidden and non-content elements, and comments, everywhere in the tree."""
    from bs4 import Comment
    from bs4.element import CData, Declaration, Doctype, ProcessingInstruction

    # CDATA sections are bogus comments in HTML: a browser shows nothing of them.
    for node in list(soup.descendants):
        if isinstance(node, (Comment, CData, Declaration, Doctype, ProcessingInstruction)):
            node.extract()
    for tag in tags(soup):
        if is_gone(tag):
            continue
        role = str(tag.attrs.get("role", "")).lower() if tag.attrs else ""
        if tag.name in JUNK_TAGS or role in JUNK_ROLES or is_hidden(tag):
            tag.decompose()


def preserve_line_breaks(
    soup: BeautifulSoup, extra_selectors: tuple[str, ...], plain_text: Callable[[str], str]
) -> None:
    """Inside whitespace-preserving elements (user prompts) source newlines are line breaks.

    An element holding only text (the usual prompt) is replaced by `plain_text(its text)`,
    which keeps its lines and indentation; one with markup gets `<br>` for each newline.
    """
    from bs4 import NavigableString, Tag

    roots = [t for t in tags(soup) if preserves_whitespace(t)]
    for selector in extra_selectors:
        try:
            roots.extend(soup.select(selector))
        except Exception:  # noqa: BLE001 - an invalid site selector must not stop the conversion
            continue
    seen: set[int] = set()
    for root in roots:
        if (
            is_gone(root)
            or id(root) in seen
            or root.name in _VERBATIM
            or root.find_parent(list(_VERBATIM)) is not None
        ):
            continue
        seen.add(id(root))
        if all(isinstance(d, NavigableString) or d.name == "br" for d in root.descendants):
            text = "".join("\n" if isinstance(d, Tag) else str(d) for d in root.descendants)
            root.clear()
            root.append(plain_text(text))
            continue
        for node in list(root.descendants):
            if not isinstance(node, NavigableString) or "\n" not in node:
                continue
            if node.find_parent(list(_VERBATIM)) is not None:
                continue
            parts = str(node).split("\n")
            replacement = []
            for i, part in enumerate(parts):
                if i:
                    replacement.append(soup.new_tag("br"))
                if part:
                    replacement.append(NavigableString(part))
            node.replace_with(*replacement)


def cap_depth(
    soup: BeautifulSoup, max_depth: int = MAX_DEPTH, keep: Callable[[Tag], bool] | None = None
) -> None:
    """Flatten every subtree rooted deeper than `max_depth`, in linear time and without
    recursion: its text stays in order, block boundaries become line breaks, and elements
    `keep` accepts (finished code blocks) survive whole, as do images."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    stack: list[tuple[Tag, int]] = [(soup, 0)]
    boundary: list[Tag] = []
    while stack:
        tag, depth = stack.pop()
        for child in tag.contents:
            if isinstance(child, Tag):
                if depth + 1 >= max_depth:
                    boundary.append(child)
                else:
                    stack.append((child, depth + 1))
    for root in boundary:
        flat = soup.new_tag("div" if root.name in BLOCK_BREAKS else "span")
        text: list[str] = []

        def flush() -> None:
            if text:  # noqa: B023 - flush() runs within this iteration
                flat.append(NavigableString("".join(text)))  # noqa: B023
                text.clear()  # noqa: B023

        walk: list = [root]
        while walk:
            node = walk.pop()
            if node is _BREAK:
                if text or (flat.contents and getattr(flat.contents[-1], "name", None) != "br"):
                    flush()
                    flat.append(soup.new_tag("br"))
                continue
            if isinstance(node, NavigableString):
                if not isinstance(node, PreformattedString):
                    text.append(str(node))
                continue
            if not isinstance(node, Tag):
                continue
            if node.name in ("img", "br") or (keep is not None and keep(node)):
                flush()
                copy = soup.new_tag(node.name, attrs=dict(node.attrs))
                if node.name not in ("img", "br"):
                    copy.string = node.get_text()
                flat.append(copy)
                continue
            if node.name in BLOCK_BREAKS:
                walk.append(_BREAK)
                walk.extend(reversed(node.contents))
                walk.append(_BREAK)
            else:
                walk.extend(reversed(node.contents))
        flush()
        root.replace_with(flat)
        root.decompose()


_BREAK = object()  # a block boundary met while flattening
