"""First-pass vectors: a static-model vector for every chunk MiniLM has not embedded yet.

A large import leaves tens of thousands of chunks without a MiniLM vector for an hour; the static
model (vivim.retrieval.static_model) embeds them in minutes, so meaning search covers the whole
archive almost at once and MiniLM refines it in the background. The two models' vectors live in
different spaces and are never compared: `chunk_first_pass` holds the static vector (float16) of
chunks whose `embedded` flag is still 0, and a chunk's row is deleted the moment MiniLM stores its
vector (vivim.retrieval.vectors.store_vectors), so each chunk is searched in exactly one space.
Search ranks this table on its own, behind its own relevance floor (relevance.FIRST_PASS_*), as one
more list in the fusion.

The search itself (an exact scan, from SNAPSHOT_MIN rows on over an in-memory int8 snapshot) is
vivim.retrieval.vector_table's, shared with the multilingual space: `TABLE` below. The table only
exists while a backfill is under way, so it has no index of its own; the snapshot's re-read when
the table shrinks by a fifth is MiniLM refining, and the exact re-score of its best candidates drops
any chunk MiniLM refined since it was taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .vector_table import SNAPSHOT_MIN, VectorTable  # SNAPSHOT_MIN: see knn below

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
MIN_BACKLOG = 200  # the background worker builds the static model for a backlog at least this big

TABLE = VectorTable("chunk_first_pass")  # the search (vivim.retrieval.vector_table)


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
    return TABLE.count(conn)


def has_any(conn: Connection) -> bool:
    return TABLE.has_any(conn)


def knn(
    conn: Connection, query: np.ndarray, k: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    """The k first-pass chunks nearest to a unit static query vector: (chunk_id, cosine), best first."""
    # This module's SNAPSHOT_MIN, read at call time: a test lowers first_pass.SNAPSHOT_MIN to
    # snapshot a small corpus.
    return TABLE.knn(conn, query, k, filters, snapshot_min=SNAPSHOT_MIN)
