"""20,000+ hostile frames, pipelined into ONE real host process: structural mutations of every
valid message, random bytes, deep nesting, lone surrogates, numbers beyond 64 bits, huge
strings. Every frame must get exactly one reply, none of them `internal`, stdout must carry
nothing but well-formed frames under Chrome's 1 MB limit, and the host must end cleanly.

Seeded, so a failure reproduces: VIVIM_FUZZ_SEED and VIVIM_FUZZ_FRAMES override the defaults.
"""

from __future__ import annotations

import base64
import json
import os
import random
import struct
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.hostproc import HostProcess

FRAMES = int(os.environ.get("VIVIM_FUZZ_FRAMES", "20000"))
SEED = int(os.environ.get("VIVIM_FUZZ_SEED", "20261206"))
MAX_FRAME = 1024 * 1024


def valid_messages() -> list[dict[str, Any]]:
    turns = [
        {
            "key": "u1",
            "role": "user",
            "position": 0,
            "text": "How do I thicken a sauce?",
            "html": "<p>How?</p>",
        },
        {
            "key": "a1",
            "role": "assistant",
            "position": 1,
            "parent_key": "u1",
            "message_id": "m-1",
            "model": "gpt-5",
            "html": "<p>Use a <b>roux</b> 😀</p><pre><code>flour + butter</code></pre>",
            "text": "Use a roux",
            "status": "streaming",
            "created_at": 1764000000.5,
            "kind": None,
            "current": True,
        },
    ]
    conversation = {
        "provider": "chatgpt",
        "external_id": "fuzz-1",
        "title": "Sauces",
        "url": "https://chatgpt.com/c/fuzz-1",
        "model": "gpt-5",
        "created_at": 1764000000.0,
    }
    payloads = {
        "hello": {"client": "vivim-extension", "client_version": "0.1.0"},
        "capture.upsert": {"conversation": conversation, "turns": turns, "source": "capture"},
        "conversation.list": {"provider": "chatgpt", "limit": 50, "offset": 0, "query": "Sau"},
        "conversation.get": {"provider": "chatgpt", "external_id": "fuzz-1", "include_html": True},
        "search": {
            "query": "thicken roux",
            "limit": 20,
            "provider": None,
            "conversation_id": None,
            "role": "user",
            "since": 0.0,
            "until": 2e9,
            "mode": "fulltext",
        },
        "context.build": {
            "draft": "sauce with flour",
            "conversation_id": 1,
            "provider": "claude",
            "external_id": "x",
            "token_budget": 300,
            "max_items": 4,
        },
        "embed.status": {},
        "stats": {},
        "settings.get": {"keys": ["web.port", "search.limit"]},
        "settings.set": {"values": {"search.limit": 20, "fuzz.note": "x"}},
        "adapter.health": {
            "provider": "claude",
            "url": "https://claude.ai/chat/1",
            "ok": False,
            "problem": "no turns",
        },
        "sync.status": {},
        "web.url": {},
    }
    return [
        {"v": 1, "id": f"t-{kind}", "type": kind, "payload": payload} for kind, payload in payloads.items()
    ]


