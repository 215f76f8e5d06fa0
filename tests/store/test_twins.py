"""One turn is stored once whichever path saw it first, even where its two renderings differ: on a site
whose page gives turns no ids, the DOM capture (the page's rendered text and HTML) and the network capture
(the page's own JSON, as Markdown) of a turn meet by the words they share (store/fingerprint.py), of the
same role, at a fitting place. Two genuinely different turns never merge: a regeneration (other words), a
short reply repeated at another place, a row another turn of the same payload already matched."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.e2e import twin_pages
from tests.store.test_capture_upsert import capture, messages
from vivim.importers import network as netcapture
from vivim.normalize import html_to_markdown
from vivim.store import Store, migrations
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.fingerprint import fingerprint, words

SESSION = "7d6c5b4a-3928-4170-8e9d-0a1b2c3d4e5f"
CHAT = "Tw1nsCh4tQx8vR2mN6pL0"
# The Copilot answer's text and HTML as the real extension read them off twin_pages.copilot_page (its
# code frame's "python" label, tab-separated table cells, KaTeX as its TeX, no list numbers, no URL).
DOM_ANSWER_TEXT = (
    "Here is how the Fibonacci methods compare:\n\nMethod\tTime\nIteration\t$O(n)$\nNaive recursion\t$O(2^n)$\n"
    "python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n"
    "Iterate with two variables\n\nMemoize the recursion\n\n"
    "The closed form is $F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}$ with\n\n"
    "$$\\varphi = \\frac{1+\\sqrt{5}}{2}$$\n\nSee the article on Fibonacci numbers \U0001f642\u00a0Done."
)


def copilot_code_frame() -> str:
    return (
        '<div class="rounded-xl"><div class="flex items-center justify-between"><span>python</span>'
        '<button aria-label="Copy code" type="button">Copy</button></div>'
        f'<pre><code class="language-python">{twin_pages.CODE}</code></pre></div>'
    )


def network(provider: str, external_id: str, doc: object) -> object:
    parsed = netcapture.parse(provider, external_id, json.dumps(doc).encode())
    parsed.capture.source = "network"
    return parsed.capture


def dom(
    turns: list[tuple[str, str]], *, first: int = 0, provider: str = "copilot", external_id: str = CHAT
) -> object:
    """What the page's content script sends for `turns` rendered from position `first`: derived keys,
    no ids, the rich answer as its text and HTML."""
    out, parent = [], None
    for pos, (role, text) in enumerate(turns, first):
        key = f"{role[0]}{pos}-dom"
        turn = {"key": key, "role": role, "position": pos - first, "parent_key": parent, "text": text}
        if text == twin_pages.ANSWER:
            turn["text"] = DOM_ANSWER_TEXT
            turn["html"] = (
                f'<div class="group/ai-message-item">{twin_pages.answer_html(copilot_code_frame())}</div>'
            )
        out.append(turn)
        parent = key
    return capture(out, provider=provider, external_id=external_id)


def copilot_json() -> object:
    return network("copilot", CHAT, twin_pages.copilot_history(CHAT))


async def rows(store: Store, conversation_id: int) -> list[dict]:
    return await messages(store, conversation_id)


def test_the_two_renderings_of_one_answer_share_their_words_and_other_words_do_not() -> None:
    as_json = twin_pages.ANSWER.replace("[citation:1]", "[1](https://en.wikipedia.org/wiki/Fib)")
    on_the_page = html_to_markdown(twin_pages.answer_html(copilot_code_frame()), "copilot")
    assert on_the_page != as_json and words(on_the_page) == words(as_json)
    assert fingerprint("assistant", "x\u00a0=\u00a01, see [1](https://a.example/x)") == fingerprint(
        "assistant", "x = 1, see [wikipedia +2](https://a.example/y) https://b.example"
    )
    assert fingerprint("assistant", "Ｆｕｌｌ ｗｉｄｔｈ 42") == fingerprint("assistant", "full width 42")
    assert fingerprint("assistant", "| a | b |\n|---|---|\n| 1 | 2 |") == fingerprint(
        "assistant", "a\tb\n1\t2"
    )
    assert fingerprint("assistant", "- one\n- two") == fingerprint("assistant", "1. one\n2. two")
    assert fingerprint("assistant", "x = 1") != fingerprint("assistant", "x = 2")
    assert fingerprint("assistant", "Yes.") != fingerprint("assistant", "No.")
    assert fingerprint("assistant", "Yes.") != fingerprint("user", "Yes.")
    assert fingerprint("assistant", "\U0001f44d") is None  # no words: only its exact text can match


@pytest.mark.parametrize("order", ["dom first", "network first"])
async def test_a_rich_answer_seen_by_both_paths_is_one_row_in_either_order(store: Store, order: str) -> None:
    page = dom(twin_pages.TURNS)
    first, second = (page, copilot_json()) if order == "dom first" else (copilot_json(), page)
    one = await store.write(upsert_capture, first)
    two = await store.write(upsert_capture, second)
    assert (two.inserted, two.branched, two.merged) == (0, 0, 6)
    stored = await rows(store, one.conversation_id)
    assert len(stored) == 6
    assert [m["provider_message_id"] for m in stored] == [twin_pages.copilot_id(CHAT, i) for i in range(6)]
    assert len([m for m in stored if "closed form is" in m["markdown"]]) == 1
    before = stored
    for again in (copilot_json(), dom(twin_pages.TURNS)):  # re-opening: both paths again
        result = await store.write(upsert_capture, again)
        assert (result.inserted, result.branched, result.updated) == (0, 0, 0)
    assert await rows(store, one.conversation_id) == before


async def test_the_page_sending_the_stored_key_with_its_own_rendering_is_that_turn_not_a_branch(
    store: Store,
) -> None:
    net = await store.write(upsert_capture, copilot_json())
    page = dom(twin_pages.TURNS)
    for turn, key in zip(page.turns, net.keys, strict=True):  # the core's storedKey: the host's key
        turn.key = key
    for i, turn in enumerate(page.turns[1:], 1):
        turn.parent_key = net.keys[i - 1]
    result = await store.write(upsert_capture, page)
    assert (result.inserted, result.branched) == (0, 0)
    assert len(await rows(store, net.conversation_id)) == 6


async def test_a_yes_repeated_at_another_place_stays_its_own_turn(store: Store) -> None:
    # The page shows only the newest two turns (the second question and its "Yes."); the JSON has all six.
    page = await store.write(upsert_capture, dom(twin_pages.TURNS[4:], first=4))
    net = await store.write(upsert_capture, copilot_json())
    assert (net.inserted, net.merged) == (4, 2)
    stored = await rows(store, page.conversation_id)
    assert [m["provider_message_id"] for m in stored] == [twin_pages.copilot_id(CHAT, i) for i in range(6)]
    assert [m["parent_key"] for m in stored[1:]] == [m["key"] for m in stored[:-1]]
    assert [m["key"] for m in stored][4:] == ["u4-dom", "a5-dom"]  # the page's rows took their places


async def test_one_row_is_one_turn_even_when_a_payload_repeats_its_words(store: Store) -> None:
    # Both "Yes." of the page, DOM first: each network "Yes." takes its own row, not the first one twice.
    page = await store.write(upsert_capture, dom(twin_pages.TURNS))
    await store.write(upsert_capture, copilot_json())
    stored = await rows(store, page.conversation_id)
    yes = [m for m in stored if m["text"] == "Yes."]
    assert [m["key"] for m in yes] == ["a3-dom", "a5-dom"]
    assert [m["provider_message_id"] for m in yes] == [twin_pages.copilot_id(CHAT, i) for i in (3, 5)]


async def test_a_regenerated_answer_with_other_words_is_never_merged_into_the_shown_one(store: Store) -> None:
    # DeepSeek: an answer regenerated (two answers to message 1), the second one shown on the page.
    doc = twin_pages.deepseek_history(SESSION)
    chat = doc["data"]["biz_data"]["chat_messages"]
    chat[:] = [m for m in chat if m["message_id"] <= 2]
    chat.append(
        {
            **chat[1],
            "message_id": 3,
            "parent_id": 1,
            "fragments": [{"type": "RESPONSE", "content": "Use \\(F_{n+1}\\) instead."}],
        }
    )
    doc["data"]["biz_data"]["chat_session"]["current_message_id"] = 3
    page = dom(
        [("user", twin_pages.QUESTION), ("assistant", "Use $F_{n+1}$ instead.")],
        provider="deepseek",
        external_id=SESSION,
    )
    first = await store.write(upsert_capture, page)
    net = await store.write(upsert_capture, network("deepseek", SESSION, doc))
    stored = await rows(store, first.conversation_id)
    shown = [m for m in stored if m["key"] == "a1-dom"]
    assert len(shown) == 1 and shown[0]["provider_message_id"] == "3"
    assert len([m for m in stored if "closed form is" in m["markdown"]]) == 1  # the other answer, its own row
    assert net.inserted >= 1


async def test_a_big_conversation_finds_the_twin_through_the_index_not_a_scan(store: Store) -> None:
    doc = {"results": []}
    for i in range(10_000):
        doc["results"].append(
            {
                "id": f"big{i:06d}",
                "author": {"type": "human" if i % 2 == 0 else "ai"},
                "createdAt": "2026-05-01T10:00:00.000Z",
                "content": [{"type": "text", "text": f"turn {i} says \\(x_{{{i}}}\\) in **bold**"}],
            }
        )
    net = await store.write(upsert_capture, network("copilot", CHAT, doc))
    page = capture(
        [
            {
                "key": f"t{i}-dom",
                "role": "user" if i % 2 == 0 else "assistant",
                "position": i - 9_994,
                "parent_key": f"t{i - 1}-dom" if i > 9_994 else None,
                "text": f"turn {i} says $x_{{{i}}}$ in bold",
            }
            for i in range(9_994, 10_000)
        ],
        provider="copilot",
        external_id=CHAT,
    )
    result = await store.write(upsert_capture, page)
    assert (result.merged, result.inserted) == (6, 0)
    assert len(await rows(store, net.conversation_id)) == 10_000
    plan = await store.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE conversation_id = ? AND fingerprint = ? AND source != ?",
        (net.conversation_id, "x", "capture"),
    )
    assert any("messages_conversation_fingerprint" in str(tuple(row)) for row in plan)


async def test_an_archive_from_before_fingerprints_gets_them_and_its_rows_find_their_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.sqlite3"
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m.version < 30])
    conn = connect_sync(db)
    migrations.apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    parsed = copilot_json()
    # Today's upsert writes the new column: store the old rows as an older VIVIM did, by hand.
    conn.execute(
        "INSERT INTO conversations (provider, external_id, title, source, created_at, updated_at)"
        " VALUES ('copilot', ?, 'Old', 'capture', 1, 1)",
        (CHAT,),
    )
    for pos, turn in enumerate(parsed.turns):
        conn.execute(
            "INSERT INTO messages (conversation_id, key, parent_key, provider_message_id, position, role, markdown,"
            " text, content_hash, status, source, created_at, updated_at, structure)"
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, 'complete', 'network', 1, 1, 'network')",
            (
                turn.key,
                turn.parent_key,
                turn.message_id,
                pos,
                turn.role,
                turn.markdown,
                turn.text,
                f"old{pos}",
            ),
        )
    conn.execute("COMMIT")
    conn.close()
    monkeypatch.undo()

    store = await Store.open(db)
    try:
        result = await store.write(upsert_capture, dom(twin_pages.TURNS))
        assert (result.inserted, result.merged) == (0, 6)
    finally:
        await store.close()
    check = sqlite3.connect(db)
    try:
        assert check.execute("SELECT COUNT(*) FROM messages WHERE fingerprint IS NULL").fetchone() == (0,)
    finally:
        check.close()


async def test_a_short_follow_up_after_an_aside_only_the_json_has_still_meets_its_twin(store: Store) -> None:
    # Perplexity: the JSON hangs each answer's source list between it and the next query; the page does not.
    from tests.support import perplexity as pp

    slug = "compare-fibonacci-methods-Tw1nS8xQ2mR4vN6pL0kJ9h"
    talk = [
        ("user", "Why do tides differ?"),
        ("assistant", "The basins differ.[1]"),
        ("user", "Why?"),
        ("assistant", "Yes."),
    ]
    entries = [pp.entry(i, slug, query=talk[2 * i][1], answer=talk[2 * i + 1][1]) for i in range(2)]
    net = await store.write(upsert_capture, network("perplexity", slug, pp.page(entries)))
    page = dom(
        [(role, text.replace("[1]", "")) for role, text in talk], provider="perplexity", external_id=slug
    )
    result = await store.write(upsert_capture, page)
    assert (result.merged, result.inserted) == (4, 0)
    assert len(await rows(store, net.conversation_id)) == 6  # four turns, two source lists


async def test_a_reindex_that_rewrites_a_turns_markdown_rewrites_its_fingerprint_too(store: Store) -> None:
    from vivim.retrieval.reindex import rederive_message

    html = "<p>Whisk the <strong>eggs</strong> with sugar until pale.</p>"
    payload = capture([{"key": "a1", "role": "assistant", "text": "stale", "html": html, "position": 0}])
    payload.turns[0].markdown = "stale markdown from an older normalizer"
    result = await store.write(upsert_capture, payload)

    def rederive(conn: sqlite3.Connection) -> tuple[str, str | None]:
        row = conn.execute(
            "SELECT m.id, m.role, m.html, m.markdown, c.provider FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id WHERE c.id = ?",
            (result.conversation_id,),
        ).fetchone()
        rederive_message(conn, row, False)
        after = conn.execute(
            "SELECT markdown, fingerprint FROM messages WHERE id = ?", (row["id"],)
        ).fetchone()
        return after["markdown"], after["fingerprint"]

    markdown, stored = await store.write(rederive)
    assert markdown == html_to_markdown(html, "chatgpt")
    assert stored == fingerprint("assistant", markdown)
