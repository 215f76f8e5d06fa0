"""Perplexity in real headless Chromium, granted as the user grants an optional site: the thread at its
real URL, the real extension (its scripts registered by the service worker) and the real host; what the
user gets back is checked through `vivim export --format jsonl`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import perplexity as pp

from .checks import granted_browser
from .harness import PERPLEXITY_2024_URL, PERPLEXITY_URL, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

SLUG = PERPLEXITY_URL.rsplit("/", 1)[1]
FIRST = "Why do tide tables differ between nearby harbours?"
JAPANESE = "近くの港でも、海岸線と水深の違いによって満潮の時刻が変わります。詳しく"
HOSTILE_QUERY = "Give me the same in Japanese, one sentence. <img src=x onerror=\"alert('pwned-query')\">"


@pytest.fixture
def granted(tmp_path: Path) -> Iterator[Browser]:
    with granted_browser(tmp_path, "perplexity") as browser:
        yield browser


def stored(browser: Browser, slug: str = SLUG) -> list[dict]:
    return browser.messages("perplexity", slug)


def test_perplexity_thread_is_captured_in_order_with_exact_text_and_inert_markup(granted: Browser) -> None:
    granted.open(PERPLEXITY_URL)
    rows = wait_for(at_least(6, lambda: stored(granted)), what="the six turns of the thread")
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3
    assert rows[0]["text"] == FIRST
    assert rows[0]["title"] == FIRST and rows[0]["url"] == PERPLEXITY_URL
    assert rows[1]["text"] == (
        "Tides are shaped by the coastline and the depth of the water near each harbour, so two ports a few"
        " kilometres apart can see high water at different times.\n\nShelf width slows the tidal wave.\n"
        "Estuaries amplify the range."
    )  # the citation chip is a link in the Markdown, not a word in the text
    assert rows[2]["text"] == HOSTILE_QUERY and rows[3]["text"] == JAPANESE
    assert "javascript:" not in rows[3]["html"] and "<img" not in rows[2]["html"]
    assert "evil.example/template" not in rows[3]["html"]
    long_answer = rows[5]["text"]
    assert "def height(t, parts):\n    return sum(" in long_answer and "python\ndef" not in long_answer
    assert "Constituent\tPeriod (h)" in long_answer and "$A_i$" in long_answer
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    assert granted.dialogs == [] and granted.foreign_requests == []

    exported = export(granted, "perplexity")
    assert [m["text"] for m in exported] == texts(rows)
    markdown = exported[1]["markdown"]
    assert "different times [noaa](https://tidesandcurrents.noaa.gov/restles1.html)." in markdown
    assert "- **Shelf width** slows the tidal wave." in markdown
    long_md = exported[5]["markdown"]
    assert "```python\ndef height(t, parts):\n" in long_md
    assert "| Constituent | Period (h) |" in long_md and "$$h(t) = \\sum_i A_i" in long_md
    assert "Copy" not in long_md and "Export to Sheets" not in long_md


def test_perplexity_streamed_answer_is_stored_when_it_settles_and_again_when_it_completes(
    granted: Browser,
) -> None:
    page = granted.open(PERPLEXITY_URL)
    wait_for(at_least(6, lambda: stored(granted)), what="the thread")
    page.evaluate("([q, a]) => fixture.startAnswer(q, a)", ["And in a river mouth?", "Rivers push the tide"])
    rows = wait_for(
        lambda: (r := stored(granted)) and len(r) >= 8 and r[-1]["status"] == "streaming" and r,
        what="the answer stored while it streams",
    )
    assert rows[-1]["text"] == "Rivers push the tide"
    page.evaluate("(rest) => fixture.finish(rest)", "back, so high water comes later upstream.")
    rows = wait_for(
        lambda: (r := stored(granted)) and r[-1]["status"] == "complete" and r, what="the finished answer"
    )
    assert rows[-1]["text"] == "Rivers push the tide back, so high water comes later upstream."
    assert len(rows) == 8  # the streaming snapshot was replaced, not kept beside the answer


def test_perplexity_thread_json_makes_the_thread_complete_with_sources_and_no_duplicates(
    granted: Browser,
) -> None:
    pages = pp.thread_pages(25, 10)
    for url, doc in pages:
        granted.responses[url] = ("application/json", json.dumps(doc).encode())
    entries = [e for _, doc in pages for e in doc["entries"]]
    html = pp.thread_page_html("Tides", entries[-4:], [url for url, _ in pages])
    granted.responses[PERPLEXITY_URL] = ("text/html; charset=utf-8", html)
    page = granted.open(PERPLEXITY_URL)
    wait_for(lambda: page.evaluate("window.loaded && window.loaded.length") == 3, what="the page's fetches")
    rows = wait_for(
        lambda: (r := stored(granted)) and len(r) >= 75 and r, what="every entry, answer and source list"
    )
    page.wait_for_timeout(2000)  # the DOM's turns arrive too (before or after): they must merge
    rows = stored(granted)
    queries = [r["text"] for r in rows if r["role"] == "user"]
    assert queries == [pp.query_text(i) for i in range(25)]
    answers = [r["text"] for r in rows if r["role"] == "assistant" and not r["text"].startswith("Tide note")]
    assert answers == [pp.answer_text(i) for i in range(25)]
    assert len(rows) == 75
    reply = page_conversation(granted)
    assert reply["completeness"]["status"] == "complete"
    exported = export(granted, "perplexity")
    sources = [m for m in exported if m.get("kind") == "sources"]
    assert len(sources) == 25 and "https://tides.example.org/notes/24/2" in sources[-1]["markdown"]


def page_conversation(browser: Browser) -> dict:
    popup = browser.open_popup()
    try:
        reply = popup.evaluate(
            "(slug) => chrome.runtime.sendMessage({kind: 'request', type: 'conversation.get',"
            " payload: {provider: 'perplexity', external_id: slug}})",
            SLUG,
        )
    finally:
        popup.close()
    assert reply["ok"], reply
    return reply["result"]["conversation"]


def test_unseen_perplexity_thread_in_2024_markup_is_captured_completely(granted: Browser) -> None:
    url = PERPLEXITY_2024_URL
    granted.open(url)
    slug = url.rsplit("/", 1)[1]
    rows = wait_for(at_least(4, lambda: stored(granted, slug)), what="the unseen thread")
    assert [(r["role"], r["text"]) for r in rows] == [
        ("user", "Best time of day to see the bore on the Severn?\nAnswer briefly."),
        ("assistant", "Around the spring tides, roughly an hour before local high water at Sharpness."),
        ("user", "Und auf Deutsch?"),
        ("assistant", "Zur Springflut, etwa eine Stunde vor Hochwasser in Sharpness."),
    ]
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    markdown = export(granted, "perplexity")[1]["markdown"]
    assert "Sharpness [1](https://www.severn-bore.co.uk/)." in markdown
