"""The int8-arithmetic copy of the model is made once, in a child process, and agrees with the shipped
model; when it cannot be made, the shipped model is used and nothing breaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vivim.retrieval.embedding import weights_path
from vivim.retrieval.quantize import ensure_quantized, quantized_path

TEXTS = [
    "How do I configure nginx as a reverse proxy for a Flask application?",
    "The sourdough starter smells of acetone: the yeast is hungry.",
    "東京タワーの展望台から富士山が見えます。",
]


def run(model: Path, texts: list[str]) -> np.ndarray:
    """Mean-pooled, normalized vectors straight from onnxruntime (no shared state with the suite)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from vivim.retrieval.embedding import TOKENIZER_DIR

    tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
    tokenizer.enable_padding()
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    hidden = session.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )[0]
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def test_the_int8_copy_is_made_once_and_agrees_with_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIVIM_MODEL_CACHE", str(tmp_path / "cache"))
    source = weights_path()
    made = ensure_quantized(source, wait=True)
    assert made == quantized_path(source) and made.is_file()
    assert made.stat().st_size < source.stat().st_size * 1.5
    mtime = made.stat().st_mtime_ns
    assert ensure_quantized(source, wait=True) == made and made.stat().st_mtime_ns == mtime  # cached
    cosines = (run(source, TEXTS) * run(made, TEXTS)).sum(1)
    assert cosines.min() > 0.98, cosines


def test_a_copy_that_cannot_be_made_leaves_the_shipped_model_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("VIVIM_MODEL_CACHE", str(blocker / "models"))
    assert ensure_quantized(weights_path(), wait=True) is None
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setenv("VIVIM_MODEL_CACHE", str(tmp_path / "cache"))
    assert ensure_quantized(broken, wait=True) is None
    assert not list((tmp_path / "cache").glob("*.onnx"))
