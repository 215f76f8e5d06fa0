"""Claude and Gemini in real headless Chromium: the pages at their real URLs, the real extension and host."""

from __future__ import annotations

import pytest

from .harness import CLAUDE_URL, GEMINI_URL, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

CLAUDE_ID = CLAUDE_URL.rsplit("/", 1)[1]
GEMINI_ID = GEMINI_URL.rsplit("/", 1)[1]


def claude(browser: Browser) -> list[dict]:
    return browser.messages("claude", CLAUDE_ID)


def gemini(browser: Browser) -> list[dict]:
    return browser.messages("gemini", GEMINI_ID)


def test_claude_turns_streaming_retry_and_edit_are_all_kept(browser: Browser) -> None:
    page = browser.open(CLAUDE_URL)
    rows = wait_for(at_least(4, lambda: claude(browser)), what="the four turns on the page")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["text"] == "My sourdough starter smells like nail polish remover. Is it dead?"
    assert rows[0]["title"] == "Sourdough starter troubleshooting"
    assert rows[1]["model"] == "Claude Sonnet 4.5"
    answer = rows[1]["text"]
    assert "Discard all but 50 g." in answer and 'echo "feed at 08:00 and 20:00" >> starter.log' in answer
    assert "$\\frac{1}{2}$" in answer and "Copy" not in answer
    assert (
        rows[2]["text"]
        == "Danke! Und auf Griechisch: πώς λέγεται «προζύμι»; <img src=x onerror=alert('pwned-claude')>"
    )
    assert "javascript:" not in rows[3]["html"]
    assert (
        rows[3]["text"]
        == "Auf Griechisch heißt es «προζύμι» (prozými).\n\nDas Wort kommt von ζύμη, Sauerteig. Mehr"
    )
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    exported = export(browser, "claude")
    assert [m["text"] for m in exported] == texts(rows)
    assert '```bash\necho "feed at 08:00 and 20:00" >> starter.log\n```' in exported[1]["markdown"]
    assert "1. Discard all but 50 g." in exported[1]["markdown"] and "Copy" not in exported[1]["markdown"]

    first = "Ein stabiler Starter verdoppelt sich in vier bis sechs Stunden nach dem Füttern."
    page.evaluate("([p, a]) => fixture.ask(p, a)", ["Wie schnell sollte er wachsen?", first])
    rows = wait_for(
        lambda: (r := claude(browser)) and len(r) >= 6 and r[-1]["status"] == "complete" and r,
        what="the streamed answer",
    )
    assert rows[-1]["text"] == first and len(rows) == 6

    retried = "Nach dem Füttern sollte er sich innerhalb von vier bis acht Stunden verdoppeln."
    page.evaluate("(a) => fixture.retry(a)", retried)
    rows = wait_for(at_least(7, lambda: claude(browser)), what="the retried answer beside the first")
    assert first in texts(rows) and retried in texts(rows)
    both = [r for r in rows if r["text"] in (first, retried)]
    assert both[0]["parent_key"] == both[1]["parent_key"] and both[0]["position"] == both[1]["position"]

    edited = "Wie schnell sollte er bei 20 °C wachsen?"
    slower = "Bei 20 °C dauert es länger: rechne mit acht bis zwölf Stunden."
    page.evaluate("([p, a]) => fixture.editLastPrompt(p, a)", [edited, slower])
    rows = wait_for(at_least(9, lambda: claude(browser)), what="the edited prompt and its answer")
    by_text = {r["text"]: r for r in rows}
    assert by_text[slower]["parent_key"] == by_text[edited]["key"]
    assert by_text[edited]["parent_key"] == by_text["Wie schnell sollte er wachsen?"]["parent_key"]
    assert len(rows) == 9 and all(r["status"] == "complete" for r in rows)
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_gemini_lazy_loaded_older_turns_streaming_and_redo_are_all_kept_in_order(browser: Browser) -> None:
    page = browser.open(GEMINI_URL)
    rows = wait_for(at_least(6, lambda: gemini(browser)), what="the three rendered pairs")
    assert rows[0]["text"] == "Show me a Python snippet that prints the next high tide."
    assert rows[0]["title"] == "Tide pools and the moon"
    assert rows[1]["key"] == rows[1]["provider_message_id"] == "r_d4e5f60718293a4b"
    assert "print(last + timedelta(hours=12, minutes=25))" in rows[1]["text"]
    assert "content_copy" not in rows[1]["text"] and "You said" not in rows[0]["text"]
    assert rows[1]["model"] == "2.5 Pro"
    assert (
        "مدّان عاليان في اليوم" in rows[3]["text"] and "vives-eaux\tSoleil + Lune alignés" in rows[3]["text"]
    )
    assert rows[4]["text"] == "Is <b>this</b> <img src=x onerror=alert('pwned-gemini')> rendered?"
    assert "javascript:" not in rows[5]["html"]
    exported = {m["message_id"]: m for m in export(browser, "gemini")}
    assert "```python\nfrom datetime import datetime, timedelta" in exported[rows[1]["key"]]["markdown"]
    assert "| Marée | Cause |" in exported[rows[3]["key"]]["markdown"]
    assert "You said" not in exported[rows[0]["key"]]["markdown"]

    # Scrolling up loads the older pairs above: they are stored before the ones already captured.
    assert page.evaluate("fixture.loadOlder(3)") == 3
    rows = wait_for(at_least(12, lambda: gemini(browser)), what="the lazily loaded older pairs")
    assert [r["role"] for r in rows] == ["user", "assistant"] * 6
    assert texts(rows)[0] == "Why are there two high tides a day?"
    assert texts(rows)[4] == "Write the tidal force formula."
    assert "$$a_t \\approx \\frac{2 G M r}{d^3}$$" in texts(rows)[5]
    assert texts(rows)[6] == "Show me a Python snippet that prints the next high tide."
    # Parents link each turn to the one before it, also the one first stored with nothing above it.
    rows = wait_for(
        lambda: (r := gemini(browser)) and r[6]["parent_key"] and r, what="the relinked first turn"
    )
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]

    page.evaluate(
        "([p, a]) => fixture.ask(p, a)", ["And in a lake?", "Lakes have tiny tides, a few millimetres."]
    )
    rows = wait_for(
        lambda: (r := gemini(browser)) and len(r) >= 14 and r[-1]["status"] == "complete" and r,
        what="the streamed answer",
    )
    assert texts(rows)[-2:] == ["And in a lake?", "Lakes have tiny tides, a few millimetres."]

    page.evaluate("(a) => fixture.redo(a)", "Even Lake Superior's tide is under five centimetres.")
    rows = wait_for(at_least(15, lambda: gemini(browser)), what="the redo beside the first draft")
    assert texts(rows)[-2:] == [
        "Lakes have tiny tides, a few millimetres.",
        "Even Lake Superior's tide is under five centimetres.",
    ]
    assert rows[-1]["parent_key"] == rows[-2]["parent_key"] == rows[-3]["key"]
    assert browser.dialogs == [] and browser.foreign_requests == []


