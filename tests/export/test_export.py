"""Export: JSON Lines fields, the Obsidian-friendly Markdown folder, the JSON archive and its round trip."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from tests.importers.helpers import CHATGPT, CLAUDE, GEMINI, snapshot
from vivim.export import ExportFilter, export_json, export_jsonl, export_markdown
from vivim.importers import import_path
from vivim.store import Store

JSONL_FIELDS = [
    "provider",
    "conversation_id",
    "conversation_title",
    "conversation_completeness",
    "conversation_tags",
    "conversation_pinned",
    "message_id",
    "parent_id",
    "role",
    "model",
    "created_at",
    "markdown",
    "text",
    "kind",
    "current",
]
DEPLOY = "67a1b2c3-0000-4000-8000-000000000001"


async def _filled(store):
    for path in (CHATGPT, CLAUDE, GEMINI):
        await import_path(store, path)
    return store


async def test_jsonl_has_one_object_per_message_with_the_documented_fields(store):
    await _filled(store)
    out = io.StringIO()
    summary = await export_jsonl(store, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    total = await store.read(lambda c: c.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    assert len(rows) == summary.messages == total
    assert all(list(row) == JSONL_FIELDS for row in rows)
    a1b = next(r for r in rows if r["message_id"] == "a1b")
    assert a1b["provider"] == "chatgpt" and a1b["conversation_id"] == DEPLOY
    assert a1b["conversation_title"] == "Deploy timeout" and a1b["parent_id"] == "u1"
    assert a1b["role"] == "assistant" and a1b["model"] == "gpt-4o" and a1b["current"] is True
    assert a1b["created_at"] == "2024-04-05T19:35:00Z"
    assert "`DATABASE_URL`" in a1b["markdown"] and "`" not in a1b["text"]


async def test_filters_select_by_provider_date_and_conversation(store):
    await _filled(store)

    async def rows(**kwargs):
        out = io.StringIO()
        await export_jsonl(store, out, ExportFilter(**kwargs))
        return [json.loads(line) for line in out.getvalue().splitlines()]

    assert {r["provider"] for r in await rows(provider="claude")} == {"claude"}
    since = datetime(2025, 6, 2, tzinfo=UTC).timestamp()
    recent = await rows(since=since)
    assert recent and all(r["created_at"] >= "2025-06-02" for r in recent)
    assert {r["provider"] for r in recent} == {"gemini"}
    one = await rows(conversation=DEPLOY)
    assert {r["conversation_id"] for r in one} == {DEPLOY} and len(one) == 5
    vivim_id = await store.read(
        lambda c: c.execute("SELECT id FROM conversations WHERE external_id = ?", (DEPLOY,)).fetchone()[0]
    )
    assert len(await rows(conversation=str(vivim_id))) == 5
    assert await rows(provider="gemini", conversation=DEPLOY) == []


async def test_markdown_writes_one_file_per_conversation_with_front_matter(store, tmp_path: Path):
    await _filled(store)
    summary = await export_markdown(store, tmp_path / "vault")
    files = sorted((tmp_path / "vault").iterdir())
    assert len(files) == summary.files == 8
    names = [f.name for f in files]
    assert "2024-04-05 Deploy timeout (chatgpt 67a1b2c3).md" in names
    assert all(not set(n) & set('[]#^|\\:*?"<>') for n in names)
    text = (tmp_path / "vault" / "2024-04-05 Deploy timeout (chatgpt 67a1b2c3).md").read_text()
    front, body = text.split("\n---\n", 1)
    assert front.startswith("---\n")
    assert f'conversation_id: "{DEPLOY}"' in front and 'provider: "chatgpt"' in front
    assert f'url: "https://chatgpt.com/c/{DEPLOY}"' in front
    assert 'created: "2024-04-05T19:34:38.500000Z"' in front
    assert "tags: [vivim, chatgpt]" in front
    assert "# Deploy timeout" in body
    current, others = body.split("## Other branches")
    assert "A connection timeout usually means" in current and "Check the security group first." in others
    assert " UTC" in body.split("\n## ", 2)[1].splitlines()[0]  # "## User · 2024-04-05 19:34 UTC"
    branch_heading = next(line for line in others.splitlines() if line.startswith("### "))
    assert "(another reply to “" in branch_heading  # the turn it answers, quoted: no internal key


async def test_markdown_folds_thinking_and_tools_into_obsidian_callouts(store, tmp_path: Path):
    await _filled(store)
    selection = ExportFilter(provider="chatgpt", conversation="67a1b2c3-0000-4000-8000-000000000002")
    await export_markdown(store, tmp_path / "vault", selection)
    (only,) = (tmp_path / "vault").iterdir()
    text = only.read_text()
    assert "> [!note]- Thinking\n> **Choosing a sieve**" in text
    assert "> [!note]- Execution output\n> ```\n> 25\n> ```" in text


def test_markdown_front_matter_is_valid_yaml(tmp_path: Path, vivim_home: Path):
    import asyncio

    import yaml

    async def go():
        store = await Store.open(vivim_home / "vivim.sqlite3")
        try:
            await _filled(store)
            await export_markdown(store, tmp_path / "vault")
        finally:
            await store.close()

    asyncio.run(go())
    for file in (tmp_path / "vault").iterdir():
        front = yaml.safe_load(file.read_text().split("---\n")[1])
        assert front["provider"] in ("chatgpt", "claude", "gemini") and front["conversation_id"]


async def test_the_json_archive_imported_into_an_empty_home_reproduces_the_same_messages(
    store, tmp_path: Path
):
    await _filled(store)
    archive = tmp_path / "export.json"
    with open(archive, "w", encoding="utf-8") as out:
        summary = await export_json(store, out)
    data = json.loads(archive.read_text())
    assert data["vivim_export"] == 1 and len(data["conversations"]) == summary.conversations == 8
    assert {"html", "content_hash", "is_current", "kind"} <= set(data["conversations"][0]["messages"][0])
    empty = await Store.open(tmp_path / "empty-home" / "vivim.sqlite3")
    try:
        result = await import_path(empty, archive)
        assert result.inserted == summary.messages and result.branched == result.merged == 0
        assert await empty.read(snapshot) == await store.read(snapshot)
    finally:
        await empty.close()
