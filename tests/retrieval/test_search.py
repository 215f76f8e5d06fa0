"""Hybrid search: filters, grouping, snippets, and the full-text fallback before vectors exist."""

from __future__ import annotations

from typing import Any

from vivim.retrieval.embedding import Embedder
from vivim.retrieval.filters import Filters
from vivim.retrieval.search import MARK_END, MARK_START, reciprocal_rank_fusion, search
from vivim.retrieval.words import fts_query_any

from .corpus import BASE_TIME, DAY


def conversation_ids(result: dict[str, Any]) -> list[str]:
    return [group["conversation"]["external_id"] for group in result["results"]]


def test_search_answers_from_full_text_before_any_vector_exists(bare_db: Any, embedder: Embedder) -> None:
    query = "git reflog"
    result = search(bare_db, query, Filters(), 10, embedder.embed_query(query))
    assert result["mode"] == "fulltext"
    assert conversation_ids(result)[0] == "git-rebase"


def test_hybrid_results_are_grouped_by_conversation_with_url_and_marked_snippets(
    corpus_db: Any, embedder: Embedder
) -> None:
    query = "nginx proxy"
    result = search(corpus_db, query, Filters(), 10, embedder.embed_query(query))
    assert result["mode"] == "hybrid"
    top = result["results"][0]
    assert top["conversation"]["external_id"] == "nginx-proxy"
    assert top["conversation"]["url"] == "https://example.test/claude/nginx-proxy"
    assert len(conversation_ids(result)) == len(set(conversation_ids(result)))
    assert f"{MARK_START}nginx{MARK_END}".lower() in top["hits"][0]["snippet"].lower()


def test_vector_only_hits_get_a_snippet_from_their_text(corpus_db: Any, embedder: Embedder) -> None:
    query = "trouble with insomnia at night"
    result = search(corpus_db, query, Filters(), 5, embedder.embed_query(query), "vector")
    assert result["mode"] == "vector"
    assert conversation_ids(result)[0] == "sleep"
    assert result["results"][0]["hits"][0]["snippet"]


def test_a_meaning_hit_in_unspaced_text_gets_a_short_snippet_not_the_whole_paragraph() -> None:
    """Between spaces, a Japanese paragraph is one "word": 16 of them showed a 680-character answer
    whole. What no query term marks is cut to a sentence's worth; prose keeps its 16 words."""
    from vivim.retrieval.search import make_snippet

    paragraph = (
        "北海道の冬は想像以上に寒いので、重ね着が基本です。" * 12 + "最後に知床の流氷ウォークもおすすめです。"
    )
    snippet = make_snippet(paragraph, "what should I wear for a winter trip")
    assert snippet.endswith("…") and len(snippet) <= 60 and paragraph.startswith(snippet[:-1])
    prose = " ".join(f"word{i}" for i in range(40))
    assert make_snippet(prose, "nothing here") == " ".join(f"word{i}" for i in range(16)) + "…"


def test_provider_filter_applies_inside_the_vector_scan(corpus_db: Any, embedder: Embedder) -> None:
    query = "yellow leaves with spots on my vegetable plants"
    result = search(corpus_db, query, Filters(provider="gemini"), 20, embedder.embed_query(query))
    assert result["results"]
    assert {g["conversation"]["provider"] for g in result["results"]} == {"gemini"}


def test_role_and_date_filters_restrict_hits(corpus_db: Any, embedder: Embedder) -> None:
    query = "fix the borrow checker error when I push to a vector"
    since = BASE_TIME - 30 * DAY
    result = search(corpus_db, query, Filters(role="assistant", since=since), 20, embedder.embed_query(query))
    hits = [hit for group in result["results"] for hit in group["hits"]]
    assert hits
    assert {hit["role"] for hit in hits} == {"assistant"}
    assert min(hit["created_at"] for hit in hits) >= since


def test_conversation_filter_keeps_one_conversation(corpus_db: Any, embedder: Embedder) -> None:
    conversation_id = corpus_db.execute(
        "SELECT id FROM conversations WHERE external_id = 'tomato'"
    ).fetchone()[0]
    query = "leaves"
    result = search(
        corpus_db, query, Filters(conversation_id=conversation_id), 10, embedder.embed_query(query)
    )
    assert conversation_ids(result) == ["tomato"]


def test_deleted_conversations_are_not_found(corpus_db: Any, embedder: Embedder) -> None:
    corpus_db.execute("UPDATE conversations SET deleted_at = 1 WHERE external_id = 'sleep'")
    query = "trouble with insomnia at night"
    result = search(corpus_db, query, Filters(), 10, embedder.embed_query(query))
    assert "sleep" not in conversation_ids(result)


def test_query_syntax_in_user_text_is_searched_for_not_obeyed(corpus_db: Any, embedder: Embedder) -> None:
    for query in ['"unbalanced', "NEAR(a b)", "-(", "*", "a OR", "col:value"]:
        search(corpus_db, query, Filters(), 5, embedder.embed_query(query))  # must not raise


def test_any_word_query_leaves_out_stop_words_and_quotes_the_rest() -> None:
    assert fts_query_any('What is the "best" way to do it?') == '"best" OR "way"'
    assert fts_query_any("the and of") is None


def test_reciprocal_rank_fusion_rewards_agreement_and_breaks_ties_by_id() -> None:
    fused = reciprocal_rank_fusion([[3, 1, 2], [1, 4]])
    assert fused[0][0] == 1
    assert [i for i, _ in fused[1:3]] == [3, 4]  # equal scores (rank 1 in one list): lower id first


def test_a_selective_filter_still_finds_its_few_keyword_hits_among_many_better_ones(bare_db: Any) -> None:
    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
    from vivim.retrieval.search import keyword_ranking
    from vivim.store.capture import upsert_capture

    def add(provider: str, external_id: str, text: str) -> None:
        bare_db.execute("BEGIN IMMEDIATE")
        upsert_capture(
            bare_db,
            CaptureUpsert(
                conversation=ConversationIn(provider=provider, external_id=external_id),
                turns=[TurnIn(key="t", role="user", text=text, markdown=text)],
            ),
        )
        bare_db.execute("COMMIT")

    for n in range(20):  # short, so BM25 ranks them above the long ones
        add("chatgpt", f"z{n}", f"zebra zebra {n}")
    for n in range(2):
        add("claude", f"c{n}", "a zebra seen far away across the plain among many other animals " * 3)
    ranked = keyword_ranking(bare_db, "zebra", Filters(provider="claude"), limit=2)
    providers = {
        bare_db.execute(
            "SELECT c.provider FROM chunks ch JOIN messages m ON m.id = ch.message_id"
            " JOIN conversations c ON c.id = m.conversation_id WHERE ch.id = ?",
            (i,),
        ).fetchone()[0]
        for i in ranked
    }
    assert len(ranked) == 2 and providers == {"claude"}


def test_a_query_with_a_lone_surrogate_is_searched_not_refused(corpus_db: Any, embedder: Any) -> None:
    """A command line argument in a non-UTF-8 locale (or a JSON body cut inside an emoji) can carry a
    lone UTF-16 surrogate; the tokenizers refused the whole string with a TypeError."""
    from vivim.retrieval.embedding import token_counter
    from vivim.retrieval.static_model import get_static_embedder

    query = "git reflog \udcff"
    vector = embedder.embed_query(query)
    assert search(corpus_db, query, Filters(), 5, vector)["results"]
    assert token_counter().count(query) > 0 and token_counter().truncate(query, 1)
    static = get_static_embedder()
    static.ensure_loaded()
    assert static.embed([query]).shape[0] == 1
