"""context.build: relevant, outside the current conversation, diverse, deterministic, within budget."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.retrieval.embedding import Embedder, token_counter
from vivim.retrieval.prompt_context import HEADER, build_context
from vivim.retrieval.search import Filters, search
from vivim.store.capture import upsert_capture

from .conftest import embed_pending

DRAFT = "I'm planning a trip to see the cherry blossoms in Kyoto and Tokyo next spring, what route?"


def build(conn: Any, embedder: Embedder | None, draft: str = DRAFT, **kwargs: Any) -> dict[str, Any]:
    vector = embedder.embed_query(draft) if embedder else None
    return build_context(conn, draft, vector, **kwargs)


def test_context_block_names_its_sources_and_starts_with_the_best_match(
    corpus_db: Any, embedder: Embedder
) -> None:
    result = build(corpus_db, embedder)
    assert result["mode"] == "hybrid"
    assert result["items"][0]["provider"] == "gemini"
    assert result["items"][0]["external_id"] == "tokyo-trip"
    assert result["text"].startswith(HEADER)
    assert '[1] "Two weeks in Japan itinerary" (Gemini, 2025-' in result["text"]
    assert "Kyoto" in result["text"]


def test_the_current_conversation_is_left_out(corpus_db: Any, embedder: Embedder) -> None:
    result = build(corpus_db, embedder, provider="gemini", external_id="tokyo-trip")
    assert "tokyo-trip" not in {item["external_id"] for item in result["items"]}


def test_an_unrelated_draft_gets_no_context(corpus_db: Any, embedder: Embedder) -> None:
    result = build(corpus_db, embedder, draft="quantum chromodynamics gluon lattice")
    assert result["items"] == [] and result["text"] == "" and result["tokens"] == 0


def test_a_draft_search_finds_nothing_for_gets_no_context(tmp_path: Any, embedder: Embedder) -> None:
    from .test_relevance import russian_store

    conn = russian_store(
        tmp_path,
        [
            "Борщ получается бледным: тушите свёклу отдельно с уксусом и добавляйте в конце.",
            "Конфликт при слиянии веток: удалите маркеры, затем git add и git commit.",
            "Для бега зимой нужны три слоя: термобельё, флис и ветровка.",
        ],
    )
    embed_pending(conn, embedder)
    # The English model puts any Russian text at cosine 0.5-0.7 from any other: the nearest chunks
    # of an unrelated Russian draft clear context's own MIN_COSINE. Search says "no close matches"
    # for it, and context.build must not paste that noise instead.
    for draft in ("как вязать носки спицами", "сколько стоит аренда яхты в Турции", "qwpoeiru asdlkfj zmxn"):
        assert search(conn, draft, Filters(), 5, embedder.embed_query(draft))["results"] == [], draft
        assert build(conn, embedder, draft=draft)["items"] == [], draft
    assert build(conn, embedder, draft="почему борщ бледный")["items"][0]["external_id"] == "ru-0"
    conn.close()


def test_same_inputs_give_the_same_block(corpus_db: Any, embedder: Embedder) -> None:
    assert build(corpus_db, embedder) == build(corpus_db, embedder)


def test_near_duplicates_do_not_crowd_out_other_sources(corpus_db: Any, embedder: Embedder) -> None:
    # the same answer captured into three more conversations: MMR should not return all copies first
    text = dict(
        corpus_db.execute(
            "SELECT c.external_id, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.role = 'assistant'"
        ).fetchall()
    )["docker-compose"]
    for n in range(3):
        corpus_db.execute("BEGIN IMMEDIATE")
        upsert_capture(
            corpus_db,
            CaptureUpsert(
                conversation=ConversationIn(provider="chatgpt", external_id=f"copy{n}", title=f"Copy {n}"),
                turns=[
                    TurnIn(key="a", role="assistant", text=text + " " * n, markdown=text + f" (copy {n})")
                ],
            ),
        )
        corpus_db.execute("COMMIT")
    embed_pending(corpus_db, embedder)
    draft = "my containers cannot reach the postgres database in docker compose"
    items = build(corpus_db, embedder, draft=draft, max_items=3)["items"]
    texts = [item["text"] for item in items]
    assert sum("service name as host" in t for t in texts) == 1  # one copy of the answer, not four
    assert len(items) >= 2  # the room goes to other sources (here the original question)


def test_without_vectors_context_comes_from_full_text(bare_db: Any) -> None:
    result = build(bare_db, None, draft="what did we say about sourdough starter feeding and rye flour")
    assert result["mode"] == "fulltext"
    assert result["items"][0]["external_id"] == "sourdough"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budget=st.integers(min_value=0, max_value=400),
    max_items=st.integers(min_value=0, max_value=8),
    draft=st.sampled_from(
        [
            DRAFT,
            "nginx reverse proxy flask tls",
            "tomato blight garden",
            "marathon training long runs and sleep",
            "git rebase lost commits reflog",
        ]
    ),
)
def test_the_block_never_exceeds_the_token_budget(
    corpus_db: Any, budget: int, max_items: int, draft: str
) -> None:
    result = build_context(corpus_db, draft, None, token_budget=budget, max_items=max_items)
    assert result["tokens"] == (token_counter().count(result["text"]) if result["text"] else 0)
    assert result["tokens"] <= budget
    assert len(result["items"]) <= max_items