def test_gemini_reload_showing_only_the_newest_turns_keeps_new_turns_after_the_stored_ones(
    browser: Browser,
) -> None:
    page = browser.open(GEMINI_URL)
    wait_for(at_least(6, lambda: gemini(browser)), what="the three rendered pairs")
    asked = [
        ("Spring tide tomorrow?", "Yes, the Moon is new tomorrow."),
        ("And next week?", "Neap tides by then."),
    ]
    for prompt, answer in asked:
        page.evaluate("([p, a]) => fixture.ask(p, a)", [prompt, answer])
    wait_for(
        lambda: (r := gemini(browser)) and len(r) >= 10 and r[-1]["status"] == "complete" and r,
        what="the two asked pairs",
    )
    # After a reload the page again renders only its newest three pairs, two of them asked above.
    page.reload()
    page.evaluate(
        "([p, a]) => fixture.ask(p, a)", ["What about the Moon's perigee?", "Perigean tides run higher."]
    )
    rows = wait_for(
        lambda: (r := gemini(browser)) and len(r) >= 12 and r[-1]["status"] == "complete" and r,
        what="the pair asked after the reload",
    )
    assert texts(rows)[-6:] == [
        "Spring tide tomorrow?",
        "Yes, the Moon is new tomorrow.",
        "And next week?",
        "Neap tides by then.",
        "What about the Moon's perigee?",
        "Perigean tides run higher.",
    ]
    assert len(rows) == 12 and len({r["position"] for r in rows}) == 12
