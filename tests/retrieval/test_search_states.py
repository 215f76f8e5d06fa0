"""Honest states: a search reply says what answered and how much meaning search covers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from tests.support.hostproc import HostProcess
from vivim.cli import main
from vivim.retrieval.index_status import ProgressMeter, describe, status
from vivim.store import Store
from vivim.store.capture import upsert_capture

from .corpus import captures


async def capture_corpus(home: Path) -> None:
    store = await Store.open(home / "vivim.sqlite3")
    try:
        for capture in captures():
            await store.write(upsert_capture, capture)
    finally:
        await store.close()


def test_search_before_any_vector_says_it_is_words_only_and_how_much_is_indexed(vivim_home: Path) -> None:
    asyncio.run(capture_corpus(vivim_home))
    host = HostProcess(vivim_home, services="none")  # no worker: nothing gets embedded
    try:
        result = host.call("search", {"query": "sourdough starter", "wait_for_model": 10})
        assert result["results"][0]["conversation"]["external_id"] == "sourdough"
        assert result["mode"] == "fulltext" and result["modes"] == ["fulltext"]
        assert result["complete"] is False
        index = result["index"]
        assert index["chunks"] > 0 and index["embedded"] == 0 and index["pending"] == index["chunks"]
        assert index["model"] == "ready"  # the request waited for the model, as it asked
        assert describe(index, result["modes"]).startswith(
            f"Meaning search: 0 of {index['chunks']:,} indexed"
        )
        asked_words = host.call("search", {"query": "sourdough starter", "mode": "fulltext"})
        assert asked_words["complete"] is True  # words were all that was asked for
    finally:
        host.close()


def test_embed_status_warms_the_model_without_waiting(vivim_home: Path) -> None:
    host = HostProcess(vivim_home, services="none")
    try:
        first = host.call("embed.status", {"warm": True})
        assert first["index"]["model"] in ("loading", "ready")
        result = host.call("search", {"query": "anything", "wait_for_model": 10})
        assert result["index"]["model"] == "ready"
    finally:
        host.close()


def test_cli_says_when_meaning_search_is_incomplete(vivim_home: Path, monkeypatch) -> None:
    asyncio.run(capture_corpus(vivim_home))
    monkeypatch.setenv("VIVIM_HOME", str(vivim_home))
    monkeypatch.setenv("VIVIM_SERVICES", "none")
    result = CliRunner().invoke(main, ["search", "zzqxnotathing"])
    assert result.exit_code == 0, result.output
    assert "Meaning search: 0 of" in result.output
    assert "No close matches." in result.output


def test_progress_meter_gives_a_rate_and_the_reply_an_eta() -> None:
    meter = ProgressMeter()
    assert meter.rate(now=0.0) is None
    meter.record(1000, now=0.0)
    meter.record(1300, now=10.0)
    assert meter.rate(now=10.0) == 30.0
    index = status({"chunks": 80_000, "embedded": 12_400}, "ready", worker_rate=30.0)
    assert index["pending"] == 67_600 and index["eta_seconds"] == 2253 and index["complete"] is False
    assert describe(index, ["fulltext", "vector"]) == (
        "Meaning search: 12,400 of 80,000 indexed (about 38 min): results may be missing until it finishes."
    )
    done = status({"chunks": 10, "embedded": 10}, "ready")
    assert done["complete"] is True and describe(done, ["fulltext", "vector"]) is None
    assert describe(status({"chunks": 10, "embedded": 10}, "loading"), ["fulltext"]).startswith(
        "Meaning search is starting"
    )


def test_an_answer_is_not_complete_while_chunks_wait_for_their_check_for_another_language(
    monkeypatch,
) -> None:
    """A protocol client that goes by `complete` must not take an answer as final while the chunks
    not in English are still to get their multilingual vectors (an English question finds none yet)."""
    from vivim.retrieval import index_status

    monkeypatch.setattr(index_status, "multilingual_installed", lambda: True)
    waiting = status({"chunks": 488, "embedded": 488, "other_languages_pending": 488}, "ready")
    assert waiting["complete"] is False and waiting["other_languages_pending"] == 488
    assert describe(waiting, ["fulltext", "vector"]).startswith(
        "Search across languages: 488 chunks still to check"
    )
    checked = status({"chunks": 488, "embedded": 488, "other_languages_pending": 0}, "ready")
    assert checked["complete"] is True and describe(checked, ["fulltext", "vector", "multilingual"]) is None


def test_an_empty_archive_answers_no_close_matches_without_calling_meaning_search_incomplete(
    vivim_home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("VIVIM_HOME", str(vivim_home))
    monkeypatch.setenv("VIVIM_SERVICES", "none")
    result = CliRunner().invoke(main, ["search", "kimchi"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No close matches."


def test_a_search_during_another_process_reindex_gives_its_rate_and_never_says_nothing_is_indexing(
    vivim_home: Path, monkeypatch
) -> None:
    """`vivim reindex` in another process writes its rate to the shared progress row after each window;
    a one-shot search reads it there (counting for a second from here often saw no window land)."""
    import time

    from vivim.retrieval.backfill import Progress, write_progress

    asyncio.run(capture_corpus(vivim_home))

    async def reindex_at_work() -> None:
        store = await Store.open(vivim_home / "vivim.sqlite3")
        try:
            run = Progress(by="reindex", started_at=time.time() - 10, done=64, rate=21.0, workers=1)
            await store.write(write_progress, run)
        finally:
            await store.close()

    asyncio.run(reindex_at_work())
    monkeypatch.setenv("VIVIM_HOME", str(vivim_home))
    monkeypatch.setenv("VIVIM_SERVICES", "none")
    result = CliRunner().invoke(main, ["search", "--json", "sourdough starter"])
    assert result.exit_code == 0, result.output
    import json

    index = json.loads(result.stdout)["index"]
    assert index["pending"] > 0 and index["rate"] == 21.0 and index["eta_seconds"] is not None
    text = CliRunner().invoke(main, ["search", "sourdough starter"])
    assert "Meaning search:" in text.output and "Nothing is indexing now" not in text.output


def test_the_catch_up_note_mentions_building_the_first_pass_model_only_while_it_is_not_built(
    monkeypatch,
) -> None:
    from vivim.retrieval import index_status

    monkeypatch.setattr(index_status, "first_pass_built", lambda: True)
    assert "builds the quick first-pass model" not in index_status.catch_up()
    monkeypatch.setattr(index_status, "first_pass_built", lambda: False)
    assert "its first run also builds the quick first-pass model" in index_status.catch_up()


def test_right_after_an_import_the_note_says_both_what_meaning_search_and_search_across_languages_wait_for(
    monkeypatch,
) -> None:
    from vivim.retrieval import index_status

    monkeypatch.setattr(index_status, "multilingual_installed", lambda: True)
    index = status({"chunks": 61, "embedded": 0, "first_pass": 61, "other_languages_pending": 61}, "ready")
    assert describe(index, ["fulltext", "first_pass"]) == (
        "Meaning search: all 61 searchable by a quick first pass; refining 0 of 61: results may still improve."
        " Search across languages: 61 chunks still to check."
    )
