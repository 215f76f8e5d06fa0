"""Native Messaging framing: a 4-byte length in native byte order, then UTF-8 JSON.

The reader never trusts the length: an oversized frame is drained and reported so the
stream stays in step, a truncated one ends the session the way a closed port does, and bytes
that are not JSON are reported without ending anything. The writer is the only thing that
touches stdout, holds a lock so frames never interleave, and splits replies over Chrome's
1 MB limit into base64 chunks the extension reassembles (see docs/protocol.md, "Chunking").
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

from .config import MAX_INCOMING_FRAME, MAX_OUTGOING_FRAME, OUTGOING_CHUNK_BYTES
from .errors import FrameTooLarge, InvalidJSON

_LENGTH = struct.Struct("=I")  # native byte order, as Chrome and Firefox write it
# Past this we cannot believe the length is real (the browser never sends such a frame to a
# host it started), so draining it would only wait forever: the session ends instead.
_MAX_DRAINABLE = 256 * 1024 * 1024
_DRAIN_STEP = 64 * 1024


class EndOfStream(Exception):
    """The browser closed the port (clean EOF) or the stream can no longer be trusted."""


@dataclass
class Frame:
    """One decoded message, or the error that stands in its place."""

    message: Any = None
    error: Exception | None = None


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EndOfStream("stream closed in the middle of a frame" if chunks or size != remaining else "stream closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO, max_size: int = MAX_INCOMING_FRAME) -> Frame:
    """Read one frame; raises EndOfStream when the browser is gone."""
    header = stream.read(_LENGTH.size)
    if not header:
        raise EndOfStream("stream closed")
    if len(header) < _LENGTH.size:
        header += _read_exact(stream, _LENGTH.size - len(header))
    (length,) = _LENGTH.unpack(header)
    if length > max_size:
        if length > _MAX_DRAINABLE:
            raise EndOfStream(f"frame length {length} is not believable; closing the session")
        _drain(stream, length)
        return Frame(error=FrameTooLarge(
            f"message of {length} bytes is over the {max_size}-byte limit; send it in smaller parts",
            details={"length": length, "limit": max_size},
        ))
    body = _read_exact(stream, length)
    try:
        return Frame(message=json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as exc:
        return Frame(error=InvalidJSON(f"message is not valid UTF-8 JSON: {exc}"))


def _drain(stream: BinaryIO, length: int) -> None:
    remaining = length
    while remaining:
        chunk = stream.read(min(_DRAIN_STEP, remaining))
        if not chunk:
            raise EndOfStream("stream closed while skipping an oversized frame")
        remaining -= len(chunk)


def encode_frame(message: Any) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _LENGTH.pack(len(body)) + body


def chunk_message(message: dict[str, Any], *, limit: int = MAX_OUTGOING_FRAME,
                  chunk_bytes: int = OUTGOING_CHUNK_BYTES) -> list[bytes]:
    """Frames for one message: itself if it fits, else base64 chunks of its JSON bytes."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) <= limit:
        return [_LENGTH.pack(len(body)) + body]
    pieces = [body[i:i + chunk_bytes] for i in range(0, len(body), chunk_bytes)]
    frames = []
    for seq, piece in enumerate(pieces):
        frames.append(encode_frame({
            "v": message.get("v", 1),
            "id": message.get("id"),
            "chunk": {"seq": seq, "total": len(pieces)},
            "data": base64.b64encode(piece).decode("ascii"),
        }))
    return frames


class FrameWriter:
    """The single writer of the channel; thread-safe, whole frames only."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        frames = chunk_message(message)
        with self._lock:
            for frame in frames:
                self._stream.write(frame)
            self._stream.flush()


def reassemble(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """Inverse of chunk_message, for tests and Python clients."""
    ordered = sorted(frames, key=lambda f: f["chunk"]["seq"])
    return json.loads(b"".join(base64.b64decode(f["data"]) for f in ordered).decode("utf-8"))
