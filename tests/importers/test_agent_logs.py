"""Coding agents' session logs (Claude Code, Codex CLI, Gemini CLI) read into a real store: turns of their
own kind, project tags, masked secrets, clipped tool output, incremental and idempotent reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vivim.importers import claude_code, codex_cli, gemini_cli
from vivim.importers.agent_format import MAX_TOOL_CHARS
from vivim.importers.agent_logs import import_logs, ingest_file
from vivim.importers.secrets import mask_secrets
from vivim.store import Store

from .agent_fixtures import (
    AWS_KEY,
    CLAUDE_SESSION,
    CODEX_SESSION,
    GEMINI_SESSION,
    GITHUB_TOKEN,
    SECRET_KEY,
    claude_code_file,
    claude_code_lines,
    claude_code_more,
    codex_file,
    codex_lines,
    gemini_file,
    gemini_lines,
    write_gemini_legacy,
    write_jsonl,
)


async def messages_of(store: Store, provider: str) -> list[dict[str, Any]]:
    rows = await store.fetchall(
        "SELECT m.key, m.role, m.kind, m.text, m.position FROM messages m JOIN conversations c"
        " ON c.id = m.conversation_id WHERE c.provider = ? ORDER BY m.position, m.id",
        (provider,),
    )
    return [dict(r) for r in rows]


async def conversation_of(store: Store, provider: str) -> dict[str, Any]:
    row = await store.fetchone("SELECT * FROM conversations WHERE provider = ?", (provider,))
    tags = await store.fetchall("SELECT tag FROM conversation_tags WHERE conversation_id = ?", (row["id"],))
    return dict(row) | {"tags": [t[0] for t in tags]}


async def test_claude_code_session_becomes_a_conversation_with_tool_turns(
    store: Store, tmp_path: Path
) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines())
    result = await store.write(ingest_file, claude_code, path)
    assert result.error is None and result.bad_lines == 0
    conversation = await conversation_of(store, "claude-code")
    assert conversation["external_id"] == CLAUDE_SESSION
    assert conversation["title"] == "Kettle API boiling point validator fix"  # the summary line
    assert conversation["tags"] == ["kettle-api"]
    assert conversation["model"] == "claude-opus-4-6"
    assert conversation["url"] == path.as_uri()
    messages = await messages_of(store, "claude-code")
    assert [(m["role"], m["kind"]) for m in messages] == [
        ("user", None),
        ("assistant", None),
        ("assistant", "tool_use"),
        ("tool", "tool_result"),
        ("assistant", None),
    ]
    assert "Caveat" not in " ".join(
        m["text"] for m in messages
    )  # isMeta lines are Claude Code's, not the user's
    assert "boiling-point check" not in " ".join(m["text"] for m in messages)  # thinking is not kept
    assert "No response requested" not in " ".join(m["text"] for m in messages)  # Claude Code's stand-in
    assert messages[2]["text"].startswith("Bash: ") and "grep -rn 'max_temp' src/" in messages[2]["text"]


async def test_secrets_are_masked_and_tool_output_clipped_before_storage(
    store: Store, tmp_path: Path
) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines())
    await store.write(ingest_file, claude_code, path)
    everything = " ".join(m["text"] for m in await messages_of(store, "claude-code"))
    stored_chunks = " ".join(r[0] for r in await store.fetchall("SELECT text FROM chunks"))
    for secret in (SECRET_KEY, GITHUB_TOKEN):
        assert secret not in everything and secret not in stored_chunks
    assert "sk-a[masked anthropic key]" in everything
    assert "[masked github token]" in everything
    output = next(m for m in await messages_of(store, "claude-code") if m["kind"] == "tool_result")["text"]
    assert len(output) < MAX_TOOL_CHARS + 200
    assert "characters cut" in output
    assert output.startswith("src/kettle/validate.py:12") and output.endswith(
        "exit: done"
    )  # head and tail kept


def test_well_known_key_shapes_are_masked() -> None:
    text = mask_secrets(
        "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345 and Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc."
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U and xoxb-1234567890-abcdefghij "
        f"and {AWS_KEY} and postgres://app:hunter2secret@db:5432/app and password: correcthorsebattery"
    )
    for leaked in (
        "abcdefghijklmnopqrstuvwxyz012345",
        "dozjgNryP4J3jVmNHl0w5N",
        "1234567890-abcdefghij",
        AWS_KEY,
        "hunter2secret",
        "correcthorsebattery",
    ):
        assert leaked not in text, leaked
    assert "sk-p[masked openai key]" in text and "AKIA[masked aws access key]" in text
    assert "MY_SERVICE_TOKEN=9f8e7d6c5b4a3210fedc" not in mask_secrets(
        "MY_SERVICE_TOKEN=9f8e7d6c5b4a3210fedc"
    )
    plain = (
        "The kettle boils at 100 degrees; see tokenizer.json and the password reset page.\n"
        "token = tokenizer.encode(text)\nauth_header: AuthSettings = load_settings()\nsecret = get_secret(name)"
    )
    assert mask_secrets(plain) == plain


async def test_reading_again_stores_nothing_twice(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines())
    first = await store.write(ingest_file, claude_code, path)
    again = await store.write(ingest_file, claude_code, path)
    from_zero = await store.write(ingest_file, claude_code, path, force=True)
    assert first.inserted == 5
    assert again.turns == 0
    assert from_zero.turns == 5 and from_zero.inserted == 0
    assert len(await messages_of(store, "claude-code")) == 5


async def test_a_growing_file_is_read_incrementally(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines())
    await store.write(ingest_file, claude_code, path)
    write_jsonl(path, claude_code_more(), append=True)
    grown = await store.write(ingest_file, claude_code, path)
    assert grown.turns == 2 and grown.inserted == 2
    messages = await messages_of(store, "claude-code")
    assert messages[-1]["text"] == "Added test_exactly_boiling_is_accepted with pytest."
    assert [m["position"] for m in messages] == list(range(7))


async def test_a_truncated_last_line_waits_for_its_end(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines())
    line = json.dumps(claude_code_more()[0]) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line[:40])  # the agent is mid-write (or died mid-write)
    first = await store.write(ingest_file, claude_code, path)
    assert first.error is None and first.bad_lines == 0 and first.pending_bytes == 40
    assert len(await messages_of(store, "claude-code")) == 5
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line[40:])
    finished = await store.write(ingest_file, claude_code, path)
    assert finished.turns == 1
    assert (await messages_of(store, "claude-code"))[-1][
        "text"
    ] == "Now add a regression test for 100 degrees."


async def test_a_broken_line_is_skipped_and_the_rest_kept(store: Store, tmp_path: Path) -> None:
    path = claude_code_file(tmp_path)
    lines = claude_code_lines()
    write_jsonl(path, lines[:4])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"type": "assistant", "message": {oops\n')
    write_jsonl(path, lines[4:], append=True)
    result = await store.write(ingest_file, claude_code, path)
    assert result.bad_lines == 1
    assert len(await messages_of(store, "claude-code")) == 5


async def test_a_rewritten_file_is_read_again_without_duplicates(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(claude_code_file(tmp_path), claude_code_lines() + claude_code_more())
    await store.write(ingest_file, claude_code, path)
    path.unlink()
    write_jsonl(path, claude_code_lines())  # replaced by a shorter file (a new inode)
    again = await store.write(ingest_file, claude_code, path)
    assert again.error is None and again.inserted == 0
    assert len(await messages_of(store, "claude-code")) == 7


async def test_codex_rollout_keeps_what_the_user_typed_and_the_tool_calls(
    store: Store, tmp_path: Path
) -> None:
    path = write_jsonl(codex_file(tmp_path), codex_lines())
    await store.write(ingest_file, codex_cli, path)
    conversation = await conversation_of(store, "codex")
    assert conversation["external_id"] == CODEX_SESSION
    assert conversation["tags"] == ["orbit-sim"]
    assert conversation["model"] == "gpt-5.2-codex"
    assert conversation["title"] == "Why does the Runge-Kutta integrator drift the orbit energy?"
    messages = await messages_of(store, "codex")
    assert [(m["role"], m["kind"]) for m in messages] == [
        ("user", None),
        ("assistant", "tool_use"),
        ("tool", "tool_result"),
        ("assistant", None),
    ]
    texts = [m["text"] for m in messages]
    assert not any("AGENTS.md" in t or "environment_context" in t for t in texts)  # Codex's injections
    assert texts[1] == "shell: bash -lc rg -n 'def rk4' sim/"
    assert AWS_KEY not in texts[2] and "def rk4(state, dt)" in texts[2]
    assert "velocity Verlet" in texts[3]


async def test_gemini_cli_jsonl_and_legacy_json_sessions(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(gemini_file(tmp_path), gemini_lines())
    await store.write(ingest_file, gemini_cli, path)
    conversation = await conversation_of(store, "gemini-cli")
    assert conversation["external_id"] == GEMINI_SESSION
    assert conversation["tags"] == ["lighthouse"]
    messages = await messages_of(store, "gemini-cli")
    assert [(m["role"], m["kind"]) for m in messages] == [
        ("user", None),
        ("assistant", "tool_use"),
        ("tool", "tool_result"),
        ("assistant", None),
    ]
    assert "terraform plan -no-color" in messages[1]["text"]
    assert "bucket policy is invalid JSON" in messages[2]["text"]
    assert "Session saved" not in " ".join(m["text"] for m in messages)

    legacy = write_gemini_legacy(gemini_file(tmp_path / "old", legacy=True))
    await store.write(ingest_file, gemini_cli, legacy)
    await store.write(ingest_file, gemini_cli, legacy)
    assert len(await messages_of(store, "gemini-cli")) == 4  # same session id, same message ids: merged


async def test_a_gemini_message_written_again_replaces_the_first_version(
    store: Store, tmp_path: Path
) -> None:
    lines = gemini_lines()
    path = write_jsonl(gemini_file(tmp_path), lines[:2])
    await store.write(ingest_file, gemini_cli, path)
    later = {
        **lines[4],
        "id": "m-1",
        "type": "user",
        "content": [
            {"text": "List the failing Terraform plans in the lighthouse repo, and the passing ones."}
        ],
    }
    write_jsonl(path, [later], append=True)
    await store.write(ingest_file, gemini_cli, path)
    messages = await messages_of(store, "gemini-cli")
    assert len(messages) == 1 and messages[0]["text"].endswith("and the passing ones.")


async def test_import_finds_every_agent_under_a_folder_and_in_their_homes(
    store: Store, tmp_path: Path, monkeypatch: Any
) -> None:
    home = tmp_path / "home"
    write_jsonl(claude_code_file(home), claude_code_lines())
    write_jsonl(codex_file(home), codex_lines())
    write_jsonl(gemini_file(home), gemini_lines())
    (home / ".claude" / "projects" / "-x").mkdir()
    (home / ".claude" / "projects" / "-x" / "notes.txt").write_text("not a log")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("GEMINI_CLI_HOME", raising=False)
    everywhere = await import_logs(store, None)
    assert everywhere["files"] == 3 and everywhere["conversations"] == 3 and everywhere["errors"] == []
    folder = await import_logs(store, home / ".codex")
    assert folder["files"] == 1 and folder["stored"] == 0
    providers = sorted(r[0] for r in await store.fetchall("SELECT provider FROM conversations"))
    assert providers == ["claude-code", "codex", "gemini-cli"]


def test_vivim_import_agents_and_a_log_folder_from_the_command_line(vivim_home: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    write_jsonl(claude_code_file(home), claude_code_lines())
    write_jsonl(codex_file(home), codex_lines())
    env = {**os.environ, "HOME": str(home), "VIVIM_HOME": str(vivim_home)}
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME"):
        env.pop(name, None)
    everything = subprocess.run(
        [sys.executable, "-m", "vivim", "import", "--agents", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert everything.returncode == 0, everything.stderr
    summary = json.loads(everything.stdout)
    assert summary["files"] == 2 and summary["conversations"] == 2 and summary["stored"] == 9
    folder = subprocess.run(
        [sys.executable, "-m", "vivim", "import", str(home / ".claude" / "projects")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert folder.returncode == 0, folder.stderr
    assert (
        "Imported 1 session log into 1 conversation: 0 turns read, 0 new or changed" in folder.stdout
    )  # unchanged since
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = subprocess.run(
        [sys.executable, "-m", "vivim", "import", "--provider", "codex", str(empty)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        nothing.returncode != 0 and "Found no Claude Code, Codex or Gemini CLI session logs" in nothing.stderr
    )
    assert nothing.stdout == ""  # no "Imported 0 session logs" before the error
