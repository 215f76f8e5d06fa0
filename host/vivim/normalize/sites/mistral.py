"""chat.mistral.ai (Le Chat; Next.js/React, Tailwind classes).

Turn markup (2025/2026): every message is an element with `data-message-author-role` and
`data-message-id`. A prompt is `.select-text` holding `span.whitespace-pre-wrap` runs (shown as
typed); an answer is `.markdown-container-style` (older: `.prose`). Code: `<pre>` holding a header
`<div><span class="text-xs capitalize">python</span><button aria-label="Copy to clipboard">` and
`<code class="language-python">`. Math: KaTeX. Tables: `<table>` in an `overflow-x-auto` wrapper.
Web-search references: numbered links to their sources (kept). Reasoning ("Think" mode): a
collapsible block ahead of the answer, kept as a blockquote apart from it.
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="mistral",
    base_url="https://chat.mistral.ai/",
    chrome=(
        '[aria-label="Copy to clipboard"]',
        '[data-message-part-type="actions"]',
        ".message-actions",
    ),
    labels=(r"thought for \d+(?:\.\d+)? ?(?:seconds?|s)", r"thinking\.{0,3}", r"copier", r"copié !?"),
    code_containers=("pre",),
    code_labels=("span.text-xs.capitalize", "pre > div span.text-xs"),
    reasoning=(
        '[data-message-part-type="reasoning"]',
        '[data-message-part-type="thinking"]',
        "[data-reasoning]",
        "details.reasoning",
    ),
    keep_line_breaks=(".select-text span.whitespace-pre-wrap", ".select-text"),
)
