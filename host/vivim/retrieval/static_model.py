"""The first-pass model: a static (per-token) copy of the shipped MiniLM, ~100x faster, built here.

Why: MiniLM-L6 runs at ~39 chunks per CPU second on this class of machine, so a 100k-chunk import
took about an hour before meaning search covered it. A static model (the model2vec recipe) embeds a
text as the weighted mean of one fixed vector per token: no attention, no layers, just the
tokenizer and a table lookup, thousands of chunks per second. It is coarser than MiniLM, so it is a
first pass: every chunk gets a static vector within minutes, MiniLM refines the archive in the
background, and search ranks each space on its own (vivim.retrieval.first_pass).

The table is distilled from the model VIVIM already ships, on this machine, once per user: each
vocabulary token is run through MiniLM on its own ("[CLS] token [SEP]", mean pooled like the real
model, the token's own output weighted most), the 384-d outputs are reduced by PCA to DIM dimensions (which also removes the direction
all outputs share), and each row is weighted by SIF (a / (a + p)) with p from Zipf's law on the
token's rank in the vocabulary (WordPiece vocabularies are ordered roughly by frequency), so
"the" and "##s" weigh little. Nothing is downloaded; the result (~15 MB, float16) is cached beside
the int8 model in the per-user model cache, keyed by the source weights. The build (~30k short runs,
~20-40 CPU seconds) runs in a child process so its onnxruntime session never stays in the host's RSS.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Unavailable

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

VERSION = 3  # bump when the recipe changes: the cache key includes it
DIM = 256  # PCA dimensions kept (model2vec's default; 128 measured a little worse)
SIF_COEFFICIENT = 3e-5
MAX_TOKENS = 512  # tokens read per text (static: cost is linear, no attention window)
BUILD_BATCH = 512
# Texts whose token rows are gathered at once: the gather holds tokens x DIM float32 (128 texts of
# ~100 tokens: ~13 MB); a whole 2048-chunk window at once held ~200 MB.
GATHER_TEXTS = 128
BUILD_TIMEOUT_SECONDS = 600
BUILD_NICENESS = 10
# How the three outputs of "[CLS] token [SEP]" make a token's row: the token's own output weighs 1/2,
# [CLS] and [SEP] 1/4 each. Fitted on the tune split of bench/quality only (`bench/search_quality.py
# --fit-static`, which also prints the held-out figures it did not choose by; 2026-12-07, first-pass
# vectors only, answerable MRR@10 on tune: mean pooling 0.715, 1/2 0.736, 2/3 0.730, token alone 0.705).
# Version 2 chose 2/3 on every query, held-out ones included.
TOKEN_POSITION_WEIGHTS = (1 / 4, 1 / 2, 1 / 4)
_SKIP = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def table_path(source: Path) -> Path:
    from .quantize import cache_dir

    stat = source.stat()
    key = hashlib.sha256(f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}:static{VERSION}:{DIM}".encode())
    return cache_dir() / f"minilm-l6-static-{key.hexdigest()[:16]}.npy"


def distill(
    source: Path, target: Path, position_weights: tuple[float, float, float] = TOKEN_POSITION_WEIGHTS
) -> None:
    """Run every vocabulary token through the model, PCA, SIF-weight, save float16 (in a child).

    `position_weights` other than the shipped ones: only the quality bench's fit asks for them."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from .embedding import TOKENIZER_DIR

    tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("VIVIM_EMBED_THREADS", "1"))
    session = ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    out = np.zeros((size, 384), dtype=np.float32)
    ids = np.arange(size, dtype=np.int64)
    for start in range(0, size, BUILD_BATCH):
        batch = ids[start : start + BUILD_BATCH]
        input_ids = np.stack([np.full_like(batch, cls_id), batch, np.full_like(batch, sep_id)], axis=1)
        feed = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        hidden = session.run(None, feed)[0]
        out[start : start + len(batch)] = np.einsum("bsd,s->bd", hidden, np.asarray(position_weights))
    skip = np.zeros(size, dtype=bool)
    for token, index in vocab.items():
        if token in _SKIP or token.startswith("[unused"):
            skip[index] = True
    kept = out[~skip]
    mean = kept.mean(axis=0)
    centred = kept - mean
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = (out - mean) @ components[:DIM].T
    rank = np.arange(1, size + 1, dtype=np.float64)
    probability = (1.0 / rank) / np.sum(1.0 / rank)
    weight = SIF_COEFFICIENT / (SIF_COEFFICIENT + probability)
    table = (reduced * weight[:, None]).astype(np.float32)
    table[skip] = 0.0
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial.npy")
    np.save(partial, table.astype(np.float16))
    os.replace(partial, target)  # atomic: two processes building at once is harmless


