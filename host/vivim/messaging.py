"""Native Messaging framing: a 4-byte length in native byte order, then UTF-8 JSON.

The reader never trusts the length: an oversized frame is drained and reported so the
stream stays in step, a truncated one ends the session the way a closed port does, and bytes
that are not JSON are reported without ending anything. Nor does it trust the JSON: msgspec
parses it in C with a recursion guard (a frame nested 100,000 deep is an error, not a crashed
host), then one pass over the decoded containers bounds the depth and refuses numbers SQLite
cannot hold, and lone UTF-16 surrogates (text that cannot be stored as UTF-8) become U+FFFD. The writer is the only thing that
touches stdout, holds a lock so frames never interleave, and splits replies over Chrome's
1 MB limit into base64 chunks the extension reassembles (see docs/protocol.md, "Chunking").
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

import msgspec

from .config import MAX_INCOMING_FRAME, MAX_NESTING, MAX_OUTGOING_FRAME, OUTGOING_CHUNK_BYTES
from .errors import FrameTooLarge, InvalidJSON, InvalidPayload, ProtocolError, VivimError

_LENGTH = struct.Struct("=I")  # native byte order, as Chrome and Firefox write it
# Past this we cannot believe the length is real (the browser never sends such a frame to a
# host it started), so draining it would only wait forever: the session ends instead.
_MAX_DRAINABLE = 256 * 1024 * 1024
_DRAIN_STEP = 64 * 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # only an escape can carry a lone surrogate
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, every surrogate left is a lone one


class EndOfStream(Exception):
    """The browser closed the port (clean EOF) or the stream can no longer be trusted."""


@dataclass
class Frame:
    """One decoded message, or the error that stands in its place."""

    message: Any = None
    error: Exception | None = None
    fatal: bool = False  # the error leaves the stream out of step: reply, then end the session
    size: int = 0  # bytes of the frame's body, as its length said


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EndOfStream(
                "stream closed in the middle of a frame" if chunks or size != remaining else "stream closed"
            )
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
        too_large = FrameTooLarge(
            f"message of {length} bytes is over the {max_size}-byte limit; send it in smaller parts",
            details={"length": length, "limit": max_size},
        )
        if length > _MAX_DRAINABLE:
            # Answered all the same, so the client learns why the port is about to close.
            too_large.details["closing"] = True
            return Frame(error=too_large, fatal=True)
        _drain(stream, length)
        return Frame(error=too_large)
    body = _read_exact(stream, length)
    try:
        return Frame(message=decode_message(body), size=length)
    except VivimError as exc:
        return Frame(error=exc, size=length)


def decode_message(body: bytes) -> Any:
    """The JSON value of one frame, safe to hand to any handler; a VivimError says why not."""
    surrogates = _SURROGATE_ESCAPE.search(body) is not None
    try:
        message = msgspec.json.decode(body)
    except RecursionError:
        raise InvalidJSON(f"message nests deeper than {MAX_NESTING} levels") from None
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"message is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    except msgspec.DecodeError as exc:
        if not surrogates:
            raise InvalidJSON(f"message is not valid JSON: {str(exc)[:200]}") from None
        message = _decode_with_lone_surrogates(body)
    if surrogates:
        if (
            isinstance(message, dict)
            and isinstance(message.get("id"), str)
            and _SURROGATE.search(message["id"])
        ):
            raise ProtocolError("the request id is not valid Unicode text (it has a lone UTF-16 surrogate)")
        message = _repaired(message)
    _check(message)
    return message


def _decode_with_lone_surrogates(body: bytes) -> Any:
    """msgspec refuses `\\ud800` without its pair; JavaScript's JSON.stringify writes exactly that
    for a string cut inside an emoji. Python's parser keeps it (then `_repaired` replaces it)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        return json.loads(body, parse_constant=refuse)
    except RecursionError:
        raise InvalidJSON(f"message nests deeper than {MAX_NESTING} levels") from None
    except ValueError as exc:
        raise InvalidJSON(f"message is not valid JSON: {str(exc)[:200]}") from None


