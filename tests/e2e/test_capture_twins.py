"""One turn is stored once, whichever path saw it first: on the sites whose page gives turns no ids
(DeepSeek, Copilot), the DOM capture (the rendered page) and the network capture (the page's own JSON)
of an answer with math, a table, code, a list, a citation and a link merge into one row, in either order,
though the two renderings differ; two "Yes." replies at two places stay two turns. Real headless Chromium,
the real extension (the site granted), the real host."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.support import perplexity as pp

from . import twin_pages
from .checks import granted_browser
from .harness import Browser, export

pytestmark = pytest.mark.browser

DEEPSEEK_SESSION = "7d6c5b4a-3928-4170-8e9d-0a1b2c3d4e5f"
COPILOT_CHAT = "Tw1nsCh4tQx8vR2mN6pL0"
PERPLEXITY_SLUG = "compare-fibonacci-methods-Tw1nS8xQ2mR4vN6pL0kJ9h"
SITES: dict[str, dict[str, Any]] = {
    "deepseek": {
        "external_id": DEEPSEEK_SESSION,
        "url": f"https://chat.deepseek.com/a/chat/s/{DEEPSEEK_SESSION}",
        "api": twin_pages.deepseek_api(DEEPSEEK_SESSION),
        "doc": lambda: twin_pages.deepseek_history(DEEPSEEK_SESSION),
        "page": lambda: twin_pages.deepseek_page(DEEPSEEK_SESSION),
        "ids": [str(i) for i in range(1, 7)],
    },
    "copilot": {
        "external_id": COPILOT_CHAT,
        "url": f"https://copilot.microsoft.com/chats/{COPILOT_CHAT}",
        "api": twin_pages.copilot_api(COPILOT_CHAT),
        "doc": lambda: twin_pages.copilot_history(COPILOT_CHAT),
        "page": lambda: twin_pages.copilot_page(COPILOT_CHAT),
        "ids": [twin_pages.copilot_id(COPILOT_CHAT, i) for i in range(6)],
    },
    "perplexity": {
        "external_id": PERPLEXITY_SLUG,
        "url": f"https://www.perplexity.ai/search/{PERPLEXITY_SLUG}",
        "api": twin_pages.perplexity_api(PERPLEXITY_SLUG),
        "doc": lambda: twin_pages.perplexity_history(PERPLEXITY_SLUG),
        "page": lambda: twin_pages.perplexity_page(PERPLEXITY_SLUG),
        "ids": [k for i in range(3) for k in (f"{pp.entry_uuid(i)}:query", pp.entry_uuid(i))],
    },
}


@pytest.fixture(params=sorted(SITES))
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Browser]]:
    import json

    info = SITES[request.param]
    with granted_browser(tmp_path, request.param) as browser:
        browser.responses[info["api"]] = ("application/json", json.dumps(info["doc"]()))
        browser.responses[info["url"]] = ("text/html; charset=utf-8", info["page"]())
        yield request.param, browser


def settle(tab: Any, until: Callable[[], bool], what: str) -> None:
    """Wait inside Playwright (so the page's requests are answered meanwhile)."""
    for _ in range(150):
        if until():
            return
        tab.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")


def turns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation's turns, without the asides only the JSON has (DeepSeek's web search, Perplexity's
    source lists: rows with a kind)."""
    return [r for r in rows if not r.get("kind")]


def stored(browser: Browser, provider: str, external_id: str) -> list[dict[str, Any]]:
    """Browser.messages, with each row's kind."""
    db = browser.vivim_home / "vivim.sqlite3"
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r)
            for r in conn.execute(
                "SELECT m.key, m.parent_key, m.provider_message_id, m.position, m.role, m.text, m.markdown, m.status,"
                " m.kind FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " WHERE c.provider = ? AND c.external_id = ? ORDER BY m.position, m.id",
                (provider, external_id),
            )
        ]
    except sqlite3.OperationalError:  # the host is still creating the schema
        return []
    finally:
        conn.close()


def ids(rows: list[dict[str, Any]]) -> list[str | None]:
    return [r["provider_message_id"] for r in turns(rows)]


def one_each(rows: list[dict[str, Any]], site: str) -> None:
    """Six turns, the answer once with the provider's structure, the two "Yes." at their own places
    (and the asides only the JSON has, hung between the turns)."""
    parent_of = {r["key"]: r["parent_key"] for r in rows}
    asides = {r["key"] for r in rows if r.get("kind")}
    rows = turns(rows)
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3, [
        (r["key"], r["parent_key"], r["provider_message_id"], r["position"], r["text"][:20]) for r in rows
    ]
    assert [r["position"] for r in rows] == sorted({r["position"] for r in rows})
    assert [r["provider_message_id"] for r in rows] == SITES[site]["ids"]
    for above, row in pairwise(rows):
        parent = row["parent_key"]
        while parent in asides:
            parent = parent_of[parent]
        assert parent == above["key"], (row["key"], row["parent_key"])
    [answer] = [r for r in rows if "Fibonacci" in r["text"] and r["role"] == "assistant"]
    assert "F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}" in answer["markdown"]  # the TeX, either way
    assert "| Iteration |" in answer["markdown"] and "```python" in answer["markdown"]
    assert [r["text"] for r in rows if r["role"] == "assistant"][1:] == ["Yes.", "Yes."]


@pytest.mark.parametrize("first", ["dom", "network"])
def test_an_answer_rendered_and_in_the_pages_json_is_stored_once_whichever_came_first(
    site: tuple[str, Browser], first: str
) -> None:
    name, browser = site
    info = SITES[name]
    tab = browser.open(info["url"])

    def rows() -> list[dict[str, Any]]:
        return stored(browser, name, info["external_id"])

    if first == "dom":
        tab.evaluate("window.renderTurns()")
        settle(tab, lambda: len(rows()) >= 6 and rows()[-1]["status"] == "complete", "the DOM's six turns")
        assert all(r["provider_message_id"] is None for r in rows())  # the page gave them no ids
        tab.evaluate("window.loadHistory()")
        settle(tab, lambda: ids(rows()) == info["ids"], "the JSON's ids")
    else:
        tab.evaluate("window.loadHistory()")
        settle(tab, lambda: ids(rows()) == info["ids"], "the JSON's turns")
        tab.evaluate("window.renderTurns()")
        settle(
            tab,
            lambda: tab.evaluate("performance.getEntriesByName('vivim:snapshot').length") > 0,
            "a snapshot",
        )
    tab.wait_for_timeout(3000)  # whatever else either path would still send
    assert tab.evaluate("window.loaded") == ["ok"]  # the page got its answer, untouched
    one_each(rows(), name)
    exported = [
        m for m in turns(export(browser, name)) if "Fibonacci" in m["markdown"] and m["role"] == "assistant"
    ]
    assert len(exported) == 1

    again = browser.open(info["url"])  # re-opening: both paths again, nothing new
    again.evaluate("window.renderTurns()")
    again.evaluate("window.loadHistory()")
    again.wait_for_timeout(3000)
    one_each(rows(), name)