_build_lock = threading.Lock()


def ensure_table(source: Path) -> Path:
    """The cached table for `source`, built now in a child process if missing (blocking)."""
    target = table_path(source)
    if target.is_file():
        return target
    with _build_lock:
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "vivim.retrieval.static_model", str(source), str(target)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout: protocol
                stderr=subprocess.PIPE,
                timeout=BUILD_TIMEOUT_SECONDS,
                text=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise Unavailable(f"the first-pass model could not be built: {exc}") from exc
        if done.returncode != 0 or not target.is_file():
            raise Unavailable(
                "the first-pass model could not be built: " + (done.stderr or "").strip()[-300:]
            )
        log.info("first-pass (static) model built: %s", target)
        return target


class StaticEmbedder:
    """Per-token vectors averaged (SIF-weighted) and normalized. Thread-safe after load."""

    def __init__(self) -> None:
        self._table: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None

    @property
    def loaded(self) -> bool:
        return self._table is not None

    def ready_to_load(self) -> bool:
        """Whether loading is quick (the table is built and cached): searches load it only then."""
        from .embedding import weights_path

        try:
            return table_path(weights_path()).is_file()
        except (OSError, Unavailable):
            return False

    def ensure_loaded(self) -> None:
        if self.loaded:
            return
        with self._lock:
            if self.loaded:
                return  # type: ignore[unreachable]  # another thread loaded it meanwhile
            import numpy as np
            from tokenizers import Tokenizer

            from .embedding import TOKENIZER_DIR, weights_path

            try:
                path = ensure_table(weights_path())
                table = np.load(path).astype(np.float32)
            except Unavailable as exc:
                self.error = exc.message
                raise
            except (OSError, ValueError) as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                raise Unavailable(f"the first-pass model could not be read: {exc}") from exc
            tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            self._tokenizer = tokenizer
            self._table = table
            self.error = None

    def embed(self, texts: list[str], *, parallel: bool = True) -> np.ndarray:
        """Unit float32 vectors, one row per text (a text with no known token gets a zero row).

        parallel=False tokenizes on the calling thread only: the background worker's thread runs at
        a lower priority, and the tokenizer's own thread pool (all cores) would not."""
        import numpy as np

        from .words import tokenizable

        self.ensure_loaded()
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for first in range(0, len(texts), GATHER_TEXTS):
            batch = [tokenizable(text) for text in texts[first : first + GATHER_TEXTS]]
            part = (
                self._tokenizer.encode_batch(batch, add_special_tokens=False)
                if parallel
                else [self._tokenizer.encode(text, add_special_tokens=False) for text in batch]
            )
            lengths = np.fromiter((len(e.ids) for e in part), dtype=np.int64, count=len(part))
            flat = np.fromiter((i for e in part for i in e.ids), dtype=np.int64, count=int(lengths.sum()))
            if not flat.size:
                continue
            nonempty = lengths > 0
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
            rows = out[first : first + len(part)]
            rows[nonempty] = np.add.reduceat(self._table[flat], starts, axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


_shared: StaticEmbedder | None = None
_shared_lock = threading.Lock()


def get_static_embedder() -> StaticEmbedder:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = StaticEmbedder()
        return _shared


def main() -> None:
    if len(sys.argv) not in (3, 4):
        print(
            "usage: python -m vivim.retrieval.static_model SOURCE.onnx TARGET.npy [CLS,TOKEN,SEP weights]",
            file=sys.stderr,
        )
        raise SystemExit(2)
    weights = TOKEN_POSITION_WEIGHTS
    if len(sys.argv) == 4:
        a, b, c = (float(x) for x in sys.argv[3].split(","))
        weights = (a, b, c)
    try:
        os.nice(BUILD_NICENESS)  # a one-off background job: the browser and queries come first
    except OSError:
        pass
    distill(Path(sys.argv[1]), Path(sys.argv[2]), weights)


if __name__ == "__main__":
    main()
