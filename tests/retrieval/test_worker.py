"""The embedding worker in a real host process embeds what another process captures."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.support.hostproc import HostProcess
from vivim.store import Store
from vivim.store.capture import upsert_capture

from .corpus import captures

DEADLINE_SECONDS = 180  # a wait bound, not a timing assertion: slow CI just waits longer


def wait_until_embedded(host: HostProcess) -> dict:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        status = host.call("embed.status")
        if status["chunks"] and status["pending"] == 0:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


async def capture_corpus_from_this_process(home: Path) -> None:
    store = await Store.open(home / "vivim.sqlite3")
    try:
        for capture in captures():
            await store.write(upsert_capture, capture)
    finally:
        await store.close()


async def test_worker_embeds_chunks_captured_by_another_process_and_search_turns_hybrid(
    vivim_home: Path,
) -> None:
    host = HostProcess(vivim_home, services="embed")
    try:
        assert host.call("hello")["singleton"] is True
        first = host.call("search", {"query": "git reflog"})
        assert first["mode"] == "fulltext"  # nothing captured, nothing embedded: never waits on the model
        await capture_corpus_from_this_process(vivim_home)  # a different process writes the chunks
        status = wait_until_embedded(host)
        assert status["worker"] is True and status["embedded"] == status["chunks"]
        result = host.call("search", {"query": "my kitten urinates outside its tray", "limit": 3})
        assert result["mode"] == "hybrid"
        assert result["results"][0]["conversation"]["external_id"] == "cat-litter"
        context = host.call(
            "context.build", {"draft": "cherry blossom trip route Kyoto", "token_budget": 120}
        )
        assert context["items"] and context["tokens"] <= 120
    finally:
        host.close()


def test_search_without_the_worker_answers_full_text_at_once(vivim_home: Path) -> None:
    asyncio.run(capture_corpus_from_this_process(vivim_home))
    host = HostProcess(vivim_home, services="none")
    try:
        result = host.call("search", {"query": "zzqxnotathing"})
        assert (result["mode"], result["modes"], result["results"]) == ("fulltext", ["fulltext"], [])
        assert result["complete"] is False  # meaning was asked for and did not answer: not a complete answer
        assert host.call("context.build", {"draft": "zzqxnotathing"})["items"] == []
    finally:
        host.close()


def test_an_empty_archive_answers_completely(vivim_home: Path) -> None:
    """Nothing captured yet: there is nothing meaning search could add, so the answer is complete."""
    host = HostProcess(vivim_home, services="none")
    try:
        result = host.call("search", {"query": "anything at all"})
        assert result["results"] == [] and result["index"]["chunks"] == 0 and result["complete"] is True
    finally:
        host.close()
