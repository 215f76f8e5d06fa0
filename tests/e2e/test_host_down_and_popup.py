"""Host down -> captures queue (badge) -> host back -> everything arrives once; health; the popup."""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import Error as TargetClosedError

from .harness import CHATGPT_URL, CLAUDE_BROKEN_URL, Browser, at_least, texts, wait_for

pytestmark = pytest.mark.browser

EXTERNAL_ID = CHATGPT_URL.rsplit("/", 1)[1]


def break_host(browser: Browser, how: str) -> None:
    if how == "missing":  # never installed, or uninstalled: Chromium finds no manifest
        browser.manifest_path.unlink()
    else:  # installed, but the launcher dies at once (a broken venv, a moved interpreter)
        launcher = browser.launcher_path()
        launcher.write_text("#!/bin/sh\necho 'vivim: broken on purpose' >&2\nexit 3\n")
        os.chmod(launcher, 0o755)


@pytest.mark.parametrize("how", ["missing", "crashing"])
def test_captures_queue_while_the_host_is_down_and_all_arrive_once_when_it_is_back(
    browser: Browser, how: str
) -> None:
    break_host(browser, how)
    page = browser.open(CHATGPT_URL)
    wait_for(lambda: browser.queued() >= 1, what="captures waiting in the extension's queue")
    badge = wait_for(
        lambda: (b := browser.badge()) and b.isdigit() and b, what="a badge with the queued count"
    )
    assert int(badge) == browser.queued()
    # More turns while the host is still down.
    page.evaluate("([p, a]) => fixture.ask(p, a, {delay: 10})", ["Still there?", "Queued, not lost."])
    wait_for(
        lambda: browser.badge() == str(browser.queued()) and browser.queued() >= 2,
        what="the badge to follow the queue",
    )
    assert browser.messages("chatgpt", EXTERNAL_ID) == []

    browser.register_host()  # the user runs `vivim install` again
    rows = wait_for(
        at_least(8, lambda: browser.messages("chatgpt", EXTERNAL_ID)),
        timeout=45,
        what="the queued captures, resent when the host is back",
    )
    wait_for(lambda: browser.queued() == 0 and browser.badge() == "", what="an empty queue and a clear badge")
    rows = browser.messages("chatgpt", EXTERNAL_ID)
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8  # nothing lost, nothing twice
    assert texts(rows)[-2:] == ["Still there?", "Queued, not lost."]
    assert rows[-1]["status"] == "complete"


@pytest.mark.slow
def test_a_host_back_after_a_long_outage_gets_the_queue_without_any_page_activity(browser: Browser) -> None:
    break_host(browser, "missing")
    browser.open(CHATGPT_URL)
    wait_for(lambda: browser.queued() >= 1, what="captures waiting in the extension's queue")
    time.sleep(35)  # longer than MV3's idle limit for the worker; the page does nothing meanwhile
    browser.register_host()
    rows = wait_for(
        at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)),
        timeout=40,
        what="the queue, delivered by the worker's own retries",
    )
    assert len(rows) == 6


def test_queued_captures_survive_the_service_worker_being_stopped(browser: Browser) -> None:
    break_host(browser, "missing")
    page = browser.open(CHATGPT_URL)
    wait_for(lambda: browser.queued() >= 1, what="captures waiting in the extension's queue")
    browser.service_worker.evaluate("self.__vivimTestMarker = 1")
    # MV3 stops idle workers whenever it likes; everything in memory goes with it.
    cdp = browser.context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")
    browser.register_host()
    # The next capture wakes the worker: it sends what waited, then the new turns.
    page.evaluate("([p, a]) => fixture.ask(p, a, {delay: 10})", ["After the restart?", "Nothing was lost."])
    rows = wait_for(
        at_least(8, lambda: browser.messages("chatgpt", EXTERNAL_ID)),
        timeout=45,
        what="the queued and the new captures",
    )
    # A new worker did this: the stopped one's memory is gone.
    assert browser.service_worker.evaluate("self.__vivimTestMarker") is None
    wait_for(lambda: browser.queued() == 0, what="an empty queue")
    rows = browser.messages("chatgpt", EXTERNAL_ID)
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8
    assert texts(rows)[0].startswith("How do I reverse a list") and texts(rows)[-1] == "Nothing was lost."


