"""The host as the browser sees it: a real process, real pipes, real framing."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import threading
from pathlib import Path

import sqlean

from tests.support.hostproc import HostProcess, host_command


def turn(key: str, text: str, role: str = "user", position: int = 0, **extra: object) -> dict:
    return {"key": key, "role": role, "text": text, "position": position, **extra}


def capture_payload(external_id: str, turns: list[dict], provider: str = "claude") -> dict:
    return {
        "conversation": {
            "provider": provider,
            "external_id": external_id,
            "title": f"Chat {external_id}",
            "url": f"https://claude.ai/chat/{external_id}",
        },
        "turns": turns,
    }


def test_hello_answers_with_versions_and_capabilities(host: HostProcess) -> None:
    result = host.call("hello", {"client": "test"})
    assert result["protocol"] == 1
    assert {"capture.upsert", "search", "conversation.get", "stats"} <= set(result["capabilities"])


def test_a_captured_turn_can_be_found_again(host: HostProcess) -> None:
    ack = host.call(
        "capture.upsert",
        capture_payload(
            "k1",
            [
                turn("u", "What is a roux?"),
                turn("a", "Flour cooked in butter, to thicken sauces.", "assistant", 1),
            ],
        ),
    )
    assert ack["inserted"] == 2
    result = host.call("search", {"query": "thicken"})
    assert result["results"][0]["conversation"]["external_id"] == "k1"
    listed = host.call("conversation.list", {})
    assert listed["items"][0]["message_count"] == 2


def test_garbage_json_gets_an_error_and_the_session_goes_on(host: HostProcess) -> None:
    host.send_raw(struct.pack("=I", 7) + b"{nope!}")
    assert host.read_message()["error"]["code"] == "invalid_json"
    host.send_raw(struct.pack("=I", 4) + b"\xff\xfe\xfd\xfc")
    assert host.read_message()["error"]["code"] == "invalid_json"
    assert host.call("hello")["protocol"] == 1


def test_envelopes_that_break_the_rules_get_stable_codes(host: HostProcess) -> None:
    cases = [
        ([1, 2, 3], "bad_request"),
        ({"v": 1, "id": "x", "type": "teleport", "payload": {}}, "unknown_type"),
        ({"v": 99, "id": "x", "type": "hello", "payload": {}}, "unsupported_version"),
        ({"v": 1, "id": "x", "type": "capture.upsert", "payload": {"turns": "nope"}}, "invalid_payload"),
        ({"v": 1, "id": "x", "type": "conversation.get", "payload": {"id": 424242}}, "not_found"),
    ]
    for message, code in cases:
        host.send(message)
        reply = host.read_message()
        assert reply["ok"] is False and reply["error"]["code"] == code, reply
        assert reply["error"]["message"]
    assert host.call("hello")["protocol"] == 1


def test_an_oversized_frame_is_skipped_and_reported(host: HostProcess) -> None:
    body = json.dumps({"v": 1, "id": "big", "type": "hello", "payload": {"pad": "x" * (9 * 1024 * 1024)}})
    host.send_raw(struct.pack("=I", len(body)) + body.encode())
    reply = host.read_message()
    assert reply["error"]["code"] == "frame_too_large"
    assert host.call("hello")["protocol"] == 1  # still in step with the stream


def test_a_truncated_frame_ends_the_session_cleanly(host: HostProcess) -> None:
    host.call("hello")
    host.send_raw(struct.pack("=I", 100) + b'{"v":1')
    assert host.close() == 0


def test_closing_stdin_ends_the_host_with_success(host: HostProcess) -> None:
    host.call("hello")
    assert host.close() == 0


def test_a_reply_over_one_megabyte_arrives_in_chunks_that_reassemble(host: HostProcess) -> None:
    big = "Large answer with unicode ✓ and newlines\n" * 75_000  # ~3 MB
    host.call("capture.upsert", capture_payload("big", [turn("a", big, "assistant")]))
    frame_sizes: list[int] = []
    original = host.read_frame

    def spy() -> dict:
        frame = original()
        frame_sizes.append(len(json.dumps(frame)))
        return frame

    host.read_frame = spy  # type: ignore[method-assign]
    result = host.call("conversation.get", {"provider": "claude", "external_id": "big"})
    assert result["messages"][0]["text"] == big
    assert len(frame_sizes) >= 3 and max(frame_sizes) < 1024 * 1024


def test_requests_from_a_foreign_extension_are_refused(vivim_home: Path) -> None:
    proc = subprocess.run(
        [*host_command(), "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"],
        input=b"",
        capture_output=True,
        env={**os.environ, "VIVIM_HOME": str(vivim_home)},
        timeout=30,
    )
    assert proc.returncode == 1 and proc.stdout == b""


def test_logs_go_to_the_data_directory_never_to_stdout(host: HostProcess, vivim_home: Path) -> None:
    host.send({"v": 1, "id": "x", "type": "teleport", "payload": {}})
    host.read_message()
    host.close()
    assert "unknown message type" in (vivim_home / "vivim.log").read_text()


def test_kill_9_mid_stream_loses_no_acknowledged_turn(vivim_home: Path) -> None:
    host = HostProcess(vivim_home)
    acked: list[str] = []
    done = threading.Event()

    def read_acks() -> None:
        try:
            while True:
                reply = host.read_message()
                if reply.get("ok"):
                    acked.append(reply["id"])
                if len(acked) >= 40:
                    done.set()
        except (EOFError, ValueError, OSError):
            done.set()

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    for i in range(400):
        host.send(
            {
                "v": 1,
                "id": f"c{i}",
                "type": "capture.upsert",
                "payload": capture_payload(
                    f"conv{i % 7}", [turn(f"t{i}", f"turn number {i} " * 20, position=i)]
                ),
            }
        )
    done.wait(timeout=60)
    os.kill(host.proc.pid, signal.SIGKILL)
    host.proc.wait()
    reader.join(timeout=5)
    assert len(acked) >= 40
    conn = sqlean.connect(str(vivim_home / "vivim.sqlite3"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT key FROM messages")}
    assert {f"t{rid[1:]}" for rid in acked} <= stored


def test_two_hosts_writing_at_once_lose_nothing(vivim_home: Path) -> None:
    hosts = [HostProcess(vivim_home), HostProcess(vivim_home)]
    per_host = 150
    results: dict[int, list[dict]] = {0: [], 1: []}

    def drive(n: int) -> None:
        h = hosts[n]
        for i in range(per_host):
            # Both write the same conversations, interleaved.
            results[n].append(
                h.request(
                    "capture.upsert",
                    capture_payload(
                        f"shared{i % 5}", [turn(f"h{n}-{i}", f"host {n} writes turn {i}", position=i)]
                    ),
                )
            )

    threads = [threading.Thread(target=drive, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for h in hosts:
        h.close()
    refused = [r for rs in results.values() for r in rs if not r["ok"]]
    assert refused == []
    conn = sqlean.connect(str(vivim_home / "vivim.sqlite3"))
    assert conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2 * per_host
    assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 5
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_everything_the_host_writes_is_private_to_the_user(host: HostProcess, vivim_home: Path) -> None:
    host.call("capture.upsert", capture_payload("p", [turn("u", "private")]))
    host.close()
    assert oct(vivim_home.stat().st_mode & 0o777) == "0o700"
    for path in vivim_home.iterdir():
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, f"{path.name} is readable by others"


def test_a_corrupt_database_is_reported_on_every_request_and_the_host_stays_up(vivim_home: Path) -> None:
    (vivim_home / "vivim.sqlite3").write_bytes(b"this is not a database" * 100)
    host = HostProcess(vivim_home)
    try:
        for kind in ("hello", "stats"):
            reply = host.request(kind)
            assert reply["ok"] is False and reply["error"]["code"] == "store_error"
            assert "vivim doctor" in reply["error"]["message"]
    finally:
        assert host.close() == 0
