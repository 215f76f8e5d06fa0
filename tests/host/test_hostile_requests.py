"""Well-formed frames whose content is hostile or merely unusual: a pasted text of tens of thousands of
characters as a query, a database file deleted under the running host, payloads in parts that never
finish, big frames pipelined faster than they are answered. Each gets an answer or a clear
error, the host lives on, and nothing is acknowledged that is not kept. Real host process, real pipes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlean

from tests.support import payloads
from tests.support.hostproc import HostProcess

from .test_host_process import capture_payload, turn
from .test_network_capture import CHATGPT_ID, network

# 20,000 CJK characters are 60,000 UTF-8 bytes: more than the 50,000 bytes SQLite allows a LIKE pattern.
LONG_CJK = "长文本" * 6_667


def test_a_long_pasted_text_as_query_draft_or_title_filter_is_answered_not_refused(host: HostProcess) -> None:
    payload = capture_payload("long", [turn("u", f"请总结 {LONG_CJK}"), turn("a", "好的", "assistant", 1)])
    payload["conversation"]["title"] = LONG_CJK
    host.call("capture.upsert", payload)
    host.call("capture.upsert", capture_payload("roux", [turn("u", "How do I make a roux?")]))

    listed = host.call("conversation.list", {"query": LONG_CJK})
    assert [c["external_id"] for c in listed["items"]] == ["long"]
    for mode in ("fulltext", "hybrid"):
        found = host.call("search", {"query": LONG_CJK, "mode": mode})
        assert "long" in [g["conversation"]["external_id"] for g in found["results"]], found
    context = host.call("context.build", {"draft": LONG_CJK})
    assert isinstance(context["text"], str)
    # Title filters keep their meaning: a substring, ASCII case-insensitively, `%` and `_` taken literally.
    assert [c["external_id"] for c in host.call("conversation.list", {"query": "CHAT RO"})["items"]] == [
        "roux"
    ]
    assert host.call("conversation.list", {"query": "%"})["items"] == []
    assert host.call("conversation.list", {"query": "Chat_roux"})["items"] == []


def test_a_capture_sent_after_the_database_file_was_deleted_is_refused_not_acknowledged(
    host: HostProcess, vivim_home: Path
) -> None:
    first = capture_payload("gone", [turn("u", "written before the file was deleted")])
    assert host.call("capture.upsert", first)["inserted"] == 1
    (vivim_home / "vivim.sqlite3").unlink()  # the user (or a cleaner) removes the file while we run

    reply = host.request("capture.upsert", capture_payload("gone", [turn("u2", "written after", position=1)]))
    # An acknowledgement would make the extension forget a turn that only an unlinked file holds.
    assert reply["ok"] is False and reply["error"]["code"] == "store_error", reply
    assert "deleted or replaced" in reply["error"]["message"]
    assert host.request("settings.set", {"values": {"web.theme": "dark"}})["error"]["code"] == "store_error"
    assert host.call("hello")["protocol"] == 1  # the session lives on
    assert host.close() == 0


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the host's memory from /proc")
def test_payloads_in_parts_never_finished_are_held_up_to_a_bound_then_refused(host: HostProcess) -> None:
    # A page that starts payloads and never finishes them: each first part is 7 MB, held for 120 s.
    filler = "x" * (14 * 1024 * 1024)  # sent as 2 parts of 7 MB
    replies = []
    for n in range(60):
        part = network("chatgpt", CHATGPT_ID, filler, parts=2)[0] | {"payload_id": f"never-{n}"}
        replies.append(host.request("capture.network", part))
        if not replies[-1]["ok"]:
            break
    assert replies[0]["ok"] and replies[0]["result"] == {"received": 0, "parts": 2}
    refused = replies[-1]
    assert refused["ok"] is False and refused["error"]["code"] == "payload_shape", refused
    assert "unfinished" in refused["error"]["message"]
    assert 10 <= len(replies) <= 20  # 128 MB of parts in all, not 60 x 7 MB
    assert resident_mb(host.proc.pid) < 600

    # The host lives, and a conversation sent whole is captured as ever.
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    assert host.call("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])["inserted"] == 4


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the host's memory from /proc")
def test_a_network_capture_keeps_nothing_of_its_conversation_id_once_answered(host: HostProcess) -> None:
    # 60 payloads for 60 conversation ids of 7 MB each: refused (not a conversation document), and forgotten.
    for n in range(60):
        part = network("chatgpt", CHATGPT_ID, "{}")[0] | {"external_id": f"{n}-" + "e" * (7 * 1024 * 1024)}
        assert host.request("capture.network", part)["error"]["code"] == "payload_shape"
    assert resident_mb(host.proc.pid) < 250  # 60 x 7 MB kept would be 420 MB
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    assert host.call("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])["inserted"] == 4


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the host's memory from /proc")
def test_a_client_pipelining_big_frames_faster_than_the_host_answers_is_slowed_not_buffered(
    vivim_home: Path,
) -> None:
    HostProcess(vivim_home).close()  # the vault exists
    host = HostProcess(vivim_home, env={"VIVIM_BUSY_TIMEOUT_MS": "120000"})
    host.call("hello")
    blocker = sqlean.connect(str(vivim_home / "vivim.sqlite3"), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # every write now waits: nothing is answered for a while
    frames = 40
    blob = "b" * (7 * 1024 * 1024)
    sent: list[int] = []
    replies: list[dict[str, Any]] = []

    def send_all() -> None:
        for n in range(frames):
            host.send(
                {"v": 1, "id": f"s{n}", "type": "settings.set", "payload": {"values": {"hostile.blob": blob}}}
            )
            sent.append(n)

    def read_all() -> None:
        while len(replies) < frames:
            replies.append(host.read_message())

    writer = threading.Thread(target=send_all, daemon=True)
    reader = threading.Thread(target=read_all, daemon=True)
    writer.start()
    reader.start()
    try:
        time.sleep(6)
        # 40 x 7 MB were offered; the host took what fits in its 64 MB in-flight bound and stopped reading.
        assert len(sent) < 15, len(sent)
        assert resident_mb(host.proc.pid) < 350
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    writer.join(timeout=120)
    reader.join(timeout=120)
    assert len(sent) == frames and len(replies) == frames
    assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:2]
    assert host.call("hello")["protocol"] == 1
    assert host.close() == 0
