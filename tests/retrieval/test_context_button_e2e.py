"""The "Insert context" button in real headless Chromium with the real extension and host.

For each site's fixture page: type a draft in the composer, wait for the button to count relevant
memories, click it (and, on one site, use the keyboard shortcut instead), and check that the block
is in the editor as the page itself reads it, after the draft, with the send button enabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import (
    CHATGPT_URL,
    CLAUDE_URL,
    COPILOT_URL,
    GEMINI_URL,
    GROK_URL,
    PERPLEXITY_URL,
    Browser,
    chromium_missing_reason,
    wait_for,
)
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

from .corpus import captures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=str(chromium_missing_reason())),
]

EDITORS = {
    CHATGPT_URL: "#prompt-textarea",
    CLAUDE_URL: 'div.ProseMirror[contenteditable="true"]',
    GEMINI_URL: ".ql-editor",
    GROK_URL: 'div.tiptap.ProseMirror[contenteditable="true"]',
    COPILOT_URL: "textarea#userInput",
    PERPLEXITY_URL: "#ask-input",
}
SENDS = {
    CHATGPT_URL: '[data-testid="send-button"]',
    CLAUDE_URL: 'button[aria-label="Send message"], fieldset button[type="submit"]',
    GEMINI_URL: "button.send-button",
    GROK_URL: 'form button[type="submit"][aria-label="Submit"]',
    COPILOT_URL: 'button[data-testid="submit-button"]',
    PERPLEXITY_URL: '[data-testid="submit-button"]',  # enabled only by the editor's own input events
}
# Where the fixture keeps the editor's own state (a Lexical editor ignores DOM changes it did not see as
# input events): the inserted block must be in it, not only on screen.
EDITOR_STATE = {PERPLEXITY_URL: "fixture.editorState()"}
# Optional sites are granted first (as the user does in the popup).
GRANTS = {GROK_URL: ("grok",), COPILOT_URL: ("copilot",), PERPLEXITY_URL: ("perplexity",)}
DRAFT = "Planning a cherry blossom trip to Kyoto and Tokyo, which route?"


def seed(vivim_home: Path) -> None:
    vivim_home.mkdir(parents=True, exist_ok=True)
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    apply_migrations(conn)
    for capture in captures():
        conn.execute("BEGIN IMMEDIATE")
        upsert_capture(conn, capture)
        conn.execute("COMMIT")
    conn.close()


def button_state(page) -> dict:
    return page.evaluate(
        "(() => { const b = document.querySelector('vivim-context-button');"
        " return b ? {...b.dataset, shown: b.style.display !== 'none'} : null; })()"
    )


@pytest.mark.parametrize(
    "url",
    [CHATGPT_URL, CLAUDE_URL, GEMINI_URL, GROK_URL, COPILOT_URL, PERPLEXITY_URL],
    ids=["chatgpt", "claude", "gemini", "grok", "copilot", "perplexity"],
)
def test_button_counts_memories_and_inserts_them_after_the_draft(tmp_path: Path, url: str) -> None:
    seed(tmp_path / "vivim-home")
    browser = Browser(tmp_path, grant=GRANTS.get(url, ()))
    try:
        if url in GRANTS:
            wait_for(
                lambda: len(browser.registered_scripts()) == 3, what="the site's scripts to be registered"
            )
        page = browser.open(url)
        editor = page.locator(EDITORS[url]).first
        editor.click()
        page.keyboard.type(DRAFT)
        state = wait_for(
            lambda: (s := button_state(page)) and int(s.get("count") or 0) > 0 and s,
            what="the button to count memories",
        )
        assert state["shown"] and state["state"] == "ready"
        if url == CLAUDE_URL:
            page.keyboard.press("Alt+Shift+KeyM")
        else:
            box = page.locator("vivim-context-button").bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        wait_for(lambda: button_state(page).get("lastInsert"), what="the insertion to finish")
        assert button_state(page)["lastInsert"] == "ok"
        text = editor.input_value() if url == COPILOT_URL else editor.inner_text()  # a <textarea>
        assert text.index("Planning a cherry blossom trip") < text.index("Relevant context from my earlier")
        if url in (
            GROK_URL,
            COPILOT_URL,
        ):  # the site's own editor state (TipTap's document, React's draft) has it too
            assert "Relevant context from my earlier" in page.evaluate("fixture.editorText()")
        if url == COPILOT_URL:
            assert page.evaluate("fixture.draft()") == text
        assert '"Two weeks in Japan itinerary" (Gemini,' in text
        assert page.locator(SENDS[url]).first.is_enabled()
        if url in EDITOR_STATE:
            state = page.evaluate(EDITOR_STATE[url])
            assert state.index("Planning a cherry blossom") < state.index("Relevant context from my earlier")
        assert browser.dialogs == []
    finally:
        browser.close()
