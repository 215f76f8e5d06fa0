"""Retrieval quality on the labelled corpus: recall@5 and MRR, with floors that catch regressions."""

from __future__ import annotations

from typing import Any

from vivim.retrieval.embedding import Embedder
from vivim.retrieval.filters import Filters
from vivim.retrieval.search import search

from .corpus import QUERIES


def evaluate(conn: Any, embedder: Embedder | None, mode: str, kind: str | None = None) -> tuple[float, float]:
    reciprocal_ranks, found = [], 0
    queries = [q for q in QUERIES if kind is None or q[2] == kind]
    for query, relevant, _ in queries:
        vector = embedder.embed_query(query) if embedder else None
        result = search(conn, query, Filters(), 10, vector, mode)
        ids = [group["conversation"]["external_id"] for group in result["results"]]
        rank = next((i + 1 for i, external_id in enumerate(ids) if external_id in relevant), None)
        reciprocal_ranks.append(1.0 / rank if rank else 0.0)
        found += bool(rank and rank <= 5)
    return found / len(queries), sum(reciprocal_ranks) / len(queries)


# The relevance floor (vivim.retrieval.relevance) leaves out hits the model scores as loosely related, and
# three of this corpus's paraphrases are that loose (cosine 0.28-0.40 to their answer, no shared
# word): 19 of 22 are found. The floor is judged on bench/search_quality.py's 338 queries, where
# it keeps paraphrase recall@5 at 1.0 (tune and held-out) and no-answer precision at 1.0 / 0.93.
def test_hybrid_search_finds_the_labelled_conversation_in_the_top_five(
    corpus_db: Any, embedder: Embedder
) -> None:
    recall, mrr = evaluate(corpus_db, embedder, "hybrid")
    print(f"hybrid: recall@5={recall:.3f} MRR={mrr:.3f} over {len(QUERIES)} queries")
    assert recall >= 0.85
    assert mrr >= 0.85


def test_paraphrases_are_found_by_meaning_not_only_by_words(corpus_db: Any, embedder: Embedder) -> None:
    hybrid_recall, hybrid_mrr = evaluate(corpus_db, embedder, "hybrid", "paraphrase")
    fulltext_recall, fulltext_mrr = evaluate(corpus_db, None, "fulltext", "paraphrase")
    print(
        f"paraphrases: hybrid recall@5={hybrid_recall:.3f} MRR={hybrid_mrr:.3f};"
        f" fulltext recall@5={fulltext_recall:.3f} MRR={fulltext_mrr:.3f}"
    )
    assert hybrid_recall >= 0.78  # 11 of 14: see the note above
    assert hybrid_mrr > fulltext_mrr


def test_keyword_queries_rank_their_conversation_first_even_without_vectors(corpus_db: Any) -> None:
    recall, mrr = evaluate(corpus_db, None, "fulltext", "keyword")
    assert recall == 1.0
    assert mrr >= 0.9
