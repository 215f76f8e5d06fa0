"""Every captured-turn fixture converts to exactly its expected Markdown.

Fixtures live in tests/fixtures/turns/ as `name.html` + `name.md`; the provider is the
name's prefix (a site's key from vivim.providers, e.g. `chatgpt_`; anything else: no provider).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vivim.normalize import html_to_markdown
from vivim.providers import SITES

TURNS = Path(__file__).resolve().parent.parent / "fixtures" / "turns"
PROVIDERS = tuple(p.key for p in SITES)
FENCED = re.compile(r"^( *)(`{3,})[^\n]*\n.*?^\1\2$", re.M | re.S)
CASES = sorted(TURNS.glob("*.html"))


def provider_of(path: Path) -> str | None:
    prefix = path.stem.split("_", 1)[0]
    return prefix if prefix in PROVIDERS else None


def test_every_fixture_has_its_expected_markdown() -> None:
    assert CASES, "no fixtures found"
    missing = [p.name for p in CASES if not p.with_suffix(".md").exists()]
    assert not missing


@pytest.mark.parametrize("html_path", CASES, ids=[p.stem for p in CASES])
def test_fixture_turn_converts_to_its_expected_markdown(html_path: Path) -> None:
    expected = html_path.with_suffix(".md").read_text(encoding="utf-8").removesuffix("\n")
    html = html_path.read_text(encoding="utf-8")
    assert html_to_markdown(html, provider_of(html_path)) == expected


@pytest.mark.parametrize("html_path", CASES, ids=[p.stem for p in CASES])
def test_fixture_markdown_carries_no_site_chrome(html_path: Path) -> None:
    markdown = html_to_markdown(html_path.read_text(encoding="utf-8"), provider_of(html_path))
    for chrome in (
        "Copy code",
        "You said",
        "ChatGPT said",
        "Gemini said",
        "content_copy",
        "Export to Sheets",
        "<svg",
        "<button",
        "katex-html",
    ):
        assert chrome not in markdown
    prose = FENCED.sub("(code)", markdown)  # code keeps its own blank lines and spaces
    assert all(line == line.rstrip() for line in prose.split("\n"))
    assert "\n\n\n" not in prose
