"""The in-memory bit index used by big libraries finds what the vec0 scan finds, and stays current."""

from __future__ import annotations

from typing import Any

import pytest

import vivim.retrieval.bit_index as bit_index
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.retrieval.embedding import Embedder
from vivim.retrieval.filters import Filters
from vivim.retrieval.vectors import knn
from vivim.store.capture import upsert_capture

from .conftest import embed_pending
from .corpus import QUERIES
from .test_quality import evaluate


@pytest.fixture
def in_memory(monkeypatch: pytest.MonkeyPatch, corpus_db: Any) -> bit_index.BitIndex:
    """The corpus served by the in-memory index (as a 50k+ chunk library would be)."""
    monkeypatch.setattr(bit_index, "MIN_ROWS", 1)
    index = bit_index.index_for(corpus_db)
    assert index is not None
    index.refresh(corpus_db)  # starts the background load
    assert index.wait_loaded()
    return index


def test_in_memory_scan_returns_what_the_vec0_scan_returns(
    corpus_db: Any, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = [embedder.embed_query(q) for q, _, _ in QUERIES]
    from_vec0 = [[i for i, _ in knn(corpus_db, v, 5)] for v in vectors]
    monkeypatch.setattr(bit_index, "MIN_ROWS", 1)
    monkeypatch.setattr(bit_index, "_small_until", {})  # forget "this library is small"
    index = bit_index.index_for(corpus_db)
    index.refresh(corpus_db)
    assert index.wait_loaded()
    from_memory = [[i for i, _ in knn(corpus_db, v, 5)] for v in vectors]
    assert from_memory == from_vec0


def test_search_quality_holds_on_the_in_memory_index(
    corpus_db: Any, embedder: Embedder, in_memory: bit_index.BitIndex
) -> None:
    recall, mrr = evaluate(corpus_db, embedder, "hybrid")
    assert recall >= 0.85 and mrr >= 0.85  # the same as test_quality's bounds (vec0 scan)


def test_filters_apply_in_the_in_memory_scan(
    corpus_db: Any, embedder: Embedder, in_memory: bit_index.BitIndex
) -> None:
    hits = knn(
        corpus_db, embedder.embed_query("slow database query"), 10, Filters(provider="gemini", role="user")
    )
    assert hits
    rows = {
        tuple(r)
        for r in corpus_db.execute(
            "SELECT c.provider, m.role FROM chunks ch JOIN messages m ON m.id = ch.message_id"
            " JOIN conversations c ON c.id = m.conversation_id"
            f" WHERE ch.id IN ({','.join(str(i) for i, _ in hits)})"
        )
    }
    assert rows == {("gemini", "user")}


def test_new_vectors_are_found_and_deleted_ones_are_not_without_a_reload(
    corpus_db: Any, embedder: Embedder, in_memory: bit_index.BitIndex
) -> None:
    loaded = in_memory.size
    corpus_db.execute("BEGIN IMMEDIATE")
    upsert_capture(
        corpus_db,
        CaptureUpsert(
            conversation=ConversationIn(provider="claude", external_id="volcano", title="Volcanoes"),
            turns=[
                TurnIn(
                    key="a",
                    role="assistant",
                    text="Magma rises through the crust and erupts as lava.",
                    markdown="Magma rises through the crust and erupts as lava.",
                )
            ],
        ),
    )
    corpus_db.execute("COMMIT")
    embed_pending(corpus_db, embedder)
    query = embedder.embed_query("how does a volcano erupt")
    top, _ = knn(corpus_db, query, 1)[0]
    assert corpus_db.execute("SELECT text FROM chunks WHERE id = ?", (top,)).fetchone()[0].startswith("Magma")
    assert in_memory.size == loaded + 1  # appended, not reloaded
    corpus_db.execute("DELETE FROM conversations WHERE external_id = 'volcano'")
    assert top not in [i for i, _ in knn(corpus_db, query, 10)]


def test_appended_parts_are_merged_into_one_once_big_enough(
    corpus_db: Any, embedder: Embedder, in_memory: bit_index.BitIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bit_index, "MERGE_ROWS", 2)
    before = in_memory.size
    for n in range(2):
        corpus_db.execute("BEGIN IMMEDIATE")
        upsert_capture(
            corpus_db,
            CaptureUpsert(
                conversation=ConversationIn(provider="gemini", external_id=f"new{n}"),
                turns=[
                    TurnIn(
                        key="a",
                        role="user",
                        text=f"glacier number {n} is retreating",
                        markdown=f"glacier number {n} is retreating",
                    )
                ],
            ),
        )
        corpus_db.execute("COMMIT")
        embed_pending(corpus_db, embedder)
        knn(corpus_db, embedder.embed_query("glacier"), 3)
        assert len(in_memory.parts) == (2 if n == 0 else 1)
    assert in_memory.size == before + 2
    assert (
        "glacier"
        in corpus_db.execute(
            "SELECT text FROM chunks WHERE id = ?",
            (knn(corpus_db, embedder.embed_query("retreating glacier"), 1)[0][0],),
        ).fetchone()[0]
    )
