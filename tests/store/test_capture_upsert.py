"""The store's promise: a capture is idempotent, grows, branches, merges, and never loses a turn."""

from __future__ import annotations

import msgspec
import pytest

from vivim.protocol import CaptureUpsert
from vivim.store import Store
from vivim.store.capture import upsert_capture
from vivim.store.conversations import get_conversation


def capture(
    turns: list[dict],
    *,
    source: str = "capture",
    external_id: str = "c-1",
    provider: str = "chatgpt",
    title: str = "Sourdough",
) -> CaptureUpsert:
    return msgspec.convert(
        {
            "conversation": {
                "provider": provider,
                "external_id": external_id,
                "title": title,
                "url": f"https://chatgpt.com/c/{external_id}",
            },
            "turns": turns,
            "source": source,
        },
        CaptureUpsert,
    )


async def messages(store: Store, conversation_id: int) -> list[dict]:
    return (await store.read(get_conversation, conversation_id))["messages"]


async def test_the_same_capture_twice_changes_nothing(store: Store) -> None:
    payload = capture(
        [
            {"key": "m1", "role": "user", "text": "How do I keep a starter alive?", "position": 0},
            {"key": "m2", "role": "assistant", "text": "Feed it daily.", "position": 1, "parent_key": "m1"},
        ]
    )
    first = await store.write(upsert_capture, payload)
    before = await messages(store, first.conversation_id)
    second = await store.write(upsert_capture, payload)
    assert (first.inserted, second.inserted, second.unchanged) == (2, 0, 2)
    assert await messages(store, first.conversation_id) == before


async def test_grown_streaming_turn_replaces_its_shorter_self(store: Store) -> None:
    partial = capture([{"key": "a1", "role": "assistant", "text": "Feed it", "status": "streaming"}])
    full = capture([{"key": "a1", "role": "assistant", "text": "Feed it daily with flour and water."}])
    result = await store.write(upsert_capture, partial)
    await store.write(upsert_capture, full)
    [message] = await messages(store, result.conversation_id)
    assert message["text"] == "Feed it daily with flour and water."
    assert message["status"] == "complete"


async def test_a_stale_shorter_snapshot_never_overwrites_a_finished_turn(store: Store) -> None:
    full = capture([{"key": "a1", "role": "assistant", "text": "Feed it daily with flour and water."}])
    stale = capture([{"key": "a1", "role": "assistant", "text": "Feed it", "status": "streaming"}])
    result = await store.write(upsert_capture, full)
    outcome = await store.write(upsert_capture, stale)
    assert outcome.unchanged == 1
    [message] = await messages(store, result.conversation_id)
    assert message["text"] == "Feed it daily with flour and water."


async def test_a_new_provider_message_id_under_the_same_parent_is_a_branch(store: Store) -> None:
    base = [{"key": "u1", "role": "user", "text": "Name a bread.", "position": 0}]
    await store.write(
        upsert_capture,
        capture(
            base
            + [
                {
                    "key": "a1",
                    "message_id": "a1",
                    "role": "assistant",
                    "text": "Focaccia.",
                    "parent_key": "u1",
                    "position": 1,
                }
            ]
        ),
    )
    result = await store.write(
        upsert_capture,
        capture(
            base
            + [
                {
                    "key": "a2",
                    "message_id": "a2",
                    "role": "assistant",
                    "text": "Ciabatta.",
                    "parent_key": "u1",
                    "position": 1,
                }
            ]
        ),
    )
    rows = await messages(store, result.conversation_id)
    assert [(m["key"], m["parent_key"], m["text"]) for m in rows] == [
        ("u1", None, "Name a bread."),
        ("a1", "u1", "Focaccia."),
        ("a2", "u1", "Ciabatta."),
    ]


async def test_different_content_under_a_derived_key_is_kept_as_a_sibling_branch(store: Store) -> None:
    await store.write(upsert_capture, capture([{"key": "p1", "role": "assistant", "text": "Rye is dense."}]))
    result = await store.write(
        upsert_capture, capture([{"key": "p1", "role": "assistant", "text": "Spelt is nutty."}])
    )
    assert result.branched == 1
    texts = sorted(m["text"] for m in await messages(store, result.conversation_id))
    assert texts == ["Rye is dense.", "Spelt is nutty."]
    again = await store.write(
        upsert_capture, capture([{"key": "p1", "role": "assistant", "text": "Spelt is nutty."}])
    )
    assert again.unchanged == 1 and again.branched == 0


async def test_an_imported_copy_of_a_captured_turn_merges_instead_of_duplicating(store: Store) -> None:
    await store.write(upsert_capture, capture([{"key": "dom-7", "role": "user", "text": "Hello  there\n"}]))
    result = await store.write(
        upsert_capture,
        capture(
            [{"key": "uuid-7", "role": "user", "text": "Hello there", "markdown": "Hello there"}],
            source="import",
        ),
    )
    assert result.merged == 1
    assert len(await messages(store, result.conversation_id)) == 1


