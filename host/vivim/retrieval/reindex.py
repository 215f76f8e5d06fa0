"""Rebuild what retrieval derives from stored messages: Markdown, chunks, vectors.

Used by `vivim reindex` after an upgrade of the HTML converter, the chunker or the model. Messages
are processed in small write transactions so capture in a running host is never held up for long;
a message whose chunks come out the same keeps its vectors.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..store.capture import write_chunks
from ..store.connection import Connection
from ..store.fingerprint import fingerprint
from .chunking import chunk_markdown
from .vectors import pending_chunks, store_vectors

MESSAGES_PER_TRANSACTION = 200


@dataclass
class ReindexResult:
    messages: int = 0
    markdown_changed: int = 0
    rechunked: int = 0
    embedded: int = 0


def rederive_message(conn: Connection, message: Any, force: bool) -> tuple[bool, bool]:
    """(markdown changed, rechunked) for one message row (id, provider, html, markdown)."""
    markdown = message["markdown"]
    changed = False
    if message["html"]:
        from ..normalize import html_to_markdown

        derived = html_to_markdown(message["html"], message["provider"])
        if derived.strip() and derived != markdown:
            markdown, changed = derived, True
            # The fingerprint is made from the Markdown (store/fingerprint.py): it follows, so the
            # other capture path still finds this turn as its twin after a normalizer update.
            conn.execute(
                "UPDATE messages SET markdown = ?, fingerprint = ? WHERE id = ?",
                (markdown, fingerprint(message["role"], markdown), message["id"]),
            )
    current = [
        r[0]
        for r in conn.execute(
            "SELECT text FROM chunks WHERE message_id = ? ORDER BY ordinal", (message["id"],)
        )
    ]
    if force or current != chunk_markdown(markdown):
        write_chunks(conn, message["id"], markdown)
        return changed, True
    return changed, False


def rederive_all(
    conn: Connection, *, force: bool = False, progress: Callable[[int], None] | None = None
) -> ReindexResult:
    """Re-derive every message's Markdown from its raw HTML and rechunk what changed."""
    result = ReindexResult()
    last_id = 0
    while True:
        rows = conn.execute(
            "SELECT m.id, m.role, m.html, m.markdown, c.provider FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id WHERE m.id > ? ORDER BY m.id LIMIT ?",
            (last_id, MESSAGES_PER_TRANSACTION),
        ).fetchall()
        if not rows:
            return result
        conn.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                changed, rechunked = rederive_message(conn, row, force)
                result.markdown_changed += changed
                result.rechunked += rechunked
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        result.messages += len(rows)
        last_id = rows[-1]["id"]
        if progress:
            progress(len(rows))


def in_transaction(conn: Connection, write: Callable[..., int], *args: Any) -> int:
    """write(conn, *args) in its own short transaction: one window at a time, so captures never wait
    behind a long job."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = write(conn, *args)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result


def pending_count(conn: Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]


def embed_all_pending(
    conn: Connection, embedder: Any, progress: Callable[[int], None] | None = None, workers: int | None = None
) -> int:
    """Embed every chunk without a vector, one short write transaction per window.

    A reindex is a job the user waits for: it uses every core (`workers`, default all), as
    concurrent single-threaded runs of one session (vivim.retrieval.backfill), and records its progress
    where `embed.status` (web app, popup) reads it.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .backfill import WINDOW, Progress, embed_window
    from .embedding import trim_memory

    workers = max(1, workers or min(4, os.cpu_count() or 1))
    run = Progress("reindex")
    done = 0
    with ThreadPoolExecutor(workers, thread_name_prefix="vivim-reindex") as pool:
        while batch := pending_chunks(conn, WINDOW):
            ids, texts, vectors = embed_window(embedder, batch, workers, pool)
            trim_memory()
            done += in_transaction(conn, _store_window, ids, texts, vectors, run, workers)
            if progress:
                progress(len(batch))
    return done


def _store_window(
    conn: Connection, ids: list[int], texts: list[str], vectors: Any, run: Any, workers: int
) -> int:
    """MiniLM's vectors of one window, and the job's progress where `embed.status` reads it."""
    from .backfill import write_progress

    # chunks rechunked meanwhile by a capture are skipped; their successors are pending
    written = store_vectors(conn, ids, texts, vectors)
    run.window_done(len(ids), workers)
    write_progress(conn, run)
    return written


def first_pass_all(
    conn: Connection,
    embedder: Any = None,
    progress: Callable[[int], None] | None = None,
    *,
    parallel: bool = True,
) -> int:
    """Give every chunk without a vector a first-pass (static) vector, one write per window.

    Thousands of chunks a second (vivim.retrieval.static_model), so a 100k-chunk archive is searchable
    by meaning within minutes; embed_all_pending then refines it with MiniLM."""
    from . import first_pass
    from .embedding import trim_memory
    from .static_model import get_static_embedder

    embedder = embedder or get_static_embedder()
    done, after = 0, 0
    while batch := first_pass.pending(conn, first_pass.WINDOW, after):
        after = batch[-1][0]
        ids, texts = [i for i, _ in batch], [t for _, t in batch]
        vectors = embedder.embed(texts, parallel=parallel)
        trim_memory()  # each window's token rows are freed: give the pages back (see embedding.py)
        done += in_transaction(conn, first_pass.store, ids, texts, vectors)
        if progress:
            progress(len(batch))
    return done


def multilingual_all(
    conn: Connection,
    embedder: Any = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> int:
    """Look at every chunk not looked at yet and give those not in English a multilingual vector
    (vivim.retrieval.multilingual), one write per window; the number of vectors written.

    A no-op where the model is not installed. Like embed_all_pending it uses every core: the
    window's texts are split across threads running one onnxruntime session."""
    from concurrent.futures import ThreadPoolExecutor

    from . import multilingual, multilingual_model
    from .embedding import trim_memory

    if embedder is None:
        if not multilingual_model.available():
            return 0
        embedder = multilingual_model.get_multilingual_embedder()
    workers = max(1, workers or min(4, os.cpu_count() or 1))
    done, after = 0, 0
    with ThreadPoolExecutor(workers, thread_name_prefix="vivim-multilingual") as pool:
        while batch := multilingual.pending(conn, multilingual.WINDOW, after):
            after = batch[-1][0]
            ids, texts = [i for i, _ in batch], [t for _, t in batch]
            needed = multilingual.needing(texts)
            vectors: list[Any] = [None] * len(texts)
            if needed:
                share = -(-len(needed) // workers)
                parts = [needed[i : i + share] for i in range(0, len(needed), share)]
                runs = pool.map(embedder.embed, [[texts[i] for i in part] for part in parts])
                vectors = multilingual.placed(len(texts), needed, [v for found in runs for v in found])
                trim_memory()
            done += in_transaction(conn, multilingual.store, ids, texts, vectors)
            if progress:
                progress(len(batch))
    return done
