"""How much of the archive meaning search covers, and how soon the rest will be: for honest answers.

A search answered while chunks still wait for their vectors (right after an import) or before the
model is loaded (the popup's first second) is a words-only or partial answer; the reply says so
with this block, and the popup, web app and CLI show it ("meaning search: 12,400 of 80,000
indexed (about 6 min)"):

    {"chunks": 80000, "embedded": 12400, "pending": 67600, "first_pass": 67600, "searchable": 80000,
     "model": "ready"|"loading"|"idle"|"unavailable", "rate": 31.2 | None, "eta_seconds": 2166 | None,
     "complete": False, "other_languages_pending": 0}

`embedded` counts MiniLM vectors; `first_pass` the pending chunks that the fast first pass
(vivim.retrieval.first_pass) already made searchable; `rate`/`eta_seconds` are MiniLM's refinement.

The rate is measured from the embedded count itself, sampled whenever somebody asks: the worker
may run in another process (the browser's host, `vivim serve`), so counting what reached the
database is the one measure every process shares. Counting walks two indexes (a few ms at 100k
chunks), so a count is reused for COUNT_TTL seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

COUNT_TTL = 2.0
RATE_WINDOW = 300.0  # seconds of samples the rate is measured over
MIN_RATE_SPAN = 0.8  # samples closer than this give no rate yet
MAX_SAMPLES = 64


class ProgressMeter:
    """Embedded-chunk counts over time, and the rate they grow at."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque(maxlen=MAX_SAMPLES)
        self._lock = threading.Lock()

    def record(self, embedded: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._samples and embedded < self._samples[-1][1]:
                self._samples.clear()  # chunks were deleted or rechunked: start over
            if self._samples and now - self._samples[-1][0] < 0.5:
                self._samples[-1] = (self._samples[-1][0], embedded)
            else:
                self._samples.append((now, embedded))

    def rate(self, now: float | None = None) -> float | None:
        """Chunks per second over the recent window; None until it can be told."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [s for s in self._samples if now - s[0] <= RATE_WINDOW]
            if len(recent) < 2:
                return None
            (t0, e0), (t1, e1) = recent[0], recent[-1]
        if t1 - t0 < MIN_RATE_SPAN:
            return None
        return (e1 - e0) / (t1 - t0)


_meter = ProgressMeter()
_cached: tuple[float, dict[str, int]] | None = None
_cache_lock = threading.Lock()


def counts(conn: Any) -> dict[str, int]:
    """{chunks, embedded}, at most COUNT_TTL seconds old (runs on the store's thread)."""
    global _cached
    now = time.monotonic()
    with _cache_lock:
        if _cached is not None and now - _cached[0] < COUNT_TTL:
            return dict(_cached[1])
    # Two index-only counts: SUM(embedded) would read every chunk's row, text and all.
    total = int(conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
    pending = int(conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0])
    quick = int(conn.execute("SELECT COUNT(*) FROM chunk_first_pass").fetchone()[0])
    looked = int(conn.execute("SELECT COUNT(*) FROM chunk_multilingual").fetchone()[0])
    fresh = {
        "chunks": total,
        "embedded": total - pending,
        "first_pass": min(quick, pending),
        "other_languages_pending": max(0, total - looked),
    }
    with _cache_lock:
        _cached = (now, fresh)
    _meter.record(fresh["embedded"], now)
    return dict(fresh)


def forget_counts() -> None:
    """Drop the cached count (tests, and after a write that changes it a lot)."""
    global _cached
    with _cache_lock:
        _cached = None


def model_state() -> str:
    from . import embedding

    embedder = embedding.get_embedder()
    if embedder.loaded:
        return "ready"
    if embedder.error:
        return "unavailable"
    return "loading" if embedding.loading() else "idle"


def status(found: dict[str, int], model: str, worker_rate: float | None = None) -> dict[str, Any]:
    """The `index` block of a search reply from counts and the model's state."""
    pending = max(0, found["chunks"] - found["embedded"])
    rate = worker_rate if worker_rate else _meter.rate()
    eta = round(pending / rate) if rate and rate > 0 and pending else None
    first = min(found.get("first_pass", 0), pending)
    # chunks not yet checked for another language (vivim.retrieval.multilingual): those that are not
    # English are not found by a question in another language until they are
    other_languages = found.get("other_languages_pending", 0) if multilingual_installed() else 0
    return {
        "chunks": found["chunks"],
        "embedded": found["embedded"],
        "pending": pending,
        "first_pass": first,  # of the pending: searchable by the first-pass vector meanwhile
        "searchable": found["embedded"] + first,
        "model": model,
        "rate": round(rate, 1) if rate else None,
        "eta_seconds": eta,
        "complete": model == "ready" and pending == 0 and other_languages == 0,
        "other_languages_pending": other_languages,
    }


def multilingual_installed() -> bool:
    """Whether other-language chunks are being given vectors here: the model's graph is built (the
    worker builds it at the first chunk not in English). Before that, or with the model missing or
    broken, "still to check" would never go away, and an English archive has nothing to wait for."""
    from .multilingual_model import ready_to_load

    return ready_to_load()


def catch_up() -> str:
    """How meaning search catches up when no process is indexing (after `vivim import`, say): the
    import summary and the CLI's search note both end with it. The first-pass model's build is
    mentioned only while it is not built (an import that just used it had it already)."""
    build = (
        ""
        if first_pass_built()
        else " (its first run also builds the quick first-pass model, a minute or two)"
    )
    return (
        f"run `vivim reindex` to index now{build}, or it catches up by itself while the browser or"
        " `vivim serve` is open"
    )


def first_pass_built() -> bool:
    """Whether this user's first-pass (static) model is built (cached beside the int8 model)."""
    from .static_model import get_static_embedder

    return get_static_embedder().ready_to_load()


def describe(index: dict[str, Any], modes: list[str] | None = None) -> str | None:
    """The one line a person reads: None when meaning search covered everything."""
    if (
        modes is not None
        and "vector" in modes
        and index.get("complete")
        and not index.get("other_languages_pending")
    ):
        return None
    model = index.get("model")
    if model == "unavailable":
        return "Meaning search is unavailable (the embedding model failed to load): words only."
    meaning = modes is not None and any(m in modes for m in ("vector", "first_pass", "multilingual"))
    if model in ("loading", "idle") and not meaning:
        return "Meaning search is starting: these results match words only."
    # After an import both wait: the one line says the second too (a question in English about a
    # Russian chat finds nothing until the chunks not in English have their multilingual vectors).
    languages = (
        f" Search across languages: {index['other_languages_pending']:,} chunks still to check."
        if index.get("other_languages_pending", 0)
        else ""
    )
    if index.get("chunks", 0) and index.get("pending", 0):
        eta = index.get("eta_seconds")
        later = f" (about {_duration(eta)})" if eta else ""
        if index.get("first_pass", 0) >= index["pending"]:
            return (
                f"Meaning search: all {index['chunks']:,} searchable by a quick first pass; refining"
                f" {index['embedded']:,} of {index['chunks']:,}{later}: results may still improve."
                + languages
            )
        text = f"Meaning search: {index['embedded']:,} of {index['chunks']:,} indexed"
        if index.get("first_pass"):
            text += f", {index['first_pass']:,} more by a quick first pass"
        return text + later + ": results may be missing until it finishes." + languages
    if index.get("other_languages_pending", 0):
        return (
            f"Search across languages: {index['other_languages_pending']:,} chunks still to check"
            ": results in other languages may still improve."
        )
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return "1 min"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours = seconds / 3600
    return f"{hours:.1f} h"