async def test_captured_html_is_stored_raw_and_as_markdown(store: Store) -> None:
    result = await store.write(
        upsert_capture,
        capture(
            [
                {
                    "key": "a",
                    "role": "assistant",
                    "html": "<p>Use <strong>WAL</strong> mode</p>",
                    "text": "Use WAL mode",
                }
            ]
        ),
    )
    conversation = await store.read(get_conversation, result.conversation_id, include_html=True)
    [message] = conversation["messages"]
    assert message["html"] == "<p>Use <strong>WAL</strong> mode</p>"
    assert "WAL" in message["markdown"]


async def test_turns_are_searchable_as_soon_as_they_commit(store: Store) -> None:
    from vivim.retrieval.search import search_fulltext

    await store.write(
        upsert_capture, capture([{"key": "a", "role": "assistant", "text": "Levain needs warmth."}])
    )
    result = await store.read(search_fulltext, "levain")
    [group] = result["results"]
    assert group["conversation"]["title"] == "Sourdough"
    assert "\u0002Levain\u0003" in group["hits"][0]["snippet"]


@pytest.mark.parametrize("query", ['"', "a* OR b", "NEAR(x y)", "-minus", "(", "col:umn", "''"])
async def test_user_text_never_breaks_full_text_syntax(store: Store, query: str) -> None:
    from vivim.retrieval.search import search_fulltext

    await store.write(upsert_capture, capture([{"key": "a", "role": "user", "text": "col umn minus x y"}]))
    result = await store.read(search_fulltext, query)
    assert isinstance(result["results"], list)


async def test_sqlite_vec_is_loaded_in_every_connection(store: Store) -> None:
    row = await store.fetchone("SELECT vec_version()")
    assert row[0].startswith("v0.1")


async def test_switching_the_current_branch_moves_the_mark_without_touching_content(store: Store) -> None:
    turns = [
        {"key": "a1", "role": "assistant", "text": "Focaccia.", "current": True},
        {"key": "a2", "role": "assistant", "text": "Ciabatta.", "current": False},
    ]
    result = await store.write(upsert_capture, capture(turns, source="import"))
    turns[0]["current"], turns[1]["current"] = False, True
    again = await store.write(upsert_capture, capture(turns, source="import"))
    assert again.updated == 2
    rows = {m["key"]: m["is_current"] for m in await messages(store, result.conversation_id)}
    assert rows == {"a1": False, "a2": True}


async def test_very_common_words_rank_the_newest_matches_and_filters_apply_before_the_cap(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vivim.retrieval.search as search
    from vivim.retrieval.filters import Filters
    from vivim.retrieval.search import search_fulltext

    monkeypatch.setattr(search, "FTS_RANK_CAP", 5)
    await store.write(
        upsert_capture,
        capture(
            [{"key": "old", "role": "user", "text": "bread from the old days"}],
            provider="claude",
            external_id="old",
        ),
    )
    for i in range(12):
        await store.write(
            upsert_capture,
            capture(
                [{"key": f"k{i}", "role": "user", "text": f"bread recipe number {i}"}], external_id=f"c{i}"
            ),
        )
    everything = await store.read(search_fulltext, "bread", Filters(), 50)
    assert {g["conversation"]["external_id"] for g in everything["results"]} == {
        f"c{i}" for i in range(7, 12)
    }
    claude_only = await store.read(search_fulltext, "bread", Filters(provider="claude"), 50)
    assert [g["conversation"]["external_id"] for g in claude_only["results"]] == ["old"]


async def test_a_title_the_user_set_survives_the_next_capture_and_clearing_it_hands_it_back(store: Store):
    from vivim.sync.library import rename_conversation

    turn = {"key": "t1", "role": "user", "text": "How long to proof?", "markdown": "How long to proof?"}
    result = await store.write(upsert_capture, capture([turn], title="Sourdough"))
    await store.write(rename_conversation, result.conversation_id, "Bread notes")
    await store.write(upsert_capture, capture([turn], title="Sourdough timing"))  # the page renamed it
    assert (await store.read(get_conversation, result.conversation_id))["conversation"][
        "title"
    ] == "Bread notes"
    await store.write(rename_conversation, result.conversation_id, None)
    await store.write(upsert_capture, capture([turn], title="Sourdough timing"))
    conversation = (await store.read(get_conversation, result.conversation_id))["conversation"]
    assert conversation["title"] == "Sourdough timing"


async def test_older_turns_loaded_above_keep_their_negative_positions(store: Store):
    """A page that lazily loads older turns above the first captured one numbers them below zero."""
    turns = [
        {"key": "old", "role": "user", "text": "asked first", "markdown": "asked first", "position": -2},
        {"key": "new", "role": "user", "text": "asked later", "markdown": "asked later", "position": 0},
    ]
    result = await store.write(upsert_capture, capture(turns))
    assert [m["text"] for m in await messages(store, result.conversation_id)] == [
        "asked first",
        "asked later",
    ]
