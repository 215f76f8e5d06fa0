"""A site's capture switch (`capture.<key>`, the web app's Settings and the popup's per-site switch) is
obeyed by the host itself: once it is off, nothing the extension still sends for that site is stored,
and the refusal says why, so the extension can take the switch. Real host process, real pipes."""

from __future__ import annotations

from pathlib import Path

from tests.host.test_host_process import capture_payload, turn
from tests.host.test_network_capture import CHATGPT_ID, network
from tests.support import payloads
from tests.support.hostproc import HostProcess
from tests.support.netcapture import rows


def test_a_site_turned_off_is_refused_with_capture_off_and_nothing_is_stored(
    host: HostProcess, vivim_home: Path
) -> None:
    host.call("settings.set", {"values": {"capture.claude": False}})
    reply = host.request("capture.upsert", capture_payload("off-1", [turn("u", "Kept private?")]))
    assert reply["ok"] is False and reply["error"]["code"] == "capture_off"
    assert "Claude" in reply["error"]["message"]
    assert rows(vivim_home, "SELECT count(*) FROM messages") == [(0,)]
    # Another site is not affected by Claude's switch.
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    ok = host.request("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])
    assert ok["ok"], ok


def test_the_network_path_obeys_the_switch_too_and_on_again_stores_as_before(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    host.call("settings.set", {"values": {"capture.chatgpt": False}})
    refused = host.request("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])
    assert refused["ok"] is False and refused["error"]["code"] == "capture_off"
    assert rows(vivim_home, "SELECT count(*) FROM messages") == [(0,)]
    assert rows(vivim_home, "SELECT count(*) FROM raw_payloads")[0][0] == 0

    host.call("settings.set", {"values": {"capture.chatgpt": True}})
    stored = host.request("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])
    assert stored["ok"] and stored["result"]["completeness"]["status"] == "complete"
    # The host still serves everything else while a site is off.
    assert host.call("conversation.list", {})["items"]
