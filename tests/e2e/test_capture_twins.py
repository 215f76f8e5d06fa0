"""One turn is stored once, whichever path saw it first: on the sites whose page gives turns no ids
(DeepSeek, Copilot), the DOM capture (the rendered page) and the network capture (the page's own JSON)
of an answer with math, a table, code, a list, a citation and a link merge into one row, in either order,
though the two renderings differ; two "Yes." replies at two places stay two turns. Real headless Chromium,
the real extension (the site granted), the real host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import twin_pages
from .checks import granted_browser
from .harness import Browser, export

pytestmark = pytest.mark.browser

DEEPSEEK_SESSION = "7d6c5b4a-3928-4170-8e9d-0a1b2c3d4e5f"
COPILOT_CHAT = "Tw1nsCh4tQx8vR2mN6pL0"
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
    """The conversation's turns, without DeepSeek's web-search tool turn (only its JSON has it)."""
    return [r for r in rows if not r["markdown"].startswith("**Sources**")]


def ids(rows: list[dict[str, Any]]) -> list[str | None]:
    return [r["provider_message_id"] for r in turns(rows)]


def one_each(rows: list[dict[str, Any]], site: str) -> None:
    """Six turns, the answer once with the provider's structure, the two "Yes." at their own places
    (and on DeepSeek the web search the answer cites, a tool turn only the JSON has)."""
    rows = turns(rows)
    assert [r["role"] for r in rows] == ["user", "assistant"] * 3, [
        (r["key"], r["parent_key"], r["provider_message_id"], r["position"], r["text"][:20]) for r in rows
    ]
    assert [r["position"] for r in rows] == sorted({r["position"] for r in rows})
    assert [r["provider_message_id"] for r in rows] == SITES[site]["ids"]
    assert [r["parent_key"] for r in rows[2:]] == [r["key"] for r in rows[1:-1]]
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
        return browser.messages(name, info["external_id"])

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
