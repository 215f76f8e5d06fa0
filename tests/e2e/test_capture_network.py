"""Complete capture you can prove, in real Chromium with the real extension and host: the page's own
conversation JSON (read by the MAIN-world observer) brings every turn and every branch, even those the
DOM never renders; without it, the DOM capture still works and the conversation says `unknown`."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.e2e.harness import Browser, wait_for
from tests.e2e.network_pages import (
    as_json,
    chatgpt_api,
    chatgpt_page,
    chatgpt_thread_page,
    claude_api,
    claude_page,
)
from tests.support import payloads

pytestmark = pytest.mark.browser

CHATGPT_ID = "68f0a1b2-c3d4-8e5f-a6b7-c8d9e0f1a2b3"
CLAUDE_ID = "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5f60"


def conversation(browser: Any, provider: str, external_id: str) -> dict[str, Any] | None:
    db = browser.vivim_home / "vivim.sqlite3"
    if not db.exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute(
            "SELECT * FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
        ).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["texts"] = [
            r[0] for r in conn.execute("SELECT text FROM messages WHERE conversation_id = ?", (row["id"],))
        ]
        out["warning"] = (
            conn.execute("SELECT warning FROM adapter_health WHERE provider = ?", (provider,)).fetchone()
            or [None]
        )[0]
        return out
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def stored_when(
    tab: Any, browser: Any, provider: str, external_id: str, check: Any, what: str
) -> dict[str, Any]:
    """Poll the store while letting the browser run: the sync Playwright API serves the page's requests
    (the harness's routes) only while the test is inside a Playwright call, so we wait in one."""
    last = None
    for _ in range(300):
        last = conversation(browser, provider, external_id)
        if last and check(last):
            return last
        tab.wait_for_timeout(200)
    raise AssertionError(
        f"timed out waiting for {what}; last: {last and {k: v for k, v in last.items() if k != 'texts'}}"
    )


def expected_texts(n: int) -> set[str]:
    return {payloads.turn_text(i) for i in range(n)}


def test_chatgpt_300_turns_with_20_rendered_and_older_pages_are_all_stored_and_complete(
    browser: Browser,
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 300, branch_at=7)
    pages = payloads.chatgpt_pages(doc, 120)  # what a paged load brings: newest first, older on scroll
    api = chatgpt_api(CHATGPT_ID)
    paths = [f"{api}?num_turns=120"] + [f"{api}?num_turns=120&cursor={i}" for i in range(1, len(pages))]
    for path, page in zip(paths, pages):
        browser.responses[path] = as_json(page)
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", chatgpt_page(doc, paths, rendered=20))
    tab = browser.open(url)
    conv = stored_when(
        tab,
        browser,
        "chatgpt",
        CHATGPT_ID,
        lambda c: c["completeness"] == "complete",
        "the conversation to be complete",
    )
    assert (conv["turns_stored"], conv["turns_expected"]) == (301, 301)
    assert set(conv["texts"]) == expected_texts(300) | {payloads.HIDDEN_BRANCH_TEXT}
    assert len(conv["texts"]) == 301  # the 20 rendered turns reconciled, not duplicated
    assert tab.evaluate("window.loaded") == ["ok"] * len(pages)  # the page read every response itself
    if hasattr(browser, "context"):  # Chromium: the popup states it for the open tab
        popup = browser.open_popup()
        popup.locator("#this-tab").wait_for(timeout=20000)
        assert popup.locator("#this-tab").inner_text().startswith("This conversation: complete")
        assert popup.locator("#this-tab .capture-all").count() == 0
        popup.close()
    # Re-opening changes nothing.
    before = conversation(browser, "chatgpt", CHATGPT_ID)
    tab.reload()
    wait_for(
        lambda: (
            tab.evaluate("window.loaded && window.loaded.length") == len(pages) or tab.wait_for_timeout(200)
        ),
        what="the reload",
    )
    tab.wait_for_timeout(2500)
    after = conversation(browser, "chatgpt", CHATGPT_ID)
    assert sorted(after["texts"]) == sorted(before["texts"]) and after["completeness"] == "complete"


def test_the_rebuilt_chatgpts_thread_runs_are_stored_whole_with_the_dom_turns_merged_by_their_ids(
    browser: Browser,
) -> None:
    runs = payloads.chatgpt_thread_pages(CHATGPT_ID, 40, page_size=15)  # newest run first
    api = f"https://chatgpt.com/backend-api/conversations/{CHATGPT_ID}/messages"
    paths = [f"{api}?limit=15"] + [
        f"{api}?limit=15&before={run['page_info']['start_cursor']}" for run in runs[:-1]
    ]
    for path, run in zip(paths, runs):
        browser.responses[path] = as_json(run)
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    browser.responses[url] = (
        "text/html; charset=utf-8",
        chatgpt_thread_page(CHATGPT_ID, runs, paths, rendered=6),
    )
    tab = browser.open(url)
    conv = stored_when(
        tab,
        browser,
        "chatgpt",
        CHATGPT_ID,
        lambda c: c["completeness"] == "complete",
        "the thread to be complete",
    )
    assert (conv["turns_stored"], conv["turns_expected"]) == (40, 40)
    assert sorted(conv["texts"]) == sorted(expected_texts(40))  # the 6 rendered turns merged, not doubled
    assert tab.evaluate("window.loaded") == ["ok"] * len(runs)


def test_claude_300_turns_and_a_branch_never_shown_are_stored_with_the_dom_turns_merged(
    browser: Browser,
) -> None:
    doc = payloads.claude_conversation(CLAUDE_ID, 300, branch_at=11)
    api = claude_api(CLAUDE_ID)
    path = f"{api}?tree=True&rendering_mode=messages&render_all_tools=true"
    browser.responses[path] = as_json(doc)
    url = f"https://claude.ai/chat/{CLAUDE_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", claude_page(doc, [path], rendered=20))
    tab = browser.open(url)
    conv = stored_when(
        tab,
        browser,
        "claude",
        CLAUDE_ID,
        lambda c: c["completeness"] == "complete",
        "the Claude conversation to be complete",
    )
    assert (conv["turns_stored"], conv["turns_expected"]) == (301, 301)
    # The DOM's 20 turns arrive too (after, or before, the payload): give them time, then count.
    tab.wait_for_timeout(3000)
    conv = conversation(browser, "claude", CLAUDE_ID)
    assert sorted(conv["texts"]) == sorted(expected_texts(300) | {payloads.HIDDEN_BRANCH_TEXT})


