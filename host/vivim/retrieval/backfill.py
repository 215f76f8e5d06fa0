"""Embedding a backlog (an import, a reindex) fast, without taking the machine from the user.

- Windows of WINDOW pending chunks are sorted by length and cut into batches of BATCH: a batch costs
  its size times its longest text (padding), so like lengths together waste little; on chunks of
  60-140 tokens that is ~1.1x more chunks per CPU second (bench/embed_backfill.py: before vs
  f32-sorted-1). Identical texts in a window are embedded once.
- Cores: the session has one intra-op thread, and a second batch runs concurrently on another thread
  (onnxruntime runs concurrent calls of one session on the calling threads; the weights are shared).
  The background worker adds that second worker only while the rest of the machine is idle
  (`Cores.free()`, from /proc/stat minus this process's own CPU time; the load average elsewhere), so
  a busy browser keeps its core; and its threads run at niceness 10, so the browser and interactive
  queries win any contention. Two intra-op threads instead measured slower than one on a loaded 2-core
  machine (the pool spins waiting for a core), hence workers and not threads.
- Progress (count, rate, ETA) goes to the one-row `embed_progress` table: the web app, the popup and
  `vivim reindex` of any process read it through `embed.status`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WINDOW = 64  # pending chunks read, sorted by length and embedded per round
BATCH = 16  # texts per model call
PROGRESS_FRESH_SECONDS = 120.0  # older: a finished or dead run (a window takes ~13 s at 5 chunks/s)
RATE_SMOOTHING = 0.3  # weight of the newest window in the moving rate
BACKGROUND_NICENESS = 10  # the background worker's threads (see background_thread)
# The background worker uses at most this many cores, even on a big idle machine: each concurrent
# run holds its own activations, and RSS must stay bounded while the browser runs.
BACKGROUND_MAX_WORKERS = 2

# One row: the backfill running now (the worker's or a reindex), for every process to read.
# Created by migration 7 (registered in vivim.retrieval.unspaced with the trigram index).
PROGRESS_SCHEMA = """
CREATE TABLE embed_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    by TEXT NOT NULL,
    started_at REAL NOT NULL,
    done INTEGER NOT NULL,
    rate REAL,
    workers INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
"""


def plan_batches(chunks: Sequence[tuple[int, str]], batch: int = BATCH) -> list[list[tuple[int, str]]]:
    """Chunks sorted by text length and cut into batches (ids travel with their texts)."""
    ordered = sorted(chunks, key=lambda chunk: len(chunk[1]))
    return [ordered[i : i + batch] for i in range(0, len(ordered), batch)]


def split_among(batches: list[Any], workers: int) -> list[list[Any]]:
    """Deal batches round robin to `workers` groups (each group runs on one thread)."""
    workers = max(1, min(workers, len(batches)))
    return [batches[i::workers] for i in range(workers)]


class Cores:
    """How many cores the rest of the machine leaves idle, measured between two calls."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.count = os.cpu_count() or 1
        self.max_workers = max(1, min(max_workers or self.count, self.count))
        self._last = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        """(wall seconds, busy CPU seconds of the machine, CPU seconds of this process) or None."""
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        busy = (sum(fields[:8]) - idle) / tick  # guest time is already in user
        own = os.times()
        return time.monotonic(), busy, own.user + own.system

    def others_busy(self) -> float:
        """Cores busy with other processes since the previous call (load average as a fallback)."""
        now = self._sample()
        last, self._last = self._last, now
        if now is not None and last is not None and now[0] - last[0] > 0.05:
            wall = now[0] - last[0]
            return max(0.0, ((now[1] - last[1]) - (now[2] - last[2])) / wall)
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):
            return float(self.count)

    def workers(self) -> int:
        """1, or more while other processes leave that many cores idle (with a quarter core to spare)."""
        free = self.count - self.others_busy()
        return max(1, min(self.max_workers, int(free + 0.25)))


