"""First-pass vectors: a static-model vector for every chunk MiniLM has not embedded yet.

A large import leaves tens of thousands of chunks without a MiniLM vector for an hour; the static
model (vivim.retrieval.static_model) embeds them in minutes, so meaning search covers the whole
archive almost at once and MiniLM refines it in the background. The two models' vectors live in
different spaces and are never compared: `chunk_first_pass` holds the static vector (float16) of
chunks whose `embedded` flag is still 0, and a chunk's row is deleted the moment MiniLM stores its
vector (vivim.retrieval.vectors.store_vectors), so each chunk is searched in exactly one space.
Search ranks this table on its own, behind its own relevance floor (relevance.FIRST_PASS_*), as one
more list in the fusion.

The scan is exact, in numpy (256 dimensions, 512 bytes a chunk): the table only exists while a
backfill is under way, so it has no index of its own. Reading 100k rows out of SQLite for every
query cost ~0.8 s at load 12 (bench/embed_backfill.py --configs first-pass), so from SNAPSHOT_MIN
rows on, the scan runs over an in-memory snapshot (int8, 26 MB at 100k), topped up with rows newer
than it before each search and re-read when the table shrank by a fifth (MiniLM refining) or grew
below its newest id. The best candidates are re-scored exactly from the table, which also drops
any chunk MiniLM refined since the snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ..store.connection import Connection  # only for annotations: the store imports this module
    from .filters import Filters

# Migration 17. The triggers mirror chunk_vectors': a deleted or edited chunk takes its vector along.
SCHEMA = """
CREATE TABLE chunk_first_pass (
    chunk_id INTEGER PRIMARY KEY,
    vector BLOB NOT NULL
);
CREATE TRIGGER chunk_first_pass_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_first_pass WHERE chunk_id = old.id;
END;
CREATE TRIGGER chunk_first_pass_text_update AFTER UPDATE OF text ON chunks BEGIN
    DELETE FROM chunk_first_pass WHERE chunk_id = old.id;