def test_network_blocked_the_dom_capture_still_works_and_completeness_is_unknown_with_a_warning(
    browser: Browser,
) -> None:
    doc = payloads.claude_conversation(CLAUDE_ID, 60)
    path = f"{claude_api(CLAUDE_ID)}?tree=True"  # never answered: the harness aborts it
    url = f"https://claude.ai/chat/{CLAUDE_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", claude_page(doc, [path], rendered=20))
    tab = browser.open(url)
    conv = stored_when(
        tab,
        browser,
        "claude",
        CLAUDE_ID,
        lambda c: len(c["texts"]) >= 20 and c["warning"],
        "the DOM capture and a network warning",
    )
    assert conv["completeness"] == "unknown"
    assert sorted(conv["texts"]) == sorted(payloads.turn_text(i) for i in range(40, 60))
    assert "request failed" in conv["warning"]
    assert tab.evaluate("window.loaded")[0].startswith("failed")  # the page saw its own failure, unchanged


@pytest.mark.parametrize("hostile", ["unknown_shape", "wrong_types", "huge"])
def test_a_hostile_or_unknown_payload_is_ignored_with_a_warning_and_the_page_is_unaffected(
    browser: Browser, hostile: str
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 30)
    body = {
        "unknown_shape": {"conversation": {"turns": [{"who": "user", "said": "hi"}]}, "v": 2},
        "wrong_types": {
            "mapping": {"a": "node?", "b": [1, {"message": 7}]},
            "current_node": {"x": 1},
            "conversation_id": CHATGPT_ID,
        },
        "huge": {"mapping": {}, "padding": "x" * (40 * 1024 * 1024)},
    }[hostile]
    api = chatgpt_api(CHATGPT_ID)
    browser.responses[api] = ("application/json", json.dumps(body).encode())
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", chatgpt_page(doc, [api], rendered=20))
    tab = browser.open(url)
    conv = stored_when(
        tab,
        browser,
        "chatgpt",
        CHATGPT_ID,
        lambda c: len(c["texts"]) >= 20 and c["warning"],
        "the DOM capture and a warning",
    )
    assert "network capture" in conv["warning"]
    assert conv["completeness"] == "unknown"
    assert sorted(conv["texts"]) == sorted(payloads.turn_text(i) for i in range(10, 30))
    # The page parsed its own response as usual (a 40 MB parse may finish after VIVIM's warning).
    loaded = wait_for(lambda: tab.evaluate("window.loaded"), what="the page's own parse")
    assert loaded == ["ok"]


