"""A backlog is embedded on several cores without mixing up whose vector is whose, and its progress
(count, rate, ETA) reaches every process through `embed.status`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.support.hostproc import HostProcess
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.retrieval.backfill import Cores, Progress, plan_batches, write_progress
from vivim.retrieval.embedding import Embedder
from vivim.retrieval.reindex import embed_all_pending
from vivim.retrieval.vectors import load_embeddings
from vivim.store.capture import upsert_capture
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

from .corpus import captures

# Texts of very different lengths, so length-sorting reorders them within a window.
TEXTS = [
    "Short.",
    "Feed the sourdough starter twice a day and keep it near 24 degrees. " * 6,
    "nginx proxy_pass with websocket upgrade headers",
    "A composite index on (customer_id, created_at) avoids the sequential scan. " * 3,
    "Tomato leaves with concentric brown spots: early blight.",
    "Barre chords buzz when the index finger lies too flat; roll it onto its side and press near the fret. "
    * 4,
]


def seed(db: Path, texts: list[str]) -> None:
    conn = connect_sync(db)
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    upsert_capture(
        conn,
        CaptureUpsert(
            conversation=ConversationIn(provider="chatgpt", external_id="mixed", title="Mixed lengths"),
            turns=[TurnIn(key=f"t{i}", role="user", position=i, text=text) for i, text in enumerate(texts)],
        ),
    )
    conn.execute("COMMIT")
    conn.close()


def test_batches_group_like_lengths_and_keep_each_text_with_its_id() -> None:
    chunks = [(i, text) for i, text in enumerate(TEXTS)]
    batches = plan_batches(chunks, batch=2)
    flat = [chunk for batch in batches for chunk in batch]
    assert sorted(flat) == sorted(chunks)
    lengths = [len(text) for _, text in flat]
    assert lengths == sorted(lengths)


def test_two_workers_store_each_chunk_its_own_vector(tmp_path: Path, embedder: Embedder) -> None:
    db = tmp_path / "vivim.sqlite3"
    seed(db, TEXTS * 12)  # 72 chunks: more than one window, several batches per worker
    conn = connect_sync(db)
    try:
        done = embed_all_pending(conn, embedder, workers=2)
        rows = conn.execute("SELECT id, text FROM chunks").fetchall()
        assert done == len(rows)
        assert conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0] == 0
        stored = load_embeddings(conn, [r[0] for r in rows])
        expected = dict(zip(TEXTS, embedder.embed(TEXTS)))
        for chunk_id, text in rows:
            assert float(np.dot(stored[chunk_id], expected[text])) > 0.99, text
    finally:
        conn.close()


def test_cores_never_plan_fewer_than_one_worker_nor_more_than_allowed() -> None:
    cores = Cores(max_workers=2)
    assert cores.others_busy() >= 0.0
    assert all(1 <= cores.workers() <= 2 for _ in range(3))
    assert Cores(max_workers=1).workers() == 1


def test_a_backfill_elsewhere_shows_its_rate_and_eta_in_embed_status(vivim_home: Path) -> None:
    db = vivim_home / "vivim.sqlite3"
    conn = connect_sync(db)
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for capture in captures():
        upsert_capture(conn, capture)
    run = Progress("reindex")
    run.window_done(64, 2)
    run.rate = 40.0
    write_progress(conn, run)
    conn.execute("COMMIT")
    pending = conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]
    conn.close()

    host = HostProcess(vivim_home, services="none")  # a host that is not the worker's process
    try:
        status = host.call("embed.status")
        assert status["worker"] is False and status["pending"] == pending > 0
        backfill = status["backfill"]
        assert backfill["by"] == "reindex" and backfill["rate"] == 40.0 and backfill["workers"] == 2
        assert backfill["eta_seconds"] == round(pending / 40.0)
    finally:
        host.close()


def test_reindex_prints_its_rate_and_leaves_no_backfill_shown_once_done(vivim_home: Path) -> None:
    seed(vivim_home / "vivim.sqlite3", TEXTS)
    vivim = Path(sys.executable).with_name("vivim")
    command = [str(vivim)] if vivim.exists() else [sys.executable, "-m", "vivim"]
    done = subprocess.run(
        [*command, "reindex", "--workers", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "VIVIM_HOME": str(vivim_home)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "chunks embedded in" in done.stdout and "chunks/s" in done.stdout
    assert "vectors: 100%" in done.stderr  # the progress bar ran to the end
    host = HostProcess(vivim_home, services="none")
    try:
        status = host.call("embed.status")
        assert status["pending"] == 0 and status["backfill"] is None
    finally:
        host.close()


def test_vivim_serve_embeds_a_backlog_with_no_browser_open(vivim_home: Path) -> None:
    db = vivim_home / "vivim.sqlite3"
    seed(db, TEXTS * 12)
    vivim = Path(sys.executable).with_name("vivim")
    command = [str(vivim)] if vivim.exists() else [sys.executable, "-m", "vivim"]
    serve = subprocess.Popen(
        [*command, "serve"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "embed"},
    )
    try:
        deadline = time.monotonic() + 180  # a wait bound, not a timing assertion
        while True:
            conn = connect_sync(db)
            try:
                pending = conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]
                run = conn.execute("SELECT by, done FROM embed_progress").fetchone()
            finally:
                conn.close()
            if pending == 0:
                break
            assert serve.poll() is None, serve.stderr.read()
            assert time.monotonic() < deadline, pending
            time.sleep(0.5)
        assert tuple(run) == ("worker", len(TEXTS) * 12)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=60)
