"""Words inside unspaced scripts (Japanese, Chinese, Thai, Korean) are found, however short, through the
trigram index; the index follows edits and deletes, and an archive from before it is backfilled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from vivim.protocol import CaptureUpsert
from vivim.retrieval.search import MARK_END, MARK_START, Filters, search_fulltext
from vivim.store import Store, migrations
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync

ARCHIVE = {
    "tokyo": (
        "chatgpt",
        "昨日は家族で東京タワーに行きました。展望台からの夜景がとても綺麗で、高さは333メートルだそうです。",
    ),
    "ramen": (
        "claude",
        "博多のとんこつラーメンと札幌の味噌ラーメン、どちらが好きですか。私は替え玉を頼むのが習慣です。",
    ),
    "beijing": ("chatgpt", "我们下周去北京出差，需要在故宫附近订一家安静的酒店，预算每晚八百元左右。"),
    "cat": ("gemini", "我家的猫每天早上六点叫醒我，它想吃早饭。"),
    "thai": ("gemini", "ฉันชอบกินข้าวผัดกุ้งที่ร้านริมทางใกล้บ้าน ราคาไม่แพงและอร่อยมาก"),
    "seoul": ("claude", "다음 주에 서울에서 친구를 만나서 경복궁을 구경할 거예요."),
    "english": ("chatgpt", "Configure the nginx reverse proxy to forward websocket upgrades."),
}


def capture(external_id: str, provider: str, text: str, *, status: str = "complete") -> CaptureUpsert:
    return msgspec.convert(
        {
            "conversation": {"provider": provider, "external_id": external_id, "title": external_id},
            "turns": [{"key": "t1", "role": "assistant", "text": text, "status": status}],
        },
        CaptureUpsert,
    )


@pytest.fixture
async def archive(store: Store) -> Store:
    for external_id, (provider, text) in ARCHIVE.items():
        await store.write(upsert_capture, capture(external_id, provider, text))
    return store


async def found(store: Store, query: str, filters: Filters = Filters()) -> list[str]:
    result = await store.read(search_fulltext, query, filters)
    return [g["conversation"]["external_id"] for g in result["results"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("東京タワー", "tokyo"),  # a word in the middle of a Japanese sentence
        ("展望台", "tokyo"),
        ("味噌ラーメン", "ramen"),
        ("故宫", "beijing"),  # a place inside a longer Chinese run
        ("ข้าวผัด", "thai"),  # fried rice, inside an unspaced Thai sentence
        ("경복궁", "seoul"),
    ],
)
async def test_a_word_inside_unspaced_text_is_found(archive: Store, query: str, expected: str) -> None:
    assert await found(archive, query) == [expected]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("高さ", "tokyo"),  # two characters: below what a trigram index can look up
        ("北京", "beijing"),
        ("猫", "cat"),  # one character
        ("서울", "seoul"),
    ],
)
async def test_one_and_two_character_words_are_found(archive: Store, query: str, expected: str) -> None:
    assert await found(archive, query) == [expected]


async def test_a_question_phrased_differently_from_the_text_still_finds_it(archive: Store) -> None:
    # The text says 東京タワーに ... 高さは; the query joins them with の.
    assert (await found(archive, "東京タワーの高さ"))[0] == "tokyo"


async def test_several_words_narrow_to_the_chunk_holding_all_of_them(archive: Store) -> None:
    assert await found(archive, "ラーメン 札幌") == ["ramen"]
    assert await found(archive, "北京 酒店") == ["beijing"]


async def test_words_found_nowhere_return_nothing(archive: Store) -> None:
    assert await found(archive, "量子力学") == []
    assert await found(archive, "鮨") == []


async def test_the_snippet_marks_the_word_inside_the_sentence(archive: Store) -> None:
    result = await archive.read(search_fulltext, "高さ")
    snippet = result["results"][0]["hits"][0]["snippet"]
    assert f"{MARK_START}高さ{MARK_END}" in snippet
    assert len(snippet) < len(ARCHIVE["tokyo"][1])


async def test_filters_apply_to_unspaced_hits(archive: Store) -> None:
    assert await found(archive, "ラーメン", Filters(provider="chatgpt")) == []
    assert await found(archive, "ラーメン", Filters(provider="claude")) == ["ramen"]


async def test_latin_text_stays_out_of_the_trigram_index(archive: Store) -> None:
    indexed = (await archive.fetchone("SELECT COUNT(*) FROM chunks_unspaced_docsize"))[0]
    assert indexed == len(ARCHIVE) - 1
    assert await found(archive, "websocket") == ["english"]


async def test_an_edited_turn_is_found_by_its_new_words_only(store: Store) -> None:
    await store.write(upsert_capture, capture("trip", "chatgpt", "明日の大阪の天気", status="streaming"))
    await store.write(upsert_capture, capture("trip", "chatgpt", "明日の京都の天気は晴れです。"))
    assert await found(store, "京都") == ["trip"]
    assert await found(store, "大阪") == []
    await store.write(lambda conn: conn.execute("DELETE FROM conversations"))
    assert await found(store, "京都") == []
    assert (
        await store.fetchone("SELECT COUNT(*) FROM chunks_unspaced WHERE chunks_unspaced MATCH '天気は'")
    )[0] == 0


async def test_an_archive_from_before_the_trigram_index_is_backfilled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.sqlite3"
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [m for m in migrations.MIGRATIONS if m.version < 7 or m.version in (8, 25, 30)],
    )  # 8: columns today's upsert writes
    conn = connect_sync(db)
    migrations.apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for external_id, (provider, text) in ARCHIVE.items():
        upsert_capture(conn, capture(external_id, provider, text))
    conn.execute("COMMIT")
    conn.close()
    monkeypatch.undo()

    store = await Store.open(db)
    try:
        assert await found(store, "展望台") == ["tokyo"]
        assert await found(store, "猫") == ["cat"]
    finally:
        await store.close()


def test_context_draft_in_japanese_reaches_the_japanese_conversation(tmp_path: Path) -> None:
    from vivim.retrieval.search import keyword_ranking
    from vivim.store.migrations import apply_migrations

    conn: Any = connect_sync(tmp_path / "ctx.sqlite3")
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for external_id, (provider, text) in ARCHIVE.items():
        upsert_capture(conn, capture(external_id, provider, text))
    conn.execute("COMMIT")
    tokyo = conn.execute(
        "SELECT ch.id FROM chunks ch JOIN messages m ON m.id = ch.message_id"
        " JOIN conversations c ON c.id = m.conversation_id WHERE c.external_id = 'tokyo'"
    ).fetchone()[0]
    assert keyword_ranking(conn, "東京タワーの夜景について教えて", any_words=True)[0] == tokyo
    conn.close()
