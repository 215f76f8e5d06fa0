"""Google AI Studio in real headless Chromium: the pages at their real URLs, the real extension and host.

AI Studio is an optional site: these tests start with its origin granted (`Browser(grant=("aistudio",))`,
the state after the user turned it on in the popup; the service worker registers its scripts), and one
checks that without the grant its pages are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import harness
from .checks import complete, insert_context
from .harness import AISTUDIO_NEW_URL, AISTUDIO_URL, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

PROMPT_ID = AISTUDIO_URL.rsplit("/", 1)[1]
RPC = (
    "https://alkalimakersuite-pa.clients6.google.com/$rpc/google.internal.alkali.applications."
    "makersuite.v1.MakerSuiteService/ResolveDriveResource"
)
PAYLOAD = harness.SITE_FIXTURES / "aistudio" / "resolve_drive_resource.json"


@pytest.fixture
def granted(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path, grant=("aistudio",))
    yield b
    b.close()


def aistudio(browser: Browser, external_id: str = PROMPT_ID) -> list[dict[str, Any]]:
    return browser.messages("aistudio", external_id)


def test_aistudio_turns_thoughts_code_math_and_hostile_text_are_captured_as_written(granted: Browser) -> None:
    granted.open(AISTUDIO_URL)
    rows = wait_for(at_least(4, lambda: aistudio(granted)), what="the four turns on the page")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["title"] == "Dijkstra vs A star"
    assert (
        rows[0]["text"]
        == "Compare Dijkstra and A* for a grid with weights 1–9. Ответь кратко. 日本語の説明も一行お願いします。"
    )
    assert rows[1]["model"] == "Gemini 2.5 Pro"
    assert "never overestimates" not in rows[1]["text"]  # the thoughts are not the answer
    assert rows[2]["text"] == "Is <b>this</b> <img src=x onerror=alert('pwned-aistudio')> rendered?"
    assert "javascript:" not in rows[3]["html"]
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    exported = export(granted, "aistudio")
    assert [m["text"] for m in exported] == texts(rows)
    answer = exported[1]["markdown"]
    assert answer.startswith("> **Choosing the heuristic**\n>\n> With weights of at least 1")
    assert "```python\ndef h(p, goal):\n    return abs(p[0] - goal[0]) + abs(p[1] - goal[1])\n```" in answer
    assert "$c(p) = \\sum_{v \\in p} w(v)$" in answer and "| A\\* | **388** |" in answer
    assert "日本語：A\\* はヒューリスティックで探索を絞ります。" in answer
    for chrome in ("Thoughts", "content_copy", "more_vert", "14.2s", "thumb_up", "Expand to view"):
        assert chrome not in answer
    assert granted.dialogs == [] and granted.foreign_requests == []


def test_aistudio_streamed_answer_and_rerun_are_kept(granted: Browser) -> None:
    page = granted.open(AISTUDIO_URL)
    wait_for(at_least(4, lambda: aistudio(granted)), what="the turns on the page")
    answer = "Octile distance: max plus the diagonal surplus, still admissible with eight moves."
    page.evaluate("([p, a]) => fixture.ask(p, a)", ["And with diagonal moves?", answer])
    rows = wait_for(
        lambda: (r := aistudio(granted)) and len(r) >= 6 and r[-1]["status"] == "complete" and r,
        what="the streamed answer",
    )
    assert rows[-1]["text"] == answer and rows[-2]["text"] == "And with diagonal moves?"
    assert rows[-1]["parent_key"] == rows[-2]["key"] and rows[-2]["parent_key"] == rows[3]["key"]
    assert [r["position"] for r in rows] == list(range(6))

    rerun = "Use the octile distance; Chebyshev overestimates nothing either but expands more cells."
    page.evaluate("(a) => fixture.rerun(a)", rerun)
    rows = wait_for(at_least(7, lambda: aistudio(granted)), what="the rerun answer beside the first")
    assert answer in texts(rows) and rerun in texts(rows)
    both = [r for r in rows if r["text"] in (answer, rerun)]
    assert both[0]["parent_key"] == both[1]["parent_key"] and both[0]["position"] == both[1]["position"]
    assert all(r["status"] == "complete" for r in rows)

    page.reload()  # the page renders the saved chat again (new turn ids): nothing is stored twice
    wait_for(lambda: granted.snapshots(page) > 1, what="the capture core to read the reloaded page")
    page.wait_for_timeout(2500)
    assert len(aistudio(granted)) == len(rows)


def test_aistudio_the_pages_prompt_payload_makes_the_conversation_complete(granted: Browser) -> None:
    granted.responses[RPC] = (
        "application/json+protobuf; charset=UTF-8",
        PAYLOAD.read_bytes(),
        {"access-control-allow-origin": "https://aistudio.google.com"},
    )
    page = granted.open(AISTUDIO_URL)
    assert page.evaluate("() => fixture.loadPrompt()") > 100
    complete(page, granted, "aistudio", PROMPT_ID)
    rows = aistudio(granted)
    stored = texts(rows)
    assert "And with diagonal moves?" in stored  # a turn the page never rendered, from the payload
    assert any("never overestimates" in t for t in stored)  # the thoughts, a turn of their own
    assert granted.foreign_requests == []


def test_aistudio_new_chat_is_not_stored_until_the_url_names_the_prompt(granted: Browser) -> None:
    page = granted.open(AISTUDIO_NEW_URL)
    wait_for(lambda: granted.snapshots(page) > 0, what="the capture core to look at the page")
    page.wait_for_timeout(1500)
    assert granted.conversation_count() == 0


def test_aistudio_not_enabled_is_never_read(browser: Browser) -> None:
    """The shipped extension, AI Studio not turned on: no VIVIM script runs on its pages at all."""
    tab = browser.open(AISTUDIO_URL)
    tab.wait_for_timeout(3000)
    assert browser.snapshots(tab) == 0
    # Nor the network observer: the page's XMLHttpRequest is the browser's own.
    assert re.search(
        r"\{\s*\[native code\]\s*\}$", tab.evaluate("() => XMLHttpRequest.prototype.open.toString()")
    )
    assert browser.conversation_count() == 0


def test_aistudio_insert_context_registers_with_the_prompt_box_and_enables_run(tmp_path: Path) -> None:
    from tests.retrieval.test_context_button_e2e import seed

    seed(tmp_path / "vivim-home")
    browser = Browser(tmp_path, grant=("aistudio",))
    try:
        page = browser.open(AISTUDIO_URL)
        run = page.locator("ms-run-button button")
        assert not run.is_enabled()
        prompt_box = "ms-prompt-box textarea"
        state = insert_context(page, prompt_box)
        assert state["shown"] and state["state"] == "ready"
        value = page.locator(prompt_box).input_value()  # what the page itself reads from its prompt box
        assert value.index("Planning a cherry blossom trip") < value.index("Relevant context from my earlier")
        assert '"Two weeks in Japan itinerary" (Gemini,' in value
        assert run.is_enabled()
        assert browser.dialogs == []
    finally:
        browser.close()


def test_aistudio_granted_but_switched_off_reads_neither_the_page_nor_its_prompt_payload(
    granted: Browser,
) -> None:
    from .test_sites_permissions import QUIET_MS, nothing_read

    granted.set_site_enabled("aistudio", False)
    wait_for(lambda: granted.registered_scripts() == [], what="AI Studio's scripts to be unregistered")
    granted.responses[RPC] = (
        "application/json+protobuf; charset=UTF-8",
        PAYLOAD.read_bytes(),
        {"access-control-allow-origin": "https://aistudio.google.com"},
    )
    page = granted.open(AISTUDIO_URL)
    assert page.evaluate("() => fixture.loadPrompt()") > 100  # the page loaded its prompt as usual
    page.wait_for_timeout(QUIET_MS)
    assert nothing_read(page) == {"snapshots": 0, "handovers": 0, "sends": 0}
    assert granted.conversation_count() == 0
