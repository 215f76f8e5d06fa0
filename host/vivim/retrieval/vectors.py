"""Chunk vectors in the same SQLite file: a binary sqlite-vec index plus float16 copies for re-scoring.

Why this shape (figures in bench/retrieval_search.py on a 2-core CPU): sqlite-vec 0.1.9 only does
exact (brute-force) KNN. Scanning float[384] costs ~60 ms at 100k chunks; scanning 1-bit vectors
(48 bytes each) is ~5x cheaper, and re-ranking the best `RESCORE_CANDIDATES` by the real cosine
brings recall@10 back to ~0.98. So:

- `chunk_vectors` (vec0): `embedding bit[384]` for the coarse scan, and the filterable facts as vec0
  *metadata* columns, because a filter on a joined table would only apply after the top-k cut.
- `chunk_embeddings`: the unit vector as float16 (768 bytes) for re-scoring and for MMR.

From MIN_ROWS (50k) chunks on, the coarse scan runs over an in-memory copy of the bits instead
(vivim.retrieval.bit_index: ~4 ms at 100k where vec0 takes ~13-28 ms, and filters get cheaper, not dearer).

Both tables follow `chunks` through triggers: chunks are deleted and re-inserted whenever a message
changes, and a delete (or a text edit) takes its vectors with it; the worker then embeds every
chunk whose `embedded` flag is 0. vec0 has no INSERT OR REPLACE, so writes delete first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .embedding import DIM

if TYPE_CHECKING:
    import numpy as np

    from ..store.connection import Connection  # annotations only: store's migrations import this module
    from .filters import Filters

RESCORE_CANDIDATES = 100  # bit-index candidates re-ranked by the float16 cosine
MAX_K = 4096  # sqlite-vec's cap on k
# With the in-memory scan, the pool re-ranked: on real MiniLM vectors recall@10 goes from ~0.84
# (100) to ~0.98 (400) for ~2 ms more (bench/retrieval_embed.py --recall, bench/retrieval_search.py).
IN_MEMORY_RESCORE_CANDIDATES = 400

VECTOR_SCHEMA = f"""
CREATE VIRTUAL TABLE chunk_vectors USING vec0 (
    chunk_id INTEGER PRIMARY KEY,
    embedding bit[{DIM}],
    conversation_id INTEGER,
    provider TEXT,
    role TEXT,
    created_at FLOAT
);
CREATE TABLE chunk_embeddings (
    chunk_id INTEGER PRIMARY KEY,
    vector BLOB NOT NULL
);
CREATE TRIGGER chunk_vectors_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_vectors WHERE chunk_id = old.id;
    DELETE FROM chunk_embeddings WHERE chunk_id = old.id;
END;
CREATE TRIGGER chunk_vectors_text_update AFTER UPDATE OF text ON chunks BEGIN
    DELETE FROM chunk_vectors WHERE chunk_id = old.id;
    DELETE FROM chunk_embeddings WHERE chunk_id = old.id;
    UPDATE chunks SET embedded = 0 WHERE id = new.id;
