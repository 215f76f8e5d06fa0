"""Every optional site in the registry, in real headless Firefox ESR: turned on by the user's click in the
popup, its unseen page (another markup generation, scripted by no test) is captured completely. The
pages, the expectations and the check are the Chromium suite's (tests/e2e/test_capture_unseen_new_sites.py);
a site without an unseen page is an expected failure named in every run there and here."""

from __future__ import annotations

import pytest

from tests.e2e.harness import UNSEEN
from tests.e2e.test_capture_unseen_new_sites import CASES, check_unseen_page, missing

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


@pytest.mark.parametrize("site", CASES)
def test_an_unseen_conversation_on_each_new_site_is_captured_completely(
    firefox: FirefoxBrowser, site: str
) -> None:
    if why := missing(site):
        pytest.fail(why)
    before = firefox.open(UNSEEN[site][0])
    before.wait_for_timeout(2000)
    assert firefox.snapshots(before) == 0  # not read before the user turns it on
    firefox.grant_in_popup(site)
    check_unseen_page(firefox, site)