@dataclass
class Progress:
    """One backfill run: how far, how fast, how long to go."""

    by: str  # "worker" or "reindex"
    started_at: float = field(default_factory=time.time)
    done: int = 0
    rate: float | None = None  # chunks per second, smoothed
    workers: int = 1
    _window_started: float = field(default_factory=time.monotonic)

    def window_done(self, count: int, workers: int) -> None:
        now = time.monotonic()
        elapsed = max(1e-6, now - self._window_started)
        self._window_started = now
        self.done += count
        self.workers = workers
        current = count / elapsed
        self.rate = (
            current if self.rate is None else (RATE_SMOOTHING * current + (1 - RATE_SMOOTHING) * self.rate)
        )

    def restart_clock(self) -> None:
        """Time spent idle (nothing pending) is not embedding time."""
        self._window_started = time.monotonic()


def write_progress(conn: Any, progress: Progress) -> None:
    conn.execute(
        "INSERT INTO embed_progress (id, by, started_at, done, rate, workers, updated_at)"
        " VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET by = excluded.by,"
        " started_at = excluded.started_at, done = excluded.done, rate = excluded.rate,"
        " workers = excluded.workers, updated_at = excluded.updated_at",
        (progress.by, progress.started_at, progress.done, progress.rate, progress.workers, time.time()),
    )


def read_progress(conn: Any, pending: int) -> dict[str, Any] | None:
    """{"by","done","rate","eta_seconds","workers","updated_at"} of a run still going, else None."""
    row = conn.execute(
        "SELECT by, started_at, done, rate, workers, updated_at FROM embed_progress WHERE id = 1"
    ).fetchone()
    if row is None or pending == 0 or time.time() - row[5] > PROGRESS_FRESH_SECONDS:
        return None
    rate = row[3]
    return {
        "by": row[0],
        "started_at": row[1],
        "done": row[2],
        "rate": None if rate is None else round(rate, 1),
        "eta_seconds": round(pending / rate) if rate else None,
        "workers": row[4],
        "updated_at": row[5],
    }


def backfill_status(conn: Any) -> dict[str, Any]:
    """`embed.status`'s counts plus the running backfill ({"rate","eta_seconds",...} or None)."""
    from .vectors import vector_counts

    counts: dict[str, Any] = dict(vector_counts(conn))
    counts["backfill"] = read_progress(conn, counts["pending"])
    return counts


def background_thread() -> None:
    """Pool initializer for the background worker: its threads yield the CPU to everything else.

    Linux applies a niceness to the one thread (setpriority on its thread id), so the browser and
    interactive queries (which embed on other threads) always run first; elsewhere a no-op."""
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    except (AttributeError, OSError):
        pass


def embed_window(
    embedder: Any, chunks: Sequence[tuple[int, str]], workers: int, pool: Any | None = None
) -> tuple[list[int], list[str], Any]:
    """Embed a window of chunks on `workers` threads of `pool`; (ids, texts, vectors) in matching order.

    Identical texts in a window (a prompt asked again, a branch's shared turns) are embedded once."""
    import numpy as np

    unique: dict[str, int] = {}
    for chunk_id, text in chunks:
        unique.setdefault(text, chunk_id)
    groups = split_among(plan_batches([(i, t) for t, i in unique.items()]), workers)

    def run(group: list[list[tuple[int, str]]]) -> list[tuple[list[tuple[int, str]], Any]]:
        return [(batch, embedder.embed([t for _, t in batch], len(batch))) for batch in group]

    results = [run(group) for group in groups] if pool is None else list(pool.map(run, groups))
    by_text = {}
    for group in results:
        for batch, rows in group:
            by_text.update({text: row for (_, text), row in zip(batch, rows)})
    ids = [chunk_id for chunk_id, _ in chunks]
    texts = [text for _, text in chunks]
    if not texts:
        return ids, texts, np.zeros((0, 0), dtype=np.float32)
    return ids, texts, np.stack([by_text[text] for text in texts])
