"""Conversation-level edits that sync carries: renames, tags, pins, deletions.

Sync applies received edits through these same functions, so a rename made on this device
and one received from another end in the same rows. Deleting keeps the conversation row as a
tombstone (`deleted_at`) and removes its messages, so a deletion can be told apart from a
conversation this device has never seen.
"""

from __future__ import annotations

import time

from ..errors import NotFound
from ..store.connection import Connection, inserted_id


def _touch(conn: Connection, conversation_id: int, now: float) -> None:
    conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))


def _require(conn: Connection, conversation_id: int) -> None:
    if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone() is None:
        raise NotFound("no such conversation", details={"id": conversation_id})


def rename_conversation(
    conn: Connection, conversation_id: int, title: str | None, now: float | None = None
) -> None:
    """The user's title for a conversation: it wins over the page's title at later captures (see
    `store.capture`); None or "" clears it, and the next capture brings the page's title back."""
    _require(conn, conversation_id)
    if title:
        conn.execute(
            "UPDATE conversations SET title = ?, title_by_user = 1, updated_at = ? WHERE id = ?",
            (title, now or time.time(), conversation_id),
        )
    else:
        conn.execute(
            "UPDATE conversations SET title = NULL, title_by_user = 0, updated_at = ? WHERE id = ?",
            (now or time.time(), conversation_id),
        )


def set_page_title(conn: Connection, conversation_id: int, title: str | None) -> bool:
    """A title the page gave (received from another device): kept unless the user set one here."""
    cur = conn.execute(
        "UPDATE conversations SET title = ? WHERE id = ? AND title_by_user = 0 AND title IS NOT ?",
        (title, conversation_id, title),
    )
    return cur.rowcount > 0


def add_tag(conn: Connection, conversation_id: int, tag: str) -> bool:
    _require(conn, conversation_id)
    cur = conn.execute(
        "INSERT OR IGNORE INTO conversation_tags (conversation_id, tag) VALUES (?, ?)", (conversation_id, tag)
    )
    return cur.rowcount > 0


def remove_tag(conn: Connection, conversation_id: int, tag: str) -> bool:
    cur = conn.execute(
        "DELETE FROM conversation_tags WHERE conversation_id = ? AND tag = ?", (conversation_id, tag)
    )
    return cur.rowcount > 0


def tags_of(conn: Connection, conversation_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", (conversation_id,)
    ).fetchall()
    return [r[0] for r in rows]


def set_pinned(conn: Connection, conversation_id: int, pinned: bool, now: float | None = None) -> None:
    _require(conn, conversation_id)
    if pinned:
        conn.execute(
            "INSERT OR IGNORE INTO conversation_pins (conversation_id, pinned_at) VALUES (?, ?)",
            (conversation_id, now or time.time()),
        )
    else:
        conn.execute("DELETE FROM conversation_pins WHERE conversation_id = ?", (conversation_id,))


def is_pinned(conn: Connection, conversation_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM conversation_pins WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        is not None
    )


def delete_conversation(conn: Connection, conversation_id: int, now: float | None = None) -> None:
    """Tombstone the conversation and drop its messages (chunks, FTS and vectors follow) and its raw
    payloads. Nothing is written under the tombstone afterwards (store.capture.deleted_conversation)."""
    _require(conn, conversation_id)
    now = now or time.time()
    conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
    conn.execute(  # the site's own JSON of it, kept for re-parsing, goes with it
        "DELETE FROM raw_payloads WHERE (provider, external_id) ="
        " (SELECT provider, external_id FROM conversations WHERE id = ?)",
        (conversation_id,),
    )
    conn.execute(
        "UPDATE conversations SET deleted_at = COALESCE(deleted_at, ?), updated_at = ? WHERE id = ?",
        (now, now, conversation_id),
    )


def ensure_conversation(conn: Connection, provider: str, external_id: str, now: float | None = None) -> int:
    """The id of a conversation, creating an empty row when sync names one we have not seen."""
    row = conn.execute(
        "SELECT id FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
    ).fetchone()
    if row is not None:
        return int(row[0])
    now = now or time.time()
    cur = conn.execute(
        "INSERT INTO conversations (provider, external_id, source, created_at, updated_at) VALUES (?, ?, 'sync', ?, ?)",
        (provider, external_id, now, now),
    )
    return inserted_id(cur)
