"""The relevance floor: nothing close means no results; close hits still come, marked strong or weak."""

from __future__ import annotations

from typing import Any

from vivim.retrieval import relevance
from vivim.retrieval.embedding import Embedder
from vivim.retrieval.search import Filters, floored_keyword_ranking, hybrid_hits, query_words, search

from .test_search import conversation_ids


def run(
    conn: Any, embedder: Embedder | None, query: str, mode: str = "hybrid", **filters: Any
) -> dict[str, Any]:
    return search(
        conn, query, Filters(**filters), 10, embedder.embed_query(query) if embedder else None, mode
    )


def test_gibberish_query_returns_no_results(corpus_db: Any, embedder: Embedder) -> None:
    for query in ("zzqxnotathing", "qwpoeiru asdlkfj zmxn", "blorptastic xyloquent snarfle"):
        result = run(corpus_db, embedder, query)
        assert result["mode"] == "hybrid" and result["modes"] == ["fulltext", "vector"]
        assert result["results"] == [], (query, conversation_ids(result))


def test_unrelated_query_returns_nothing(corpus_db: Any, embedder: Embedder) -> None:
    for query in (
        "origami crane folding instructions",
        "tarot card meanings",
        "quantum entanglement explained",
        "правила игры в керлинг",
    ):
        assert run(corpus_db, embedder, query)["results"] == [], query


def test_recipe_against_a_tech_archive_returns_nothing(corpus_db: Any, embedder: Embedder) -> None:
    tech = ("nginx-proxy", "pg-index", "rust-borrow", "git-rebase", "python-async", "docker-compose")
    marks = ",".join("?" * len(tech))
    corpus_db.execute(f"UPDATE conversations SET deleted_at = 1 WHERE external_id NOT IN ({marks})", tech)
    assert run(corpus_db, embedder, "recipe")["results"] == []
    assert run(corpus_db, embedder, "a good recipe for dinner")["results"] == []
    assert (
        conversation_ids(run(corpus_db, embedder, "nginx"))[0] == "nginx-proxy"
    )  # the archive still answers


def test_a_paraphrase_is_still_found_and_marked_strong(corpus_db: Any, embedder: Embedder) -> None:
    result = run(corpus_db, embedder, "my kitten urinates outside its tray")
    top = result["results"][0]
    assert top["conversation"]["external_id"] == "cat-litter"
    assert top["match"] == "strong" and top["hits"][0]["strength"] == "strong"


def test_every_result_says_how_close_it_is(corpus_db: Any, embedder: Embedder) -> None:
    result = run(corpus_db, embedder, "vegetable garden plant disease")
    assert result["results"]
    for group in result["results"]:
        assert group["match"] in ("strong", "weak")
        assert {hit["strength"] for hit in group["hits"]} <= {"strong", "weak"}
        assert group["match"] == (
            "strong" if any(h["strength"] == "strong" for h in group["hits"]) else "weak"
        )


def test_stop_words_alone_match_nothing_in_full_text(bare_db: Any) -> None:
    for query in ("how do I do it", "what is the", "and so on"):
        assert run(bare_db, None, query, "fulltext")["results"] == [], query


def test_one_common_word_does_not_make_a_long_query_match(bare_db: Any) -> None:
    # "flour" is in the sourdough conversation; the query is about something else entirely
    result = run(
        bare_db, None, "gluten free flour substitutes for my birthday cake decorating class", "fulltext"
    )
    assert result["results"] == []


def test_full_text_without_every_word_still_reaches_hybrid_results(
    corpus_db: Any, embedder: Embedder
) -> None:
    query = "E0502 borrow error in my parser"  # every-word matching finds nothing: "parser" is nowhere
    words = query_words(corpus_db, query)
    ranked, coverage = floored_keyword_ranking(corpus_db, query, Filters(), words)
    assert ranked and min(coverage.values()) >= relevance.WORD_FLOOR
    hits = hybrid_hits(corpus_db, query, embedder.embed_query(query))
    assert hits[0]["chunk_id"] in ranked  # the any-word full-text hit is in the fused list, first
    top = run(corpus_db, embedder, query)["results"][0]
    assert top["conversation"]["external_id"] == "rust-borrow"


def test_exact_rare_words_are_found_even_when_meaning_is_far(corpus_db: Any, embedder: Embedder) -> None:
    result = run(corpus_db, embedder, "TaskGroup")
    assert conversation_ids(result)[0] == "python-async"
    assert result["results"][0]["match"] == "strong"  # every informative word is there


def test_floor_groups_follow_what_the_model_knows() -> None:
    assert relevance.floor_for("how do I speed up a slow postgres query") is relevance.LATIN
    assert relevance.floor_for("Wie funktioniert ein Segelflugzeug") is relevance.UNKNOWN_WORDS
    assert relevance.floor_for("zzqxnotathing") is relevance.UNKNOWN_WORDS
    assert relevance.floor_for("как сварить борщ") is relevance.OTHER_SCRIPT
    assert relevance.floor_for("豚骨スープ") is relevance.OTHER_SCRIPT


