"""The pycrdt documents of this device: loaded lazily, a bounded number kept in memory, and each
change stored and sent as only that change.

Why: re-encoding a whole conversation document on every change made one turn in a 10,000-message
conversation cost ~270 ms (a multi-megabyte blob rewritten per turn) and `doc.get_update(state
vector)` is no better on the wire: a state vector does not cover deletions, so every such diff
carries the document's entire delete set (10 kB for a conversation whose turns were each
updated once). Instead an observer on each loaded document collects the exact update of every
transaction (`TransactionEvent.update`): that is what an entry carries, and what is appended to
`sync_doc_updates` behind the document's base state in `sync_docs`. When the appended updates
outweigh a quarter of the base (at least FOLD_MIN bytes), they are folded into a new base, so
the stored size stays within ~1.25x of the document and the fold's cost is amortised over many
changes. Loading is base + pending updates, in order.

Memory: at most `max_docs` documents are cached (least recently used go first, the index stays);
every change is already in the database when a transaction ends, so dropping one loses nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

INDEX = "index"
INDEX_MAPS = ("titles", "renamed", "tags", "pins", "deleted")
CONVERSATION_MAPS = ("meta", "messages")
FOLD_MIN = 16 * 1024
MAX_DOCS = 64
EMPTY_UPDATE = b"\x00\x00"


def map_names(doc_id: str) -> tuple[str, ...]:
    return INDEX_MAPS if doc_id == INDEX else CONVERSATION_MAPS


class DocSet:
    """The documents of this device, loaded from `sync_docs` + `sync_doc_updates` and cached."""

    def __init__(self, max_docs: int = MAX_DOCS) -> None:
        self.max_docs = max_docs
        self._docs: OrderedDict[str, Any] = OrderedDict()
        self._subs: dict[str, Any] = {}
        self._changes: dict[str, list[bytes]] = {}  # doc_id -> updates not yet taken
        self._base_bytes: dict[str, int] = {}
        self._pending_bytes: dict[str, int] = {}

    def get(self, conn: Any, doc_id: str) -> Any:
        from pycrdt import Doc, Map

        doc = self._docs.get(doc_id)
        if doc is not None:
            self._docs.move_to_end(doc_id)
            return doc
        doc = Doc()
        row = conn.execute("SELECT state FROM sync_docs WHERE doc_id = ?", (doc_id,)).fetchone()
        base = bytes(row[0]) if row is not None else b""
        if base:
            doc.apply_update(base)
        pending = 0
        for (update,) in conn.execute(
            "SELECT body FROM sync_doc_updates WHERE doc_id = ? ORDER BY id", (doc_id,)
        ):
            doc.apply_update(bytes(update))
            pending += len(update)
        for name in map_names(doc_id):
            doc.get(name, type=Map)
        changes = self._changes.setdefault(doc_id, [])

        def collect(event: Any) -> None:
            update = event.update
            if update and update != EMPTY_UPDATE:
                changes.append(update)

        self._subs[doc_id] = doc.observe(collect)
        self._docs[doc_id] = doc
        self._base_bytes[doc_id] = len(base)
        self._pending_bytes[doc_id] = pending
        return doc

    def take(self, doc_id: str) -> bytes | None:
        """The changes made to a document since the last take, as one update (None if none)."""
        from pycrdt import merge_updates

        updates = self._changes.get(doc_id)
        if not updates:
            return None
        merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
        updates.clear()
        return merged

    def record(self, conn: Any, doc_id: str, update: bytes, now: float) -> None:
        """Store one change of a loaded document: appended behind its base, or folded into a new base."""
        pending = self._pending_bytes.get(doc_id, 0) + len(update)
        base = self._base_bytes.get(doc_id, 0)
        if pending <= max(FOLD_MIN, base // 4):
            conn.execute("INSERT INTO sync_doc_updates (doc_id, body) VALUES (?, ?)", (doc_id, update))
            self._pending_bytes[doc_id] = pending
            return
        state = self._docs[doc_id].get_update()
        conn.execute(
            "INSERT INTO sync_docs (doc_id, state, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (doc_id, state, now),
        )
        conn.execute("DELETE FROM sync_doc_updates WHERE doc_id = ?", (doc_id,))
        self._base_bytes[doc_id] = len(state)
        self._pending_bytes[doc_id] = 0

    def save_changes(self, conn: Any, now: float) -> dict[str, bytes]:
        """Take and record every document's pending changes; returns them by document."""
        out: dict[str, bytes] = {}
        for doc_id in list(self._changes):
            update = self.take(doc_id)
            if update is not None:
                self.record(conn, doc_id, update, now)
                out[doc_id] = update
        return out

    def state(self, conn: Any, doc_id: str) -> bytes:
        """The whole document as one update (for snapshots)."""
        return self.get(conn, doc_id).get_update()

    def trim(self) -> None:
        """Drop least recently used documents beyond max_docs (call between transactions)."""
        while len(self._docs) > self.max_docs:
            doc_id = next((d for d in self._docs if d != INDEX), None)
            if doc_id is None:
                return
            self._drop(doc_id)

    def _drop(self, doc_id: str) -> None:
        doc = self._docs.pop(doc_id)
        sub = self._subs.pop(doc_id, None)
        if sub is not None:
            doc.unobserve(sub)
        self._changes.pop(doc_id, None)
        self._base_bytes.pop(doc_id, None)
        self._pending_bytes.pop(doc_id, None)

    def forget(self) -> None:
        """Drop the cache (after a failed transaction, memory may be ahead of the database)."""
        for doc_id in list(self._docs):
            self._drop(doc_id)
        self._changes.clear()

    def __len__(self) -> int:
        return len(self._docs)
