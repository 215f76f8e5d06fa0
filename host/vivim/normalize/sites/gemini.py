"""gemini.google.com (Angular).

Turn markup (2025/2026): prompts in `user-query-content .query-text` with one
`p.query-text-line` per typed line; answers in `message-content .markdown.markdown-main-panel`.
Code: `<code-block><div class="code-block"><div class="code-block-decoration header-formatted">
<span>Python</span><div class="buttons"><button aria-label="Copy code"><mat-icon>content_copy
</mat-icon></button></div></div><div class="formatted-code-block-internal-container"><pre>
<code data-test-id="code-content" class="code-container formatted">`. Math: KaTeX inside
`span.math-inline[data-math]` / `div.math-block[data-math]`. Tables: `table-block` with a
`.table-footer` ("Export to Sheets"). Citations: `sup[data-turn-source-index]`,
`source-footnote`, `sources-carousel-inline`. Thinking: `model-thoughts` with a
`thoughts-header-button` ("Show thinking"/"Hide thinking") and, when expanded,
`[data-test-id="thoughts-content"]`. "Gemini said" sits in `.response-container-header`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sanitize import is_gone
from .rules import SiteRules

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

QUERY_LINE = "p.query-text-line"


def _join_query_lines(soup: BeautifulSoup) -> None:
    """One typed line per `<p>`: a run of them becomes one paragraph with line breaks."""
    for line in soup.select(QUERY_LINE):
        if is_gone(line) or line.parent is None or _is_query_line(line.find_previous_sibling()):
            continue  # gone, or not the first line of its run
        following = line.find_next_sibling()
        while _is_query_line(following):
            line.append(soup.new_tag("br"))
            for child in list(following.contents):
                line.append(child.extract())
            following.decompose()
            following = line.find_next_sibling()


def _is_query_line(tag: object) -> bool:
    from bs4 import Tag

    return isinstance(tag, Tag) and tag.name == "p" and "query-text-line" in (tag.get("class") or [])


RULES = SiteRules(
    name="gemini",
    base_url="https://gemini.google.com/",
    chrome=(
        ".table-footer",
        "source-footnote",
        "sources-carousel-inline",
        "sources-list",
        "sup[data-turn-source-index]",
        ".response-footer",
        "message-actions",
        ".actions-container-v2",
        ".response-container-header",
        ".code-block-decoration .buttons",
        "response-element .action-buttons",
    ),
    labels=(
        r"you said:?",
        r"gemini said:?",
        r"show thinking",
        r"hide thinking",
        r"show drafts",
        r"content_copy",
        r"export to sheets",
    ),
    code_containers=("code-block", "div.code-block"),
    code_labels=(".code-block-decoration > span", ".code-block-decoration span"),
    reasoning=(
        'model-thoughts [data-test-id="thoughts-content"]',
        "model-thoughts .model-thoughts-content-container",
        ".thoughts-container .thoughts-content",
    ),
    prepare=_join_query_lines,
)
