"""How a browser renders an element, as far as one can tell without a stylesheet.

Shared by the innerText reader (`text`), the input sanitizer (`sanitize`) and the Markdown
converter: which elements are never rendered, which are blocks, which keep their whitespace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bs4 is imported lazily: the host's cold start must not pay for it
    from bs4 import Tag

# Elements whose content is never rendered (display: none in the UA stylesheet) or is
# not part of the document's text (embedded documents, graphics).
NOT_RENDERED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "iframe",
        "object",
        "embed",
        "frame",
        "frameset",
        "svg",
        "canvas",
        "audio",
        "video",
        "source",
        "track",
        "datalist",
        "param",
        "input",
        "select",
        "option",
        "optgroup",
        "textarea",
        "dialog",
        "area",
        "map",
        "img",
        "picture",
        "math-fallback",
    }
)
# display: block (or list-item, table-*, ...) in the UA stylesheet: a line of their own.
BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "plaintext",
        "pre",
        "search",
        "section",
        "summary",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "ul",
        "xmp",
    }
)
PREFORMATTED = frozenset({"pre", "listing", "plaintext", "xmp", "textarea"})
# Whitespace-preserving utility classes (user prompts are rendered with them).
PRE_WRAP_CLASSES = frozenset(
    {
        "whitespace-pre-wrap",
        "whitespace-pre-line",
        "whitespace-break-spaces",
        "whitespace-pre",
        "!whitespace-pre-wrap",
    }
)
_PRE_WRAP_STYLE = re.compile(r"white-space\s*:\s*(pre|pre-wrap|pre-line|break-spaces)\b", re.I)
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)


def is_not_rendered(tag: Tag) -> bool:
    """An element a browser does not render at all (its whole subtree is skipped)."""
    return tag.name in NOT_RENDERED or hidden_by_attributes(tag)


def hidden_by_attributes(tag: Tag) -> bool:
    """`hidden` (except until-found) or an inline `display: none`."""
    attrs = tag.attrs
    if not attrs:
        return False
    if "hidden" in attrs and str(tag.get("hidden", "")).lower() != "until-found":
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _DISPLAY_NONE.search(style) is not None


def preserves_whitespace(tag: Tag) -> bool:
    """Rendered with white-space: pre*, by a well-known utility class or an inline style.

    The sites render prompts this way (ChatGPT `whitespace-pre-wrap`); knowing the class
    is what lets a stylesheet-less reader keep the prompt's line breaks, as innerText does.
    """
    attrs = tag.attrs
    if not attrs:
        return False
    cls = attrs.get("class")
    if cls and PRE_WRAP_CLASSES.intersection(cls if isinstance(cls, list) else str(cls).split()):
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _PRE_WRAP_STYLE.search(style) is not None
