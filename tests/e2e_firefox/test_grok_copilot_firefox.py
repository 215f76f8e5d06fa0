"""Grok and Microsoft Copilot in real headless Firefox ESR, granted the way a user grants them: nothing
is read before; "Turn on" in the popup grants the origin, the background registers the site's scripts,
and the conversation is captured with its turns, roles and (Grok) the page's response ids."""

from __future__ import annotations

import pytest

from tests.e2e.harness import COPILOT_URL, GROK_URL, at_least, wait_for

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox

CASES = {
    "grok": (GROK_URL, "How do I keep the running median of a stream?\nNumbers arrive one by one."),
    "copilot": (COPILOT_URL, "Plan a 3-day trip to Kyoto.\nTemples in the morning, tea in the afternoon."),
}


@pytest.mark.parametrize("key", list(CASES))
def test_the_site_is_read_only_after_the_user_turns_it_on_in_the_popup(
    firefox: FirefoxBrowser, key: str
) -> None:
    url, first = CASES[key]
    external_id = url.rsplit("/", 1)[1]
    before = firefox.open(url)
    before.wait_for_timeout(2500)
    assert firefox.snapshots(before) == 0
    assert firefox.messages(key, external_id) == []

    popup = firefox.grant_in_popup(key)
    origin = url.split("/", 3)[:3]
    assert popup.evaluate(f"browser.permissions.contains({{origins: ['{'/'.join(origin)}/*']}})") is True
    scripts = [f"vivim-{key}-bridge", f"vivim-{key}-net", f"vivim-{key}-page"]
    wait_for(lambda: firefox.registered_scripts(popup) == scripts, what="the registered content scripts")

    firefox.open(url)
    rows = wait_for(at_least(4, lambda: firefox.messages(key, external_id)), what="the conversation")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["text"] == first
    if key == "grok":
        assert rows[0]["key"] == rows[0]["provider_message_id"] == "11111111-aaaa-4bbb-8ccc-000000000001"
