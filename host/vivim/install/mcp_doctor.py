"""`vivim doctor`'s AI-client checks: which clients have a `vivim` MCP server, and does it start.

The server is started exactly as the client would start it (the command, arguments and env in
the client's file, with a browser-like minimal environment), then asked to initialize and list
its tools over raw JSON-RPC lines.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import InstallError
from .doctor import FAIL, OK, WARN, Check, host_environment
from .machine import Machine
from .mcp_clients import CLIENTS, _load, configured_entry

EXPECTED_TOOLS = {"search_conversations", "get_conversation", "build_context", "recent_activity", "remember"}


def check_mcp(machine: Machine, timeout: float) -> list[Check]:
    checks: list[Check] = []
    probes: dict[tuple[str, ...], tuple[list[str], dict[str, str]]] = {}
    for c in CLIENTS.values():
        path = c.config_path(machine)
        entry = configured_entry(c, path)
        if entry is None:
            try:
                _load(c, path)
            except InstallError as exc:
                checks.append(
                    Check(
                        "mcp",
                        WARN,
                        f"{c.label}: its config cannot be read",
                        exc.message,
                        f"Fix {path}, then `vivim install --mcp {c.key}` if you want VIVIM there.",
                    )
                )
            continue
        command = [str(entry.get("command") or ""), *[str(a) for a in entry.get("args") or []]]
        if not Path(command[0]).is_file():
            checks.append(
                Check(
                    "mcp",
                    FAIL,
                    f"{c.label}: the vivim server's command is missing",
                    f"{path} starts {command[0]!r}, which does not exist (VIVIM moved or was removed).",
                    f"Run `vivim install --mcp {c.key}` again.",
                )
            )
            continue
        checks.append(Check("mcp", OK, f"{c.label}: configured ({path})"))
        env = {str(k): str(v) for k, v in (entry.get("env") or {}).items()}
        probes.setdefault(tuple(command) + tuple(sorted(env.items())), (command, env))  # type: ignore[arg-type]
    if not any(c.status != WARN for c in checks) and not probes:
        return [
            *checks,
            Check(
                "mcp",
                OK,
                "no AI client is set up to use VIVIM (optional)",
                fix=(
                    "`vivim install --mcp claude-desktop` (or claude-code, cursor, vscode, gemini-cli, codex)."
                ),
            ),
        ]
    for command, env in probes.values():
        checks.append(check_server_starts(command, env, timeout))
    return checks


def probe_server(command: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """initialize + tools/list against the server; returns the tools/list result or raises.

    stdin stays open until the answer arrives: an MCP server may end at end of input before it has
    answered requests that were already written (the SDK handles them concurrently), which made a
    healthy server look broken about one time in six.
    """
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "vivim-doctor", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=host_environment(env),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    stderr: list[str] = []

    def pump_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def pump_stderr() -> None:
        assert proc.stderr is not None
        stderr.append(proc.stderr.read())

    readers = [
        threading.Thread(target=pump_stdout, daemon=True),
        threading.Thread(target=pump_stderr, daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    try:
        assert proc.stdin is not None
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        proc.stdin.flush()
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise subprocess.TimeoutExpired(command, timeout) from None
            if line is None:
                break
            try:
                reply = json.loads(line)
            except ValueError:
                raise RuntimeError(
                    f"the server wrote something that is not JSON-RPC on stdout: {line[:120]!r}"
                ) from None
            if reply.get("id") == 2:
                if "error" in reply:
                    raise RuntimeError(f"tools/list failed: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
    finally:
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()  # end of input: the server stops on its own
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for reader in readers:
            reader.join(timeout=1)
    raise RuntimeError(
        f"no answer to tools/list (exit {proc.returncode}); stderr: {''.join(stderr).strip()[-300:]}"
    )


def check_server_starts(command: list[str], env: dict[str, str], timeout: float) -> Check:
    try:
        result = probe_server(command, env, timeout)
    except subprocess.TimeoutExpired:
        return Check(
            "mcp",
            FAIL,
            "the vivim MCP server did not answer",
            f"{' '.join(command)} gave no answer within {timeout:.0f} s.",
            "Run it by hand to see why; the log is vivim.log in the data directory.",
        )
    except (OSError, RuntimeError) as exc:
        return Check(
            "mcp",
            FAIL,
            "the vivim MCP server does not start",
            str(exc),
            "Reinstall VIVIM, then `vivim install --mcp CLIENT` again.",
        )
    names = {t.get("name") for t in result.get("tools", [])}
    missing = EXPECTED_TOOLS - names
    if missing:
        return Check(
            "mcp",
            WARN,
            "the vivim MCP server starts but lacks tools",
            f"missing: {', '.join(sorted(missing))}",
            "Reinstall VIVIM.",
        )
    return Check("mcp", OK, f"the vivim MCP server starts and lists its {len(names)} tools")
