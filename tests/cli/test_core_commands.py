"""`vivim search`, `vivim stats` and `vivim serve`, in-process and for real."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from vivim.cli import main
from vivim.protocol import CaptureUpsert
from vivim.store import Store
from vivim.store.capture import upsert_capture

VIVIM = [sys.executable, "-m", "vivim"]


@pytest.fixture
def seeded(vivim_home: Path) -> Path:
    """A data directory holding one Claude conversation (the CLI runs its own event loop)."""
    asyncio.run(_seed(vivim_home))
    return vivim_home


async def _seed(home: Path) -> None:
    store = await Store.open(home / "vivim.sqlite3")
    await store.write(
        upsert_capture,
        msgspec.convert(
            {
                "conversation": {
                    "provider": "claude",
                    "external_id": "abc",
                    "title": "Fermentation notes",
                    "url": "https://claude.ai/chat/abc",
                },
                "turns": [
                    {"key": "u", "role": "user", "text": "Why does kimchi fizz?"},
                    {"key": "a", "role": "assistant", "text": "Lactic acid bacteria release carbon dioxide."},
                ],
            },
            CaptureUpsert,
        ),
    )
    await store.close()


def test_search_prints_conversations_with_highlighted_hits(seeded: Path) -> None:
    result = CliRunner().invoke(main, ["search", "--fulltext", "kimchi"])
    assert result.exit_code == 0, result.output
    assert "Fermentation notes  [claude]" in result.output
    assert "https://claude.ai/chat/abc" in result.output
    assert "kimchi fizz" in result.output and "\u0002" not in result.output


def test_search_says_so_when_nothing_matches(seeded: Path) -> None:
    result = CliRunner().invoke(main, ["search", "--fulltext", "zeppelin"])
    assert result.exit_code == 0 and "No close matches." in result.output


def test_stats_counts_per_provider(seeded: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--json"])
    stats = json.loads(result.output)
    assert stats["by_provider"] == {"claude": {"conversations": 1, "messages": 2}}


def test_search_runs_for_real_as_json(seeded: Path) -> None:
    out = subprocess.run(
        [*VIVIM, "search", "--json", "carbon", "dioxide"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["results"][0]["conversation"]["external_id"] == "abc"


def test_serve_runs_until_terminated_and_refuses_a_second_copy(vivim_home: Path) -> None:
    env = {**os.environ, "VIVIM_SERVICES": "none"}
    first = subprocess.Popen([*VIVIM, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().startswith("VIVIM is running")
        second = subprocess.run([*VIVIM, "serve"], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "already runs the services" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    # The lock died with its holder: serving again works.
    again = subprocess.Popen([*VIVIM, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    assert again.stdout.readline().startswith("VIVIM is running")
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=30) == 0


def test_a_conversation_is_renamed_tagged_pinned_and_deleted_from_the_command_line(seeded: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["conversation", "rename", "1", "Kimchi science"]).exit_code == 0
    tagged = runner.invoke(main, ["conversation", "tag", "1", "food", "science", "--json"])
    assert json.loads(tagged.output)["tags"] == ["food", "science"]
    assert (
        runner.invoke(main, ["conversation", "tag", "1", "science", "--remove"]).output.strip() == "1: food"
    )
    assert runner.invoke(main, ["conversation", "pin", "1"]).output.strip() == "1: pinned"

    async def read() -> tuple[Any, ...]:
        store = await Store.open(seeded / "vivim.sqlite3")
        try:
            title = (await store.fetchone("SELECT title FROM conversations WHERE id = 1"))[0]
            pins = (await store.fetchone("SELECT COUNT(*) FROM conversation_pins WHERE conversation_id = 1"))[
                0
            ]
            dirty = await store.fetchone("SELECT 1 FROM sync_dirty WHERE conversation_id = 1")
            return title, pins, dirty is not None
        finally:
            await store.close()

    assert asyncio.run(read()) == ("Kimchi science", 1, True)  # marked for sync to the other devices
    assert runner.invoke(main, ["conversation", "delete", "1"], input="n\n").exit_code == 1  # asked, declined
    assert runner.invoke(main, ["conversation", "delete", "1", "--yes"]).exit_code == 0
    searched = runner.invoke(main, ["search", "kimchi", "--fulltext", "--json"])
    assert json.loads(searched.output)["results"] == []


def test_editing_a_conversation_that_does_not_exist_says_so(seeded: Path) -> None:
    result = CliRunner().invoke(main, ["conversation", "pin", "999"])
    assert result.exit_code == 1 and "No such conversation: 999." in result.output
    assert "the provider's id (as in the conversation's URL)" in result.output  # where ids come from


def test_a_conversation_is_named_by_the_providers_id_as_in_its_url(seeded: Path) -> None:
    result = CliRunner().invoke(main, ["conversation", "rename", "abc", "Kimchi science"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1: Kimchi science"
    empty = CliRunner().invoke(main, ["conversation", "rename", "", "Everything?"])
    assert empty.exit_code == 2 and "name a conversation" in empty.output  # not "every conversation"
    helped = CliRunner().invoke(main, ["conversation", "rename", "--help"])
    assert "CONVERSATION is VIVIM's id (`vivim search --json`) or the provider's id" in helped.output


def test_exporting_a_conversation_that_does_not_exist_says_so(seeded: Path) -> None:
    for fmt in ("jsonl", "json"):
        result = CliRunner().invoke(main, ["export", "--format", fmt, "--conversation", "999"])
        assert result.exit_code == 1 and result.stdout == ""
        assert "No such conversation: 999." in result.stderr
    found = CliRunner().invoke(main, ["export", "--format", "jsonl", "--conversation", "abc"])
    assert found.exit_code == 0 and len(found.stdout.splitlines()) == 2
