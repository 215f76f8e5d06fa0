"""An in-memory copy of the 1-bit vectors, for big libraries: the coarse KNN scan in numpy.

sqlite-vec 0.1.9 scans bit[384] vectors at ~110 ns each and its metadata filters cost 2-3x more,
so at 1M chunks a search spends 110-300 ms in the scan. The same hamming scan over a packed numpy
array (48 bytes a chunk: 48 MB for 1M, plus ~26 bytes of filter columns) takes ~30 ms, and a
filter is a boolean mask that makes it cheaper, not dearer. Below MIN_ROWS vectors the vec0 scan
is fast enough and this index is never built.

It is only the coarse stage: candidates are re-ranked with the float16 vectors read from the
database (vivim.retrieval.vectors.knn), so a chunk deleted since the last load simply drops out there.
Freshness: new vectors (ids above the highest loaded) are appended before each search when the
database changed (PRAGMA data_version for other processes' commits, a counter for this one's);
a full reload, on a background thread with its own connection, replaces the copy at most every
FULL_RELOAD_SECONDS when anything changed, which also picks up reused chunk ids. Until the first
load is done, searches use vec0: nothing ever waits for this index.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..providers import PROVIDERS
from ..store.connection import Connection

if TYPE_CHECKING:
    from .filters import Filters

log = logging.getLogger(__name__)

MIN_ROWS = 50_000
SIZE_CHECK_SECONDS = 60.0  # a library below MIN_ROWS is counted again this often
DIM = 384
FULL_RELOAD_SECONDS = 600.0
MERGE_ROWS = 20_000  # appended vectors are merged into the base part once they add up to this
LOAD_BATCH = 50_000
PROVIDER_CODES = {p.key: p.code for p in PROVIDERS}
ROLE_CODES = {"user": 0, "assistant": 1, "tool": 2, "system": 3}
_ROWS_SQL = (
    "SELECT e.chunk_id, e.vector, m.conversation_id, c.provider, m.role, m.created_at FROM chunk_embeddings e"
    " JOIN chunks ch ON ch.id = e.chunk_id JOIN messages m ON m.id = ch.message_id"
    " JOIN conversations c ON c.id = m.conversation_id"
)

_local_writes = 0  # vectors written by this process (its own commits do not move data_version)
_indexes: dict[str, BitIndex] = {}
_indexes_lock = threading.Lock()


def note_local_write() -> None:
    global _local_writes
    _local_writes += 1


def pack(vectors: np.ndarray) -> np.ndarray:
    """Sign bits of unit vectors, 384 -> 6 uint64 words per row."""
    return np.packbits(np.asarray(vectors) > 0, axis=-1, bitorder="little").view(np.uint64)


@dataclass(frozen=True)
class Snapshot:
    ids: np.ndarray  # int64
    words: np.ndarray  # (n, 6) uint64
    conversation: np.ndarray
    provider: np.ndarray  # int8 codes, -1 unknown
    role: np.ndarray  # int8 codes, -1 unknown
    created: np.ndarray  # float64

    @property
    def max_id(self) -> int:
        return int(self.ids.max()) if len(self.ids) else 0


def _snapshot(rows: list[Any]) -> Snapshot:
    n = len(rows)
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(n, DIM)
    return Snapshot(
        ids=np.fromiter((r[0] for r in rows), np.int64, n),
        words=pack(vectors).reshape(n, DIM // 64),
        conversation=np.fromiter((r[2] for r in rows), np.int64, n),
        provider=np.fromiter((PROVIDER_CODES.get(r[3], -1) for r in rows), np.int8, n),
        role=np.fromiter((ROLE_CODES.get(r[4], -1) for r in rows), np.int8, n),
        created=np.fromiter((r[5] for r in rows), np.float64, n),
    )


def _concat(parts: list[Snapshot]) -> Snapshot:
    if len(parts) == 1:
        return parts[0]
    return Snapshot(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in ("ids", "words", "conversation", "provider", "role", "created")
        )
    )


def _load_all(path: str) -> Snapshot:
    from ..store.connection import connect_sync

    conn = connect_sync(path)
    try:
        parts, last = [], 0
        while True:
            rows = conn.execute(
                _ROWS_SQL + " WHERE e.chunk_id > ? ORDER BY e.chunk_id LIMIT ?", (last, LOAD_BATCH)
            ).fetchall()
            if not rows:
                break
            parts.append(_snapshot(rows))
            last = rows[-1][0]
        return _concat(parts) if parts else _snapshot([])
    finally:
        conn.close()


class BitIndex:
    def __init__(self, path: str) -> None:
        self.path = path
        self.parts: tuple[Snapshot, ...] | None = None
        self.loaded_at = 0.0
        self._stamp: tuple[int, int] | None = None
        self._dirty = False
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None

    def _reload_in_background(self) -> None:
        if self._loader is not None and self._loader.is_alive():
            return

        def load() -> None:
            started = time.monotonic()
            try:
                snapshot = _load_all(self.path)
            except Exception:
                log.exception("loading the in-memory vector index failed; vec0 keeps serving")
                return
            with self._lock:
                self.parts, self.loaded_at, self._dirty = (snapshot,), started, False
            log.info(
                "in-memory vector index: %d vectors loaded in %.1f s",
                len(snapshot.ids),
                time.monotonic() - started,
            )

        self._loader = threading.Thread(target=load, name="vivim-bit-index", daemon=True)
        self._loader.start()

    def wait_loaded(self, timeout: float = 120.0) -> bool:
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
        return self.parts is not None

    @property
    def size(self) -> int:
        parts = self.parts
        return sum(len(p.ids) for p in parts) if parts else 0

    def refresh(self, conn: Connection) -> tuple[Snapshot, ...] | None:
        """The current parts after appending new vectors; starts (re)loads as needed.

        New vectors are kept as small extra parts (copying a 1M-row base on every capture would
        cost more than the scan); they are merged into one once they add up to MERGE_ROWS."""
        stamp = (int(conn.execute("PRAGMA data_version").fetchone()[0]), _local_writes)
        with self._lock:
            parts, changed = self.parts, stamp != self._stamp
            self._stamp = stamp
        if parts is None:
            self._reload_in_background()
            return None
        if changed:
            top = max(p.max_id for p in parts)
            rows = conn.execute(_ROWS_SQL + " WHERE e.chunk_id > ? ORDER BY e.chunk_id", (top,)).fetchall()
            with self._lock:
                if rows and self.parts is parts:
                    parts = (*parts, _snapshot(rows))
                    if sum(len(p.ids) for p in parts[1:]) >= MERGE_ROWS:
                        parts = (_concat(list(parts)),)
                    self.parts = parts
                self._dirty = True
                parts = self.parts
        if self._dirty and time.monotonic() - self.loaded_at > FULL_RELOAD_SECONDS:
            self._reload_in_background()
        return parts

    def candidates(
        self, conn: Connection, query: np.ndarray, pool: int, filters: Filters | None
    ) -> list[int] | None:
        parts = self.refresh(conn)
        if parts is None:
            return None
        packed = pack(query)
        found_ids, found_distances = [], []
        for part in parts:
            rows = _filtered_rows(part, filters)
            words = part.words if rows is None else part.words[rows]
            ids = part.ids if rows is None else part.ids[rows]
            if len(ids) == 0:
                continue
            distances = np.bitwise_count(words ^ packed).sum(axis=1, dtype=np.uint16)
            if len(ids) > pool:
                top = np.argpartition(distances, pool - 1)[:pool]
                ids, distances = ids[top], distances[top]
            found_ids.append(ids)
            found_distances.append(distances)
        if not found_ids:
            return []
        ids, distances = np.concatenate(found_ids), np.concatenate(found_distances)
        order = np.lexsort((ids, distances))[:pool]
        return ids[order].tolist()


def _filtered_rows(s: Snapshot, filters: Filters | None) -> np.ndarray | None:
    if filters is None:
        return None
    mask: np.ndarray | None = None

    def both(m: np.ndarray) -> None:
        nonlocal mask
        mask = m if mask is None else mask & m

    if filters.provider is not None:
        both(s.provider == PROVIDER_CODES.get(filters.provider, -2))
    if filters.role is not None:
        both(s.role == ROLE_CODES.get(filters.role, -2))
    if filters.conversation_id is not None:
        both(s.conversation == filters.conversation_id)
    if filters.since is not None:
        both(s.created >= filters.since)
    if filters.until is not None:
        both(s.created < filters.until)
    return None if mask is None else np.flatnonzero(mask)


_small_until: dict[str, float] = {}


def index_for(conn: Connection) -> BitIndex | None:
    """The process's in-memory index for this database, if the library is big enough to need one."""
    row = conn.execute("PRAGMA database_list").fetchone()
    path = row[2] if row else ""
    if not path:
        return None  # in-memory database
    with _indexes_lock:
        index = _indexes.get(path)
        if index is not None:
            return index
        if _small_until.get(path, 0.0) > time.monotonic():
            return None
    count = conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 1").fetchone()[0]
    with _indexes_lock:
        if count < MIN_ROWS:
            _small_until[path] = time.monotonic() + SIZE_CHECK_SECONDS
            return None
        return _indexes.setdefault(path, BitIndex(path))
