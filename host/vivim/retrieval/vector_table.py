"""A table of float16 unit vectors in one space, searched exactly: shared by every such space.

The first pass (vivim.retrieval.first_pass: `chunk_first_pass`, the static model's vectors) and the
multilingual space (`chunk_multilingual`) are tables of the same shape, `(chunk_id INTEGER PRIMARY
KEY, vector BLOB)`, searched the same way; one `VectorTable` per table keeps the two searches (and
their snapshot caches) from drifting apart. A row whose `vector` is NULL is ignored by every
statement here: `chunk_multilingual` records a chunk that was checked and needs no vector that way
(the first pass never writes NULL, so for it the condition changes nothing).

The scan is exact, in numpy (256 dimensions, 512 bytes a chunk for the first pass): these tables
have no index of their own. Reading 100k rows out of SQLite for every query cost ~0.8 s at load 12
(bench/embed_backfill.py --configs first-pass), so from SNAPSHOT_MIN rows on, the scan runs over an
in-memory snapshot (int8, 26 MB at 100k), topped up with rows newer than it before each search and
re-read when the table shrank by a fifth (e.g. MiniLM refining first-pass chunks) or grew below its
newest id. The best candidates are re-scored exactly from the table, which also drops any chunk
whose row went since the snapshot. There is one snapshot per database and table: two spaces in one
database must never answer from each other's copy.

Table names are code constants (`VectorTable("chunk_first_pass")`), never user input: they are
formatted into the SQL, which placeholders cannot do for a table name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ..store.connection import Connection  # only for annotations: the store imports first_pass
    from .filters import Filters

SCAN_PAGE = 8192  # vectors scored per page (~4 MB of float16 at 256 dimensions)
SNAPSHOT_MIN = 20_000  # from this many rows with a vector on, searches scan an in-memory snapshot
SNAPSHOT_REREAD_SHARE = 0.8  # re-read the snapshot once the table holds less than this share of it


@dataclass
class _Snapshot:
    ids: Any  # np.ndarray of int64, ascending
    codes: Any  # np.ndarray of int8, one row per id: the vector / scale, rounded
    scales: Any  # np.ndarray of float32, one per row
    newest: int


_snapshots: dict[tuple[str, str], _Snapshot] = {}  # by (database path, table)
_snapshot_lock = threading.Lock()


class VectorTable:
    """A table (chunk_id INTEGER PRIMARY KEY, vector BLOB) of float16 unit vectors in one space,
    searched exactly (see the module docstring); rows whose vector is NULL are not searched."""

    def __init__(self, table: str) -> None:
        if not table.isidentifier():  # a code constant, but it is formatted into SQL: say so loudly
            raise ValueError(f"not a table name: {table!r}")
        self.table = table

    def __repr__(self) -> str:
        return f"VectorTable({self.table!r})"

    def count(self, conn: Connection) -> int:
        """Chunks searched in this space (rows with a vector)."""
        return int(conn.execute(f"SELECT COUNT(*) FROM {self.table} WHERE vector IS NOT NULL").fetchone()[0])

    def has_any(self, conn: Connection) -> bool:
        return (
            conn.execute(f"SELECT 1 FROM {self.table} WHERE vector IS NOT NULL LIMIT 1").fetchone()
            is not None
        )

    def knn(
        self,
        conn: Connection,
        query: np.ndarray,
        k: int,
        filters: Filters | None = None,
        *,
        snapshot_min: int | None = None,
    ) -> list[tuple[int, float]]:
        """The k chunks nearest to a unit query vector of this space: (chunk_id, cosine), best first.

        `snapshot_min` overrides SNAPSHOT_MIN (read at call time, so tests can lower either)."""
        import numpy as np

        query = np.asarray(query, dtype=np.float32)
        if filters is None or filters.unfiltered:
            live = self.count(conn)
            if live >= (SNAPSHOT_MIN if snapshot_min is None else snapshot_min):
                snap = self._snapshot(conn, live)
                if snap is None or snap.codes.shape[1] != query.shape[0]:
                    return []
                scores = np.concatenate(  # int8 has no fast matmul in numpy: float32 a page at a time
                    [
                        snap.codes[i : i + SCAN_PAGE].astype(np.float32) @ query
                        for i in range(0, len(snap.ids), SCAN_PAGE)
                    ]
                )
                scores *= snap.scales
                pool = min(len(scores), 4 * k)  # room for chunks whose rows went since the snapshot
                top = (
                    np.argpartition(-scores, pool - 1)[:pool]
                    if pool < len(scores)
                    else np.arange(len(scores))
                )
                return self.cosines(conn, query, [int(snap.ids[i]) for i in top])[:k]
        return self._scan(conn, query, k, filters)

    def _rows(self, conn: Connection, after: int) -> tuple[Any, Any, Any]:
        """(ids, int8 codes, scales) of the rows past `after`, read and quantized a page at a time
        (int8 with one scale per row: a quarter of float32; cosines within ~0.01, and the
        candidates are re-scored exactly from the table anyway)."""
        import numpy as np

        id_parts, code_parts, scale_parts = [], [], []
        while rows := conn.execute(
            f"SELECT chunk_id, vector FROM {self.table} WHERE chunk_id > ? AND vector IS NOT NULL"
            " ORDER BY chunk_id LIMIT ?",
            (after, SCAN_PAGE),
        ).fetchall():
            after = rows[-1][0]
            id_parts.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            page = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
            page = page.astype(np.float32)
            scale = np.maximum(np.abs(page).max(axis=1), 1e-12) / 127.0
            code_parts.append(np.rint(page / scale[:, None]).astype(np.int8))
            scale_parts.append(scale.astype(np.float32))
        if not id_parts:
            return np.zeros(0, dtype=np.int64), None, None
        return np.concatenate(id_parts), np.concatenate(code_parts), np.concatenate(scale_parts)

    def _snapshot(self, conn: Connection, live: int) -> _Snapshot | None:
        """The in-memory copy of this table in this database, brought up to date (see the module
        docstring); `live` is the table's count of rows with a vector."""
        import numpy as np

        key = (str(conn.execute("PRAGMA database_list").fetchone()[2]), self.table)
        with _snapshot_lock:
            snap = _snapshots.get(key)
            if snap is not None and live >= SNAPSHOT_REREAD_SHARE * len(snap.ids):
                ids, codes, scales = self._rows(conn, snap.newest)
                if len(ids):
                    snap = _Snapshot(
                        np.concatenate((snap.ids, ids)),
                        np.concatenate((snap.codes, codes)),
                        np.concatenate((snap.scales, scales)),
                        int(ids[-1]),
                    )
                if live > len(snap.ids):  # rows came back below the newest id (re-embedded): re-read
                    snap = None
            else:
                snap = None
            if snap is None:
                _snapshots.pop(key, None)  # the old copy goes before the new one is read
                ids, codes, scales = self._rows(conn, 0)
                if codes is None:
                    return None
                snap = _Snapshot(ids, codes, scales, int(ids[-1]))
                from .embedding import trim_memory

                trim_memory()  # the pages read to build it
            _snapshots[key] = snap
            return snap

    def cosines(self, conn: Connection, query: Any, chunk_ids: list[int]) -> list[tuple[int, float]]:
        """Exact cosines of those chunks that have a vector here (a chunk whose row went is gone),
        best first."""
        import numpy as np

        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = conn.execute(
            f"SELECT chunk_id, vector FROM {self.table} WHERE chunk_id IN ({marks}) AND vector IS NOT NULL",
            chunk_ids,
        ).fetchall()
        scored = [
            (r[0], float(np.frombuffer(r[1], dtype=np.float16).astype(np.float32) @ query)) for r in rows
        ]
        return sorted(scored, key=lambda pair: (-pair[1], pair[0]))

    def _scan(
        self, conn: Connection, query: np.ndarray, k: int, filters: Filters | None
    ) -> list[tuple[int, float]]:
        """The exact scan straight from the table, a page at a time (small tables, filtered searches).

        Paged: the whole table at once would hold ~150 MB of bytes and float32 copies at 100k chunks."""
        import numpy as np

        if filters is None or filters.unfiltered:
            sql = f"SELECT chunk_id, vector FROM {self.table} f WHERE f.chunk_id > ? AND f.vector IS NOT NULL"
            params: list[Any] = []
        else:
            where, params = filters.sql()
            sql = (
                f"SELECT f.chunk_id, f.vector FROM {self.table} f JOIN chunks ch ON ch.id = f.chunk_id"
                " JOIN messages m ON m.id = ch.message_id JOIN conversations c ON c.id = m.conversation_id"
                f" WHERE f.chunk_id > ? AND f.vector IS NOT NULL AND {where}"
            )
        best_ids = np.zeros(0, dtype=np.int64)
        best_scores = np.zeros(0, dtype=np.float32)
        after = 0
        while rows := conn.execute(
            sql + " ORDER BY f.chunk_id LIMIT ?", (after, *params, SCAN_PAGE)
        ).fetchall():
            after = rows[-1][0]
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
            if matrix.shape[1] != query.shape[0]:
                return []  # written by a model of another size: not comparable
            best_ids = np.concatenate((best_ids, ids))
            best_scores = np.concatenate((best_scores, matrix.astype(np.float32) @ query))
            if len(best_ids) > k:
                keep = np.argpartition(-best_scores, k)[:k]
                best_ids, best_scores = best_ids[keep], best_scores[keep]
        order = np.lexsort((best_ids, -best_scores))[:k]
        return [(int(best_ids[i]), float(best_scores[i])) for i in order]
