"""Every site added to the registry after the original three (issue 16) passes the unseen-page test.

For each chat site in `vivim.providers` whose hosts are optional permissions (not enabled by default),
the site must provide a conversation no other test scripts, in another markup generation of the site
(`harness.UNSEEN[key]`), and what capturing it must store (`tests/fixtures/sites/<key>/unseen_expected.json`:
`external_id`, `turns` as [role, text] pairs, optionally `title` and `markdown_contains`). With the site
turned on, the real extension captures that page completely, in order, with parent links; a site added to
the registry without these fails here rather than going untested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vivim.providers import SITES

from . import harness
from .granted import extension_with
from .harness import Browser, at_least, export, wait_for

pytestmark = pytest.mark.browser

MANIFEST = json.loads((harness.EXTENSION_DIR / "manifest.json").read_text(encoding="utf-8"))
NEW_SITES = [
    info.key
    for info in SITES
    if any(f"https://{host}/*" not in MANIFEST["host_permissions"] for host in info.hosts)
]


def expected_for(key: str) -> dict[str, Any]:
    path = harness.SITE_FIXTURES / key / "unseen_expected.json"
    if key not in harness.UNSEEN or not path.exists():
        pytest.fail(
            f"{key}: a new site needs an unseen page (tests/e2e/harness.py UNSEEN[{key!r}]) and what it must "
            f"store ({path.relative_to(harness.REPO)})"
        )
    expected: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return expected


def test_there_are_new_sites_to_check() -> None:
    assert NEW_SITES, "no optional sites in the registry: this module checks nothing"


@pytest.mark.parametrize("site", NEW_SITES)
def test_an_unseen_conversation_on_each_new_site_is_captured_completely(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_for(site)
    monkeypatch.setattr(harness, "EXTENSION_DIR", extension_with([site], tmp_path / "extension"))
    browser = Browser(tmp_path / "run")
    try:
        url, _ = harness.UNSEEN[site]
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
        assert browser.conversation_count() == 1
        assert browser.dialogs == [] and browser.foreign_requests == []
    finally:
        browser.close()
