"""Every site added to the registry after the original three (issue 16) passes the unseen-page test.

For each chat site in `vivim.providers` whose hosts are optional permissions (not enabled by default),
the site must provide a conversation no other test scripts, in another markup generation of the site
(`harness.UNSEEN[key]`), and what capturing it must store (`tests/fixtures/sites/<key>/unseen_expected.json`:
`external_id`, `turns` as [role, text] pairs, optionally `title` and `markdown_contains`). With the site
granted (`Browser(grant=...)`), the real extension captures that page completely, in order, with parent
links. A site added to the registry without these is an expected failure named in every run (strict
xfail), never silently untested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vivim.providers import SITES

from . import harness
from .checks import check_capture
from .harness import Browser

pytestmark = pytest.mark.browser

MANIFEST = json.loads((harness.EXTENSION_DIR / "manifest.json").read_text(encoding="utf-8"))
NEW_SITES = [
    info.key
    for info in SITES
    if any(f"https://{host}/*" not in MANIFEST["host_permissions"] for host in info.hosts)
]


def expected_path(key: str) -> Path:
    return harness.SITE_FIXTURES / key / "unseen_expected.json"


def missing(key: str) -> str | None:
    """What a site still lacks for this test, or None."""
    if key not in harness.UNSEEN or not expected_path(key).exists():
        return (
            f"{key} has no unseen page yet: tests/e2e/harness.py UNSEEN[{key!r}] and "
            f"{expected_path(key).relative_to(harness.REPO)} (what capturing it must store)"
        )
    return None


def expected_for(key: str) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads(expected_path(key).read_text(encoding="utf-8"))
    return expected


# A site without its unseen page is an expected failure, reported by name in every run (never a pass):
# the test body fails on it, and once the site adds the page the mark goes away by itself.
CASES = [
    pytest.param(key, marks=[pytest.mark.xfail(reason=why, strict=True)] if (why := missing(key)) else [])
    for key in NEW_SITES
]


def test_there_are_new_sites_to_check() -> None:
    assert NEW_SITES, "no optional sites in the registry: this module checks nothing"


@pytest.mark.parametrize("site", CASES)
def test_an_unseen_conversation_on_each_new_site_is_captured_completely(site: str, tmp_path: Path) -> None:
    if why := missing(site):
        pytest.fail(why)
    browser = Browser(tmp_path, grant=(site,))
    try:
        check_unseen_page(browser, site)
    finally:
        browser.close()


def check_unseen_page(browser: Any, site: str) -> None:
    """Open the site's unseen page in a browser where the site is on; what it stores is what the site's
    unseen_expected.json says, in order, with parent links. (The Firefox suite calls this too.)"""
    url, _ = harness.UNSEEN[site]
    check_capture(browser, site, url, expected_for(site))
