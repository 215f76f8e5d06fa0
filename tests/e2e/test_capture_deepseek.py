"""DeepSeek in real headless Chromium: the pages at their real URLs, the real extension (DeepSeek granted
as the user's "Allow" would), the real host. (Not granted, it is never read: test_sites_permissions; its unseen page:
test_capture_unseen_new_sites.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .checks import completeness, granted_browser, insert_context
from .harness import DEEPSEEK_URL, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

EXTERNAL_ID = DEEPSEEK_URL.rsplit("/", 1)[1]
FIRST_PROMPT = "Write a Python function that returns the n-th Fibonacci number,\nand explain its complexity."
REASONING = "They want code and a complexity argument. Iteration is linear; the closed form needs floating point care."
NON_LATIN = "用中文解释一下黄金比例。<img src=x onerror=alert('pwned-deepseek')>"
QUIET_MS = 3000


@pytest.fixture
def granted(tmp_path: Path) -> Iterator[Browser]:
    with granted_browser(tmp_path, "deepseek") as browser:
        yield browser


def stored(browser: Browser, external_id: str = EXTERNAL_ID) -> list[dict]:
    return browser.messages("deepseek", external_id)


def settled(tab: Any, browser: Browser, count: int, external_id: str = EXTERNAL_ID) -> list[dict]:
    """The stored turns once there are `count` and the last is complete (waiting inside Playwright, so
    the page's own requests are answered meanwhile)."""
    rows: list[dict] = []
    for _ in range(150):
        rows = stored(browser, external_id)
        if len(rows) >= count and rows[-1]["status"] == "complete":
            return rows
        tab.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {count} settled turns; have {texts(rows)}")


def test_deepseek_turns_are_captured_with_the_reasoning_apart_from_the_answer(granted: Browser) -> None:
    granted.open(DEEPSEEK_URL)
    rows = wait_for(at_least(4, lambda: stored(granted)), what="the four turns on the page")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["text"] == FIRST_PROMPT and rows[0]["title"] == "Fibonacci in Python"
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    answer = rows[1]["text"]
    assert answer.startswith("An iterative version runs in linear time and constant space:")
    assert "def fib(n):\n    a, b = 0, 1" in answer and "Method\tTime\tSpace" in answer
    assert "$\\varphi$" in answer and "$$F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}$$" in answer
    assert REASONING not in answer  # the answer is the answer, never the reasoning
    assert "Copy" not in answer and "Download" not in answer and "Thought for" not in answer
    assert rows[2]["text"] == NON_LATIN
    assert (
        rows[3]["text"]
        == "黄金比例约等于 1.618，是 斐波那契数列 相邻两项之比的极限。1\n\n它出现在建筑与艺术中。更多"
    )
    for bad in ("javascript:", "onerror", "<script", "<button"):
        assert bad not in rows[3]["html"]
    # What the user gets back: the reasoning quoted ahead of the answer, code with its language.
    exported = {m["message_id"]: m for m in export(granted, "deepseek")}
    markdown = exported[rows[1]["key"]]["markdown"]
    assert markdown.startswith(f"> {REASONING}\n\nAn iterative version runs in linear time")
    assert "```python\ndef fib(n):\n    a, b = 0, 1\n" in markdown
    assert (
        "| Method | Time | Space |" in markdown and "Copy" not in markdown and "Thought for" not in markdown
    )
    assert "[1](https://zh.wikipedia.org/wiki/" in exported[rows[3]["key"]]["markdown"]
    assert granted.dialogs == [] and granted.foreign_requests == []


def test_deepseek_streamed_reasoning_and_answer_then_a_regeneration_are_both_kept(granted: Browser) -> None:
    page = granted.open(DEEPSEEK_URL)
    wait_for(at_least(4, lambda: stored(granted)), what="the four turns on the page")
    thought = "Quick check of the recurrence before answering."
    first = "Memoisation also works but needs linear extra space."
    page.evaluate(
        "([p, a, t]) => fixture.ask(p, a, t)", ["Is recursion with a cache better?", first, thought]
    )
    rows = settled(page, granted, 6)
    assert texts(rows)[-2:] == ["Is recursion with a cache better?", first] and len(rows) == 6
    exported = {m["message_id"]: m for m in export(granted, "deepseek")}
    assert exported[rows[-1]["key"]]["markdown"] == f"> {thought}\n\n{first}"

    regenerated = "A cache turns the exponential recursion into linear time."
    page.evaluate("(a) => fixture.regenerate(a)", regenerated)
    rows = wait_for(at_least(7, lambda: stored(granted)), what="the regenerated answer beside the first")
    both = [r for r in rows if r["text"] in (first, regenerated)]
    assert len(both) == 2 and both[0]["parent_key"] == both[1]["parent_key"]
    assert all(r["status"] == "complete" for r in rows)


def test_insert_context_registers_with_deepseeks_react_prompt_box_and_enables_send(tmp_path: Path) -> None:
    from tests.retrieval.test_context_button_e2e import seed

    seed(tmp_path / "vivim-home")
    with granted_browser(tmp_path, "deepseek") as browser:
        page = browser.open(DEEPSEEK_URL)
        insert_context(page, "textarea#chat-input")
        # The page's own (React) state holds the block, after the draft, and Send is enabled.
        state = page.evaluate("fixture.state()")
        assert state.index("Planning a cherry blossom trip") < state.index("Relevant context from my earlier")
        assert page.evaluate("fixture.sendEnabled()") is True
        assert browser.dialogs == []


def history_page(session: str, messages: list[dict[str, Any]], rendered: int) -> bytes:
    """A DeepSeek page that, like the app, fetches its conversation's history_messages at load and
    renders only the newest turns."""
    items = []
    for m in messages[-rendered:]:
        # The app renders \\( x \\) with KaTeX (its TeX kept in an annotation), as the real page does.
        text = re.sub(
            r"\\\((.+?)\\\)",
            lambda t: (
                '<span class="katex"><span class="katex-mathml"><math><semantics><mrow></mrow>'
                f'<annotation encoding="application/x-tex">{t.group(1)}</annotation></semantics></math></span>'
                f'<span class="katex-html" aria-hidden="true">{t.group(1)}</span></span>'
            ),
            m["fragments"][-1]["content"],
        )
        if m["role"] == "USER":
            items.append(
                f'<div class="_9663006"><div class="ds-message"><div class="fbb737a4">{text}</div></div></div>'
            )
        else:
            items.append(
                '<div class="ds-message"><div class="ds-markdown ds-assistant-message-main-content">'
                f'<p class="ds-markdown-paragraph">{text}</p></div></div>'
            )
    api = f"/api/v0/chat/history_messages?chat_session_id={session}&cache_version=0"
    script = (
        "<script>window.loaded = []; fetch(" + json.dumps(api) + ", {credentials: 'include'})"
        ".then((r) => r.json()).then(() => window.loaded.push('ok'), (e) => window.loaded.push(String(e)));</script>"
    )
    body = '<div class="ds-virtual-list-visible-items">' + "".join(items) + "</div>"
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Long chat - DeepSeek</title>{script}</head>'
        f"<body>{body}<textarea id='chat-input'></textarea></body></html>"
    ).encode()


