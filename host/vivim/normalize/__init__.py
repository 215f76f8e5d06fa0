"""Captured HTML to clean Markdown, per provider (beautifulsoup4).

bs4 is imported inside the function: the host's cold start must not pay for it.
"""

from __future__ import annotations


def html_to_markdown(html: str, provider: str | None = None) -> str:
    from .markdown import convert

    return convert(html, provider=provider)
