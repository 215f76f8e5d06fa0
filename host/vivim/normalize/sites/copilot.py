"""copilot.microsoft.com (the consumer Copilot, React).

Turn markup (2025/2026, from the page and the exporters that read it): prompts in
`div[data-content="user-message"]`, answers in `div[data-content="ai-message"]` with the body in
`div.group/ai-message-item`; each starts with a screen-reader heading ("You said" / "Copilot said").
Answers are Markdown HTML: paragraphs, lists, tables, `pre > code.language-*` code blocks under a
header naming the language with a Copy button (in 2026 a `div.rounded-xl` card, the language in a
`span.capitalize`), KaTeX math; one answer may be several `group/ai-message-item` blocks. Web answers carry citation pills (links
to the source, kept as links: the cited URL is part of the answer) and a "Sources" list under the
answer (`[data-testid="sources"]`, dropped: the pills already carry the URLs). "Think Deeper" adds a
reasoning block; the adapter sends its body inside `div[data-vivim-reasoning]`, before the answer.
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="copilot",
    base_url="https://copilot.microsoft.com/",
    chrome=(
        '[data-testid="message-actions"]',
        '[data-testid="sources"]',
        '[data-testid="copy-button"]',
        '[data-testid="code-block"] button',
        '[data-testid="suggested-followups"]',
    ),
    labels=(
        r"you said:?",
        r"copilot said:?",
        r"sources",
        r"show reasoning",
        r"hide reasoning",
        r"reasoned for .{1,20}",
    ),
    # 2026 markup: a code block is a rounded card (`div.rounded-xl`) holding its language in a
    # `span.capitalize` and a Copy button above the <pre>; taken only when it holds nothing else.
    code_containers=('[data-testid="code-block"]', 'div[class*="code-block"]', 'div[class*="rounded-xl"]'),
    code_labels=(
        '[data-testid="code-block-language"]',
        '[data-testid="code-block"] span',
        'div[class*="code-block"] span',
        'span[class*="capitalize"]',
    ),
    reasoning=(
        "[data-vivim-reasoning]",  # the adapter's own wrapper around the reasoning it found
        '[data-testid="reasoning-block"] [data-testid="reasoning-content"]',
    ),
    keep_line_breaks=('[data-content="user-message"] div', '[class*="group/user-message-item"]'),
)