END;
"""

WINDOW = 2048  # chunks embedded and written per transaction (~1-4 s of one core)
MIN_BACKLOG = 200
SCAN_PAGE = 8192  # first-pass vectors scored per page (~4 MB of float16)
SNAPSHOT_MIN = 20_000  # from this many first-pass rows on, searches scan an in-memory snapshot
SNAPSHOT_REREAD_SHARE = 0.8  # re-read the snapshot once the table holds less than this share of it  # the background worker builds the static model for a backlog at least this big


def pending(conn: Connection, limit: int = WINDOW, after: int = 0) -> list[tuple[int, str]]:
    """Chunks with neither vector, by id from `after` on (the caller walks forward: no rescans)."""
    rows = conn.execute(
        "SELECT id, text FROM chunks ch WHERE embedded = 0 AND id > ?"
        " AND NOT EXISTS (SELECT 1 FROM chunk_first_pass f WHERE f.chunk_id = ch.id) ORDER BY id LIMIT ?",
        (after, limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def pending_count(conn: Connection, cap: int = MIN_BACKLOG) -> int:
    """How many chunks lack both vectors, counted up to `cap` (a cheap "is there a backlog")."""
    row = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM chunks ch WHERE embedded = 0"
        " AND NOT EXISTS (SELECT 1 FROM chunk_first_pass f WHERE f.chunk_id = ch.id) LIMIT ?)",
        (cap,),
    ).fetchone()
    return int(row[0])


def store(conn: Connection, chunk_ids: Sequence[int], texts: Sequence[str], vectors: np.ndarray) -> int:
    """Write first-pass vectors of chunks that still hold that text and still lack a MiniLM vector."""
    import numpy as np

    if not chunk_ids:
        return 0
    marks = ",".join("?" * len(chunk_ids))
    current = {
        r[0]: r[1]
        for r in conn.execute(
            f"SELECT id, text FROM chunks WHERE id IN ({marks}) AND embedded = 0", list(chunk_ids)
        )
    }
    rows = [
        (chunk_id, np.asarray(vector, dtype=np.float16).tobytes())
        for chunk_id, text, vector in zip(chunk_ids, texts, vectors)
        if current.get(chunk_id) == text
    ]
    conn.executemany("INSERT OR REPLACE INTO chunk_first_pass (chunk_id, vector) VALUES (?, ?)", rows)
    return len(rows)


def newest_chunk(conn: Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()[0])


def count(conn: Connection) -> int:
    """Chunks searched by their first-pass vector (MiniLM has not reached them yet)."""
    return int(conn.execute("SELECT COUNT(*) FROM chunk_first_pass").fetchone()[0])


def has_any(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM chunk_first_pass LIMIT 1").fetchone() is not None


@dataclass
class _Snapshot:
    ids: Any  # np.ndarray of int64, ascending
    codes: Any  # np.ndarray of int8, one row per id: the vector / scale, rounded
    scales: Any  # np.ndarray of float32, one per row
    newest: int


_snapshots: dict[str, _Snapshot] = {}
_snapshot_lock = threading.Lock()


def _rows(conn: Connection, after: int) -> tuple[Any, Any, Any]:
    """(ids, int8 codes, scales) of the rows past `after`, read and quantized a page at a time
    (int8 with one scale per row: 256 bytes a chunk, a quarter of float32; cosines within ~0.01,
    and the candidates are re-scored exactly from the table anyway)."""
    import numpy as np

    id_parts, code_parts, scale_parts = [], [], []
    while rows := conn.execute(
        "SELECT chunk_id, vector FROM chunk_first_pass WHERE chunk_id > ? ORDER BY chunk_id LIMIT ?",
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


def _snapshot(conn: Connection, live: int) -> _Snapshot | None:
    """The in-memory copy for this database, brought up to date (see the module docstring)."""
    import numpy as np

    key = str(conn.execute("PRAGMA database_list").fetchone()[2])
    with _snapshot_lock:
        snap = _snapshots.get(key)
        if snap is not None and live >= SNAPSHOT_REREAD_SHARE * len(snap.ids):
            ids, codes, scales = _rows(conn, snap.newest)
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
            ids, codes, scales = _rows(conn, 0)
            if codes is None:
                return None
            snap = _Snapshot(ids, codes, scales, int(ids[-1]))
            from .embedding import trim_memory

            trim_memory()  # the pages read to build it
        _snapshots[key] = snap
        return snap


def _exact(conn: Connection, query: Any, chunk_ids: list[int]) -> list[tuple[int, float]]:
    """Exact cosines of the candidates still in the table (a chunk refined since is gone)."""
    import numpy as np

    if not chunk_ids:
        return []
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        f"SELECT chunk_id, vector FROM chunk_first_pass WHERE chunk_id IN ({marks})", chunk_ids
    ).fetchall()
    scored = [(r[0], float(np.frombuffer(r[1], dtype=np.float16).astype(np.float32) @ query)) for r in rows]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def knn(
    conn: Connection, query: np.ndarray, k: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """The k first-pass chunks nearest to a unit static query vector: (chunk_id, cosine), best first."""
    import numpy as np

    query = np.asarray(query, dtype=np.float32)
    if filters is None or filters.unfiltered:
        live = count(conn)
        if live >= SNAPSHOT_MIN:
            snap = _snapshot(conn, live)
            if snap is None or snap.codes.shape[1] != query.shape[0]:
                return []
            scores = np.concatenate(  # int8 has no fast matmul in numpy: float32 a page at a time
                [
                    snap.codes[i : i + SCAN_PAGE].astype(np.float32) @ query
                    for i in range(0, len(snap.ids), SCAN_PAGE)
                ]
            )
            scores *= snap.scales
            pool = min(len(scores), 4 * k)  # room for chunks refined since the snapshot
            top = np.argpartition(-scores, pool - 1)[:pool] if pool < len(scores) else np.arange(len(scores))
            return _exact(conn, query, [int(snap.ids[i]) for i in top])[:k]
    return _scan(conn, query, k, filters)


def _scan(conn: Connection, query: np.ndarray, k: int, filters: Filters | None) -> list[tuple[int, float]]:
    """The exact scan straight from the table, a page at a time (small tables, filtered searches).

    Paged: the whole table at once would hold ~150 MB of bytes and float32 copies at 100k chunks."""
    import numpy as np

    if filters is None or filters.unfiltered:
        sql = "SELECT chunk_id, vector FROM chunk_first_pass f WHERE f.chunk_id > ?"
        params: list[Any] = []
    else:
        where, params = filters.sql()
        sql = (
            "SELECT f.chunk_id, f.vector FROM chunk_first_pass f JOIN chunks ch ON ch.id = f.chunk_id"
            " JOIN messages m ON m.id = ch.message_id JOIN conversations c ON c.id = m.conversation_id"
            f" WHERE f.chunk_id > ? AND {where}"
        )
    best_ids = np.zeros(0, dtype=np.int64)
    best_scores = np.zeros(0, dtype=np.float32)
    after = 0
    while rows := conn.execute(sql + " ORDER BY f.chunk_id LIMIT ?", (after, *params, SCAN_PAGE)).fetchall():
        after = rows[-1][0]
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
        if matrix.shape[1] != query.shape[0]:
            return []  # written by a static model of another size: not comparable
        best_ids = np.concatenate((best_ids, ids))
        best_scores = np.concatenate((best_scores, matrix.astype(np.float32) @ query))
        if len(best_ids) > k:
            keep = np.argpartition(-best_scores, k)[:k]
            best_ids, best_scores = best_ids[keep], best_scores[keep]
    order = np.lexsort((best_ids, -best_scores))[:k]
    return [(int(best_ids[i]), float(best_scores[i])) for i in order]
