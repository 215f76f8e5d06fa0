"""chatgpt.com.

Turn markup (2025/2026): `div[data-message-author-role]` > `div.markdown.prose` for answers,
`div.whitespace-pre-wrap` for prompts; `h5/h6.sr-only` "You said:" / "ChatGPT said:".
Code: `<pre><div class="contain-inline-size ..."><div class="flex items-center ...">python</div>
<div class="sticky ..."><button>Copy code</button><button>Edit</button></div>
<div class="overflow-y-auto p-4"><code class="whitespace-pre! language-python">...`.
Math: KaTeX. Citations: `<a>` chips inside `span[data-state]`.
The rebuilt thread (2026-09/10, extension/content/sites/chatgpt.js): prompts in `[data-user-message-bubble]`,
answers in `[data-markdown-text-style="assistant-message"]`; `[data-markdown-copy="exclude"]` is no content.
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="chatgpt",
    base_url="https://chatgpt.com/",
    chrome=(
        '[data-testid$="turn-action-button"]',
        '[data-testid="copy-turn-action-button"]',
        '[data-testid="message-actions"]',
        '[data-markdown-copy="exclude"]',
        "[data-assistant-message-actions]",
        "[data-user-message-actions]",
    ),
    labels=(
        r"you said:?",
        r"chatgpt said:?",
        r"thought for [^\n]{1,40}",
        r"reasoned for [^\n]{1,40}",
        r"thinking",
        r"searching the web",
        r"searched \d+ sites?",
        r"stopped thinking",
        r"edit in canvas",
    ),
    code_labels=("pre > div > div:first-child",),
    reasoning=('[data-testid="reasoning-summary"]',),
    keep_line_breaks=(
        '[data-message-author-role="user"] .whitespace-pre-wrap',
        "[data-user-message-bubble] .whitespace-pre-wrap",
        "[data-user-message-copy]",
    ),
)
