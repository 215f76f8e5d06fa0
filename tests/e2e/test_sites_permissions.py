"""Which sites VIVIM reads, in real headless Chromium with the real extension and host: the original
three by default, an optional site only once its origin is granted, and any site the user turned off
never (no snapshot, no network body read, nothing stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import payloads

from .checks import nothing_read, scripts_of
from .harness import (
    CHATGPT_URL,
    CLAUDE_URL,
    COPILOT_URL,
    DEEPSEEK_URL,
    EXTENSION_ID,
    GROK_URL,
    MISTRAL_URL,
    PERPLEXITY_URL,
    Browser,
    at_least,
    wait_for,
)
from .network_pages import as_json, claude_api, claude_page

pytestmark = pytest.mark.browser

PERPLEXITY_ID = PERPLEXITY_URL.rsplit("/", 1)[1]
CHATGPT_ID = CHATGPT_URL.rsplit("/", 1)[1]
PERPLEXITY_SCRIPTS = scripts_of("perplexity")
NETWORK_CLAUDE_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
QUIET_MS = 3000  # longer than the core's first snapshot (debounce 400 ms) and its health grace
# A conversation page of each optional site (AI Studio's own test also checks its network observer).
OPTIONAL_PAGES = {
    "perplexity": PERPLEXITY_URL,
    "deepseek": DEEPSEEK_URL,
    "mistral": MISTRAL_URL,
    "grok": GROK_URL,
    "copilot": COPILOT_URL,
}


@pytest.mark.parametrize("site", list(OPTIONAL_PAGES))
def test_an_optional_site_not_granted_is_never_read(browser: Browser, site: str) -> None:
    state = browser.sites()
    assert state[site] == {"optional": True, "granted": False, "enabled": True, "registered": False}
    assert all(state[key]["granted"] and state[key]["enabled"] for key in ("chatgpt", "claude", "gemini"))
    assert browser.registered_scripts() == []
    page = browser.open(OPTIONAL_PAGES[site])
    page.wait_for_timeout(QUIET_MS)
    assert nothing_read(page) == {"snapshots": 0, "handovers": 0, "sends": 0}
    assert page.evaluate("document.querySelector('vivim-context-button')") is None
    assert browser.conversation_count() == 0
    # The popup offers to turn it on; the original sites have their switches, on.
    popup = browser.open_popup()
    row = popup.locator(f'#health li[data-site="{site}"]')
    row.locator(".turn-on").wait_for()
    assert "not turned on" in row.inner_text() and row.locator(".switch").count() == 0
    assert popup.locator('#health li[data-site="chatgpt"] .switch').is_checked()


def test_the_popups_rows_stay_put_when_it_redraws_so_a_click_is_never_lost(browser: Browser) -> None:
    """The popup re-draws when any switch or report changes, often right as it opens (the first
    agreement with the host writes the switches). A row swapped between press and release would
    swallow the user's click on "Turn on": only the rows that changed are replaced."""
    popup = browser.open_popup()
    popup.locator('#health li[data-site="perplexity"] .turn-on').wait_for()
    popup.evaluate("document.querySelector('#health li[data-site=\"perplexity\"] .turn-on').shown = 'first'")
    browser.set_site_enabled("claude", False)
    claude = popup.locator('#health li[data-site="claude"]')
    wait_for(lambda: claude.locator(".state").inner_text() == "off", what="the popup to re-draw Claude's row")
    assert not claude.locator(".switch").is_checked()
    kept = popup.evaluate("document.querySelector('#health li[data-site=\"perplexity\"] .turn-on').shown")
    assert kept == "first"


# Every position the first site row takes from the moment it is drawn (recorded before popup.js runs).
ROW_POSITIONS = """new MutationObserver(() => {
  const row = document.querySelector('#health li');
  if (row) (window.rowTops ??= []).push(row.getBoundingClientRect().top);
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});"""


