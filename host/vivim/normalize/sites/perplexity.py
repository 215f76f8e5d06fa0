"""www.perplexity.ai.

Thread markup (2025/2026): each entry is a query heading (`h1` of class `group/query`; a long query is a
`div` of that class; the text in `span.select-text` or Lexical `span[data-lexical-text]`) and an answer
`div#markdown-content-<n>` holding a `.prose` block. Citations are chips inside the prose:
`<span class="citation inline" aria-label="noaa"><a href="https://…"><span class="text-3xs">noaa</span>
</a></span>` (a group of several sources shows the first one's name and "+n"; older markup: `<a
class="citation">` or a number), and `[data-pplx-citation-url]` elements; each becomes a link after a
space (`… times [noaa](https://…).`). Code: `<pre class="not-prose"><div class="codeWrapper">` with the
copy button, a `[data-testid="code-language-indicator"]` label and `<code style="white-space: pre-wrap">`.
Tables sit in a wrapper with "Copy table" / "Export to Sheets" buttons. Math: KaTeX.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rules import SiteRules

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

CHIPS = "span.citation, a.citation, [data-pplx-citation-url]"


def prepare(soup: BeautifulSoup) -> None:
    """Citation chips become plain links after a space; a query heading becomes a paragraph."""
    for chip in soup.select(CHIPS):
        if chip.find_parent(class_="citation") is not None:
            continue  # the chip's own inner link: handled with the chip
        link = chip if chip.name == "a" else chip.find("a", href=True)
        href = (link.get("href") if link is not None else None) or chip.get("data-pplx-citation-url")
        named = chip.get("aria-label")
        label = " ".join(chip.get_text(" ").split()) or (named if isinstance(named, str) else "") or "source"
        if not isinstance(href, str) or not href.strip():
            chip.replace_with(f" [{label}]")
            continue
        anchor = soup.new_tag("a", href=href.strip())
        anchor.string = label
        chip.replace_with(" ", anchor)
    for heading in soup.select("h1[class*='group/query'], h2[class*='group/query']"):
        heading.name = "div"


RULES = SiteRules(
    name="perplexity",
    base_url="https://www.perplexity.ai/",
    chrome=(
        '[data-testid="copy-code-button"]',
        '[data-testid="copy-query-button"]',
        '[data-testid="related-questions"]',
        ".related-queries",
    ),
    labels=(r"perplexity said:?", r"copy table", r"export to sheets"),
    code_containers=("pre.not-prose", "div.codeWrapper", 'div[class*="codeWrapper"]', "div.code-block"),
    code_labels=(
        '[data-testid="code-language-indicator"]',
        "div.text-text-200",
        'div[class*="text-text-200"]',
        ".code-block__language",
    ),
    reasoning=(),
    keep_line_breaks=(".whitespace-pre-line", "span.select-text"),
    prepare=prepare,
)
