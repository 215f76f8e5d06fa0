"""Le Chat in real headless Chromium: the pages at their real URLs, the real extension (chat.mistral.ai
granted as the user's "Allow" would), the real host. (Not granted, it is never read: test_sites_permissions.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from .checks import complete, granted_browser, insert_context
from .harness import MISTRAL_URL, UNSEEN, Browser, at_least, export, texts, wait_for

pytestmark = pytest.mark.browser

EXTERNAL_ID = MISTRAL_URL.rsplit("/", 1)[1]
REASONING = "Translate the sentence about counting words into Russian."
QUIET_MS = 3000


@pytest.fixture
def granted(tmp_path: Path) -> Iterator[Browser]:
    with granted_browser(tmp_path, "mistral") as browser:
        yield browser


def stored(browser: Browser, external_id: str = EXTERNAL_ID) -> list[dict]:
    return browser.messages("mistral", external_id)


def test_le_chat_turns_are_captured_with_the_pages_ids_and_the_reasoning_apart(granted: Browser) -> None:
    granted.open(MISTRAL_URL)
    rows = wait_for(at_least(4, lambda: stored(granted)), what="the four turns on the page")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[0]["key"] == rows[0]["provider_message_id"] == "c1000001-0000-4000-8000-000000000001"
    assert (
        rows[0]["text"]
        == "Écris une fonction Python qui compte les mots d'un texte,\net donne sa complexité."
    )
    assert rows[0]["title"] == "Compter les mots"
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    answer = rows[1]["text"]
    assert "def count_words(text):\n    return len(text.split())" in answer
    assert "Entrée\tRésultat" in answer and "$O(n)$" in answer and "Copy" not in answer
    assert rows[2]["text"] == "Et en russe ? <img src=x onerror=alert('pwned-mistral')>"
    assert rows[3]["text"] == "Функция считает слова в тексте. Подробнее"  # the answer alone
    assert "javascript:" not in rows[3]["html"]
    exported = {m["message_id"]: m for m in export(granted, "mistral")}
    markdown = exported[rows[1]["key"]]["markdown"]
    assert "```python\ndef count_words(text):\n    return len(text.split())\n```" in markdown
    assert "| Entrée | Résultat |" in markdown and "Copy" not in markdown
    assert exported[rows[3]["key"]]["markdown"].startswith(f"> {REASONING}\n\nФункция считает слова")
    assert granted.dialogs == [] and granted.foreign_requests == []


def test_le_chat_streamed_answer_and_a_regeneration_are_both_kept(granted: Browser) -> None:
    page = granted.open(MISTRAL_URL)
    wait_for(at_least(4, lambda: stored(granted)), what="the four turns on the page")
    first = "Utilise collections.Counter pour compter chaque mot."
    page.evaluate("([p, a]) => fixture.ask(p, a)", ["Et pour compter chaque mot ?", first])
    rows: list[dict] = []
    for _ in range(150):
        rows = stored(granted)
        if len(rows) >= 6 and rows[-1]["status"] == "complete" and rows[-1]["text"] == first:
            break
        page.wait_for_timeout(200)
    assert texts(rows)[-2:] == ["Et pour compter chaque mot ?", first]
    regenerated = "Counter(text.split()) donne le nombre de chaque mot."
    page.evaluate("(a) => fixture.regenerate(a)", regenerated)
    rows = wait_for(
        lambda: (r := stored(granted)) and regenerated in texts(r) and r, what="the regenerated answer"
    )
    both = [r for r in rows if r["text"] in (first, regenerated)]
    assert len(both) == 2 and both[0]["parent_key"] == both[1]["parent_key"]


def test_insert_context_registers_with_le_chats_prosemirror_box_and_enables_send(tmp_path: Path) -> None:
    from tests.retrieval.test_context_button_e2e import seed

    seed(tmp_path / "vivim-home")
    with granted_browser(tmp_path, "mistral") as browser:
        page = browser.open(MISTRAL_URL)
        insert_context(page, "div.ProseMirror", shortcut=True)
        state = page.evaluate("fixture.state()")
        assert state.index("Planning a cherry blossom trip") < state.index("Relevant context from my earlier")
        assert page.evaluate("fixture.sendEnabled()") is True
        assert browser.dialogs == []


def test_the_pages_own_message_list_is_stored_whole_and_complete(granted: Browser) -> None:
    from tests.host.test_network_capture_mistral import CHAT, batch, messages

    items = messages(80)
    procs = "chat.byId,agent.listLegacy,message.all,canva.all,quote.all"
    query = json.dumps({"0": {"json": {"id": CHAT}}, "1": {"json": None}, "2": {"json": {"chatId": CHAT}}})
    encoded = quote(query, safe="~()*!.'")  # what the page's encodeURIComponent makes of it
    api = f"/api/trpc/{procs}?batch=1&input={encoded}"
    newest = sorted(items, key=lambda m: m["createdAt"])[-4:]
    rendered = "".join(
        f'<div data-message-author-role="{m["role"]}" data-message-id="{m["id"]}">'
        + (
            f'<div class="select-text"><span class="whitespace-pre-wrap">{m["content"]}</span></div>'
            if m["role"] == "user"
            else f'<div class="markdown-container-style"><p>{m["content"]}</p></div>'
        )
        + "</div>"
        for m in newest
    )
    page_html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Compter les mots | Le Chat</title><script>'
        f"window.loaded = []; fetch({json.dumps(f'/api/trpc/{procs}?batch=1&input=')} + encodeURIComponent({json.dumps(query)}))"
        ".then((r) => r.json())"
        ".then(() => window.loaded.push('ok'), (e) => window.loaded.push(String(e)));</script></head>"
        f"<body><main>{rendered}</main></body></html>"
    )
    url = f"https://chat.mistral.ai/chat/{CHAT}"
    granted.responses[f"https://chat.mistral.ai{api}"] = ("application/json", json.dumps(batch(items)))
    granted.responses[url] = ("text/html; charset=utf-8", page_html.encode())
    tab = granted.open(url)
    state = complete(tab, granted, "mistral", CHAT)
    assert tab.evaluate("window.loaded") == ["ok"]
    assert state == {"status": "complete", "stored": 80, "expected": 80}
    tab.wait_for_timeout(QUIET_MS)
    rows = stored(granted, CHAT)
    assert len(rows) == 80 and [r["key"] for r in rows] == [f"m{i:04d}" for i in range(80)]


def test_an_unseen_le_chat_page_in_2024_markup_is_captured_completely(granted: Browser) -> None:
    url, _ = UNSEEN["mistral"]
    granted.open(url)
    external_id = url.rsplit("/", 1)[1]
    rows = wait_for(at_least(4, lambda: stored(granted, external_id)), what="the unseen page's turns")
    assert [(r["role"], r["text"]) for r in rows] == [
        ("user", "Name three French cheeses."),
        ("assistant", "Comté\nRoquefort\nReblochon"),
        ("user", "Und welcher ist am mildesten?"),
        ("assistant", "Der Comté ist am mildesten."),
    ]
    assert rows[1]["key"] == "d2000002-0000-4000-8000-000000000002"