def test_the_popups_rows_do_not_move_once_shown_when_the_line_about_the_open_tab_appears(
    browser: Browser,
) -> None:
    """With a conversation open, the popup says how complete it is, in a line above the site rows. Drawn
    after the rows, that line pushed them down under the pointer, and a click on "Turn on" landed on
    the row above: the rows and the line are drawn in one step."""
    browser.open(CHATGPT_URL)
    wait_for(at_least(6, lambda: browser.messages("chatgpt", CHATGPT_ID)), what="the captured turns")
    popup = browser.context.new_page()
    popup.add_init_script(ROW_POSITIONS)
    popup.goto(f"chrome-extension://{EXTENSION_ID}/popup/popup.html")
    popup.locator("#this-tab").wait_for(timeout=20000)
    popup.locator('#health li[data-site="perplexity"] .turn-on').wait_for()
    tops = popup.evaluate("window.rowTops")
    assert tops and len(set(tops)) == 1, tops


def test_a_granted_optional_site_gets_its_scripts_registered_and_is_captured(tmp_path: Path) -> None:
    browser = Browser(tmp_path, grant=("perplexity",))
    try:
        wait_for(lambda: browser.registered_scripts() == PERPLEXITY_SCRIPTS, what="the registered scripts")
        assert browser.sites()["perplexity"] == {
            "optional": True,
            "granted": True,
            "enabled": True,
            "registered": True,
        }
        thread = browser.open(PERPLEXITY_URL)
        rows = wait_for(at_least(6, lambda: browser.messages("perplexity", PERPLEXITY_ID)), what="the thread")
        assert [r["role"] for r in rows] == ["user", "assistant"] * 3
        assert rows[0]["text"] == "Why do tide tables differ between nearby harbours?"

        # The popup's row: switched on, capturing, the open tab and the last save.
        popup = browser.open_popup()
        row = popup.locator('#health li[data-site="perplexity"]')
        wait_for(lambda: "capturing" in row.inner_text(), what="Perplexity said to be capturing")
        assert "1 tab open" in row.inner_text() and "saved just now" in row.inner_text()
        assert row.locator(".switch").is_checked() and row.locator(".turn-on").count() == 0
        assert "not visited yet" in popup.locator('#health li[data-site="gemini"]').inner_text()
        popup.close()
        thread.close()

        # Turned off: unregistered at once, and a page opened now is not read at all.
        browser.set_site_enabled("perplexity", False)
        wait_for(lambda: browser.registered_scripts() == [], what="the scripts to be unregistered")
        assert browser.sites()["perplexity"]["enabled"] is False
        before = len(browser.messages("perplexity", PERPLEXITY_ID))
        page = browser.open(PERPLEXITY_URL)
        page.wait_for_timeout(QUIET_MS)
        assert nothing_read(page) == {"snapshots": 0, "handovers": 0, "sends": 0}
        assert len(browser.messages("perplexity", PERPLEXITY_ID)) == before

        # On again: registered again, without asking for the permission again.
        browser.set_site_enabled("perplexity", True)
        wait_for(lambda: browser.registered_scripts() == PERPLEXITY_SCRIPTS, what="the scripts again")
    finally:
        browser.close()


def test_a_tab_already_open_when_its_site_is_turned_on_is_captured_without_a_reload(tmp_path: Path) -> None:
    # The user looks at a conversation, then turns the site on in the popup: registered scripts only run
    # in pages loaded later, so the service worker starts them in the open tab itself.
    browser = Browser(tmp_path, grant=("perplexity",))
    try:
        browser.set_site_enabled("perplexity", False)
        wait_for(lambda: browser.registered_scripts() == [], what="the scripts to be unregistered")
        page = browser.open(PERPLEXITY_URL)
        page.wait_for_timeout(QUIET_MS)
        assert nothing_read(page)["snapshots"] == 0 and browser.messages("perplexity", PERPLEXITY_ID) == []

        browser.set_site_enabled("perplexity", True)
        rows = wait_for(at_least(6, lambda: browser.messages("perplexity", PERPLEXITY_ID)), what="the thread")
        assert [r["role"] for r in rows] == ["user", "assistant"] * 3
        assert nothing_read(page)["snapshots"] >= 1
        # Started once: the page's scripts guard against a second run (a reload gets the registered ones).
        page.reload()
        wait_for(lambda: nothing_read(page)["snapshots"] >= 1, what="a snapshot after the reload")
        assert page.evaluate("document.querySelectorAll('vivim-context-button').length") <= 1
        assert len(browser.messages("perplexity", PERPLEXITY_ID)) == len(rows)
    finally:
        browser.close()


