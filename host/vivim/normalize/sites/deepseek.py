"""chat.deepseek.com (React; class names are build hashes except the site's own `ds-*`/`md-*` names).

Turn markup (2025/2026): every message is a `div.ds-message`; a prompt's text sits in it directly
(early 2025: `div.fbb737a4`); an answer is `div.ds-markdown.ds-assistant-message-main-content`
(early 2025: `div.ds-markdown.ds-markdown--block`), with paragraphs `p.ds-markdown-paragraph`.
DeepThink reasoning: `div.ds-think-content` (early 2025: `div.e1675d8b`) holding its own
`div.ds-markdown`, under a toggle reading "Thought for 12 seconds" (or its Chinese form);
the reasoning is kept, as a blockquote ahead of the answer and apart from it, never as the answer.
Code: `<div class="md-code-block"><div class="md-code-block-banner-wrap"><div
class="md-code-block-banner"><span class="d813de27">python</span>` (older:
`div.md-code-block-infostring`) then the Copy/Download buttons `div.md-code-block-action`, then a
bare `<pre>` of Prism `span.token`s. Math: KaTeX. Tables: `div.markdown-table-wrapper > table`.
Web-search citations: `a[href] > span.ds-markdown-cite` numbers (kept as links to their source).
"""

from __future__ import annotations

from .rules import SiteRules

RULES = SiteRules(
    name="deepseek",
    base_url="https://chat.deepseek.com/",
    chrome=(
        ".md-code-block-action",
        ".ds-markdown-code-copy-button",
        ".ds-think-header",
        ".ds-message-actions",
        ".ds-message-feedback",
    ),
    labels=(
        r"thought for \d+(?:\.\d+)? ?(?:seconds?|s)",
        r"thinking\.{0,3}",
        r"已深度思考[（(]用时 ?\d+ ?秒[)）]",
        r"思考中\.{0,3}",
        r"深度思考中\.{0,3}",
        r"复制",
        r"下载",
        r"运行",
    ),
    code_containers=("div.md-code-block",),
    code_labels=(
        ".md-code-block-infostring",
        ".md-code-block-banner span.d813de27",
        ".md-code-block-banner span",
    ),
    reasoning=(".ds-think-content", "div.e1675d8b", "div.edb250b1"),
    # A prompt is shown as typed (white-space: pre-wrap): its newlines are line breaks.
    keep_line_breaks=(
        ".ds-collapsible-text",
        "div.fbb737a4",
        "div.ds-message:not(:has(.ds-markdown)):not(:has(.ds-think-content))",
    ),
)
