"""Grok and Microsoft Copilot in real headless Chromium with the real extension and host: optional
sites, read only once granted (test_sites_permissions checks that); their pages at their real URLs
(fixtures of the 2025/2026 markup, and an older markup generation no test scripts), the pages' own
conversation JSON, and `vivim export`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import payloads

from .checks import complete, granted_browser
from .harness import (
    COPILOT_ARTICLE_URL,
    COPILOT_OLDER_URL,
    COPILOT_URL,
    GROK_OLDER_URL,
    GROK_URL,
    Browser,
    at_least,
    export,
    texts,
    wait_for,
)
from .network_pages import as_json, copilot_api, copilot_page, grok_api, grok_page, grok_tree_api

pytestmark = pytest.mark.browser

GROK_ID = GROK_URL.rsplit("/", 1)[1]
COPILOT_ID = COPILOT_URL.rsplit("/", 1)[1]


@pytest.fixture
def granted(tmp_path: Path) -> Iterator[Browser]:
    """A browser where the user granted grok.com and copilot.microsoft.com in the popup."""
    with granted_browser(tmp_path, "grok", "copilot") as browser:
        yield browser


def test_grok_turns_ids_reasoning_code_streaming_and_regenerate_are_kept(granted: Browser) -> None:
    browser = granted
    page = browser.open(GROK_URL)
    rows = wait_for(at_least(4, lambda: browser.messages("grok", GROK_ID)), what="the four turns")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    # keys are the response ids the page puts on each turn (the ids of the page's JSON and the export)
    assert [r["key"] for r in rows] == [f"11111111-aaaa-4bbb-8ccc-00000000000{i}" for i in range(1, 5)]
    assert all(r["provider_message_id"] == r["key"] for r in rows)
    assert rows[0]["text"] == "How do I keep the running median of a stream?\nNumbers arrive one by one."
    assert rows[0]["title"] == "Median of a stream" and rows[1]["model"] == "Grok 4"
    answer = rows[1]["text"]
    assert answer.startswith("Keep two heaps") and "heapq.heappush(low, -x)" in answer
    assert "Two heaps: inserts" not in answer and "Thought for" not in answer  # reasoning apart
    assert rows[2]["text"] == "Danke! 日本語で一言？ Ελληνικά; <img src=x onerror=alert('pwned-grok')>"
    assert "javascript:" not in rows[3]["html"]
    exported = export(browser, "grok")
    assert [m["text"] for m in exported] == texts(rows)
    markdown = exported[1]["markdown"]
    assert markdown.startswith("> Two heaps: inserts in O(log n), the median at the tops.\n\n")
    assert (
        "```python\nlow, high = [], []  # max-heap (negated), min-heap\nheapq.heappush(low, -x)\n```"
        in markdown
    )
    assert "$O(\\log n)$" in markdown and "| two heaps | O(log n) |" in markdown
    assert "[wikipedia](https://en.wikipedia.org/wiki/Median)" in markdown  # the cited URL is kept
    assert "2 web pages" not in markdown and "Copy" not in markdown

    first = "Use two heaps and rebalance."
    page.evaluate("([p, a]) => fixture.ask(p, a)", ["Und in Rust?", first])
    rows = wait_for(
        lambda: (
            (r := browser.messages("grok", GROK_ID)) and len(r) >= 6 and r[-1]["status"] == "complete" and r
        ),
        what="the streamed answer",
    )
    assert rows[-1]["text"] == first
    retried = "In Rust: two BinaryHeaps, one of them with Reverse."
    page.evaluate("(a) => fixture.regenerate(a)", retried)
    rows = wait_for(
        lambda: (
            (r := browser.messages("grok", GROK_ID))
            and retried in texts(r)
            and r[-1]["status"] == "complete"
            and r
        ),
        what="the regenerated answer beside the first",
    )
    both = [r for r in rows if r["text"] in (first, retried)]
    assert len(both) == 2 and both[0]["parent_key"] == both[1]["parent_key"]
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_copilot_turns_reasoning_code_and_streaming_are_kept(granted: Browser) -> None:
    browser = granted
    page = browser.open(COPILOT_URL)
    rows = wait_for(at_least(4, lambda: browser.messages("copilot", COPILOT_ID)), what="the four turns")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["text"] == "Plan a 3-day trip to Kyoto.\nTemples in the morning, tea in the afternoon."
    assert rows[0]["title"] == "Kyoto in three days" and rows[1]["model"] == "Smart (GPT-5)"
    assert "Cluster sights" not in rows[1]["text"] and "Copilot said" not in rows[1]["text"]
    assert (
        rows[2]["text"] == "Und auf Japanisch? 京都で一番の寺は？ <img src=x onerror=alert('pwned-copilot')>"
    )
    assert "javascript:" not in rows[3]["html"]
    # an answer in two message-item blocks (2026 markup) is read whole, in order
    first, second = rows[3]["text"].split("\n\n")
    assert (first, second) == ("清水寺がおすすめです。 Mehr", "朝六時から開いています。")
    exported = export(browser, "copilot")
    assert [m["text"] for m in exported] == texts(rows)
    markdown = exported[1]["markdown"]
    assert markdown.startswith("> Cluster sights by district to cut transit.\n\n")
    assert '```python\ndays = ["Higashiyama", "Fushimi", "Arashiyama"]\nprint(len(days))\n```' in markdown
    assert "$\\frac{40000}{3}$" in markdown and "| 2 | Fushimi |" in markdown
    assert "[japan-guide](https://www.japan-guide.com/e/e2158.html)" in markdown
    assert "Sources" not in markdown and "Copy" not in markdown

    answer = "Kinkaku-ji is best in the early morning light."
    page.evaluate("([p, a]) => fixture.ask(p, a)", ["And the golden pavilion?", answer])
    rows = wait_for(
        lambda: (
            (r := browser.messages("copilot", COPILOT_ID))
            and len(r) >= 6
            and r[-1]["status"] == "complete"
            and r
        ),
        what="the streamed answer",
    )
    assert rows[-1]["text"] == answer and len(rows) == 6
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_older_markup_that_no_test_scripts_is_captured_completely(granted: Browser) -> None:
    browser = granted
    browser.open(GROK_OLDER_URL)
    browser.open(COPILOT_OLDER_URL)
    grok = wait_for(
        at_least(2, lambda: browser.messages("grok", GROK_OLDER_URL.rsplit("/", 1)[1])), what="grok"
    )
    assert [(r["role"], r["text"]) for r in grok] == [
        ("user", "At what temperature should I brew gyokuro?"),
        (
            "assistant",
            "Cool water: 50–60 °C for about two minutes.\n\nHotter water pulls out bitterness.\n"
            "玉露は低温でゆっくり。\npython\ntemp_c = 55\nsteep_s = 120",
        ),
    ]
    assert grok[0]["title"] == "Tea brewing temperatures"
    assert "```python\ntemp_c = 55\nsteep_s = 120\n```" in grok[1]["markdown"]  # a code block without <pre>
    copilot = wait_for(
        at_least(2, lambda: browser.messages("copilot", COPILOT_OLDER_URL.rsplit("/", 1)[1])), what="copilot"
    )
    assert [(r["role"], r["text"]) for r in copilot] == [
        ("user", "How long do I boil an egg for a runny yolk?"),
        (
            "assistant",
            "About 6 minutes from boiling water, then cold water.\n\nLarge eggs: add 30 seconds.\n半熟卵なら6分半。",
        ),
    ]
    assert copilot[1]["parent_key"] == copilot[0]["key"]


def test_the_pages_own_json_makes_both_conversations_complete(granted: Browser) -> None:
    browser = granted
    grok_id = "8c2f3e4d-5b6c-4d7e-9f80-a1b2c3d4e5f6"
    doc = payloads.grok_load_responses(grok_id, 60, branch_at=9)
    browser.responses[grok_api(grok_id)] = as_json(doc)
    browser.responses[grok_tree_api(grok_id)] = as_json(payloads.grok_tree(doc))
    grok_url = f"https://grok.com/c/{grok_id}"
    browser.responses[grok_url] = ("text/html; charset=utf-8", grok_page(grok_id, doc, rendered=10))
    tab = browser.open(grok_url)
    complete(tab, browser, "grok", grok_id)
    rows = browser.messages("grok", grok_id)
    assert {r["text"] for r in rows} == {payloads.turn_text(i) for i in range(60)} | {
        payloads.HIDDEN_BRANCH_TEXT
    }
    tab.wait_for_timeout(2000)  # the DOM's 10 turns share the response ids: merged, not duplicated
    assert len(browser.messages("grok", grok_id)) == 61

    copilot_id = "Zz9yX8wV7uT6sR5qP4oN3"
    pages = payloads.copilot_history(copilot_id, 40, page_size=25)
    api = copilot_api(copilot_id)
    paths = [f"{api}?api-version=2", f"{api}?api-version=2&cursor=cursor-25"]
    for path, body in zip(paths, pages):
        browser.responses[path] = as_json(body)
    copilot_url = f"https://copilot.microsoft.com/chats/{copilot_id}"
    browser.responses[copilot_url] = (
        "text/html; charset=utf-8",
        copilot_page(copilot_id, pages, paths, rendered=8),
    )
    tab = browser.open(copilot_url)
    complete(tab, browser, "copilot", copilot_id)
    tab.wait_for_timeout(2000)  # the DOM's 8 turns carry no ids: merged by their text
    rows = browser.messages("copilot", copilot_id)
    assert sorted(r["text"] for r in rows) == sorted(payloads.turn_text(i) for i in range(40))


def test_copilot_article_markup_of_2026_is_captured_whole(granted: Browser) -> None:
    """Turns as [role=article] in highlighted-chats, an answer over two message-item blocks, code in a
    rounded card: a page no other test scripts."""
    browser = granted
    browser.open(COPILOT_ARTICLE_URL)
    conv_id = COPILOT_ARTICLE_URL.rsplit("/", 1)[1]
    rows = wait_for(at_least(4, lambda: browser.messages("copilot", conv_id)), what="the four turns")
    assert [(r["role"], r["text"]) for r in rows] == [
        ("user", "How much water for two cups of sushi rice?"),
        (
            "assistant",
            "Use 2¼ cups of water for 2 cups of rinsed rice.\n\nThe ratio, by weight:\n\ntext\nrice : water = 1 : 1.1",
        ),
        ("user", "酢飯の合わせ酢は？"),
        ("assistant", "米2合に酢大さじ3、砂糖大さじ2、塩小さじ1。"),
    ]
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    assert rows[0]["title"] == "Sushi rice ratio"
    markdown = export(browser, "copilot")[1]["markdown"]
    assert "Use **2¼ cups** of water" in markdown
    assert "The ratio, by weight:\n\n```text\nrice : water = 1 : 1.1\n```" in markdown
