"""Frames an attacker (or a buggy client) can send: each gets a clear, documented error and the
host lives on. Real host process, real pipes, real framing."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

import pytest

from tests.support.hostproc import ORIGIN, HostProcess, host_command
from vivim.config import FIREFOX_EXTENSION_ID

from .test_host_process import capture_payload, turn


def send_body(host: HostProcess, body: bytes) -> dict:
    host.send_raw(struct.pack("=I", len(body)) + body)
    return host.read_message()


def test_json_nested_a_hundred_thousand_levels_is_invalid_json_and_the_host_lives(host: HostProcess) -> None:
    for depth in (65, 1_000, 100_000):
        reply = send_body(host, b"[" * depth + b"]" * depth)
        assert reply["ok"] is False and reply["error"]["code"] == "invalid_json", reply
        assert "64 levels" in reply["error"]["message"]
    deep_payload = (
        b'{"v":1,"id":"d","type":"settings.set","payload":{"values":{"x":'
        + b"[" * 2000
        + b"]" * 2000
        + b"}}}"
    )
    assert send_body(host, deep_payload)["error"]["code"] == "invalid_json"
    assert host.call("hello")["protocol"] == 1


def test_moderate_nesting_inside_a_setting_is_still_accepted(host: HostProcess) -> None:
    value: object = "leaf"
    for _ in range(20):
        value = [value]
    assert host.call("settings.set", {"values": {"web.port": 8765}})["settings"]["web.port"] == 8765
    reply = host.request("hello", {"client": "x", "extra": value})
    assert reply["ok"] is True


def test_a_lone_surrogate_in_captured_text_is_kept_as_a_replacement_character(host: HostProcess) -> None:
    # JSON.stringify writes "\ud83d" for a string cut inside an emoji: the capture must not be lost.
    payload = capture_payload(
        "cut", [turn("u", "cut emoji \ud83d here"), turn("a", "answer \udc00", "assistant", 1)]
    )
    payload["conversation"]["title"] = "title \ud800"
    body = json.dumps({"v": 1, "id": "s1", "type": "capture.upsert", "payload": payload}).encode()
    assert b"\\ud83d" in body  # json.dumps escapes it, as JavaScript does
    reply = send_body(host, body)
    assert reply["ok"] is True and reply["result"]["inserted"] == 2, reply
    stored = host.call("conversation.get", {"provider": "claude", "external_id": "cut"})
    assert stored["conversation"]["title"] == "title \ufffd"
    assert [m["text"] for m in stored["messages"]] == ["cut emoji \ufffd here", "answer \ufffd"]


def test_a_lone_surrogate_as_the_request_id_gets_bad_request(host: HostProcess) -> None:
    reply = send_body(host, b'{"v":1,"id":"\\ud800","type":"hello","payload":{}}')
    assert reply == {"v": 1, "id": None, "ok": False, "error": reply["error"]}
    assert reply["error"]["code"] == "bad_request" and "surrogate" in reply["error"]["message"]
    assert host.call("hello")["protocol"] == 1


@pytest.mark.parametrize("where", ["position", "created_at_int", "id", "limit"])
def test_integers_beyond_64_bits_get_invalid_payload(host: HostProcess, where: str) -> None:
    huge = 2**64 + 5
    if where == "position":
        message = {
            "v": 1,
            "id": "n",
            "type": "capture.upsert",
            "payload": capture_payload("n", [turn("u", "x", position=huge)]),
        }
    elif where == "created_at_int":
        message = {
            "v": 1,
            "id": "n",
            "type": "capture.upsert",
            "payload": capture_payload("n", [turn("u", "x", created_at=-huge)]),
        }
    elif where == "id":
        message = {"v": 1, "id": "n", "type": "conversation.get", "payload": {"id": huge}}
    else:
        message = {"v": 1, "id": "n", "type": "conversation.list", "payload": {"limit": 10**40}}
    reply = send_body(host, json.dumps(message).encode())
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_payload", reply
    assert "64-bit" in reply["error"]["message"]
    assert host.call("hello")["protocol"] == 1


def test_a_request_id_beyond_64_bits_or_128_characters_is_refused_not_echoed(host: HostProcess) -> None:
    for rid in (2**70, "r" * 129, "r" * 600_000):
        reply = send_body(host, json.dumps({"v": 1, "id": rid, "type": "hello", "payload": {}}).encode())
        assert reply["id"] is None and reply["error"]["code"] == "bad_request", reply
        assert len(json.dumps(reply)) < 2_000
    longest = "r" * 128
    assert (
        host.request("hello")["ok"]
        and send_body(host, json.dumps({"v": 1, "id": longest, "type": "hello", "payload": {}}).encode())[
            "id"
        ]
        == longest
    )


def test_a_huge_string_in_an_enum_field_is_not_echoed_or_logged_whole(
    host: HostProcess, vivim_home: Path
) -> None:
    giant = "chatgpt" * 100_000  # 700 KB
    payload = capture_payload("e", [turn("u", "x")], provider="claude")
    payload["conversation"]["provider"] = giant
    reply = send_body(
        host, json.dumps({"v": 1, "id": "e", "type": "capture.upsert", "payload": payload}).encode()
    )
    assert reply["error"]["code"] == "invalid_payload"
    assert len(reply["error"]["message"]) < 1_000
    reply = send_body(host, json.dumps({"v": 1, "id": "t", "type": giant, "payload": {}}).encode())
    assert reply["error"]["code"] == "unknown_type" and len(json.dumps(reply)) < 5_000
    host.close()
    assert os.path.getsize(vivim_home / "vivim.log") < 50_000


def test_a_length_over_what_can_be_skipped_is_answered_before_the_session_ends(host: HostProcess) -> None:
    host.call("hello")
    host.send_raw(struct.pack("=I", 0xFFFF_FFF0))
    reply = host.read_message()
    assert reply["error"]["code"] == "frame_too_large" and reply["error"]["details"]["closing"] is True
    assert host.close() == 0


# ---- who may start the host ------------------------------------------------------------------


def refused(vivim_home: Path, args: list[str], env: dict[str, str] | None = None) -> bool:
    proc = subprocess.run(
        [*host_command(), *args],
        input=b"",
        capture_output=True,
        timeout=60,
        env={**os.environ, "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "none", **(env or {})},
    )
    assert proc.stdout == b""
    return proc.returncode == 1


@pytest.mark.parametrize(
    "args",
    [
        ["https://evil.example/"],
        ["moz-extension://0f0e3c6d-1111-2222-3333-444455556666/"],
        [""],
        ["chrome-extension://abcdefghijklmnopabcdefghijklmnop/"],
        [ORIGIN + "x"],
        [ORIGIN, "--something-else"],
        ["/home/u/.mozilla/native-messaging-hosts/com.vivim.host.json", "other@addon.example"],
        ["/home/u/.mozilla/native-messaging-hosts/com.vivim.host.json"],
        [FIREFOX_EXTENSION_ID],
    ],
    ids=[
        "web-origin",
        "other-moz-extension",
        "empty",
        "other-chrome-extension",
        "longer-id",
        "extra-arg",
        "other-firefox-addon",
        "manifest-only",
        "addon-id-only",
    ],
)
def test_a_caller_that_is_not_our_extension_is_refused(vivim_home: Path, args: list[str]) -> None:
    assert refused(vivim_home, args)
    assert "refusing caller" in (vivim_home / "vivim.log").read_text()


def test_a_start_without_arguments_needs_the_debug_switch(vivim_home: Path) -> None:
    assert refused(vivim_home, [])
    host = HostProcess(vivim_home, args=[], env={"VIVIM_HOST_DEBUG": "1"})
    assert host.call("hello")["protocol"] == 1
    assert host.close() == 0
    assert refused(vivim_home, ["https://evil.example/"], env={"VIVIM_HOST_DEBUG": "1"})


@pytest.mark.parametrize(
    "args",
    [
        [ORIGIN],
        [ORIGIN.rstrip("/")],
        [ORIGIN, "--parent-window=4242"],
        ["/home/u/.mozilla/native-messaging-hosts/com.vivim.host.json", FIREFOX_EXTENSION_ID],
    ],
    ids=["chrome", "chrome-no-slash", "chrome-windows", "firefox"],
)
def test_our_extension_is_served_from_either_browser(vivim_home: Path, args: list[str]) -> None:
    host = HostProcess(vivim_home, args=args)
    assert host.call("hello")["protocol"] == 1
    assert host.close() == 0