def test_function_words_of_other_languages_neither_count_nor_make_a_query_english() -> None:
    from vivim.retrieval.search import content_words

    # "del" and "per" are whole words of the English model's vocabulary; the query is Italian.
    assert relevance.floor_for("regole del rugby per principianti") is relevance.UNKNOWN_WORDS
    assert relevance.floor_for("how to become an airline pilot") is relevance.LATIN
    assert content_words("какой индекс создать для таблицы") == ["индекс", "создать", "таблицы"]
    assert content_words("qué arroz usar para la paella") == ["arroz", "usar", "paella"]
    assert content_words("why did the plants die") == ["plants", "die"]  # an English word stays


def test_lexical_support_counts_stems_and_bigrams() -> None:
    units = relevance.units
    assert relevance.support(units(["бледным"]), "борщ бледный", {"борщ", "бледный"}) == 1.0
    assert relevance.support(units(["豚骨スープ"]), "豚骨のスープ", set()) >= 0.5
    assert relevance.support(units(["airline", "pilot"]), "jet lag flight", {"jet", "lag", "flight"}) == 0.0


def test_a_word_found_only_in_a_title_finds_its_conversation(
    bare_db: Any, corpus_db: Any, embedder: Embedder
) -> None:
    # "rooftop" and "solar" are in the title "Rooftop solar payback", in none of its messages
    assert conversation_ids(run(bare_db, None, "rooftop solar", "fulltext"))[0] == "solar"
    result = run(corpus_db, embedder, "rooftop")
    assert conversation_ids(result)[0] == "solar" and result["results"][0]["match"] == "strong"


def test_japanese_runs_count_their_content_pieces_not_particles() -> None:
    # Script changes mark word edges; the hiragana between kanji and katakana is particles/endings.
    assert relevance.pieces("温泉の入り方とマナー") == ["温泉", "マナー"]
    assert relevance.pieces("csvを読み込むと文字コードのエラーが出る") == ["csv", "文字", "コード", "エラー"]
    assert relevance.pieces("北京烤鸭怎么做") == ["北京烤鸭怎么做"]  # one script: left whole (bigrams)
    assert relevance.pieces("すごい") == ["すごい"]  # nothing but hiragana: kept
    assert "の入" not in relevance.units(["温泉の入り方とマナー"])


def test_support_weighs_the_query_words_by_rarity(tmp_path: Any) -> None:
    texts = [f"как дела, вопрос номер {i}" for i in range(8)] + ["борщ получился бледным"]
    conn = russian_store(tmp_path, texts)
    words = query_words(conn, "как сварить бледный борщ")
    # Only the commonest word is there: weighed by rarity, that is little support.
    assert words.support("как дела") < 0.2
    # The rare words (by stem: "бледным" meets "бледный") carry it.
    assert words.support("борщ получился бледным") > 0.5
    conn.close()


def russian_store(tmp_path: Any, texts: list[str], title: str | None = None) -> Any:
    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
    from vivim.store.capture import upsert_capture
    from vivim.store.connection import connect_sync
    from vivim.store.migrations import apply_migrations

    conn = connect_sync(tmp_path / "ru.sqlite3")
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for i, text in enumerate(texts):
        upsert_capture(
            conn,
            CaptureUpsert(
                conversation=ConversationIn(provider="chatgpt", external_id=f"ru-{i}", title=title),
                turns=[TurnIn(key="a", role="assistant", text=text)],
            ),
        )
    conn.execute("COMMIT")
    return conn


def test_inflected_words_the_model_does_not_know_match_by_stem_in_full_text(tmp_path: Any) -> None:
    conn = russian_store(tmp_path, ["Таблица заказы растёт, запросы к ней медленные."], title="База данных")
    # "таблице заказов" (other case endings) shares no exact word with the text, only stems.
    result = search(conn, "медленный запрос к таблице заказов", Filters(), 5, None, "fulltext")
    assert conversation_ids(result) == ["ru-0"]
    english = search(conn, "tables of orders", Filters(), 5, None, "fulltext")
    assert english["results"] == []  # stems are for words the model does not know, not for every query
    conn.close()


def test_a_vector_hit_counts_the_words_of_its_whole_exchange(tmp_path: Any) -> None:
    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
    from vivim.retrieval.search import exchange_texts
    from vivim.store.capture import upsert_capture

    conn = russian_store(tmp_path, [])
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(provider="chatgpt", external_id="baikal", title="Поездка"),
            turns=[
                TurnIn(key="q", role="user", text="Хотим поехать на Байкал в феврале."),
                TurnIn(key="a", role="assistant", text="Прилетайте в Иркутск, затем на Ольхон."),
                TurnIn(key="q2", role="user", text="А летом?"),
            ],
        ),
    )
    conn.execute("COMMIT")
    chunk = {text: chunk_id for chunk_id, text in conn.execute("SELECT id, text FROM chunks").fetchall()}
    words = query_words(conn, "что взять с собой на Ольхон в феврале")
    texts = exchange_texts(conn, list(chunk.values()))
    question, answer = (
        chunk["Хотим поехать на Байкал в феврале."],
        chunk["Прилетайте в Иркутск, затем на Ольхон."],
    )
    # The month is in the question, the island in the answer: each half counts the other's words.
    assert "Ольхон" in texts[question] and "феврале" in texts[answer]
    assert words.support(texts[question]) > words.support("Хотим поехать на Байкал в феврале.")
    assert "А летом?" not in texts[answer]  # the question it answers, not the next one
    conn.close()
