"""Imported history keeps its own dates: the list, search, --since and Markdown show when a conversation
happened, not the day it was imported; round trips keep it, live capture moves it, old archives are repaired."""

from __future__ import annotations

import io
import time
from datetime import datetime
from pathlib import Path

import msgspec
import pytest

from vivim.export import export_json, load_conversation, render_markdown
from vivim.importers import import_path
from vivim.protocol import CaptureUpsert
from vivim.retrieval.search import search_fulltext
from vivim.store import Store, migrations
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.conversations import list_conversations

from .helpers import CHATGPT, CLAUDE, GEMINI, conversation_row

DEPLOY = "67a1b2c3-0000-4000-8000-000000000001"  # update_time 1712349000.0, newest message 1712345800.0
PRIMES = "67a1b2c3-0000-4000-8000-000000000002"  # update_time 1712400100.0
CLAUDE_ID = "c0ffee00-0000-4000-8000-000000000001"  # updated_at 2025-03-01T10:10:00Z


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_chatgpt_conversations_keep_their_update_time(store):
    before = time.time()
    await import_path(store, CHATGPT / "conversations.json")
    assert (await store.read(conversation_row, "chatgpt", DEPLOY))["updated_at"] == 1712349000.0
    assert (await store.read(conversation_row, "chatgpt", PRIMES))["updated_at"] == 1712400100.0
    assert all(r[0] < before for r in await store.fetchall("SELECT updated_at FROM conversations"))


async def test_claude_conversations_keep_their_updated_at(store):
    await import_path(store, CLAUDE)
    assert (await store.read(conversation_row, "claude", CLAUDE_ID))["updated_at"] == _unix(
        "2025-03-01T10:10:00Z"
    )


async def test_gemini_conversations_are_dated_by_their_newest_item(store):
    await import_path(store, GEMINI)
    rows = await store.fetchall(
        "SELECT c.updated_at, MAX(m.created_at) FROM conversations c JOIN messages m ON m.conversation_id = c.id"
        " GROUP BY c.id"
    )
    assert rows and all(updated == newest for updated, newest in rows)
    assert all(updated < _unix("2025-06-04T00:00:00Z") for updated, _ in rows)


async def test_list_since_search_and_markdown_show_the_providers_dates(store):
    await import_path(store, CHATGPT / "conversations.json")
    await import_path(store, CLAUDE)
    listed = (await store.read(lambda c: list_conversations(c)))["items"]
    assert [i["updated_at"] for i in listed] == sorted((i["updated_at"] for i in listed), reverse=True)
    assert listed[0]["external_id"] == CLAUDE_ID  # 2025 before 2024, whatever the import order
    recent = (await store.read(lambda c: list_conversations(c, since=_unix("2025-01-01T00:00:00Z"))))["items"]
    assert {i["provider"] for i in recent} == {"claude"}
    found = await store.read(search_fulltext, "DATABASE_URL")
    hit = next(g for g in found["results"] if g["conversation"]["external_id"] == DEPLOY)
    assert hit["conversation"]["updated_at"] == 1712349000.0
    conversation_id = (await store.read(conversation_row, "chatgpt", DEPLOY))["id"]
    front = render_markdown(await store.read(load_conversation, conversation_id))
    assert 'updated: "2024-04-05T20:30:00Z"' in front


async def test_a_json_export_imported_elsewhere_keeps_every_date(store, tmp_path: Path):
    await import_path(store, CHATGPT / "conversations.json")
    await import_path(store, CLAUDE)
    await import_path(store, GEMINI)
    out = io.StringIO()
    await export_json(store, out)
    archive = tmp_path / "vivim-export.json"
    archive.write_text(out.getvalue(), encoding="utf-8")
    dates = "SELECT provider, external_id, created_at, updated_at FROM conversations ORDER BY provider, external_id"
    original = await store.fetchall(dates)
    other = await Store.open(tmp_path / "other.sqlite3")
    try:
        await import_path(other, archive)
        assert [tuple(r) for r in await other.fetchall(dates)] == [tuple(r) for r in original]
    finally:
        await other.close()