def test_a_redesigned_page_is_reported_as_broken_capture_in_the_popup(browser: Browser) -> None:
    browser.open(CLAUDE_BROKEN_URL)
    health = wait_for(
        lambda: browser.service_worker.evaluate(
            "chrome.storage.local.get('adapterHealth').then(r => (r.adapterHealth || {}).claude || null)"
        ),
        what="the adapter's health report",
    )
    assert health["ok"] is False and "no turns" in health["problem"]
    popup = browser.open_popup()
    item = popup.locator("#health li", has_text="Claude")
    item.wait_for()
    wait_for(lambda: "capture broken" in item.inner_text(), what="the popup to say capture is broken")
    assert browser.conversation_count() == 0


def test_popup_shows_the_host_and_finds_a_captured_turn_as_you_type(browser: Browser) -> None:
    browser.open(CHATGPT_URL)
    wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="the captured turns")
    popup = browser.open_popup()
    wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
    wait_for(lambda: "1 conversation · " in popup.inner_text("#counts"), what="the counts")
    wait_for(
        lambda: popup.locator("#health li.ok", has_text="ChatGPT").count() == 1, what="ChatGPT capturing"
    )
    popup.fill("#q", "reversed")
    first = popup.locator("#results li").first
    first.wait_for()
    assert first.locator(".title").inner_text() == "Reversing lists and other questions"
    assert first.locator("mark").count() >= 1
    assert "reversed" in first.locator("mark").first.inner_text().lower()
    assert first.get_attribute("aria-selected") == "true"

    # The provider filter: nothing from Gemini was captured.
    popup.select_option("#provider", "gemini")
    wait_for(
        lambda: (
            popup.locator("#results li").count() == 0
            and "No close matches" in popup.inner_text("#search-note")
        ),
        what="no Gemini results",
    )
    popup.select_option("#provider", "")

    # Hostile captured text comes back as text: no element, no dialog, no request.
    popup.fill("#q", "dangerous")
    hit = popup.locator("#results li .snippet", has_text="onerror").first
    hit.wait_for()
    assert "<img" in hit.inner_text()
    assert popup.locator("#results img, #results script, #results a").count() == 0

    # Enter opens the conversation at its real URL.
    popup.fill("#q", "reversed")
    popup.locator("#results li").first.wait_for()
    popup.focus("#q")
    try:
        popup.keyboard.press("Enter")
    except TargetClosedError:
        pass  # the popup closes itself once the tab is open
    # The tab the extension opened (our route may attach after its first request, so ask the browser).
    wait_for(
        lambda: (
            browser.service_worker.evaluate(
                "(u) => chrome.tabs.query({}).then(ts => ts.filter(t => (t.pendingUrl || t.url) === u).length)",
                CHATGPT_URL,
            )
            >= 2
        ),
        what="a new tab at the conversation's URL",
    )
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_a_reply_over_one_megabyte_arrives_whole_through_the_service_worker(browser: Browser) -> None:
    page = browser.open(CHATGPT_URL)
    wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="the captured turns")
    # A 1.5 MB answer (a pasted log): conversation.get's reply is then over Chrome's 1 MB frame
    # limit, so the host sends it in base64 chunks the service worker must put back together.
    page.evaluate("""() => fixture.ask('Paste the build log', 'Here it is:', {delay: 1}).then(() => {
        const bodies = document.querySelectorAll('[data-message-author-role=assistant] .markdown');
        const pre = document.createElement('pre');
        pre.textContent = Array.from({length: 30000}, (_, i) => `step ${i}: compiled module ${i} ok`).join('\\n');
        bodies[bodies.length - 1].append(pre);
    })""")
    wait_for(
        lambda: any(len(r["text"]) > 1_000_000 for r in browser.messages("chatgpt", EXTERNAL_ID)),
        what="the long answer stored",
    )
    popup = browser.open_popup()
    reply = popup.evaluate(
        """(id) => chrome.runtime.sendMessage({kind: 'request', type: 'conversation.get',
        payload: {provider: 'chatgpt', external_id: id}})""",
        EXTERNAL_ID,
    )
    assert reply["ok"], reply
    stored = browser.messages("chatgpt", EXTERNAL_ID)
    assert [m["text"] for m in reply["result"]["messages"]] == [r["text"] for r in stored]
    assert "step 29999: compiled module 29999 ok" in reply["result"]["messages"][-1]["text"]
