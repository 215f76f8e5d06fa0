"""The shape of a site's normalizer rules (SiteRules), and the generic rules every site shares.

Every field is optional; the core's generic rules (screen-reader classes, buttons,
`language-*` classes, KaTeX/MathJax...) apply to every site and to HTML from unknown sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup


@dataclass(frozen=True)
class SiteRules:
    name: str
    # Resolves relative links and image sources (e.g. "/c/abc" on chatgpt.com).
    base_url: str = ""
    # Elements removed with their content: toolbars, citation chips, footers...
    chrome: tuple[str, ...] = ()
    # Elements whose whole text matches one of these (case-insensitive) are chrome labels.
    labels: tuple[str, ...] = ()
    # The outermost element of one code block (header, buttons and <pre>): closest ancestor of the <pre>.
    code_containers: tuple[str, ...] = ()
    # Inside such a container (or the <pre>), the element naming the language.
    code_labels: tuple[str, ...] = ()
    # Code block bodies that are not a <pre> (a `<code>` the site lays out with an inline
    # `white-space: pre`, which the extension strips): treated as one <pre> each.
    code_bodies: tuple[str, ...] = ()
    # Reasoning ("thinking") content, kept as a blockquote when it is present at all.
    reasoning: tuple[str, ...] = ()
    # Elements whose source newlines are line breaks (rendered with white-space: pre-wrap).
    keep_line_breaks: tuple[str, ...] = ()
    # Site-specific rewriting that selectors cannot express; runs before chrome removal.
    prepare: Callable[[BeautifulSoup], None] | None = None
    label_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(re.compile(rf"(?:{p})", re.I) for p in (*GENERIC_LABELS, *self.labels))
        object.__setattr__(self, "label_patterns", compiled)


# Chrome words every site uses next to code blocks and messages.
GENERIC_LABELS = (
    r"copy code",
    r"copy",
    r"copied!?",
    r"edit",
    r"retry",
    r"share",
    r"download",
    r"run code",
    r"run",
    r"wrap lines?",
    r"collapse",
    r"expand",
)

GENERIC = SiteRules(name="generic")
