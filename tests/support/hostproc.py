"""A real host process spoken to over real pipes with the real framing."""

from __future__ import annotations

import base64
import itertools
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

from vivim.config import EXTENSION_ID

ORIGIN = f"chrome-extension://{EXTENSION_ID}/"


def host_command() -> list[str]:
    """The console script next to this Python, i.e. what `vivim install` points launchers at."""
    script = Path(sys.executable).with_name("vivim-host")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vivim.host"]


class HostProcess:
    def __init__(
        self,
        home: Path,
        *,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        services: str = "none",
        args: list[str] | None = None,
    ) -> None:
        full_env = {**os.environ, "VIVIM_HOME": str(home), "VIVIM_SERVICES": services, **(env or {})}
        self.proc = subprocess.Popen(
            [*(command or host_command()), *([ORIGIN] if args is None else args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        self._ids = itertools.count(1)

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        self.send_raw(struct.pack("=I", len(body)) + body)

    def read_frame(self) -> dict[str, Any]:
        assert self.proc.stdout
        header = self.proc.stdout.read(4)
        if len(header) < 4:
            raise EOFError("host closed stdout")
        (length,) = struct.unpack("=I", header)
        assert length <= 1024 * 1024, f"host sent a {length}-byte frame, over Chrome's 1 MB limit"
        return json.loads(self.proc.stdout.read(length))

    def read_message(self) -> dict[str, Any]:
        """One logical message, reassembling chunked replies."""
        frame = self.read_frame()
        if "chunk" not in frame:
            return frame
        parts = {frame["chunk"]["seq"]: frame["data"]}
        total = frame["chunk"]["total"]
        while len(parts) < total:
            nxt = self.read_frame()
            parts[nxt["chunk"]["seq"]] = nxt["data"]
        body = b"".join(base64.b64decode(parts[i]) for i in range(total))
        return json.loads(body)

    def request(self, kind: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        rid = str(next(self._ids))
        self.send({"v": 1, "id": rid, "type": kind, "payload": payload or {}})
        reply = self.read_message()
        assert reply.get("id") == rid, reply
        return reply

    def call(self, kind: str, payload: dict[str, Any] | None = None) -> Any:
        reply = self.request(kind, payload)
        assert reply["ok"], reply
        return reply["result"]

    def close(self, timeout: float = 10) -> int:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
