"""grok.com (Next.js, Tailwind).

Turn markup (2025/2026, from the page and from the exporters that read it: Grok-Chat-Exporter,
enhanced-grok-export, chat-exporter extractors): every turn is a
`div.relative.group.flex.flex-col` with `id="response-<uuid>"` (the response id of the page's JSON
and of the data export), `items-end` for prompts and `items-start` for answers. The text sits in
`div.message-bubble`: a prompt as `span.whitespace-pre-wrap` (or `p.break-words`), an answer as
`div.response-content-markdown` with Markdown HTML. Code: `div[data-testid="code-block"]` holding a
header row with `span.font-mono.text-xs` (the language) and Copy / Download buttons, then a
`div style="display: block"` holding `<code style="white-space: pre">` (no `<pre>`: the extension
strips styles, so `code_bodies` names it), or in newer builds a Shiki `pre`. Inline code is a
`span.!font-mono`, not a `<code>`. Math: KaTeX. Tables in
`div.table-container`. Web sources: an inline link chip per claim (`a.citation`, kept: the cited URL
is part of the answer) and a "N web pages" sources button under the answer (dropped). Reasoning ("Think" mode, Grok 4): `div.thinking-container`
with a "Thought for 12s" toggle and, when expanded, the trace; DeepSearch adds tool cards in it.
The adapter sends an answer's reasoning body inside `div[data-vivim-reasoning]`, before the answer.
Under each turn `div.action-buttons` (Copy, Edit, Regenerate, "< 1/2 >" version switch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sanitize import is_gone
from .rules import SiteRules

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

INLINE_CODE = 'span[class*="font-mono"]'


def _inline_code_spans(soup: BeautifulSoup) -> None:
    """Grok's inline code is a monospace span: it becomes <code> (code blocks are already converted)."""
    for span in soup.select(INLINE_CODE):
        if not is_gone(span) and span.find_parent("pre") is None:
            span.name = "code"
            span.attrs = {}


RULES = SiteRules(
    name="grok",
    base_url="https://grok.com/",
    chrome=(
        ".action-buttons",
        '[data-testid="code-block"] button',
        '[data-testid="code-block"] .sticky',
        ".thinking-container > button",
        '[class*="thinking-container"] [class*="header"]',
        '[data-testid="sources-button"]',
        ".sources-button",
        "img[alt='favicon']",
    ),
    labels=(
        r"grok said:?",
        r"you said:?",
        r"thought for (?:\d+\s*m\s*)?\d+(?:\.\d+)?\s*s(?:econds?)?",
        r"thinking about your request.{0,12}",
        r"thinking\.{0,3}",
        r"thoughts",
        r"\d+ (?:web pages?|sources?|posts?)",
        r"show code",
        r"hide code",
    ),
    code_containers=('[data-testid="code-block"]', "div.not-prose", "div.code-block"),
    code_labels=(
        '[data-testid="code-block"] span.font-mono',
        "span.font-mono.text-xs",
        ".code-block-language",
    ),
    # The code of a block is a <code> in a plain <div> laid out with inline styles (no <pre>); inline
    # code is a span, so a <code> in a not-prose block is a block's body.
    code_bodies=('[data-testid="code-block"] code', "div.not-prose code"),
    reasoning=(
        "[data-vivim-reasoning]",  # the adapter's own wrapper around the reasoning it found
        ".thinking-container .thinking-content",
        '.thinking-container [class*="prose"]',
        '[class*="thinking-container"] .response-content-markdown',
    ),
    prepare=_inline_code_spans,
    keep_line_breaks=(".message-bubble span.whitespace-pre-wrap", ".items-end .message-bubble p.break-words"),
)
