"""A conversation on each new site in the markup generation that public tools for that site document.

The adapters were written from what their authors could find; exporters, userscripts and clients that
read these sites (named in each fixture's comment and in the adapter's header) show other shapes of the
same pages: rows without keys, role boxes known only by a class fragment, bubbles without wrappers.
With the site granted, the real extension captures such a page completely, in order, with parent links,
and the Markdown the user exports keeps its code, lists and non-Latin text. What must be stored is in
`tests/fixtures/sites/<key>/<page>.expected.json` (the unseen-page format: `external_id`, `turns` as
[role, text] pairs, optionally `title` and `markdown_contains`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from . import harness
from .harness import SOURCE_GENERATIONS, Browser, at_least, export, wait_for

pytestmark = pytest.mark.browser


def expected_for(fixture: str) -> dict[str, Any]:
    path = harness.SITE_FIXTURES / fixture.replace(".html", ".expected.json")
    expected: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return expected


@pytest.mark.parametrize("site", sorted(SOURCE_GENERATIONS))
def test_a_page_in_another_documented_generation_is_captured_completely(site: str, tmp_path: Path) -> None:
    url, fixture = SOURCE_GENERATIONS[site]
    expected = expected_for(fixture)
    browser = Browser(tmp_path, grant=(site,))
    try:
        browser.open(url)
        turns = [tuple(t) for t in expected["turns"]]
        rows = wait_for(
            at_least(len(turns), lambda: browser.messages(site, expected["external_id"])),
            what=f"the {site} turns",
        )
        assert [(r["role"], r["text"]) for r in rows] == turns
        assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
        if expected.get("title"):
            assert rows[0]["title"] == expected["title"]
        markdown = "\n\n".join(m["markdown"] for m in export(browser, site))
        for piece in expected.get("markdown_contains", []):
            assert piece in markdown, piece
        for piece in expected.get("markdown_lacks", []):
            assert piece not in markdown, piece
        assert browser.conversation_count() == 1
        assert browser.dialogs == [] and browser.foreign_requests == []
    finally:
        browser.close()