class Mutator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def weird(self) -> Any:
        r = self.rng
        pool = [
            None,
            True,
            False,
            0,
            -1,
            2**63 - 1,
            2**63,
            -(2**63) - 1,
            2**64 + r.randrange(1000),
            -(10**30),
            10 ** r.randrange(19, 80),
            1.5,
            -0.0,
            1e308,
            5e-324,
            "",
            "x" * r.randrange(1, 300),
            "\ud800",
            "a\udc00b",
            "\ud83d",
            "\x00\x01\x1f",
            "'; DROP TABLE messages; --",
            '"NEAR(a b)" OR * ^',
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "ü中文😀" * r.randrange(1, 50),
            {},
            [],
            [None],
            {"": None},
            self.deep(),
            r.choice(["chatgpt", "claude", "user"]),
        ]
        if r.random() < 0.02:
            pool.append("z" * r.randrange(100_000, 700_000))  # a huge string, in whichever field it lands
        return r.choice(pool)

    def deep(self) -> Any:
        value: Any = "bottom"
        for _ in range(self.rng.choice([10, 63, 64, 65, 200, 900])):
            value = [value] if self.rng.random() < 0.5 else {"k": value}
        return value

    def paths(self, node: Any, prefix: tuple = ()) -> list[tuple]:
        found = [prefix]
        if len(prefix) > 6:  # not into a deep value an earlier mutation planted
            return found
        if isinstance(node, dict):
            for key, value in node.items():
                found += self.paths(value, prefix + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += self.paths(value, prefix + (index,))
        return found

    def structural(self, message: dict[str, Any]) -> Any:
        r = self.rng
        message = json.loads(json.dumps(message))  # templates are small and plain
        for _ in range(r.choice([1, 1, 1, 2, 3])):
            paths = self.paths(message)
            path = r.choice(paths)
            if not path:
                return self.weird() if r.random() < 0.3 else message
            parent = message
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            action = r.random()
            if action < 0.6:
                parent[last] = self.weird()
            elif action < 0.75 and isinstance(parent, dict):
                del parent[last]
            elif action < 0.85 and isinstance(parent, dict):
                parent[r.choice(["extra", "\ud800", "x" * 40, "payload", "id", "v"])] = self.weird()
            elif isinstance(parent, list):
                parent.append(parent[last] if r.random() < 0.5 else self.weird())
            else:
                parent[last] = [parent[last]]
        return message

    def frame_body(self, templates: list[dict[str, Any]]) -> bytes:
        r = self.rng
        roll = r.random()
        if roll < 0.08:
            return bytes(r.randrange(256) for _ in range(r.randrange(0, 64)))
        if roll < 0.11:
            depth = r.choice([65, 1000, 5000, 100_000])
            return (
                (b'{"v":1,"id":"deep","type":"hello","payload":' + b"[" * depth + b"]" * depth + b"}")
                if r.random() < 0.5
                else b'{"a":' * depth + b"1" + b"}" * depth
            )
        if roll < 0.14:
            body = json.dumps(r.choice(templates)).encode()
            return body[: r.randrange(len(body))]  # cut short: not JSON
        if roll < 0.16:
            return json.dumps(self.weird()).encode()
        template = r.choice(templates)
        message = template if roll < 0.22 else self.structural(template)
        try:
            return json.dumps(message).encode()  # lone surrogates become \udXXX escapes, as in JavaScript
        except (ValueError, RecursionError):
            return b"[]"


def test_twenty_thousand_hostile_frames_never_crash_the_host_or_get_internal(vivim_home: Path) -> None:
    rng = random.Random(SEED)
    mutator = Mutator(rng)
    templates = valid_messages()
    bodies = [mutator.frame_body(templates) for _ in range(FRAMES)]
    bodies.append(
        json.dumps(
            {"v": 1, "id": "oversized", "type": "hello", "payload": {"pad": "p" * (8 * 1024 * 1024)}}
        ).encode()
    )

    host = HostProcess(vivim_home)
    replies: list[dict[str, Any]] = []
    problems: list[str] = []
    done = threading.Event()

    def read_all() -> None:
        stdout = host.proc.stdout
        assert stdout is not None
        chunks: dict[Any, dict[int, str]] = {}
        try:
            while len(replies) < len(bodies):
                header = stdout.read(4)
                if len(header) < 4:
                    problems.append(f"stdout ended after {len(replies)} replies")
                    return
                (length,) = struct.unpack("=I", header)
                if length > MAX_FRAME:
                    problems.append(f"a {length}-byte frame, over Chrome's 1 MB limit")
                    return
                frame = json.loads(stdout.read(length))  # anything but JSON here fails the test
                if not isinstance(frame, dict) or frame.get("v") != 1:
                    problems.append(f"not a protocol frame: {str(frame)[:200]}")
                    return
                if "chunk" in frame:
                    parts = chunks.setdefault(frame["id"], {})
                    parts[frame["chunk"]["seq"]] = frame["data"]
                    if len(parts) < frame["chunk"]["total"]:
                        continue
                    frame = json.loads(b"".join(base64.b64decode(parts[i]) for i in range(len(parts))))
                    del chunks[frame["id"]]
                if "ok" in frame:
                    replies.append(frame)
        except Exception as exc:
            problems.append(f"reading replies failed: {exc!r}")
        finally:
            done.set()

    reader = threading.Thread(target=read_all, daemon=True)
    started = time.monotonic()
    reader.start()
    try:
        for body in bodies:  # pipelined: the reader drains replies while we write
            host.send_raw(struct.pack("=I", len(body)) + body)
            if done.is_set():
                break
        done.wait(timeout=240)
        assert not problems, problems
        assert len(replies) == len(bodies), f"{len(bodies)} frames sent, {len(replies)} replies"
        internal = [r for r in replies if not r["ok"] and r["error"]["code"] == "internal"]
        assert internal == [], internal[:5]
        codes = Counter(r["error"]["code"] if not r["ok"] else "ok" for r in replies)
        print(
            f"{len(bodies)} frames, {len(replies)} replies in {time.monotonic() - started:.1f} s: {dict(codes)}"
        )
        assert {"invalid_json", "invalid_payload", "bad_request", "frame_too_large"} <= set(codes), codes
        assert sum(r["ok"] for r in replies) > FRAMES // 20  # the valid ones really were served
        assert host.call("hello")["protocol"] == 1
    finally:
        code = host.close(timeout=60)
    assert code == 0
    log = (vivim_home / "vivim.log").read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
