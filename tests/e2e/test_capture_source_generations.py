"""A conversation on each new site in the markup generation that public tools for that site document.

The adapters were written from what their authors could find; exporters, userscripts and clients that
read these sites (named in each fixture's comment and in the adapter's header) show other shapes of the
same pages: rows without keys, role boxes known only by a class fragment, bubbles without wrappers.
With the site granted, the real extension captures such a page completely, in order, with parent links,
and the Markdown the user exports keeps its code, lists and non-Latin text. What must be stored is in
`tests/fixtures/sites/<key>/<page>.expected.json` (the unseen-page format: `external_id`, `turns` as
[role, text] pairs, optionally `title`, `provider_message_ids` (the ids the page names, in order; null
where it names none), `markdown_contains` and `markdown_lacks`). ChatGPT, Claude and Gemini are on from
install; the other sites start granted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from . import harness
from .checks import check_capture
from .harness import SOURCE_GENERATIONS, Browser, at_least, wait_for

# Sites whose origins the manifest grants at install (the others are optional: granted per test).
BUILT_IN = {"chatgpt", "claude", "gemini"}

pytestmark = pytest.mark.browser


def expected_for(fixture: str) -> dict[str, Any]:
    path = harness.SITE_FIXTURES / fixture.replace(".html", ".expected.json")
    expected: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return expected


# Further documented generations of a site (each also a line of harness.PAGES).
MORE_GENERATIONS = [
    (
        "chatgpt",
        "https://chatgpt.com/uc/6ac003a8-d54c-83ea-bb04-28d7229e9e47",
        "chatgpt/transcript_2026.html",
    ),
]
GENERATIONS = [(site, *SOURCE_GENERATIONS[site]) for site in sorted(SOURCE_GENERATIONS)] + MORE_GENERATIONS


@pytest.mark.parametrize(("site", "url", "fixture"), GENERATIONS, ids=[f for *_, f in GENERATIONS])
def test_a_page_in_another_documented_generation_is_captured_completely(
    site: str, url: str, fixture: str, tmp_path: Path
) -> None:
    browser = Browser(tmp_path, grant=() if site in BUILT_IN else (site,))
    try:
        check_capture(browser, site, url, expected_for(fixture))
    finally:
        browser.close()


DEEPSEEK_SIDE_PANEL_URL = "https://chat.deepseek.com/a/chat/s/5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f"
RENDER_CHAT_ROWS = """() => {
  const rows = document.getElementById("chat-rows");
  rows.replaceWith(rows.content.cloneNode(true));
}"""


def test_deepseeks_chat_rendered_after_a_side_panels_list_is_still_captured(tmp_path: Path) -> None:
    """The side panel's virtual list is on the page first: capture must not settle on watching it."""
    expected = expected_for(SOURCE_GENERATIONS["deepseek"][1])
    external_id = DEEPSEEK_SIDE_PANEL_URL.rsplit("/", 1)[1]
    browser = Browser(tmp_path, grant=("deepseek",))
    try:
        page = browser.open(DEEPSEEK_SIDE_PANEL_URL)
        # Two snapshots: the first asks the host what it has, the second reads the page once that is known.
        wait_for(lambda: browser.snapshots(page) >= 2, what="the capture's first looks at the page")
        assert browser.messages("deepseek", external_id) == []
        page.evaluate(RENDER_CHAT_ROWS)
        turns = [tuple(t) for t in expected["turns"]]
        rows = wait_for(
            at_least(len(turns), lambda: browser.messages("deepseek", external_id)), what="the chat's turns"
        )
        assert [(r["role"], r["text"]) for r in rows] == turns
        assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    finally:
        browser.close()


