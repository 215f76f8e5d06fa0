"""The fast first pass: a static model distilled from the shipped MiniLM makes a backlog searchable by
meaning at once, in its own space, behind its own floor, until MiniLM refines each chunk."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support.hostproc import HostProcess
from vivim.retrieval import first_pass
from vivim.retrieval.index_status import COUNT_TTL, counts, describe, forget_counts, status
from vivim.retrieval.reindex import first_pass_all
from vivim.retrieval.search import Filters, hybrid_hits, search
from vivim.retrieval.static_model import DIM, StaticEmbedder, get_static_embedder
from vivim.retrieval.vectors import store_vectors

from .conftest import embed_pending
from .test_worker import capture_corpus_from_this_process, wait_until_embedded


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    model = get_static_embedder()
    model.ensure_loaded()  # built from the shipped MiniLM on first use (cached per user)
    return model


def conversations_of(result: dict[str, Any]) -> list[str]:
    return [group["conversation"]["external_id"] for group in result["results"]]


def test_the_static_model_puts_related_texts_nearer_than_unrelated_ones(static: StaticEmbedder) -> None:
    bread, dough, postgres, empty = static.embed(
        [
            "My sourdough starter smells sour and the bread comes out dense",
            "How do I bake a lighter loaf of bread with a wild yeast culture?",
            "The Postgres query planner ignores my index on a large table",
            "",
        ]
    )
    assert bread.shape == (DIM,)
    assert float(np.linalg.norm(bread)) == pytest.approx(1.0, abs=1e-3)
    assert float(bread @ dough) > float(bread @ postgres) + 0.15
    assert not empty.any()  # nothing to average: a zero row, never NaN


def test_first_pass_makes_an_unembedded_archive_searchable_by_meaning(
    bare_db: Any, static: StaticEmbedder
) -> None:
    total = bare_db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    assert first_pass_all(bare_db, static) == total
    assert first_pass.pending(bare_db) == []  # walked once, nothing left
    # No MiniLM vector anywhere: meaning comes from the first pass alone.
    result = search(bare_db, "my kitten pees outside of its box", Filters(), 5, None)
    assert result["modes"] == ["fulltext", "first_pass"]
    assert conversations_of(result)[0] == "cat-litter"
    query = "my kitten pees outside of its box"
    best = hybrid_hits(bare_db, query, None, Filters(), 5, first_pass_vector=static.embed_query(query))[0]
    assert best["cosine"] is None and best["first_pass_cosine"] > 0  # judged in the first-pass space
    assert search(bare_db, "zzqxnotathing", Filters(), 5, None)["results"] == []  # the floor holds
    # Filters apply inside the first-pass scan too.
    assert (
        search(bare_db, "my kitten pees outside of its box", Filters(provider="nowhere"), 5, None)["results"]
        == []
    )


def test_each_chunk_is_searched_in_one_space_and_edits_drop_stale_vectors(
    bare_db: Any, static: StaticEmbedder, embedder: Any
) -> None:
    first_pass_all(bare_db, static)
    quick = first_pass.count(bare_db)
    chunk_id, text = bare_db.execute("SELECT id, text FROM chunks ORDER BY id LIMIT 1").fetchone()
    bare_db.execute("BEGIN IMMEDIATE")
    store_vectors(bare_db, [chunk_id], [text], embedder.embed([text]))  # MiniLM refines one chunk
    bare_db.execute("COMMIT")
    assert first_pass.count(bare_db) == quick - 1
    other = bare_db.execute(
        "SELECT id FROM chunks WHERE id != ? ORDER BY id LIMIT 1", (chunk_id,)
    ).fetchone()[0]
    bare_db.execute("UPDATE chunks SET text = text || ' edited' WHERE id = ?", (other,))
    assert first_pass.count(bare_db) == quick - 2  # the edited text's old vector went with it
    assert [i for i, _ in first_pass.pending(bare_db)] == [other]
    # A stale text is never stored: the chunk changed while the static model ran.
    assert first_pass.store(bare_db, [other], ["what it said before"], static.embed(["x"])) == 0
    embed_pending(bare_db, embedder)
    assert first_pass.count(bare_db) == 0 and not first_pass.has_any(bare_db)
    result = search(bare_db, "my kitten pees outside of its box", Filters(), 5, embedder.embed_query("x"))
    assert "first_pass" not in result["modes"]  # refined everywhere: MiniLM alone


def test_index_status_counts_the_first_pass_and_says_meaning_search_covers_everything(
    bare_db: Any, static: StaticEmbedder
) -> None:
    first_pass_all(bare_db, static)
    forget_counts()
    found = counts(bare_db)
    forget_counts()
    index = status(found, "ready", worker_rate=30.0)
    assert index["embedded"] == 0 and index["first_pass"] == index["pending"] == index["chunks"]
    assert index["searchable"] == index["chunks"] and index["complete"] is False
    line = describe(index, ["fulltext", "first_pass"])
    assert line is not None
    assert line.startswith(f"Meaning search: all {index['chunks']:,} searchable by a quick first pass")
    half = status({"chunks": 80_000, "embedded": 12_400, "first_pass": 30_000}, "ready", worker_rate=30.0)
    assert describe(half, ["fulltext", "vector", "first_pass"]) == (
        "Meaning search: 12,400 of 80,000 indexed, 30,000 more by a quick first pass (about 38 min):"
        " results may be missing until it finishes."
    )


def test_the_worker_runs_the_first_pass_before_minilm_and_ends_in_one_space(
    vivim_home: Path, static: StaticEmbedder
) -> None:
    """A real host process: another process captures a backlog, the worker gives it first-pass
    vectors (the static table is built and cached), then MiniLM refines every chunk."""
    host = HostProcess(vivim_home, services="embed")
    try:
        asyncio.run(capture_corpus_from_this_process(vivim_home))
        status = wait_until_embedded(host)
        assert status["first_pass_since_start"] == status["chunks"]  # every chunk got the fast pass first
        assert status["first_pass_error"] is None
        time.sleep(COUNT_TTL + 0.1)  # the index block's counts are reused for COUNT_TTL seconds
        index = host.call("embed.status")["index"]
        assert index["first_pass"] == 0 and index["embedded"] == index["chunks"]  # one space per chunk
        result = host.call("search", {"query": "my kitten urinates outside its tray", "limit": 3})
        assert result["modes"] == ["fulltext", "vector"] and result["complete"] is True
    finally:
        host.close()


def test_the_in_memory_snapshot_answers_like_the_table_and_forgets_refined_chunks(
    bare_db: Any, static: StaticEmbedder, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_pass_all(bare_db, static)
    query = static.embed_query("my kitten pees outside of its box")
    from_table = first_pass.knn(bare_db, query, 10)
    monkeypatch.setattr(first_pass, "SNAPSHOT_MIN", 1)  # the corpus is small: snapshot it anyway
    from_snapshot = first_pass.knn(bare_db, query, 10)
    assert [cid for cid, _ in from_snapshot] == [cid for cid, _ in from_table]
    assert [s for _, s in from_snapshot] == pytest.approx([s for _, s in from_table], abs=1e-3)
    best, _ = from_snapshot[0]
    text = bare_db.execute("SELECT text FROM chunks WHERE id = ?", (best,)).fetchone()[0]
    bare_db.execute("BEGIN IMMEDIATE")
    store_vectors(bare_db, [best], [text], embedder.embed([text]))  # MiniLM refines the best one
    bare_db.execute("COMMIT")
    assert best not in [cid for cid, _ in first_pass.knn(bare_db, query, 10)]  # one space per chunk


def test_context_opens_with_what_search_finds_over_first_pass_vectors(
    bare_db: Any, static: StaticEmbedder
) -> None:
    from vivim.retrieval.prompt_context import build_context

    first_pass_all(bare_db, static)
    draft = "my kitten urinates outside its tray"  # no word in common: meaning only
    assert conversations_of(search(bare_db, draft, Filters(), 3, None))[0] == "cat-litter"
    built = build_context(bare_db, draft, None)
    first = built["items"][0]
    assert first["external_id"] == "cat-litter"  # search's first conversation opens the context
