"""Migrations carry an existing archive forward: nothing captured before an upgrade is lost to search."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from vivim.protocol import CaptureUpsert
from vivim.retrieval.search import search_fulltext
from vivim.store import Store, migrations
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync


async def test_an_archive_from_before_the_prefix_indexes_is_still_searchable_after_upgrading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.sqlite3"
    # (8, 25 and 30 add columns today's upsert reads and writes; independent of the FTS tables under test)
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [m for m in migrations.MIGRATIONS if m.version < 5 or m.version in (8, 25, 30)],
    )
    conn = connect_sync(db)
    migrations.apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        msgspec.convert(
            {
                "conversation": {"provider": "gemini", "external_id": "g"},
                "turns": [
                    {"key": "a", "role": "assistant", "text": "Photosynthesis turns light into sugar."}
                ],
            },
            CaptureUpsert,
        ),
    )
    conn.execute("COMMIT")
    conn.close()
    monkeypatch.undo()

    store = await Store.open(db)
    try:
        assert (await store.fetchone("SELECT MAX(version) FROM schema_migrations"))[0] >= 5
        result = await store.read(search_fulltext, "ph")  # a two-letter prefix: served by the new index
        assert result["results"][0]["conversation"]["external_id"] == "g"
    finally:
        await store.close()
