"""`vivim mcp` as an AI client runs it: a real subprocess on a real archive, driven by the MCP SDK's own
stdio client (initialize, list tools, call each tool, read resources, errors, budgets, concurrent capture)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp import ClientSession
from tests.retrieval.conftest import capture_corpus, embed_pending
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations
from vivim.store.settings import set_settings

TOOLS = {"search_conversations", "get_conversation", "build_context", "recent_activity", "remember"}


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled corpus captured and embedded with the real model, plus a conversation of 10 MB."""
    from vivim.retrieval.embedding import get_embedder

    path = tmp_path_factory.mktemp("mcp-archive") / "vivim.sqlite3"
    conn = connect_sync(path)
    apply_migrations(conn)
    capture_corpus(conn)
    conn.execute(
        "UPDATE conversations SET url = 'https://chatgpt.com/c/pg-index' WHERE external_id = 'pg-index'"
    )
    embed_pending(
        conn, get_embedder()
    )  # the corpus; the huge log stays full-text only (as while the worker runs)
    huge = "The build log line says compiler warning about unused variable. " * 160_000  # ~10 MB
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(
                provider="claude", external_id="huge-log", title="A huge pasted build log"
            ),
            turns=[
                TurnIn(
                    key="u1",
                    role="user",
                    text="Why does this build log fail?",
                    markdown="Why does this build log fail?",
                ),
                TurnIn(key="a1", role="assistant", text=huge, markdown=huge),
            ],
        ),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def archive_home(tmp_path: Path, archive_template: Path) -> Path:
    home = tmp_path / "vivim-home"
    home.mkdir()
    shutil.copy(archive_template, home / "vivim.sqlite3")
    return home