async def test_a_live_capture_after_the_import_makes_the_conversation_recent(store):
    await import_path(store, CHATGPT / "conversations.json")
    before = time.time()
    await store.write(
        upsert_capture,
        msgspec.convert(
            {
                "conversation": {"provider": "chatgpt", "external_id": DEPLOY},
                "turns": [
                    {"key": "live-1", "role": "user", "text": "One more question about the deploy timeout."}
                ],
            },
            CaptureUpsert,
        ),
    )
    assert (await store.read(conversation_row, "chatgpt", DEPLOY))["updated_at"] >= before
    listed = (await store.read(lambda c: list_conversations(c)))["items"]
    assert listed[0]["external_id"] == DEPLOY
    await import_path(store, CHATGPT / "conversations.json")  # importing the old file again keeps it recent
    assert (await store.read(conversation_row, "chatgpt", DEPLOY))["updated_at"] >= before


async def test_a_timestamp_in_the_future_is_capped_at_the_import_time(store):
    before = time.time()
    await store.write(
        upsert_capture,
        msgspec.convert(
            {
                "conversation": {"provider": "claude", "external_id": "future", "updated_at": 4102444800.0},
                "turns": [
                    {"key": "a", "role": "user", "text": "From a broken clock", "created_at": 1700000000.0}
                ],
                "source": "import",
            },
            CaptureUpsert,
        ),
    )
    updated = (await store.read(conversation_row, "claude", "future"))["updated_at"]
    assert before <= updated <= time.time()


async def test_migration_6_repairs_conversations_imported_before_dates_were_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.sqlite3"
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [m for m in migrations.MIGRATIONS if m.version < 6 or m.version in (8, 25, 30)],
    )  # 8: columns today's upsert writes
    conn = connect_sync(db)
    migrations.apply_migrations(conn)
    import_time = 1790000000.0
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        msgspec.convert(
            {
                "conversation": {"provider": "chatgpt", "external_id": "imported"},
                "turns": [
                    {"key": "q", "role": "user", "text": "Old question", "created_at": 1600000000.0},
                    {"key": "a", "role": "assistant", "text": "Old answer", "created_at": 1600000090.0},
                ],
                "source": "import",
            },
            CaptureUpsert,
        ),
        now=import_time,
    )
    upsert_capture(
        conn,
        msgspec.convert(
            {
                "conversation": {"provider": "chatgpt", "external_id": "imported-then-live"},
                "turns": [{"key": "q", "role": "user", "text": "Imported turn", "created_at": 1600000000.0}],
                "source": "import",
            },
            CaptureUpsert,
        ),
        now=import_time,
    )
    upsert_capture(
        conn,
        msgspec.convert(
            {
                "conversation": {"provider": "chatgpt", "external_id": "imported-then-live"},
                "turns": [{"key": "live", "role": "user", "text": "Captured later"}],
            },
            CaptureUpsert,
        ),
        now=1795000000.0,
    )
    upsert_capture(
        conn,
        msgspec.convert(
            {
                "conversation": {"provider": "chatgpt", "external_id": "captured"},
                "turns": [{"key": "c", "role": "user", "text": "Live only"}],
            },
            CaptureUpsert,
        ),
        now=1796000000.0,
    )
    # What the importer did before migration 6: every imported conversation dated by the import.
    conn.execute("UPDATE conversations SET updated_at = ? WHERE external_id = 'imported'", (import_time,))
    conn.execute("COMMIT")
    conn.close()
    monkeypatch.undo()

    store = await Store.open(db)
    try:
        assert await store.fetchone("SELECT 1 FROM schema_migrations WHERE version = 6")
        dates = dict(await store.fetchall("SELECT external_id, updated_at FROM conversations"))
        assert dates == {
            "imported": 1600000090.0,
            "imported-then-live": 1795000000.0,
            "captured": 1796000000.0,
        }
    finally:
        await store.close()