def test_capture_all_from_the_popup_scrolls_a_page_without_network_data_to_its_start(
    browser: Browser,
) -> None:
    from tests.e2e.network_pages import chatgpt_lazy_page

    doc = payloads.chatgpt_conversation(CHATGPT_ID, 120)
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", chatgpt_lazy_page(doc, rendered=20, step=20))
    tab = browser.open(url)
    conv = stored_when(
        tab, browser, "chatgpt", CHATGPT_ID, lambda c: len(c["texts"]) >= 20, "the rendered turns"
    )
    assert len(conv["texts"]) == 20
    popup = browser.open_popup()
    line = popup.locator("#this-tab")
    line.wait_for(timeout=20000)
    assert line.get_attribute("data-status") == "unknown"
    popup.locator("#this-tab .capture-all").click()
    tab.bring_to_front()  # as under a real popup, the page stays visible (a hidden tab gets no scroll events)
    conv = stored_when(tab, browser, "chatgpt", CHATGPT_ID, lambda c: len(c["texts"]) >= 120, "every turn")
    assert sorted(conv["texts"]) == sorted(expected_texts(120))  # all of them, once each


def test_other_requests_under_the_conversation_are_kept_only_when_they_carry_its_messages(
    browser: Browser,
) -> None:
    """A paged load under another path of the conversation is read; a sub-resource without messages is
    ignored without a warning; the conversation's status never claims more than was proven."""
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 60)
    newest, older = payloads.chatgpt_pages(doc, 40)
    api = chatgpt_api(CHATGPT_ID)
    paths = [f"{api}/turns?num_turns=40", f"{api}/stream_status", f"{api}/related?limit=3"]
    browser.responses[paths[0]] = as_json(newest)
    browser.responses[paths[1].split("?")[0]] = as_json({"status": "done"})
    browser.responses[paths[2]] = as_json({"items": [{"title": "Rye"}]})
    url = f"https://chatgpt.com/c/{CHATGPT_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", chatgpt_page(doc, paths, rendered=20))
    tab = browser.open(url)
    conv = stored_when(tab, browser, "chatgpt", CHATGPT_ID, lambda c: c["turns_stored"], "the first page")
    tab.wait_for_timeout(2500)
    conv = conversation(browser, "chatgpt", CHATGPT_ID)
    assert conv["completeness"] == "partial" and conv["turns_expected"] is None  # older turns not loaded yet
    assert conv["warning"] is None
    assert set(conv["texts"]) == {payloads.turn_text(i) for i in range(60 - conv["turns_stored"], 60)}


def test_a_conversation_the_page_loads_with_xmlhttprequest_is_captured_too(browser: Browser) -> None:
    doc = payloads.claude_conversation(CLAUDE_ID, 50, branch_at=2)
    path = f"{claude_api(CLAUDE_ID)}?tree=True&rendering_mode=messages"
    browser.responses[path] = as_json(doc)
    url = f"https://claude.ai/chat/{CLAUDE_ID}"
    browser.responses[url] = ("text/html; charset=utf-8", claude_page(doc, [path], rendered=10, xhr=True))
    tab = browser.open(url)
    conv = stored_when(
        tab, browser, "claude", CLAUDE_ID, lambda c: c["completeness"] == "complete", "complete"
    )
    assert (conv["turns_stored"], conv["turns_expected"]) == (51, 51)
    assert tab.evaluate("window.loaded") == ["ok"]
