"""Framing in isolation: whatever bytes arrive, the reader answers with a frame, an error, or EOF."""

from __future__ import annotations

import io
import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vivim.errors import FrameTooLarge, InvalidJSON
from vivim.messaging import EndOfStream, chunk_message, encode_frame, read_frame, reassemble


class Trickle(io.RawIOBase):
    """A pipe that hands over one byte per read, as a slow or busy browser may."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._pos >= len(self._data):
            return b""
        self._pos += 1
        return self._data[self._pos - 1 : self._pos]


def test_partial_reads_still_yield_whole_frames() -> None:
    stream = Trickle(encode_frame({"v": 1, "type": "hello"}) + encode_frame({"v": 1, "type": "stats"}))
    assert read_frame(stream).message == {"v": 1, "type": "hello"}
    assert read_frame(stream).message == {"v": 1, "type": "stats"}
    with pytest.raises(EndOfStream):
        read_frame(stream)


def test_an_oversized_frame_is_drained_so_the_next_one_reads_cleanly() -> None:
    big = struct.pack("=I", 2000) + b"x" * 2000
    stream = io.BytesIO(big + encode_frame({"after": True}))
    frame = read_frame(stream, max_size=1000)
    assert isinstance(frame.error, FrameTooLarge)
    assert read_frame(stream, max_size=1000).message == {"after": True}


def test_invalid_utf8_is_an_error_not_a_crash() -> None:
    frame = read_frame(io.BytesIO(struct.pack("=I", 2) + b"\xc3\x28"))
    assert isinstance(frame.error, InvalidJSON)


def test_a_stream_cut_inside_the_length_or_body_is_end_of_stream() -> None:
    for data in (b"\x05\x00", struct.pack("=I", 10) + b"{}"):
        with pytest.raises(EndOfStream):
            read_frame(io.BytesIO(data))


def test_small_replies_are_one_frame_and_large_ones_chunk_under_the_limit() -> None:
    assert len(chunk_message({"v": 1, "id": "s", "result": "x"})) == 1
    message = {"v": 1, "id": "big", "ok": True, "result": {"text": "é" * 900_000}}
    frames = chunk_message(message, limit=1024 * 1024, chunk_bytes=256 * 1024)
    decoded = []
    for frame in frames:
        (length,) = struct.unpack("=I", frame[:4])
        assert length == len(frame) - 4 <= 1024 * 1024
        decoded.append(json.loads(frame[4:]))
    assert all(f["id"] == "big" for f in decoded)
    assert reassemble(decoded) == message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise_anything_but_end_of_stream(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        while True:
            read_frame(stream, max_size=4096)
    except EndOfStream:
        pass