@asynccontextmanager
async def mcp_session(home: Path, errlog: Any = None) -> AsyncIterator[ClientSession]:
    """`vivim mcp` started the way the config written by `vivim install --mcp` starts it."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vivim", "mcp"],
        env={
            "VIVIM_HOME": str(home),
            "VIVIM_SERVICES": "none",
            "PATH": os.environ.get("PATH", ""),
            # a checkout run without installing it (PYTHONPATH=host): the server runs the code under test
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        },
    )
    async with stdio_client(params, errlog=errlog or sys.stderr) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def test_lists_every_tool_with_schema_description_and_hints(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 60
        assert tool.input_schema["type"] == "object"
        assert tool.annotations is not None
    for name in TOOLS - {"remember"}:
        assert tools[name].annotations.read_only_hint is True
        assert tools[name].annotations.destructive_hint is False
    assert tools["remember"].annotations.read_only_hint is False
    assert tools["remember"].annotations.destructive_hint is False
    assert tools["search_conversations"].input_schema["required"] == ["query"]


async def test_search_cites_title_provider_date_and_links(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        result = await session.call_tool("search_conversations", {"query": "postgres composite index"})
    text = text_of(result)
    assert not result.is_error
    assert "Slow Postgres query" in text
    assert "ChatGPT" in text
    assert "vivim://conversation/" in text and "#" in text
    assert "https://chatgpt.com/c/pg-index" in text


async def test_search_finds_a_paraphrase_once_the_model_is_loaded(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        first = text_of(
            await session.call_tool("search_conversations", {"query": "bread leaven smells of acetone"})
        )
        for _ in range(60):  # the model loads in the background after the first search
            later = text_of(
                await session.call_tool("search_conversations", {"query": "my bread leaven will not rise"})
            )
            if "mode: hybrid" in later:
                break
            await asyncio.sleep(0.5)
    assert "mode: fulltext" in first or "mode: hybrid" in first
    assert "mode: hybrid" in later
    assert "Sourdough starter troubleshooting" in later


async def test_search_filters_by_provider_and_date(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        only_gemini = text_of(
            await session.call_tool("search_conversations", {"query": "trip", "provider": "gemini"})
        )
        future = text_of(
            await session.call_tool(
                "search_conversations", {"query": "postgres index", "since": "2099-01-01"}
            )
        )
    assert "Japan" in only_gemini and "ChatGPT" not in only_gemini
    assert "0 conversation(s)" in future


async def test_bad_arguments_get_clear_tool_errors(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        bad_provider = await session.call_tool("search_conversations", {"query": "x", "provider": "myspace"})
        bad_date = await session.call_tool("search_conversations", {"query": "x", "since": "last tuesday"})
        empty = await session.call_tool("search_conversations", {"query": "   "})
        missing = await session.call_tool("get_conversation", {"id": 999_999})
        wrong_type = await session.call_tool("get_conversation", {"id": "not a number"})
        no_query = await session.call_tool("search_conversations", {})
    assert bad_provider.is_error and "provider must be one of" in text_of(bad_provider)
    assert bad_date.is_error and "2026-03-01" in text_of(bad_date)
    assert empty.is_error and "query is empty" in text_of(empty)
    assert missing.is_error and "no conversation 999999" in text_of(missing)
    assert wrong_type.is_error and "id" in text_of(wrong_type)
    assert no_query.is_error and "query" in text_of(no_query)


async def test_get_conversation_windows_around_a_message(archive_home: Path) -> None:
    conn = connect_sync(archive_home / "vivim.sqlite3")
    cid, last_id = conn.execute(
        "SELECT c.id, MAX(m.id) FROM conversations c JOIN messages m ON m.conversation_id = c.id"
        " WHERE c.external_id = 'tokyo-trip'"
    ).fetchone()
    conn.close()
    async with mcp_session(archive_home) as session:
        whole = text_of(await session.call_tool("get_conversation", {"id": cid}))
        around = text_of(
            await session.call_tool(
                "get_conversation", {"id": cid, "around_message": last_id, "max_tokens": 200}
            )
        )
    assert "Two weeks in Japan itinerary" in whole and "Gemini" in whole
    assert "shinkansen" in whole and "## user" in whole and "## assistant" in whole
    assert f"vivim://conversation/{cid}#{last_id}" in around


async def test_a_10_mb_message_is_cut_to_the_budget(archive_home: Path) -> None:
    conn = connect_sync(archive_home / "vivim.sqlite3")
    cid = conn.execute("SELECT id FROM conversations WHERE external_id = 'huge-log'").fetchone()[0]
    conn.close()
    async with mcp_session(archive_home) as session:
        result = await session.call_tool("get_conversation", {"id": cid, "max_tokens": 2000})
        resource = await session.read_resource(f"vivim://conversation/{cid}")
        found = await session.call_tool("search_conversations", {"query": "compiler warning unused variable"})
    text = text_of(result)
    assert not result.is_error
    assert "cut to fit the budget" in text
    assert len(text) < 20_000  # 2,000 tokens, not 10 MB
    resource_text = resource.contents[0].text
    assert 1_000 < len(resource_text) <= 100_000
    assert len(text_of(found)) < 20_000


async def test_build_context_is_what_the_insert_button_inserts(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        result = text_of(
            await session.call_tool(
                "build_context",
                {
                    "draft": "My postgres orders query by customer_id is slow, which index?",
                    "token_budget": 400,
                },
            )
        )
    assert result.startswith("Relevant context from my earlier AI conversations (via VIVIM):")
    assert "Slow Postgres query" in result and "Sources:" in result and "vivim://conversation/" in result


async def test_recent_activity_groups_by_conversation(archive_home: Path) -> None:
    conn = connect_sync(archive_home / "vivim.sqlite3")
    conn.execute("BEGIN IMMEDIATE")
    now = time.time()
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(
                provider="claude", external_id="fresh", title="Fresh talk about kayaks"
            ),
            turns=[
                TurnIn(key="u1", role="user", text="Which sea kayak for a beginner?", created_at=now - 60),
                TurnIn(
                    key="a1", role="assistant", text="A stable 16-foot touring kayak.", created_at=now - 50
                ),
            ],
        ),
    )
    conn.execute("COMMIT")
    conn.close()
    async with mcp_session(archive_home) as session:
        recent = text_of(await session.call_tool("recent_activity", {"days": 2}))
        none_on_gemini = text_of(
            await session.call_tool("recent_activity", {"days": 2, "provider": "gemini"})
        )
    assert "Fresh talk about kayaks" in recent and "2 message(s)" in recent
    assert "Which sea kayak for a beginner?" in recent
    assert "Slow Postgres query" not in recent  # 60 days old
    assert none_on_gemini.startswith("0 conversation(s)")


async def test_remember_is_refused_until_the_user_enables_it(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        refused = await session.call_tool(
            "remember", {"text": "The staging database password rotates monthly."}
        )
    assert refused.is_error and "turned off" in text_of(refused)
    conn = connect_sync(archive_home / "vivim.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM conversations WHERE provider = 'note'").fetchone()[0] == 0
    conn.execute("BEGIN IMMEDIATE")
    set_settings(conn, {"mcp.remember": True})
    conn.execute("COMMIT")
    conn.close()
    async with mcp_session(archive_home) as session:
        stored = await session.call_tool(
            "remember", {"text": "We deploy the kayak shop with blue-green releases.", "tags": ["kayak-shop"]}
        )
        found = text_of(await session.call_tool("search_conversations", {"query": "blue-green releases"}))
    assert not stored.is_error and "vivim://conversation/" in text_of(stored)
    assert "Note" in found and "kayak shop" in found
    conn = connect_sync(archive_home / "vivim.sqlite3")
    row = conn.execute("SELECT c.id, c.source FROM conversations c WHERE provider = 'note'").fetchone()
    tags = [
        r[0] for r in conn.execute("SELECT tag FROM conversation_tags WHERE conversation_id = ?", (row[0],))
    ]
    conn.close()
    assert tags == ["kayak-shop"]


async def test_conversations_are_resources(archive_home: Path) -> None:
    async with mcp_session(archive_home) as session:
        resources = (await session.list_resources()).resources
        templates = (await session.list_resource_templates()).resource_templates
        first = resources[0]
        content = await session.read_resource(first.uri)
    assert len(resources) >= 8
    assert all(str(r.uri).startswith("vivim://conversation/") for r in resources)
    assert any(t.uri_template == "vivim://conversation/{id}" for t in templates)
    assert first.title in content.contents[0].text


async def test_capture_goes_on_while_the_server_reads(archive_home: Path) -> None:
    """A writer (the host's capture path) keeps committing while the MCP server answers searches."""
    stop = asyncio.Event()
    written = 0

    def capture_loop() -> None:
        nonlocal written
        conn = connect_sync(archive_home / "vivim.sqlite3")
        while not stop.is_set() and written < 200:
            conn.execute("BEGIN IMMEDIATE")
            upsert_capture(
                conn,
                CaptureUpsert(
                    conversation=ConversationIn(
                        provider="chatgpt", external_id=f"live-{written}", title=f"Live capture {written}"
                    ),
                    turns=[TurnIn(key="u", role="user", text=f"zebra migration question number {written}")],
                ),
            )
            conn.execute("COMMIT")
            written += 1
        conn.close()

    async with mcp_session(archive_home) as session:
        writer = asyncio.get_running_loop().run_in_executor(None, capture_loop)
        answers = []
        for _ in range(10):
            result = await session.call_tool("search_conversations", {"query": "zebra migration"})
            assert not result.is_error
            answers.append(text_of(result))
        stop.set()
        await writer
        final = text_of(
            await session.call_tool("search_conversations", {"query": "zebra migration", "limit": 50})
        )
    assert written > 0
    assert "Live capture" in final


async def test_nothing_but_protocol_reaches_stdout(archive_home: Path, tmp_path: Path) -> None:
    """Raw: every line the server writes on stdout is a JSON-RPC message, even when it logs a lot."""
    import json
    import subprocess
    import threading

    env = {**os.environ, "VIVIM_HOME": str(archive_home), "VIVIM_SERVICES": "none"}
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "search_conversations", "arguments": {"query": "nginx proxy"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "get_conversation", "arguments": {"id": -5}},
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "no_such_tool", "arguments": {}},
        },
    ]
    lines_in = [json.dumps(m) for m in messages]
    lines_in.insert(3, "this is not JSON-RPC")  # a broken line costs nothing but itself
    proc = subprocess.Popen(
        [sys.executable, "-m", "vivim", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    assert proc.stdin and proc.stdout
    proc.stdin.write("".join(f"{line}\n" for line in lines_in))
    proc.stdin.flush()
    replies = []
    while len([r for r in replies if r.get("id") is not None]) < 4:
        line = proc.stdout.readline()
        assert line, "the server closed stdout early"
        replies.append(json.loads(line))  # anything but JSON-RPC on stdout fails here
    proc.stdin.close()  # the client goes away: the server exits cleanly
    assert proc.wait(timeout=60) == 0
    watchdog.cancel()
    assert all(r.get("jsonrpc") == "2.0" for r in replies)
    by_id = {r.get("id"): r for r in replies}
    assert set(by_id) >= {1, 2, 3, 4}
    assert "Reverse proxy for a local web app" in by_id[2]["result"]["content"][0]["text"]
    assert by_id[3]["result"]["isError"] is True
    assert (
        by_id[4]["result"]["isError"] is True and "no_such_tool" in by_id[4]["result"]["content"][0]["text"]
    )
    assert proc.returncode == 0


async def test_a_client_started_from_the_config_install_wrote_gets_cited_answers(
    archive_home: Path, tmp_path: Path
) -> None:
    """What Cursor does: read ~/.cursor/mcp.json, start mcpServers.vivim with its command, args and env."""
    import json

    from vivim.install.machine import Machine
    from vivim.install.mcp_clients import install_client

    home = tmp_path / "user-home"
    machine = Machine(system="linux", home=home, env={"VIVIM_HOME": str(archive_home)})
    install_client(machine, archive_home, "cursor")
    entry = json.loads((home / ".cursor" / "mcp.json").read_text())["mcpServers"]["vivim"]
    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env={**entry.get("env", {}), "PATH": "/usr/bin:/bin"}
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            answer = text_of(await session.call_tool("search_conversations", {"query": "nginx flask proxy"}))
    assert names == TOOLS
    assert '"Reverse proxy for a local web app" · Claude ·' in answer and "vivim://conversation/" in answer


def test_vivim_mcp_remember_turns_notes_on_and_off(vivim_home: Path) -> None:
    import subprocess

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "vivim", "mcp", "remember", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "VIVIM_HOME": str(vivim_home)},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "may not store notes" in run()
    assert "may store notes (remember is on)" in run("on")
    conn = connect_sync(vivim_home / "vivim.sqlite3")
    assert conn.execute("SELECT value FROM settings WHERE key = 'mcp.remember'").fetchone()[0] == "true"
    conn.close()
    assert "may not store notes" in run("off")
