"""claude.ai.

Turn markup (2025/2026): prompts in `div[data-testid="user-message"]` with
`p.whitespace-pre-wrap`; answers in `div.font-claude-response` (older `.font-claude-message`)
with `div.standard-markdown` / `div.progressive-markdown`; streaming turns carry
`data-is-streaming`. Code: `<div class="relative group/copy ..."><div class="sticky ..."><button
aria-label="Copy to clipboard">..</button></div><div class="text-text-500 font-small p-3.5 pb-0">
python</div><div class="overflow-x-auto"><pre class="code-block__code ..."><code
class="language-python">`. Math: KaTeX. Extended thinking: a collapsible block with a
"Thought process" toggle button; its body is kept (as a blockquote) when expanded.
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="claude",
    base_url="https://claude.ai/",
    chrome=(
        '[data-testid="action-bar-copy"]',
        '[data-testid="action-bar-retry"]',
        '[data-testid="message-warning"]',
    ),
    labels=(r"claude said:?", r"thought process", r"thinking\.{0,3}"),
    code_containers=('div[class*="group/copy"]', "div.code-block"),
    code_labels=("div.text-text-500", "div.text-text-300", ".code-block__language"),
    reasoning=(
        '[data-testid="thinking-block"] [data-testid="thinking-content"]',
        'div[class*="thinking"] div[class*="overflow-y-auto"]',
    ),
    keep_line_breaks=('[data-testid="user-message"] p',),
)