def test_the_pages_own_history_is_stored_whole_with_ids_and_complete_and_the_dom_turns_merge(
    granted: Browser,
) -> None:
    from tests.host.test_network_capture_deepseek import history, long_conversation

    session = "6c5b4a39-2817-4f6e-9d8c-7b6a59483726"
    messages = long_conversation(120)
    url = f"https://chat.deepseek.com/a/chat/s/{session}"
    api = f"https://chat.deepseek.com/api/v0/chat/history_messages?chat_session_id={session}&cache_version=0"
    granted.responses[api] = ("application/json", json.dumps(history(messages, current=120, session=session)))
    granted.responses[url] = ("text/html; charset=utf-8", history_page(session, messages, rendered=6))
    tab = granted.open(url)
    rows: list[dict] = []
    for _ in range(150):
        rows = stored(granted, session)
        keys = {r["key"] for r in rows}
        if {"1", "120"} <= keys and len(rows) >= 180:
            break
        tab.wait_for_timeout(200)
    assert tab.evaluate("window.loaded") == ["ok"]  # the page got its answer, untouched
    tab.wait_for_timeout(QUIET_MS)  # the DOM's six turns arrive too (before or after the payload)
    rows = stored(granted, session)
    answers = [r for r in rows if r["role"] == "assistant" and r["text"].startswith("answer ")]
    assert len(answers) == 60  # one per answer: the DOM's rendered ones merged, not doubled
    assert len([r for r in rows if r["text"].startswith("reasoning about")]) == 60
    assert "answer 119: $x_119$" in texts(rows)
    assert completeness(granted, "deepseek", session) == {
        "status": "complete",
        "stored": 120,
        "expected": 120,
    }
