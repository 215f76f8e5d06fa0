"""The web app inside the real singleton processes: `vivim serve`, and a browser's host."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.hostproc import HostProcess

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def set_port(home: Path, port: int) -> None:
    from vivim.store import Store, settings

    store = await Store.open(home / "vivim.sqlite3")
    try:
        await store.write(settings.set_settings, {"web.port": port})
    finally:
        await store.close()


def wait_for_page(port: int, token_file: Path, proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "process exited"
        if token_file.exists() and token_file.read_text().strip():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/status",
                headers={"Authorization": f"Bearer {token_file.read_text().strip()}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    return response.status, response.read().decode()
            except (urllib.error.URLError, ConnectionError):
                pass
        time.sleep(0.2)
    raise AssertionError(f"nothing answered on 127.0.0.1:{port} within {START_TIMEOUT} s")


async def test_vivim_serve_runs_the_web_app_until_terminated(vivim_home: Path) -> None:
    port = free_port()
    await set_port(vivim_home, port)
    env = {**os.environ, "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "web"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vivim", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        status, body = wait_for_page(port, vivim_home / "web.token", proc)
        assert status == 200 and '"web"' in body
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_the_browsers_host_runs_the_web_app_while_it_holds_the_lock(vivim_home: Path) -> None:
    port = free_port()
    await set_port(vivim_home, port)
    host: Any = HostProcess(vivim_home, services="web")
    try:
        assert host.call("hello")["protocol"] == 1
        status, _ = wait_for_page(port, vivim_home / "web.token", host.proc)
        assert status == 200
        assert host.call("web.url") == {
            "url": f"http://127.0.0.1:{port}/?token={(vivim_home / 'web.token').read_text().strip()}",
            "running": True,
            "listener": "vivim",
            "port": port,
        }
    finally:
        host.close()
