"""`vivim mcp` given what a buggy or hostile AI client sends: every tool call is answered, in bounded
time, with a result or a tool error that says what is wrong, and the server goes on serving. Real
subprocess; the SDK's own client where it can send the input, raw JSON-RPC lines where it cannot."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp import ClientSession
from tests.host.test_host_process import capture_payload, turn
from tests.support.hostproc import HostProcess


@pytest.fixture
def roux_home(vivim_home: Path) -> Path:
    host = HostProcess(vivim_home)
    host.call(
        "capture.upsert",
        capture_payload(
            "roux",
            [
                turn("u", "How do I thicken a sauce with a roux?"),
                turn("a", "Cook flour in butter.", "assistant", 1),
            ],
        ),
    )
    assert host.close() == 0
    return vivim_home


def server_env(home: Path) -> dict[str, str]:
    env = {"VIVIM_HOME": str(home), "VIVIM_SERVICES": "none", "PATH": os.environ.get("PATH", "")}
    if "PYTHONPATH" in os.environ:  # a checkout run without installing it: the server runs the same code
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def test_a_conversation_id_beyond_64_bits_gets_a_tool_error_that_says_so(roux_home: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "vivim", "mcp"], env=server_env(roux_home)
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            for huge in (2**63, 10**30, -(10**30)):
                result = await session.call_tool("get_conversation", {"id": huge})
                assert result.is_error and f"there is no conversation {huge}" in text_of(result), text_of(
                    result
                )
            with pytest.raises(Exception, match="there is no conversation 9999"):
                await session.read_resource("vivim://conversation/" + "9" * 30)
            ok = await session.call_tool("get_conversation", {"id": 1})
    assert not ok.is_error and "Cook flour in butter." in text_of(ok)
    log = (roux_home / "vivim.log").read_text()
    assert "OverflowError" not in log and "Traceback" not in log


class RawClient:
    """JSON-RPC lines written by hand: the SDK's client refuses to send a lone surrogate at all."""

    def __init__(self, home: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vivim", "mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=server_env(home),
        )
        self.send(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "0"},
                },
            }
        )
        assert self.reply(0)["result"]["serverInfo"]["name"] == "vivim"
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.proc.stdin
        line = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def reply(self, rid: int, timeout: float = 60) -> dict[str, Any]:
        assert self.proc.stdout
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no reply to request {rid} within {timeout} s"
            line = self.proc.stdout.readline()
            assert line, "the server closed stdout"
            message = json.loads(line)  # anything but JSON-RPC on stdout fails here
            if message.get("id") == rid:
                return message

    def search(self, rid: int, arguments: bytes) -> dict[str, Any]:
        """search_conversations with its arguments as raw JSON bytes (escapes as a client wrote them)."""
        self.send(
            b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"search_conversations",'
            b'"arguments":%s}}' % (rid, arguments)
        )
        return self.reply(rid, timeout=30)

    def close(self) -> int:
        assert self.proc.stdin
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def test_a_lone_surrogate_in_tool_arguments_is_answered_not_dropped(roux_home: Path) -> None:
    # JavaScript's JSON.stringify writes "\ud83d" for a string cut inside an emoji; the SDK's parser refuses
    # the whole line and answers nothing, so the client would wait for ever.
    client = RawClient(roux_home)
    try:
        found = client.search(1, b'{"query":"roux \\ud83d"}')
        assert found["result"]["isError"] is False
        assert "1 conversation(s) match 'roux \ufffd'" in found["result"]["content"][0]["text"]
        refused = client.search(2, b'{"query":"roux","provider":"\\udc00"}')
        assert refused["result"]["isError"] is True
        assert "provider must be one of" in refused["result"]["content"][0]["text"]
        emoji = client.search(3, b'{"query":"roux \\ud83d\\ude00"}')  # a well-formed pair: the emoji as ever
        assert "match 'roux \U0001f600'" in emoji["result"]["content"][0]["text"]
    finally:
        assert client.close() == 0
