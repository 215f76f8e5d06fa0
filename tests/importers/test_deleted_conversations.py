"""A conversation the user deleted stays deleted: importing an export that still holds it writes nothing
under its tombstone, says so, and the counts only ever show what the user can see. Real `vivim`
command, real SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec

from tests.importers.helpers import FIXTURES
from vivim.protocol import CaptureUpsert
from vivim.store import Store, migrations
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync

DEEPSEEK = FIXTURES / "deepseek"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIVIM_HOME": str(home), "VIVIM_SERVICES": "none"}
    script = Path(sys.executable).with_name("vivim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _rows(home: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(home / "vivim.sqlite3")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_reimporting_an_export_that_holds_a_deleted_conversation_leaves_it_out_and_says_so(tmp_path: Path):
    home = tmp_path / "home"
    _cli(home, "import", "-q", str(DEEPSEEK))
    (gone_id, gone_external), *_ = _rows(home, "SELECT id, external_id FROM conversations ORDER BY id")
    kept = _rows(home, "SELECT COUNT(*) FROM messages WHERE conversation_id != ?", gone_id)[0][0]
    _cli(home, "conversation", "delete", str(gone_id), "--yes")

    again = _cli(home, "import", "-q", str(DEEPSEEK))
    assert "1 conversation you deleted was left out: a deletion is final" in again.stdout
    assert "0 new, 0 changed" in again.stdout
    assert _rows(home, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", gone_id) == [(0,)]
    assert _rows(home, "SELECT deleted_at IS NOT NULL FROM conversations WHERE id = ?", gone_id) == [(1,)]
    as_json = json.loads(_cli(home, "import", "-q", "--json", str(DEEPSEEK)).stdout)
    assert as_json["deleted_skipped"] == 1 and as_json["conversations"] == 2

    # Nothing of it is findable or exported; the counts add up to what is left.
    assert gone_external not in _cli(home, "export", "--format", "jsonl").stdout
    stats = json.loads(_cli(home, "stats", "--json").stdout)
    assert stats["messages"] == kept == sum(p["messages"] for p in stats["by_provider"].values())
    assert stats["conversations"] == 2


def test_a_vault_holding_messages_under_a_tombstone_is_repaired_by_migration_31(tmp_path: Path, monkeypatch):
    """Earlier versions wrote a re-imported conversation's messages under its tombstone; the upgrade
    removes them (chunks and full-text entries with them), and a conversation still visible is untouched."""
    db = tmp_path / "old.sqlite3"
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m.version < 31])
    conn = connect_sync(db)
    migrations.apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for external_id, text in (("gone", "hidden plans for the move"), ("here", "visible notes on the move")):
        upsert_capture(
            conn,
            msgspec.convert(
                {
                    "conversation": {"provider": "deepseek", "external_id": external_id},
                    "turns": [{"key": "a", "role": "user", "text": text}],
                },
                CaptureUpsert,
            ),
        )
    # the state the old import left: a tombstone with messages under it, and its raw payload
    conn.execute("UPDATE conversations SET deleted_at = 1 WHERE external_id = 'gone'")
    conn.execute(
        "INSERT INTO raw_payloads (hash, provider, external_id, kind, url, size, data, created_at)"
        " VALUES ('h', 'deepseek', 'gone', 'k', 'u', 1, x'00', 1)"
    )
    conn.execute("COMMIT")
    conn.close()
    monkeypatch.undo()

    import asyncio

    async def upgrade() -> None:
        store = await Store.open(db)
        await store.close()

    asyncio.run(upgrade())
    conn = sqlite3.connect(db)
    try:
        per_conversation = conn.execute(
            "SELECT c.external_id, COUNT(m.id) FROM conversations c LEFT JOIN messages m"
            " ON m.conversation_id = c.id GROUP BY c.id ORDER BY c.external_id"
        ).fetchall()
        assert per_conversation == [("gone", 0), ("here", 1)]
        assert conn.execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'hidden'").fetchone() == (
            0,
        )
        assert conn.execute(
            "SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'visible'"
        ).fetchone() == (1,)
        assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone() == (0,)
        assert conn.execute("SELECT 1 FROM schema_migrations WHERE version = 31").fetchone() == (1,)
    finally:
        conn.close()
