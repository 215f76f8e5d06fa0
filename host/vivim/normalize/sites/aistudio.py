"""aistudio.google.com (Angular, Material).

Turn markup (2025/2026, from exporter userscripts and extensions that read the page): a turn is
`ms-chat-turn > .chat-turn-container.(user|model) > [data-turn-role] > .turn-content` with an
`.author-label` ("User"/"Model" and a time) and one `ms-prompt-chunk` per chunk:
- text: `ms-text-chunk > ms-cmark-node.cmark-node` (the rendered Markdown; inline code is
  `span.inline-code` in some versions, `<code>` in others);
- reasoning: `ms-thought-chunk` holding a `mat-expansion-panel.thought-panel` whose header says
  "Thoughts" / "Expand to view model thoughts" (a `chevron_right` icon ligature beside it) and
  whose body is another `ms-text-chunk`: kept as a blockquote, apart from the answer;
- code: `ms-code-block > mat-expansion-panel` with the language in the header's `mat-panel-title`
  (after a `code` icon ligature), copy/download buttons, then `pre > code`;
- math: KaTeX inside `ms-katex`; tables: plain `<table>` in a `.table-container`;
- grounding: `ms-search-entry-point` (Google Search suggestion chips: chrome) and a sources list
  of links (kept: they are the answer's citations).
Around the turns: `.actions-container` / `ms-chat-turn-options` ("Edit", "Rerun", "more_vert"),
`.turn-footer` with `.model-run-time-pill` ("12.3s") and feedback buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rules import SiteRules

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

INLINE_CODE = "span.inline-code"
THOUGHT_HEADER = "ms-thought-chunk mat-expansion-panel-header, .thought-panel mat-expansion-panel-header"


def _prepare(soup: BeautifulSoup) -> None:
    """`span.inline-code` is inline code drawn with a span: make it `<code>` so it stays code."""
    for tag in soup.select(INLINE_CODE):
        tag.name = "code"
        tag.attrs = {}
    for header in soup.select(THOUGHT_HEADER):  # "Thoughts", "Expand to view model thoughts", a timer
        header.decompose()


RULES = SiteRules(
    name="aistudio",
    base_url="https://aistudio.google.com/",
    chrome=(
        ".author-label",
        ".actions-container",
        "ms-chat-turn-options",
        ".turn-footer",
        ".model-run-time-pill",
        "ms-prompt-feedback",
        "ms-search-entry-point",
        ".search-entry-point",
        ".thought-collapsed-text",
        ".thought-panel-footer",
        ".material-symbols-outlined",
        ".material-icons",
        "mat-icon",
        "ms-code-block mat-panel-description",
    ),
    labels=(
        r"thoughts?(?: \(experimental\))?",
        r"expand to view model thoughts",
        r"collapse to hide model thoughts",
        r"chevron_right",
        r"expand_more",
        r"expand_less",
        r"more_vert",
        r"content_copy",
        r"copy to clipboard",
        r"rerun",
        r"thumb_up",
        r"thumb_down",
        r"good response",
        r"bad response",
    ),
    code_containers=("ms-code-block",),
    code_labels=(
        "mat-panel-title span:not(.material-symbols-outlined)",
        "mat-panel-title",
        ".code-block-language",
    ),
    # One element per reasoning block (a nested match would quote it twice): the chunk, or in older
    # markup a bare thought panel.
    reasoning=("ms-thought-chunk", ".thought-panel:not(ms-thought-chunk .thought-panel)"),
    prepare=_prepare,
)
