"""The embedding worker: gives every chunk a vector, in the background, a window at a time.

It runs in the singleton process only, but chunks are written by every host process sharing the
database, so it polls `chunks.embedded = 0` (an index makes that cheap); the in-process "capture"
event only wakes it early. The model runs on a thread (onnxruntime releases the GIL), on a second
core too while the machine is otherwise idle (vivim.retrieval.backfill), and each window of chunks is written
in its own short transaction, so capture and search never wait behind a backfill of imported history
for more than one window write. Its progress (rate, ETA) is written for every process to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import StoreBusy, Unavailable
from ..runtime import Runtime
from . import first_pass, multilingual, multilingual_model
from .backfill import (
    BACKGROUND_MAX_WORKERS,
    WINDOW,
    Cores,
    Progress,
    backfill_status,
    background_thread,
    embed_window,
    write_progress,
)
from .embedding import get_embedder, trim_memory
from .static_model import get_static_embedder
from .vectors import has_vectors, pending_chunks, store_vectors

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # idle: look for chunks written by other processes this often
RETRY_SECONDS = 60.0  # the model failed to load or run: try again after this
WARM_DELAY_SECONDS = 3.0  # after start-up, load the model for query embedding if vectors exist
STOP_GRACE_SECONDS = 0.2  # stop(): how long the current step may take before it is cancelled (a batch
# being embedded is simply embedded again later: its chunks stay pending)
MODEL_RETRY_SECONDS = (
    600.0  # the first-pass or multilingual model could not be built or loaded: without it till then
)
WAKE_EVENTS = frozenset({"capture", "capture.upsert", "import", "reindex"})


class EmbedWorker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.embedder = get_embedder()
        self.embedded_total = 0
        self.started_at = time.time()
        self.last_batch_at: float | None = None
        self.last_error: str | None = None
        self.progress: Progress | None = None  # the backfill under way, None while idle
        self.static = get_static_embedder()
        self.first_pass_total = 0
        self.first_pass_error: str | None = None
        self._first_pass_retry_at = 0.0
        self._first_pass_after = 0  # id cursor of the first-pass walk (0: from the start)
        self._first_pass_walked = False  # found chunks since the last look from the start
        self._static_loading: asyncio.Future[None] | None = None  # the static model being built
        self.multilingual = multilingual_model.get_multilingual_embedder()
        self.multilingual_total = 0
        self.multilingual_error: str | None = None
        self._multilingual_retry_at = 0.0
        self._multilingual_turn = False  # alternate windows with MiniLM: neither starves the other
        self._multilingual_after = 0  # id cursor of the walk, as the first pass's
        self._multilingual_walked = False
        self.cores = Cores(BACKGROUND_MAX_WORKERS)
        self._pool = ThreadPoolExecutor(
            self.cores.max_workers, thread_name_prefix="vivim-embed", initializer=background_thread
        )
        self._events = runtime.events.subscribe()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="vivim-embed-worker")
        self._listener = asyncio.create_task(self._listen(), name="vivim-embed-wake")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._listener.cancel()
        self.runtime.events.unsubscribe(self._events)
        with contextlib.suppress(asyncio.CancelledError):
            await self._listener
        # A batch being written finishes; a model still loading (seconds) is not waited for: the
        # task is cancelled, so nothing touches the store after this returns.
        done, _ = await asyncio.wait({self._task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._pool.shutdown(wait=False)

    async def status(self) -> dict[str, Any]:
        counts = await self.runtime.store.read(backfill_status)
        return {
            **counts,
            "model_loaded": self.embedder.loaded,
            "model_error": self.embedder.error,
            "load_seconds": self.embedder.load_seconds,
            "embedded_since_start": self.embedded_total,
            "first_pass_since_start": self.first_pass_total,
            "first_pass_error": self.first_pass_error,
            "multilingual_since_start": self.multilingual_total,
            "multilingual_loaded": self.multilingual.loaded,
            "multilingual_error": self.multilingual_error,
            "last_batch_at": self.last_batch_at,
            "last_error": self.last_error,
            "worker": True,
        }

    async def _listen(self) -> None:
        while True:
            event = await self._events.get()
            if event.get("type") in WAKE_EVENTS:
                self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _run(self) -> None:
        warm_at = time.monotonic() + WARM_DELAY_SECONDS
        while not self._stopping:
            try:
                if await self._first_pass():
                    continue
                batch = await self.runtime.store.read(pending_chunks, WINDOW)
                await self._multilingual_rewind(batch)
                took_turn = self._multilingual_turn or not batch
                self._multilingual_turn = not self._multilingual_turn
                if took_turn and await self._multilingual():
                    continue
                if not batch:
                    self.progress = None
                    if time.monotonic() >= warm_at:  # models for queries, once after start-up
                        warm_at = float("inf")
                        if not self.embedder.loaded and await self.runtime.store.read(has_vectors):
                            await asyncio.to_thread(self.embedder.ensure_loaded)
                        if await self.runtime.store.read(multilingual.has_any):
                            multilingual_model.load_in_background()
                    await self._sleep(POLL_SECONDS)
                    continue
                await self._embed(batch)
            except asyncio.CancelledError:
                raise
            except StoreBusy:
                await self._sleep(POLL_SECONDS)  # another process is writing a lot (an import): wait a bit
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("embedding batch failed; retrying in %.0f s", RETRY_SECONDS)
                await self._sleep(RETRY_SECONDS)

    def _load_static(self) -> asyncio.Future[None]:
        """Load (building it first if needed) the static model on a daemon thread: a build must
        neither hold up MiniLM nor keep a stopping host alive (the child process is its own)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                message = (
                    error.message if isinstance(error, Unavailable) else f"{type(error).__name__}: {error}"
                )
                self.first_pass_error = message
                self._first_pass_retry_at = time.monotonic() + MODEL_RETRY_SECONDS
                log.warning("first pass unavailable, MiniLM alone: %s", message)
                future.set_exception(error)
                future.exception()  # retrieved here: the failure is recorded above
            self._wake.set()

        def load() -> None:
            error: BaseException | None = None
            try:
                self.static.ensure_loaded()
            except Exception as exc:  # noqa: BLE001 - reported through settle()
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop closed: the host is gone
                loop.call_soon_threadsafe(settle, error)

        threading.Thread(target=load, name="vivim-first-pass-load", daemon=True).start()
        return future

    async def _first_pass(self) -> bool:
        """One window of the fast first pass (vivim.retrieval.first_pass); False when there is none.

        It runs before MiniLM: a backlog becomes searchable by meaning in minutes instead of an hour.
        The static model is built (once per user, in a child process) only for a real backlog, so a
        few live captures never pay for the build; once built it also covers them."""
        if time.monotonic() < self._first_pass_retry_at:
            return False
        if not self.static.loaded:
            if self._static_loading is not None and not self._static_loading.done():
                return False  # being built: MiniLM goes on meanwhile
            backlog = await self.runtime.store.read(first_pass.pending_count)
            ready = self.static.ready_to_load()
            if backlog == 0 or (backlog < first_pass.MIN_BACKLOG and not ready):
                return False
            # Built once per user (~30 CPU s in a child process at low priority): on a thread of its
            # own, so MiniLM keeps embedding while it runs; loading a built table takes ~0.1 s.
            self._static_loading = self._load_static()
            try:
                if not ready:
                    return False
                await self._static_loading
            except Exception:  # noqa: BLE001 - recorded by _load_static; MiniLM alone meanwhile
                return False
            self.first_pass_error = None
        batch = await self.runtime.store.read(first_pass.pending, first_pass.WINDOW, self._first_pass_after)
        if not batch:
            # Walked to the end: look again from the start once (chunks edited in place meanwhile),
            # then only past the newest chunk, so each MiniLM window does not rescan the backlog.
            if self._first_pass_after and self._first_pass_walked:
                self._first_pass_after, self._first_pass_walked = 0, False
            elif self._first_pass_after == 0:
                self._first_pass_after = await self.runtime.store.read(first_pass.newest_chunk)
            return False
        self._first_pass_walked = True
        self._first_pass_after = batch[-1][0]
        ids, texts = [i for i, _ in batch], [t for _, t in batch]
        vectors = await asyncio.get_running_loop().run_in_executor(
            self._pool,
            lambda: self.static.embed(texts, parallel=False),  # on the niced thread only
        )
        trim_memory()
        written = await self.runtime.store.write(lambda conn: first_pass.store(conn, ids, texts, vectors))
        self.first_pass_total += written
        return True

    async def _multilingual(self) -> bool:
        """One window of the multilingual space (vivim.retrieval.multilingual); False when there is none.

        Every chunk is looked at once: English ones get an empty row, the others an e5 vector. The
        model is loaded (built once per user, ~5 s in a child process) only when a chunk needs it,
        so an English-only archive never pays for it."""
        if time.monotonic() < self._multilingual_retry_at or not multilingual_model.available():
            return False
        batch = await self.runtime.store.read(
            multilingual.pending, multilingual.WINDOW, self._multilingual_after
        )
        if not batch:
            # As the first pass walks: once more from the start (chunks edited in place), then only
            # past the newest chunk, so an idle worker does not rescan the archive every poll.
            if self._multilingual_after and self._multilingual_walked:
                self._multilingual_after, self._multilingual_walked = 0, False
            elif self._multilingual_after == 0:
                self._multilingual_after = await self.runtime.store.read(first_pass.newest_chunk)
            return False
        self._multilingual_walked = True
        self._multilingual_after = batch[-1][0]
        ids, texts = [i for i, _ in batch], [t for _, t in batch]
        needed = multilingual.needing(texts)
        vectors: list[Any] = [None] * len(texts)
        if needed:
            try:
                await asyncio.to_thread(self.multilingual.ensure_loaded)
            except Unavailable as exc:
                self.multilingual_error = exc.message
                self._multilingual_retry_at = time.monotonic() + MODEL_RETRY_SECONDS
                log.warning("multilingual vectors unavailable: %s", exc.message)
                return False
            self.multilingual_error = None
            found = await asyncio.get_running_loop().run_in_executor(
                self._pool,
                lambda: self.multilingual.embed([texts[i] for i in needed]),  # the niced thread
            )
            trim_memory()
            vectors = multilingual.placed(len(texts), needed, found)
        written = await self.runtime.store.write(lambda conn: multilingual.store(conn, ids, texts, vectors))
        self.multilingual_total += written
        return True

    async def _multilingual_rewind(self, batch: list[tuple[int, str]]) -> None:
        """Send the multilingual walk back to a chunk MiniLM has pending behind it, not looked at.

        A message captured again (an answer streamed, then whole) is chunked again, and as the newest
        rows its new chunks get the old ones' ids back: the walk, already past those ids, did not see
        them until a later capture moved it on, so the last answer of a chat in Russian stayed out of
        the multilingual space. Every new or edited chunk passes through MiniLM's pending list (a new
        one starts with `embedded = 0`, an edit resets it), which is where such a chunk shows."""
        behind = [chunk_id for chunk_id, _ in batch if chunk_id <= self._multilingual_after]
        if not behind:
            return
        missed = await self.runtime.store.read(multilingual.not_looked_at, behind)
        if missed:
            self._multilingual_after = min(missed) - 1

    async def _embed(self, batch: list[tuple[int, str]]) -> None:
        if self.progress is None:
            self.progress = Progress("worker")
        progress = self.progress
        workers = self.cores.workers()

        def run() -> tuple[list[int], list[str], Any]:
            result = embed_window(self.embedder, batch, workers, self._pool)
            trim_memory()
            return result

        ids, texts, vectors = await asyncio.to_thread(run)

        def write(conn: Any) -> int:
            done = store_vectors(conn, ids, texts, vectors)
            progress.window_done(len(ids), workers)
            write_progress(conn, progress)
            return done

        written = await self.runtime.store.write(write)
        self.embedded_total += written
        self.last_batch_at = time.time()
        self.last_error = None
        if self.embedded_total % 1000 < written:
            log.info("embedded %d chunks since start", self.embedded_total)


async def start(runtime: Runtime) -> EmbedWorker:
    return EmbedWorker(runtime)
