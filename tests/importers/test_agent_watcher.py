"""The agents service in a real host: a Claude Code session written to disk shows up in search with no click,
and keeps showing up as the file grows."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.hostproc import HostProcess

from .agent_fixtures import (
    claude_code_file,
    claude_code_lines,
    claude_code_more,
    codex_file,
    codex_lines,
    write_jsonl,
)


def wait_for_hit(host: HostProcess, query: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = host.call("search", {"query": query, "mode": "fulltext"})
        if result["results"]:
            return result
        time.sleep(0.3)
    raise AssertionError(f"{query!r} never became searchable")


def test_a_session_written_to_disk_becomes_searchable_without_a_click(
    vivim_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "user-home"
    path = claude_code_file(home)
    lines = claude_code_lines()
    first_prompt = next(i for i, line in enumerate(lines) if line.get("uuid") == "u-1") + 1
    write_jsonl(path, lines[:first_prompt])
    host = HostProcess(vivim_home, services="agents", env={"HOME": str(home), "VIVIM_AGENTS_POLL": "0.2"})
    try:
        host.call("hello")
        found = wait_for_hit(host, "kettle temperature validator")
        assert found["results"][0]["conversation"]["provider"] == "claude-code"

        write_jsonl(path, lines[first_prompt:], append=True)  # the session goes on while the host watches
        line = json.dumps(claude_code_more()[0]) + "\n"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line[:50])  # mid-write
        wait_for_hit(host, "raised the limit inclusive")
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line[50:])
        grown = wait_for_hit(host, "regression test degrees")
        assert grown["results"][0]["conversation"]["title"] == "Kettle API boiling point validator fix"

        write_jsonl(codex_file(home), codex_lines())  # a new agent's session appears
        assert wait_for_hit(host, "symplectic Verlet")["results"][0]["conversation"]["provider"] == "codex"
        conversations = host.call("conversation.list", {"provider": "claude-code"})
        assert conversations["total"] == 1 and conversations["items"][0]["message_count"] == 6
    finally:
        host.close()


def test_a_source_turned_off_in_settings_is_not_read(vivim_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "user-home"
    host = HostProcess(vivim_home, services="agents", env={"HOME": str(home), "VIVIM_AGENTS_POLL": "0.2"})
    try:
        host.call("settings.set", {"values": {"capture.codex": False}})
        time.sleep(11)  # the service reads settings every 10 s
        write_jsonl(codex_file(home), codex_lines())
        write_jsonl(claude_code_file(home), claude_code_lines())
        wait_for_hit(host, "kettle temperature validator")
        time.sleep(1)
        assert host.call("search", {"query": "symplectic Verlet", "mode": "fulltext"})["results"] == []
    finally:
        host.close()
