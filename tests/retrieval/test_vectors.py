"""Vectors follow their chunks: a changed message loses its old vectors, a deleted one all of them."""

from __future__ import annotations

from typing import Any

import numpy as np

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.retrieval.embedding import Embedder
from vivim.retrieval.vectors import knn, pending_chunks, store_vectors, vector_counts
from vivim.store.capture import upsert_capture

from .conftest import embed_pending


def vector_rows(conn: Any) -> tuple[int, int]:
    return (
        conn.execute("SELECT COUNT(*) FROM chunk_vectors").fetchone()[0],
        conn.execute("SELECT COUNT(*) FROM chunk_embeddings").fetchone()[0],
    )


def capture(conn: Any, text: str, status: str = "complete") -> None:
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(provider="claude", external_id="live", title="Live"),
            turns=[TurnIn(key="t0", role="assistant", text=text, markdown=text, status=status)],
        ),
    )
    conn.execute("COMMIT")


def test_every_chunk_gets_exactly_one_vector(corpus_db: Any) -> None:
    counts = vector_counts(corpus_db)
    assert counts["pending"] == 0
    assert vector_rows(corpus_db) == (counts["chunks"], counts["chunks"])


def test_a_grown_streaming_turn_replaces_its_vectors(corpus_db: Any, embedder: Embedder) -> None:
    capture(corpus_db, "Photosynthesis turns light", status="streaming")
    embed_pending(corpus_db, embedder)
    before = vector_rows(corpus_db)
    capture(corpus_db, "Photosynthesis turns light into chemical energy in chloroplasts.")
    assert vector_rows(corpus_db) == (before[0] - 1, before[1] - 1)  # the old chunk's vectors went with it
    assert [t for _, t in pending_chunks(corpus_db, 8)] == [
        "Photosynthesis turns light into chemical energy in chloroplasts."
    ]
    embed_pending(corpus_db, embedder)
    assert vector_rows(corpus_db) == before
    top, _ = knn(corpus_db, embedder.embed_query("how plants make energy from sunlight"), 1)[0]
    assert (
        corpus_db.execute("SELECT text FROM chunks WHERE id = ?", (top,))
        .fetchone()[0]
        .endswith("chloroplasts.")
    )


def test_deleting_a_conversation_deletes_its_vectors(corpus_db: Any) -> None:
    chunks_before = vector_counts(corpus_db)["chunks"]
    doomed = corpus_db.execute(
        "SELECT COUNT(*) FROM chunks ch JOIN messages m ON m.id = ch.message_id JOIN conversations c"
        " ON c.id = m.conversation_id WHERE c.external_id = 'marathon'"
    ).fetchone()[0]
    corpus_db.execute("DELETE FROM conversations WHERE external_id = 'marathon'")
    assert doomed > 0
    assert vector_rows(corpus_db) == (chunks_before - doomed, chunks_before - doomed)


def test_editing_a_chunk_text_in_place_marks_it_for_embedding_again(corpus_db: Any) -> None:
    chunk_id = corpus_db.execute("SELECT MIN(id) FROM chunks").fetchone()[0]
    corpus_db.execute("UPDATE chunks SET text = 'something else entirely' WHERE id = ?", (chunk_id,))
    assert pending_chunks(corpus_db, 8) == [(chunk_id, "something else entirely")]
    assert (
        corpus_db.execute("SELECT COUNT(*) FROM chunk_vectors WHERE chunk_id = ?", (chunk_id,)).fetchone()[0]
        == 0
    )


def test_a_vector_computed_for_text_that_has_since_changed_is_not_stored(corpus_db: Any) -> None:
    chunk_id = corpus_db.execute("SELECT MIN(id) FROM chunks").fetchone()[0]
    corpus_db.execute("UPDATE chunks SET text = 'new text' WHERE id = ?", (chunk_id,))
    stale = np.ones((1, 384), dtype=np.float32) / np.sqrt(384)
    assert store_vectors(corpus_db, [chunk_id], ["the old text the model saw"], stale) == 0
    assert pending_chunks(corpus_db, 8) == [(chunk_id, "new text")]
