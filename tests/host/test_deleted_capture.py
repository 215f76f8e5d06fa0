"""A conversation the user deleted is not captured again when its page is opened again: neither the
DOM's turns nor the page's own JSON (nor that payload itself) are kept, and the reply says why.
Real host process over real pipes."""

from __future__ import annotations

from pathlib import Path

from tests.host.test_host_process import capture_payload, turn
from tests.host.test_network_capture import CHATGPT_ID, network
from tests.support import payloads
from tests.support.hostproc import HostProcess
from tests.support.netcapture import rows


def test_a_deleted_conversation_re_opened_on_the_site_stores_nothing(host: HostProcess, vivim_home: Path):
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 4)
    first = host.call("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])
    assert first["inserted"] == 4 and first["deleted"] is False
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads")[0][0] == 1
    host.call("conversation.delete", {"id": first["conversation_id"]})
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads")[0][0] == 0  # deleting takes the payload too

    again = host.call("capture.network", network("chatgpt", CHATGPT_ID, doc)[0])
    assert again["deleted"] is True and again["inserted"] == 0 and again["raw_stored"] is False
    assert again["conversation_id"] == first["conversation_id"]
    dom = capture_payload(
        CHATGPT_ID, [turn("u-late", "One more question after deleting")], provider="chatgpt"
    )
    reply = host.call("capture.upsert", dom)
    assert reply["deleted"] is True and reply["inserted"] == 0 and reply["keys"] == []
    assert rows(vivim_home, "SELECT COUNT(*) FROM messages") == [(0,)]
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads") == [(0,)]
    stats = host.call("stats")
    assert stats["messages"] == 0 and stats["conversations"] == 0

    # Another conversation on the same site is captured as always.
    other = host.call(
        "capture.upsert", capture_payload("fresh-1", [turn("u", "A new chat")], provider="chatgpt")
    )
    assert other["deleted"] is False and other["inserted"] == 1
