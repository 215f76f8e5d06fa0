"""Placeholder converter until the full normalizer lands: text content only."""

from __future__ import annotations


def convert(html: str, provider: str | None = None) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "button", "svg"]):
        tag.decompose()
    return soup.get_text("\n").strip()
