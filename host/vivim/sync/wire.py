"""Frames on a libp2p stream: a 4-byte big-endian length, then a msgpack map with a "t" type."""

from __future__ import annotations

import struct
from typing import Any

import msgspec

from ..errors import SyncError

MAX_FRAME = 64 * 1024 * 1024  # an initial sync batch of a large vault fits; anything larger is refused
SYNC_PROTOCOL = "/vivim/sync/1.0.0"
PAIR_PROTOCOL = "/vivim/pair/1.0.0"


async def read_exactly(stream: Any, n: int) -> bytes:
    parts, need = [], n
    while need:
        chunk = await stream.read(need)
        if not chunk:
            raise SyncError("the peer closed the stream")
        parts.append(chunk)
        need -= len(chunk)
    return b"".join(parts)


async def read_frame(stream: Any) -> dict[str, Any]:
    (length,) = struct.unpack(">I", await read_exactly(stream, 4))
    if length > MAX_FRAME:
        raise SyncError(f"the peer sent a {length}-byte frame; the limit is {MAX_FRAME}")
    message = msgspec.msgpack.decode(await read_exactly(stream, length))
    if not isinstance(message, dict) or "t" not in message:
        raise SyncError("the peer sent a frame that is not a typed map")
    return message


async def write_frame(stream: Any, message: dict[str, Any]) -> int:
    body = msgspec.msgpack.encode(message)
    await stream.write(struct.pack(">I", len(body)) + body)
    return 4 + len(body)
