"""ChatGPT in real headless Chromium: the page at its real URL, the real extension, the real host."""

from __future__ import annotations

import pytest

from .harness import CHATGPT_NEW_URL, CHATGPT_URL, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

EXTERNAL_ID = CHATGPT_URL.rsplit("/", 1)[1]
FIRST_PROMPT = "How do I reverse a list in Python without modifying the original?"
NON_LATIN = "日本語で説明してください。Также по-русски, пожалуйста: что такое формула Эйлера? 🙂"
HOSTILE_PROMPT = (
    "Is this markup dangerous? <img src=x onerror=\"alert('pwned-user')\"> <script>alert('pwned-script')</script>"
    " <a href=\"javascript:alert('pwned-link')\">click</a>"
)
HAIKU_PROMPT = "Write a haiku about autumn rain on a tin roof."
HAIKU = "Tin roof drums softly, the maple lets go its red, rain counts every leaf."
REGENERATED = "Rain on the tin roof, a hundred small drummers, autumn keeps the beat."


def stored(browser: Browser) -> list[dict]:
    return browser.messages("chatgpt", EXTERNAL_ID)


def test_chatgpt_turns_are_captured_in_order_with_roles_ids_and_exact_text(browser: Browser) -> None:
    browser.open(CHATGPT_URL)
    rows = wait_for(at_least(6, lambda: stored(browser)), what="the six turns on the page")
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["key"] == rows[0]["provider_message_id"] == "a1f0c9e2-1b2c-4d3e-8f40-5a6b7c8d9e01"
    assert rows[0]["text"] == FIRST_PROMPT
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    assert rows[0]["title"] == "Reversing lists and other questions"
    assert rows[1]["model"] == "gpt-5"
    answer = rows[1]["text"]
    assert "def reversed_copy(items):\n    return items[::-1]" in answer
    assert "Copy code" not in answer and "ChatGPT said" not in answer
    assert "Approach\tCopies?\tReturns" in answer  # the table, row by row
    assert rows[2]["text"] == NON_LATIN
    assert "$e^{i\\pi} + 1 = 0$" in rows[3]["text"] and "$$e^{ix} = \\cos x + i \\sin x$$" in rows[3]["text"]
    assert rows[4]["text"] == HOSTILE_PROMPT
    hostile_html = rows[5]["html"]
    for bad in ("javascript:", "onmouseover", "onerror", "<template", "<script", "<button"):
        assert bad not in hostile_html
    assert "<a" in hostile_html and "defused" in rows[5]["text"]
    # What the user gets back: Markdown the host made from the captured HTML.
    exported = {m["message_id"]: m for m in export(browser, "chatgpt")}
    assert [exported[r["key"]]["role"] for r in rows] == [r["role"] for r in rows]
    markdown = exported[rows[1]["key"]]["markdown"]
    assert "```python\ndef reversed_copy(items):\n    return items[::-1]\n```" in markdown
    assert "| Approach | Copies? | Returns |" in markdown and "Copy code" not in markdown
    assert "$e^{i\\pi} + 1 = 0$" in exported[rows[3]["key"]]["markdown"]
    assert all("said:" not in m["markdown"] for m in exported.values())
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_chatgpt_streamed_answer_is_stored_when_it_settles_and_again_when_it_completes(
    browser: Browser,
) -> None:
    page = browser.open(CHATGPT_URL)
    wait_for(lambda: len(stored(browser)) >= 6, what="the initial turns")
    # Six words, a pause long enough to settle, then the rest; the stop button goes at the end.
    page.evaluate(
        "([p, a]) => { window.__asked = fixture.ask(p, a, {delay: 40, pauseAt: 6, pauseMs: 3000}); }",
        [HAIKU_PROMPT, HAIKU],
    )
    partial = " ".join(HAIKU.split()[:6])
    rows = wait_for(
        lambda: [r for r in stored(browser) if r["status"] == "streaming"],
        timeout=15,
        what="the settled partial answer",
    )
    assert rows[0]["text"] == partial and rows[0]["role"] == "assistant"
    answer_key = rows[0]["key"]
    page.evaluate("window.__asked")
    done = wait_for(
        lambda: [r for r in stored(browser) if r["key"] == answer_key and r["status"] == "complete"],
        what="the completed answer",
    )
    assert done[0]["text"] == HAIKU
    rows = stored(browser)
    assert len(rows) == 8, texts(rows)  # grown in place: no second copy of the partial
    assert rows[6]["text"] == HAIKU_PROMPT and rows[7]["key"] == answer_key


