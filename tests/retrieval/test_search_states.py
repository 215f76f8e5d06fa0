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
