"""A JS yjs peer decodes what VIVIM exports (pycrdt speaks the Yjs update format)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest

from tests.sync.engines import capture, close, open_engine, pair_in_process, write_capture
from vivim.sync.documents import conversation_doc_id

JS = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def yjs() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    if not (JS / "node_modules" / "yjs").exists():
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, timeout=180
        )
        if done.returncode != 0:
            pytest.skip("npm install yjs failed (offline?)")
    return JS


async def test_js_yjs_peer_decodes_an_exported_conversation_update(tmp_path: Path, yjs: Path) -> None:
    a, b = await open_engine(tmp_path / "a"), await open_engine(tmp_path / "b")
    await pair_in_process(a, b)
    await write_capture(a, capture("c1", [("k1", "user", "héllo from python ✓"), ("k2", "assistant", "hi")]))
    await a.export_local()
    doc_id = conversation_doc_id("claude", "c1")
    update = None
    for _, raw in await a.entries_for({}):
        from vivim.sync import entries

        entry = entries.decode(raw)
        if entry.kind == "doc":
            name, body = msgspec.msgpack.decode(a.vault.decrypt(entry.key_id, entry.body))
            if name == doc_id:
                update = body
    assert update is not None
    path = tmp_path / "update.bin"
    path.write_bytes(update)
    out = subprocess.run(
        ["node", str(yjs / "decode.mjs"), str(path), "meta", "messages"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    decoded = json.loads(out.stdout)
    assert decoded["meta"]["external_id"] == "c1"
    turn = json.loads(decoded["messages"]["k1"])
    assert turn["markdown"] == "héllo from python ✓" and "text" not in turn  # text only when it differs
    await close(a, b)
