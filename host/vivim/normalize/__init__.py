"""Captured HTML to clean Markdown (and to plain text), per provider, with beautifulsoup4.

bs4 and markdownify are imported inside the functions: the host's cold start must not pay
for them. Both functions accept any string (hostile, malformed, huge, deeply nested) and
never raise.
"""

from __future__ import annotations


def html_to_markdown(html: str, provider: str | None = None) -> str:
    """Markdown for one chat turn's HTML; `provider` ("chatgpt", "claude", "gemini") selects site rules."""
    from .markdown import convert

    return convert(html, provider=provider)


def html_to_text(html: str) -> str:
    """Plain text as a browser's `innerText` would give it (for turns sent without text)."""
    try:
        from .text import inner_text

        return inner_text(html)
    except Exception:  # noqa: BLE001 - never raise on captured content
        import re

        return re.sub(r"<[^>]*>", " ", str(html or ""))
