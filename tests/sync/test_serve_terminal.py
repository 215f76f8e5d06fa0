"""`vivim serve` with a paired device that is offline: the terminal gets one sentence naming the
device, not libp2p's dial errors ("Failed to open TCP stream…") or asyncio's teardown noise."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.sync.peers import Node, node_env, pair, vivim_command

pytestmark = pytest.mark.slow


def test_an_unreachable_paired_device_is_one_line_with_its_name(tmp_path: Path) -> None:
    laptop, desk = Node(tmp_path / "laptop", "laptop").start(), Node(tmp_path / "desk", "desk").start()
    try:
        pair(laptop, desk)
    finally:
        laptop.stop()
        desk.stop()  # the desk is now off: the laptop can only fail to reach it

    env = node_env(laptop.home, "laptop")
    proc = subprocess.Popen(
        [*vivim_command(), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().startswith("VIVIM is running")  # type: ignore[union-attr]
        log = laptop.home / "vivim.log"
        deadline = time.monotonic() + 60
        while "cannot be reached right now" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(6)  # more dial rounds: each would have printed its own errors
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith('"desk" (') and "cannot be reached right now; VIVIM keeps trying" in lines[0]
    for noise in ("Traceback", "Failed to open", "Task was destroyed", "multiselect", "mdns"):
        assert noise not in err