def repair_json_line(line: str) -> str:
    """One line of JSON text as strict parsers (msgspec, pydantic) accept it: every lone UTF-16
    surrogate escape (`\\ud800`, what JavaScript writes for a string cut inside an emoji) replaced by
    U+FFFD, as frames are (`_repaired`). A line without such an escape, or that is not JSON, comes back
    unchanged for the parser after us to judge. For line-delimited JSON (`vivim mcp`'s JSON-RPC)."""
    data = line.encode("utf-8", "surrogatepass")
    if _SURROGATE_ESCAPE.search(data) is None:
        return line
    try:
        value = _decode_with_lone_surrogates(data)
    except InvalidJSON:
        return line
    return json.dumps(_repaired(value), ensure_ascii=False) + ("\n" if line.endswith("\n") else "")


def _check(root: Any) -> None:
    """Bound the depth, and refuse numbers SQLite and JSON cannot hold faithfully (outside int64,
    or not finite). One pass without recursion over the containers only: a capture frame has a
    few dozen nodes, so this costs microseconds whatever the length of its text."""
    _check_number(root, root)
    rid = root.get("id") if type(root) is dict else None
    if type(rid) is int and not INT64_MIN <= rid <= INT64_MAX:
        raise ProtocolError("the request id must be a string of at most 128 characters or a 64-bit integer")
    stack: list[tuple[Any, int]] = [(root, 1)] if type(root) in (dict, list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise InvalidJSON(f"message nests deeper than {MAX_NESTING} levels")
        for value in node.values() if type(node) is dict else node:
            kind = type(value)
            if kind is dict or kind is list:
                stack.append((value, depth + 1))
            elif kind is int or kind is float:
                _check_number(value, root)


def _check_number(value: Any, root: Any) -> None:
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        raise InvalidPayload(f"the number at {_path_to(root, value)} is outside the signed 64-bit range")
    if type(value) is float and not math.isfinite(value):
        raise InvalidPayload(f"the number at {_path_to(root, value)} is not finite")


def _path_to(root: Any, target: Any) -> str:
    """Where `target` sits, e.g. `$['payload']['turns'][0]['position']` (only for the error message)."""
    stack: list[tuple[Any, str]] = [(root, "$")]
    while stack:
        node, where = stack.pop()
        if node is target:
            return where
        if type(node) is dict:
            stack.extend((v, f"{where}[{_short(k)!r}]") for k, v in node.items())
        elif type(node) is list:
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
    return "$"


def _short(key: str) -> str:
    return key if len(key) <= 40 else key[:40] + "…"


def _repaired(root: Any) -> Any:
    """Every lone surrogate, in keys and values, replaced by U+FFFD. Replacing one (say, an emoji
    the page cut in half) keeps the rest of a capture; refusing the frame would lose every turn."""

    def fix(text: str) -> str:
        return _SURROGATE.sub("\ufffd", text)

    if type(root) is str:
        return fix(root)
    stack = [root] if type(root) in (dict, list) else []
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if any(_SURROGATE.search(k) for k in node):
                items = [(fix(k), v) for k, v in node.items()]
                node.clear()
                node.update(items)
            entries: list[tuple[Any, Any]] = list(node.items())
        else:
            entries = list(enumerate(node))
        for key, value in entries:
            if type(value) is str:
                if _SURROGATE.search(value):
                    node[key] = fix(value)
            elif type(value) in (dict, list):
                stack.append(value)
    return root


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


def chunk_message(
    message: dict[str, Any], *, limit: int = MAX_OUTGOING_FRAME, chunk_bytes: int = OUTGOING_CHUNK_BYTES
) -> list[bytes]:
    """Frames for one message: itself if it fits, else base64 chunks of its JSON bytes."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) <= limit:
        return [_LENGTH.pack(len(body)) + body]
    pieces = [body[i : i + chunk_bytes] for i in range(0, len(body), chunk_bytes)]
    frames = []
    for seq, piece in enumerate(pieces):
        frames.append(
            encode_frame(
                {
                    "v": message.get("v", 1),
                    "id": message.get("id"),
                    "chunk": {"seq": seq, "total": len(pieces)},
                    "data": base64.b64encode(piece).decode("ascii"),
                }
            )
        )
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
