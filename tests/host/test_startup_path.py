"""The host answers its first message fast because nothing heavy is imported on the way there."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "fastembed",
    "onnxruntime",
    "libp2p",
    "pycrdt",
    "bs4",
    "aiohttp",
    "trio",
    "nacl",
    "numpy",
    "tokenizers",
)


def test_the_startup_path_imports_no_heavy_library() -> None:
    probe = (
        "import sys, json, vivim.host, vivim.runtime, vivim.services, vivim.singleton, vivim.logs, vivim.store;"
        "import vivim.handlers;"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