def serve_claude_conversation(browser: Browser) -> str:
    """A six-turn Claude conversation whose page renders four turns and loads its own JSON; its URL."""
    doc = payloads.claude_conversation(NETWORK_CLAUDE_ID, 6)
    path = f"{claude_api(NETWORK_CLAUDE_ID)}?tree=True&rendering_mode=messages&render_all_tools=true"
    browser.responses[path] = as_json(doc)
    url = f"https://claude.ai/chat/{NETWORK_CLAUDE_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", claude_page(doc, [path], rendered=4))
    return url


def test_an_original_site_turned_off_is_never_read_until_turned_on_again(browser: Browser) -> None:
    url = serve_claude_conversation(browser)
    browser.set_site_enabled("claude", False)
    assert browser.sites()["claude"]["enabled"] is False

    page = browser.open(url)
    wait_for(lambda: page.evaluate("window.loaded && window.loaded.length") == 1, what="the page's own fetch")
    page.wait_for_timeout(QUIET_MS)
    # The page loaded its conversation JSON; VIVIM read neither it nor the DOM, and stored nothing.
    assert nothing_read(page) == {"snapshots": 0, "handovers": 0, "sends": 0}
    assert browser.messages("claude", NETWORK_CLAUDE_ID) == []
    assert browser.conversation_count() == 0
    other = browser.open(CLAUDE_URL)
    other.wait_for_timeout(1500)
    assert nothing_read(other)["snapshots"] == 0
    assert other.locator("vivim-context-button").count() == 0  # the draft box is not looked at either

    # Turned on with the page open: the DOM turns on screen are captured from then on.
    browser.set_site_enabled("claude", True)
    rows = wait_for(at_least(4, lambda: browser.messages("claude", NETWORK_CLAUDE_ID)), what="the DOM turns")
    assert {r["role"] for r in rows} == {"user", "assistant"}
    assert nothing_read(page)["snapshots"] >= 1
    wait_for(lambda: other.locator("vivim-context-button").count() == 1, what="the Insert context button")


def host_setting(browser: Browser, key: str) -> object:
    """A setting as the host stored it (absent: its default, on)."""
    import json
    import sqlite3

    conn = sqlite3.connect(f"file:{browser.vivim_home / 'vivim.sqlite3'}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row else True


def extension_switch(browser: Browser, key: str) -> bool:
    return browser.service_worker.evaluate(
        "(k) => chrome.storage.local.get('siteEnabled').then(r => (r.siteEnabled || {})[k] !== false)", key
    )


def test_the_popups_switch_and_the_web_apps_setting_are_one_switch(browser: Browser) -> None:
    from tests.support.hostproc import HostProcess

    browser.open(CLAUDE_URL)
    wait_for(at_least(1, lambda: browser.messages("claude", CLAUDE_URL.rsplit("/", 1)[1])), what="a capture")
    # Flipped in the popup: the host's setting (what the web app's Settings show) follows.
    browser.set_site_enabled("claude", False)
    wait_for(lambda: host_setting(browser, "capture.claude") is False, what="the host's setting off")
    browser.set_site_enabled("claude", True)
    wait_for(lambda: host_setting(browser, "capture.claude") is True, what="the host's setting on again")

    # Turned off in Settings (another client of the same vault, as the web app is): the next thing the
    # extension sends for the site is refused, stored nowhere, and the extension takes the switch.
    other = HostProcess(browser.vivim_home)
    try:
        other.call("settings.set", {"values": {"capture.claude": False}})
    finally:
        other.close()
    url = serve_claude_conversation(browser)
    page = browser.open(url)
    wait_for(lambda: not extension_switch(browser, "claude"), what="the extension to take the switch")
    page.wait_for_timeout(QUIET_MS)
    assert browser.messages("claude", NETWORK_CLAUDE_ID) == []
    popup = browser.open_popup()
    row = popup.locator('#health li[data-site="claude"]')
    wait_for(lambda: "off" in row.locator(".state").inner_text(), what="the popup's row to say off")
    assert not row.locator(".switch").is_checked()