# DeepSeek's round Send button turns into Stop in place (measured 2026-10: same element, same classes,
# no aria-label); only its icon's path changes, from the arrow to this square.
DEEPSEEK_SQUARE = (
    "M2 4.88C2 3.68009 2.97258 2.70751 4.17249 2.70751H11.8275C13.0274 2.70751 14 3.68009 14 4.88V11.12Z"
)
DEEPSEEK_ARROW = (
    "M8.3125 0.980206C8.136 0.804 7.864 0.804 7.688 0.980206L2.5 6.17L3.5 7.17L7.3 3.37V15H8.7V3.37Z"
)
DEEPSEEK_STREAM = """([square, prompt, partial]) => {
  const list = document.querySelector(".ds-virtual-list--printable .ds-virtual-list-visible-items");
  const row = (cls, inner) => {
    const r = document.createElement("div");
    r.className = "_4f9bf79 _43c05b5";
    const m = document.createElement("div");
    m.className = "_9663006 ds-message";
    const body = document.createElement("div");
    body.className = cls;
    body.textContent = inner;
    m.append(body);
    r.append(m);
    list.append(r);
    return body;
  };
  row("ds-collapsible-text", prompt);
  window.answer = row("ds-markdown ds-assistant-message-main-content", partial);
  document.querySelector(".ds-button--circle path").setAttribute("d", square);
}"""


def test_deepseeks_icon_only_stop_keeps_an_answer_streaming_until_it_turns_back(
    tmp_path: Path,
) -> None:
    url, fixture = SOURCE_GENERATIONS["deepseek"]
    external_id = expected_for(fixture)["external_id"]
    browser = Browser(tmp_path, grant=("deepseek",))
    try:
        page = browser.open(url)
        wait_for(at_least(4, lambda: browser.messages("deepseek", external_id)), what="the page's turns")
        page.evaluate(DEEPSEEK_STREAM, [DEEPSEEK_SQUARE, "And rye flour?", "Rye drinks more"])
        streaming = wait_for(
            lambda: (r := browser.messages("deepseek", external_id)) and len(r) >= 6 and r,
            what="the answer being written",
        )
        assert streaming[-1]["status"] == "streaming" and streaming[-1]["role"] == "assistant"
        final = "Rye drinks more water: go up to 75%."
        page.evaluate(
            "([arrow, text]) => { window.answer.textContent = text;"
            " document.querySelector('.ds-button--circle path').setAttribute('d', arrow); }",
            [DEEPSEEK_ARROW, final],
        )
        rows = wait_for(
            lambda: (r := browser.messages("deepseek", external_id)) and r[-1]["status"] == "complete" and r,
            what="the finished answer",
        )
        assert [r["text"] for r in rows[-2:]] == ["And rye flour?", final] and len(rows) == 6
    finally:
        browser.close()


AISTUDIO_STREAM = """([prompt, partial]) => {
  const list = document.querySelector("ms-autoscroll-container");
  const turn = (box, chunk, text) => {
    const t = document.createElement("ms-chat-turn");
    const b = document.createElement("div");
    b.className = box + " turn-box";
    const content = document.createElement("div");
    content.className = "turn-content";
    const c = document.createElement(chunk);
    const p = document.createElement("p");
    p.textContent = text;
    c.append(p);
    content.append(c);
    b.append(content);
    t.append(b);
    list.append(t);
    return p;
  };
  turn("ms-user-prompt-container", "ms-prompt-chunk", prompt);
  window.answer = turn("ms-model-prompt-container", "ms-response-chunk", partial);
  document.querySelector("ms-prompt-box ms-run-button .label").textContent = "Stop";
}"""


def test_ai_studios_run_button_reading_stop_keeps_an_answer_streaming(tmp_path: Path) -> None:
    url, fixture = SOURCE_GENERATIONS["aistudio"]
    external_id = expected_for(fixture)["external_id"]
    browser = Browser(tmp_path, grant=("aistudio",))
    try:
        page = browser.open(url)
        wait_for(at_least(4, lambda: browser.messages("aistudio", external_id)), what="the page's turns")
        page.evaluate(AISTUDIO_STREAM, ["And for winter?", "雪 (yuki)"])
        streaming = wait_for(
            lambda: (r := browser.messages("aistudio", external_id)) and len(r) >= 6 and r,
            what="the answer being written",
        )
        assert streaming[-1]["status"] == "streaming" and streaming[-1]["role"] == "assistant"
        final = "雪 (yuki), snow."
        page.evaluate(
            "(text) => { window.answer.textContent = text;"
            " document.querySelector('ms-prompt-box ms-run-button .label').textContent = 'Run'; }",
            final,
        )
        rows = wait_for(
            lambda: (r := browser.messages("aistudio", external_id)) and r[-1]["status"] == "complete" and r,
            what="the finished answer",
        )
        assert [r["text"] for r in rows[-2:]] == ["And for winter?", final] and len(rows) == 6
    finally:
        browser.close()
