"""Per-site knowledge for the normalizer: one small module per site, one shape for all.

A site redesign should be a change to one of these modules (plus a fixture), never to the
shared core in `vivim.normalize.markdown`. Every field is optional; the core's generic
rules (screen-reader classes, buttons, `language-*` classes, KaTeX/MathJax...) apply to
every site and to HTML from unknown sources.
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
    # Reasoning ("thinking") content, kept as a blockquote when it is present at all.
    reasoning: tuple[str, ...] = ()
    # Elements whose source newlines are line breaks (rendered with white-space: pre-wrap).
    keep_line_breaks: tuple[str, ...] = ()
    # Site-specific rewriting that selectors cannot express; runs before chrome removal.
    prepare: Callable[["BeautifulSoup"], None] | None = None
    label_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(re.compile(rf"(?:{p})", re.I) for p in (*GENERIC_LABELS, *self.labels))
        object.__setattr__(self, "label_patterns", compiled)


# Chrome words every site uses next to code blocks and messages.
GENERIC_LABELS = (r"copy code", r"copy", r"copied!?", r"edit", r"retry", r"share",
                  r"download", r"run code", r"run", r"wrap lines?", r"collapse", r"expand")

GENERIC = SiteRules(name="generic")

_ALIASES = {"chatgpt": "chatgpt", "openai": "chatgpt", "chatgpt.com": "chatgpt",
            "claude": "claude", "anthropic": "claude", "claude.ai": "claude",
            "gemini": "gemini", "google": "gemini", "gemini.google.com": "gemini"}


def rules_for(provider: str | None) -> SiteRules:
    """The rules of a provider ("chatgpt", "claude", "gemini"); generic rules for anything else."""
    site = _ALIASES.get((provider or "").strip().lower())
    if site == "chatgpt":
        from .chatgpt import RULES
    elif site == "claude":
        from .claude import RULES
    elif site == "gemini":
        from .gemini import RULES
    else:
        return GENERIC
    return RULES
