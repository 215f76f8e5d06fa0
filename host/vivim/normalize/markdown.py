"""One captured chat turn's HTML to clean Markdown.

Pipeline (every step works on one bs4 tree, nothing is executed or re-emitted as HTML):
clean the string (NULs, lone surrogates) -> parse -> math to TeX -> task-list checkboxes
-> code blocks to bare `<pre>` -> flatten what is too deep -> the site's own rewriting ->
reasoning to a blockquote -> the site's chrome -> chrome labels ("You said:") -> buttons,
hidden and non-content elements -> line breaks of pre-wrap prompts -> markdownify with
our rules -> tidy whitespace and put code and math back.

Decisions:
- Reasoning ("Thought for 12s", "Show thinking") toggles are dropped; reasoning text the
  page actually shows is kept, as a blockquote, so it stays searchable but stands apart.
- Images become `![alt](src)`; a `data:` image is not copied (`data:omitted`).
- Unsafe link schemes (javascript:, data:, vbscript:...) keep their text, lose the link.
- Sub/superscript keep `<sub>`/`<sup>` (Markdown has no syntax for them).
- Never raises: an element that fails converts to its text; a whole turn that fails
  converts to its innerText.
"""

from __future__ import annotations

import logging

from .code import LANG_ATTR, normalize_code_blocks
from .converter import TurnConverter
from .escaping import escape_inline, escape_line_start
from .fragments import Fragments, finish
from .math import replace_math
from .sanitize import cap_depth, clean_input, is_gone, preserve_line_breaks, remove_junk, tags
from .sites import SiteRules, rules_for
from .text import inner_text

log = logging.getLogger(__name__)

# Elements a label may be: never a paragraph the user wrote.
_LABEL_TAGS = frozenset({"span", "div", "header", "summary"})  # never p, li, headings: prose
_MAX_LABEL_CHARS = 60


def convert(html: object, provider: str | None = None) -> str:
    """Markdown for one turn; never raises (falls back to the turn's plain text)."""
    try:
        return _convert(clean_input(html), rules_for(provider))
    except Exception:
        log.warning("normalize: falling back to plain text for a %s turn", provider, exc_info=True)
        try:
            return plain_markdown(inner_text(clean_input(html)))
        except Exception:  # noqa: BLE001
            return ""


def plain_markdown(text: str) -> str:
    """Plain text as Markdown paragraphs (escaped, whitespace tidied)."""
    fragments = Fragments()
    lines = [escape_line_start(escape_inline(" ".join(line.split()))) for line in text.split("\n")]
    return finish("\n".join(lines), fragments)


def _convert(html: str, rules: SiteRules) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    fragments = Fragments()
    # Math and code first (their walks are iterative): they are then safe from flattening.
    replace_math(soup, fragments.register)
    _checkboxes_to_text(soup)
    _code_bodies_to_pre(soup, rules)
    normalize_code_blocks(soup, rules)
    cap_depth(soup, keep=lambda tag: tag.name == "pre" and tag.has_attr(LANG_ATTR))
    if rules.prepare is not None:
        rules.prepare(soup)
    _reasoning_to_blockquotes(soup, rules)
    _remove_selected(soup, rules.chrome)
    _remove_labels(soup, rules)
    remove_junk(soup)
    preserve_line_breaks(soup, rules.keep_line_breaks, lambda text: _verbatim_lines(text, fragments))
    converter = TurnConverter(fragments, base_url=rules.base_url)
    return finish(converter.convert_soup(soup), fragments)


def _verbatim_lines(text: str, fragments: Fragments) -> str:
    """A plain-text prompt's Markdown: its lines as hard-broken lines, indentation kept."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ""
    out = []
    for i, line in enumerate(lines):
        line = line.rstrip()
        body = line.lstrip(" \t")
        indent = "" if i == 0 or not out or out[-1] == "" else line[: len(line) - len(body)]
        out.append(indent + escape_line_start(escape_inline(body)) if body else "")
    # A hard break ends every line that another line of the same paragraph follows.
    joined = [line + "\\" if line and i + 1 < len(out) and out[i + 1] else line for i, line in enumerate(out)]
    collapsed: list[str] = []
    for line in joined:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return fragments.register("\n".join(collapsed), True)


def _select_all(soup, selectors: tuple[str, ...]) -> list:
    """Elements matching any selector, in one walk; an invalid selector is skipped, not fatal."""
    if not selectors:
        return []
    try:
        return soup.select(", ".join(selectors))
    except Exception:  # noqa: BLE001 - one bad site selector must not stop the conversion
        found = []
        for selector in selectors:
            try:
                found.extend(soup.select(selector))
            except Exception:  # noqa: BLE001
                log.warning("normalize: bad selector %r", selector)
        return found


def _remove_selected(soup, selectors: tuple[str, ...]) -> None:
    for tag in _select_all(soup, selectors):
        if not is_gone(tag):
            tag.decompose()


def _remove_labels(soup, rules: SiteRules) -> None:
    """Screen-reader and chrome labels ("You said:", "Copy code"): short elements that are only that."""
    whole: str | None = None
    for tag in tags(soup, _LABEL_TAGS):
        if is_gone(tag):
            continue
        if _in_running_text(tag):
            continue  # "Click <span>Copy</span> to ..." is the user's sentence, not chrome
        text = _short_text(tag, _MAX_LABEL_CHARS)
        if not text:
            continue
        if any(p.fullmatch(text) for p in rules.label_patterns):
            if whole is None:
                whole = " ".join(soup.get_text(" ").split())
            if text != whole:  # a prompt that is just "Edit" is the user's, not chrome
                tag.decompose()


def _in_running_text(tag) -> bool:
    from bs4 import NavigableString

    return any(
        isinstance(s, NavigableString) and str(s).strip() for s in (tag.previous_sibling, tag.next_sibling)
    )


def _short_text(tag, limit: int) -> str:
    """The tag's text (words joined by single spaces) if it is at most `limit` chars, else ""."""
    parts: list[str] = []
    size = 0
    for string in tag.strings:
        size += len(string)
        if size > limit * 4:  # whitespace counts too; stop early on big subtrees
            return ""
        parts.append(string)
    text = " ".join(" ".join(parts).split())
    return text if len(text) <= limit else ""


def _code_bodies_to_pre(soup, rules: SiteRules) -> None:
    """A site's code block body that is no <pre> becomes one, so code normalization finds it."""
    for tag in _select_all(soup, rules.code_bodies):
        if is_gone(tag) or tag.find_parent("pre") is not None or tag.find("pre") is not None:
            continue
        if tag.name == "code":
            tag.wrap(soup.new_tag("pre"))
        else:
            tag.name = "pre"


def _reasoning_to_blockquotes(soup, rules: SiteRules) -> None:
    for tag in _select_all(soup, rules.reasoning):
        if is_gone(tag) or not tag.get_text(strip=True):
            continue
        tag.name = "blockquote"
        tag.attrs = {}


def _checkboxes_to_text(soup) -> None:
    """GFM task lists: `<li><input type="checkbox" checked> x` -> `[x] x`."""
    for box in tags(soup, {"input"}):
        if str(box.get("type", "")).lower() != "checkbox":
            continue
        box.replace_with("[x] " if box.has_attr("checked") else "[ ] ")