def test_chatgpt_regenerated_answer_is_a_second_branch_and_virtualised_turns_stay(browser: Browser) -> None:
    """Also: an edited prompt is a branch too. (The name is kept: the Firefox suite calls it.)"""
    page = browser.open(CHATGPT_URL)
    wait_for(lambda: len(stored(browser)) >= 6, what="the initial turns")
    page.evaluate("([p, a]) => fixture.ask(p, a, {delay: 10})", [HAIKU_PROMPT, HAIKU])
    first = wait_for(
        lambda: [r for r in stored(browser) if r["text"] == HAIKU and r["status"] == "complete"],
        what="the first answer",
    )[0]
    new_id = page.evaluate("(a) => fixture.regenerate(a)", REGENERATED)
    wait_for(
        lambda: any(r["key"] == new_id and r["status"] == "complete" for r in stored(browser)),
        what="the regenerated answer",
    )
    rows = stored(browser)
    branch = next(r for r in rows if r["key"] == new_id)
    prompt = next(r for r in rows if r["text"] == HAIKU_PROMPT)
    assert branch["text"] == REGENERATED
    assert branch["parent_key"] == first["parent_key"] == prompt["key"]
    assert branch["position"] == first["position"]
    assert any(r["key"] == first["key"] and r["text"] == HAIKU for r in rows)  # the first branch is kept

    # "Edit message" on the prompt: a new prompt and a new answer; the first pair stays too.
    edited, edited_answer = (
        "Write a haiku about autumn rain on a tent.",
        "Nylon sky drumming, a sleeping bag of warm thoughts.",
    )
    user_id, answer_id = page.evaluate("([p, a]) => fixture.editLastPrompt(p, a)", [edited, edited_answer])
    wait_for(
        lambda: any(r["key"] == answer_id and r["status"] == "complete" for r in stored(browser)),
        what="the answer to the edited prompt",
    )
    rows = stored(browser)
    by_key = {r["key"]: r for r in rows}
    assert by_key[user_id]["text"] == edited and by_key[user_id]["parent_key"] == prompt["parent_key"]
    assert by_key[answer_id]["text"] == edited_answer and by_key[answer_id]["parent_key"] == user_id
    assert {HAIKU_PROMPT, HAIKU, REGENERATED} <= set(texts(rows))  # the first branch and its retry stay

    # New turns arrive while ChatGPT drops the oldest ones from the DOM (only 4 stay rendered).
    page.evaluate("fixture.growAndVirtualise(6, 4)")
    assert page.evaluate("fixture.turnCount()") == 4
    rows = wait_for(at_least(23, lambda: stored(browser)), what="all 23 turns")
    assert len(rows) == 23 and len({r["key"] for r in rows}) == 23
    follow_ups = [r["text"] for r in rows if r["position"] > 8]
    assert follow_ups == [
        line
        for i in range(1, 7)
        for line in (
            f"Follow-up question number {i}: what about tuples?",
            f"Answer number {i}: tuples reverse the same way, t[::-1].",
        )
    ]
    assert [r["text"] for r in rows[:2]] == [
        FIRST_PROMPT,
        rows[1]["text"],
    ]  # unloaded turns are all still there
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_chatgpt_new_chat_without_an_id_is_not_stored_until_the_url_names_the_conversation(
    browser: Browser,
) -> None:
    page = browser.open(CHATGPT_NEW_URL)
    wait_for(lambda: browser.snapshots(page) >= 1, what="the content script's first snapshot")
    page.evaluate(
        "() => document.getElementById('turns').append(document.createElement('hr'))"
    )  # one more look
    wait_for(lambda: browser.snapshots(page) >= 2, what="a second snapshot")
    assert browser.conversation_count() == 0
    # The site names the conversation with history.pushState, without reloading (an SPA navigation).
    new_id = "70000000-aaaa-4bbb-8ccc-000000000001"
    page.evaluate("(id) => history.pushState({}, '', '/c/' + id)", new_id)
    rows = wait_for(
        at_least(2, lambda: browser.messages("chatgpt", new_id)), what="the turns under the new id"
    )
    assert texts(rows) == ["A temporary question that must not be stored.", "A temporary answer."]
    assert browser.conversation_count() == 1
