"""Raw provider payloads, kept beside the normalised rows (as a turn's raw HTML is), so that
`vivim reindex` can re-derive every conversation when a parser improves.

Compressed (zlib) and deduplicated by the SHA-256 of the payload as received: re-opening a
conversation whose JSON has not changed stores nothing new. Migration 9 owns the table.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Iterator
from typing import Any

SCHEMA = """
CREATE TABLE raw_payloads (
    hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX raw_payloads_conversation ON raw_payloads (provider, external_id, created_at);
"""


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put(
    conn: Any,
    provider: str,
    external_id: str,
    kind: str,
    url: str | None,
    body: bytes,
    now: float | None = None,
) -> bool:
    """Store one payload; False when the same bytes are already stored (nothing written)."""
    cur = conn.execute(
        "INSERT INTO raw_payloads (hash, provider, external_id, kind, url, size, data, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
        (
            digest(body),
            provider,
            external_id,
            kind,
            url,
            len(body),
            zlib.compress(body, 6),
            time.time() if now is None else now,
        ),
    )
    return cur.rowcount > 0


def supersede(conn: Any, provider: str, external_id: str, kind: str, keep: bytes) -> int:
    """Drop a conversation's older payloads once one payload holds all of it: the store keeps one
    copy per conversation, not one per visit. Returns how many were dropped."""
    cur = conn.execute(
        "DELETE FROM raw_payloads WHERE provider = ? AND external_id = ? AND kind = ? AND hash != ?",
        (provider, external_id, kind, digest(keep)),
    )
    return cur.rowcount


def forget(conn: Any, provider: str, external_id: str, kind: str, bodies: list[bytes], keep: bytes) -> int:
    """Drop the stored payloads a newer one made obsolete (Grok's older tree, a batch of responses a
    newer batch holds whole), never `keep`, the payload just stored. Returns how many were dropped."""
    hashes = {digest(b) for b in bodies} - {digest(keep)}
    dropped = 0
    for h in hashes:
        dropped += conn.execute(
            "DELETE FROM raw_payloads WHERE provider = ? AND external_id = ? AND kind = ? AND hash = ?",
            (provider, external_id, kind, h),
        ).rowcount
    return dropped


def of_conversation(conn: Any, provider: str, external_id: str, kind: str) -> list[bytes]:
    """Every stored payload of one conversation, oldest first."""
    return [
        zlib.decompress(row[0])
        for row in conn.execute(
            "SELECT data FROM raw_payloads WHERE provider = ? AND external_id = ? AND kind = ?"
            " ORDER BY created_at, rowid",
            (provider, external_id, kind),
        )
    ]


def urls_of_conversation(conn: Any, provider: str, external_id: str, kind: str) -> list[str | None]:
    """The address each stored payload of one conversation came from, in `of_conversation`'s order
    (a page's query, e.g. Copilot's `cursor`, says which page it is)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT url FROM raw_payloads WHERE provider = ? AND external_id = ? AND kind = ?"
            " ORDER BY created_at, rowid",
            (provider, external_id, kind),
        )
    ]


def conversations(conn: Any) -> Iterator[tuple[str, str, str]]:
    """(provider, external_id, kind) of every conversation with a stored payload."""
    yield from conn.execute(
        "SELECT DISTINCT provider, external_id, kind FROM raw_payloads ORDER BY provider, external_id"
    ).fetchall()


def totals(conn: Any) -> dict[str, int]:
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(LENGTH(data)), 0) FROM raw_payloads"
    )
    count, size, stored = row.fetchone()
    return {"payloads": count, "bytes": size, "stored_bytes": stored}
