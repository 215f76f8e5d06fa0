"""Real sync nodes: `vivim serve` processes with their own VIVIM_HOMEs, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from vivim.store.connection import connect_sync
from vivim.sync.documents import store_view

T = TypeVar("T")


def vivim_command() -> list[str]:
    script = Path(sys.executable).with_name("vivim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]


def node_env(home: Path, name: str, mdns: bool = False) -> dict[str, str]:
    return {
        **os.environ,
        "VIVIM_HOME": str(home),
        "VIVIM_SERVICES": "sync",
        "VIVIM_SYNC_LISTEN": "/ip4/127.0.0.1/tcp/0",
        "VIVIM_SYNC_MDNS": "1" if mdns else "0",
        "VIVIM_SYNC_MDNS_INTERFACES": "127.0.0.1",
        "VIVIM_DEVICE_NAME": name,
    }


def wait_until(check: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Node:
    def __init__(
        self,
        home: Path,
        name: str,
        mdns: bool = False,
        env: dict[str, str] | None = None,
        prefix: list[str] | None = None,
    ) -> None:
        self.home, self.name, self.mdns = home, name, mdns
        self.env = dict(env or {})
        self.prefix = list(prefix or [])  # e.g. nsenter into a network namespace (tests/sync/netns.py)
        home.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Node:
        self.clear_addrs()
        log = open(self.home / f"serve-{self.name}.err", "ab")
        self.proc = subprocess.Popen(
            [*self.prefix, *vivim_command(), "serve"],
            env={**node_env(self.home, self.name, self.mdns), **self.env},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        wait_until(lambda: self.addrs() or self._died(), 60, f"{self.name}'s sync node")
        return self

    def _died(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"{self.name}'s vivim serve exited: "
                + (self.home / f"serve-{self.name}.err").read_text()[-2000:]
            )
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def query(self, fn: Callable[[Any], T]) -> T:
        conn = connect_sync(self.home / "vivim.sqlite3", load_vec=False)
        try:
            return fn(conn)
        finally:
            conn.close()

    def state(self, key: str) -> str | None:
        def read(conn: Any) -> str | None:
            try:
                row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
            except Exception:
                return None
            return row[0] if row else None

        return self.query(read)

    def clear_addrs(self) -> None:
        if (self.home / "vivim.sqlite3").exists():

            def clear(conn: Any) -> None:
                conn.execute("DELETE FROM sync_state WHERE key = 'addrs'")

            self.query(clear)

    def addrs(self) -> list[str]:
        value = self.state("addrs")
        return json.loads(value) if value else []

    @property
    def peer_id(self) -> str:
        return self.state("peer_id") or ""

    def counters(self) -> dict[str, Any]:
        value = self.state("counters")
        return json.loads(value) if value else {}

    def view(self) -> dict[str, Any]:
        return self.query(store_view)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*vivim_command(), *args],
            env=node_env(self.home, self.name, self.mdns),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def pair(first: Node, joiner: Node, *, blind: bool = False, by_mdns: bool = False) -> tuple[str, str]:
    """`vivim pair` on the first device, `vivim pair CODE --addr` on the joiner; both fingerprints."""
    offer = subprocess.Popen(
        [*vivim_command(), "pair", "--timeout", "60"],
        env=node_env(first.home, first.name),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert offer.stdout is not None
    code = addr = None
    lines: list[str] = []
    while code is None or addr is None:
        line = offer.stdout.readline()
        if not line:
            raise AssertionError("vivim pair printed no code: " + "".join(lines) + offer.stderr.read())
        lines.append(line)
        if m := re.search(r"Pairing code: (\S+)", line):
            code = m.group(1)
        if m := re.search(r"address: (\S+)", line):
            addr = m.group(1)
    where = [] if by_mdns else ["--addr", addr]
    joined = joiner.cli("pair", code, *where, *(["--blind"] if blind else []))
    out, err = offer.communicate(timeout=60)
    assert joined.returncode == 0, joined.stdout + joined.stderr
    assert offer.returncode == 0, out + err
    fingerprints = [re.search(r"Fingerprint: (\d{3} \d{3})", text).group(1) for text in (out, joined.stdout)]
    return fingerprints[0], fingerprints[1]