END;
UPDATE chunks SET embedded = 0;
"""


def pending_chunks(conn: Connection, limit: int) -> list[tuple[int, str]]:
    """Chunks that still need a vector, oldest first."""
    rows = conn.execute(
        "SELECT id, text FROM chunks WHERE embedded = 0 ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def store_vectors(
    conn: Connection, chunk_ids: Sequence[int], texts: Sequence[str], vectors: np.ndarray
) -> int:
    """Write vectors for chunks that still hold the text that was embedded (inside a write transaction).

    A chunk deleted or rechunked while the model ran is skipped: its id may even have been reused
    for different text, which is why the text is compared, not only the id.
    """
    import numpy as np

    written = 0
    for chunk_id, text, vector in zip(chunk_ids, texts, vectors):
        row = conn.execute(
            "SELECT ch.text, m.conversation_id, m.role, m.created_at, c.provider FROM chunks ch"
            " JOIN messages m ON m.id = ch.message_id JOIN conversations c ON c.id = m.conversation_id"
            " WHERE ch.id = ?",
            (chunk_id,),
        ).fetchone()
        if row is None or row[0] != text:
            continue
        unit = np.asarray(vector, dtype=np.float32)
        conn.execute("DELETE FROM chunk_vectors WHERE chunk_id = ?", (chunk_id,))
        conn.execute(
            "INSERT INTO chunk_vectors (chunk_id, embedding, conversation_id, provider, role, created_at)"
            " VALUES (?, vec_quantize_binary(?), ?, ?, ?, ?)",
            (chunk_id, unit.tobytes(), row[1], row[4], row[2], float(row[3])),
        )
        conn.execute(
            "INSERT OR REPLACE INTO chunk_embeddings (chunk_id, vector) VALUES (?, ?)",
            (chunk_id, unit.astype(np.float16).tobytes()),
        )
        conn.execute("UPDATE chunks SET embedded = 1 WHERE id = ?", (chunk_id,))
        conn.execute("DELETE FROM chunk_first_pass WHERE chunk_id = ?", (chunk_id,))  # refined: one space
        written += 1
    if written:
        from .bit_index import note_local_write

        note_local_write()
    return written


def vector_counts(conn: Connection) -> dict[str, int]:
    row = conn.execute("SELECT COUNT(*), COALESCE(SUM(embedded), 0) FROM chunks").fetchone()
    return {"chunks": int(row[0]), "embedded": int(row[1]), "pending": int(row[0]) - int(row[1])}


def has_vectors(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM chunk_embeddings LIMIT 1").fetchone() is not None


def _metadata_filters(filters: Filters | None) -> tuple[str, list[Any]]:
    if filters is None:
        return "", []
    clauses, params = filters.conditions("provider", "conversation_id", "role", "created_at")
    return "".join(f" AND {clause}" for clause in clauses), params


def load_embeddings(conn: Connection, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """float32 unit vectors of the given chunks (those that have one)."""
    import numpy as np

    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        f"SELECT chunk_id, vector FROM chunk_embeddings WHERE chunk_id IN ({marks})", list(chunk_ids)
    ).fetchall()
    return {r[0]: np.frombuffer(r[1], dtype=np.float16).astype(np.float32) for r in rows}


def knn(
    conn: Connection,
    query: np.ndarray,
    k: int,
    filters: Filters | None = None,
    candidates: int = RESCORE_CANDIDATES,
) -> list[tuple[int, float]]:
    """The k chunks nearest to a unit query vector: (chunk_id, cosine), best first.

    Coarse hamming scan of the bit index (filters applied inside it), then exact re-ranking. The
    scan runs in numpy over an in-memory copy for big libraries (vivim.retrieval.bit_index), else in vec0.
    """
    import numpy as np

    from .bit_index import index_for

    query = np.asarray(query, dtype=np.float32)
    pool = min(MAX_K, max(k, candidates))
    index = index_for(conn)
    # In memory the scan costs the same for any pool: re-rank more (only the re-ranking grows).
    ids = index.candidates(conn, query, max(pool, IN_MEMORY_RESCORE_CANDIDATES), filters) if index else None
    if ids is None:  # a small library, or the in-memory copy is still loading
        where, params = _metadata_filters(filters)
        rows = conn.execute(
            "SELECT chunk_id FROM chunk_vectors WHERE embedding MATCH vec_quantize_binary(?) AND k = ?"
            + where,
            (query.tobytes(), pool, *params),
        ).fetchall()
        ids = [r[0] for r in rows]
    vectors = load_embeddings(conn, ids)
    if not vectors:
        return []
    keys = list(vectors)
    scores = np.stack([vectors[i] for i in keys]) @ query
    ranked = sorted(zip(keys, scores.tolist()), key=lambda pair: (-pair[1], pair[0]))
    return ranked[:k]
