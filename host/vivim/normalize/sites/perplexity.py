"""www.perplexity.ai.

Thread markup (2025/2026): each entry is a query heading (`h1`/`div` of class `group/query`, the text
in `span.select-text` or Lexical `span[data-lexical-text]`) and an answer `div#markdown-content-<n>`
holding a `.prose` block. Citations are chips inside the prose: `<span class="citation ...">` (older:
`<a class="citation">`) wrapping a link to the cited page with its number (or a site name) as text, or
a `[data-pplx-citation-url]` element; they become links. Code blocks carry a language label and a copy
button; math is KaTeX. Chrome (copy/share buttons, "Sources", related questions) is stripped.
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="perplexity",
    base_url="https://www.perplexity.ai/",
    chrome=(
        '[data-testid="copy-code-button"]',
        '[data-testid="related-questions"]',
        ".related-queries",
    ),
    labels=(r"perplexity said:?",),
    code_containers=("div.codeWrapper", 'div[class*="codeWrapper"]', "div.code-block"),
    code_labels=(
        '[data-testid="code-language-indicator"]',
        "div.text-text-200",
        'div[class*="text-text-200"]',
        ".code-block__language",
    ),
    reasoning=(),
    keep_line_breaks=(".whitespace-pre-line",),
)
