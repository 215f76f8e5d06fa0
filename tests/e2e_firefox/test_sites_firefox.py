"""An optional site in real headless Firefox ESR, granted the way a user grants it: nothing is read
before; a click on the popup's "Turn on" grants the origin (permissions.request), the background
registers the site's content scripts, and the thread is captured; the switch turns it off again."""

from __future__ import annotations

import json

import pytest

from tests.e2e.harness import PERPLEXITY_URL, at_least, wait_for
from tests.support import perplexity as pp

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox

PERPLEXITY_ID = PERPLEXITY_URL.rsplit("/", 1)[1]
SCRIPTS = ["vivim-perplexity-bridge", "vivim-perplexity-net", "vivim-perplexity-page"]


def test_perplexity_is_read_only_after_the_user_turns_it_on_in_the_popup(firefox: FirefoxBrowser) -> None:
    before = firefox.open(PERPLEXITY_URL)
    before.wait_for_timeout(2500)
    assert firefox.snapshots(before) == 0
    assert firefox.messages("perplexity", PERPLEXITY_ID) == []

    popup = firefox.grant_in_popup("perplexity")
    assert popup.evaluate("browser.permissions.contains({origins: ['https://www.perplexity.ai/*']})") is True
    wait_for(lambda: firefox.registered_scripts(popup) == SCRIPTS, what="the registered content scripts")
    assert "capturing" in popup.inner_text('#health li[data-site="perplexity"]') or "not visited" in (
        popup.inner_text('#health li[data-site="perplexity"]')
    )

    firefox.open(PERPLEXITY_URL)
    rows = wait_for(at_least(6, lambda: firefox.messages("perplexity", PERPLEXITY_ID)), what="the thread")
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3
    assert rows[0]["text"] == "Why do tide tables differ between nearby harbours?"

    # The switch in the popup turns it off: unregistered, and a page opened now is not read.
    popup.click('#health li[data-site="perplexity"] .switch')
    wait_for(lambda: firefox.registered_scripts(popup) == [], what="the scripts to be unregistered")
    after = firefox.open(PERPLEXITY_URL)
    after.wait_for_timeout(2500)
    assert firefox.snapshots(after) == 0


def test_perplexity_thread_json_is_read_through_the_registered_main_world_observer(
    firefox: FirefoxBrowser,
) -> None:
    """Firefox registers MAIN-world scripts too (128+): the page's own thread JSON is read."""
    popup = firefox.grant_in_popup("perplexity")
    wait_for(lambda: firefox.registered_scripts(popup) == SCRIPTS, what="the registered content scripts")
    slug = "tides-in-firefox-Qq1Ww2Ee3Rr4Tt5Yy6Uu7Ii8"
    pages = pp.thread_pages(12, 5, slug)
    for url, doc in pages:
        firefox.responses[url] = ("application/json", json.dumps(doc).encode())
    entries = [e for _, doc in pages for e in doc["entries"]]
    url = f"https://www.perplexity.ai/search/{slug}"
    firefox.responses[url] = (
        "text/html; charset=utf-8",
        pp.thread_page_html("Tides", entries[-2:], [u for u, _ in pages]),
    )
    firefox.open(url)
    rows = wait_for(
        at_least(36, lambda: firefox.messages("perplexity", slug)), what="every entry from the JSON"
    )
    assert [r["text"] for r in rows if r["role"] == "user"] == [pp.query_text(i) for i in range(12)]
    assert len(rows) == 36
