"""What the web app's real-browser tests share: where Chromium is, how it starts, screenshots.

The `service` and `page` fixtures that use these live in tests/web/conftest.py.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(os.environ.get("VIVIM_SCREENSHOTS", "")) if os.environ.get("VIVIM_SCREENSHOTS") else None


def png_colours(data: bytes) -> int:
    """How many distinct pixel values an 8-bit RGB(A) PNG holds (a blank page has one or two)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _, _, colour_type = struct.unpack(">IIBB", body[:10])
            channels = {2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    pixels = set()
    for row in range(0, len(raw), stride * 7):  # every 7th row is plenty
        line = raw[row + 1 : row + stride]
        pixels.update(line[i : i + channels] for i in range(0, len(line), channels * 5))
    return len(pixels)


async def screenshot(page: Any, name: str) -> bytes:
    data = await page.screenshot(full_page=False)
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(data)
    return data
