"""A database another process keeps locked costs a request, never a capture already acknowledged."""

from __future__ import annotations

import sqlean

from tests.support.hostproc import HostProcess


def test_a_locked_database_gets_store_busy_and_the_session_recovers(vivim_home) -> None:
    host = HostProcess(vivim_home, env={"VIVIM_BUSY_TIMEOUT_MS": "200"})
    try:
        host.call("hello")
        blocker = sqlean.connect(str(vivim_home / "vivim.sqlite3"), isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        payload = {
            "conversation": {"provider": "gemini", "external_id": "g1"},
            "turns": [{"key": "q", "role": "user", "text": "Is it locked?"}],
        }
        reply = host.request("capture.upsert", payload)
        assert reply["ok"] is False and reply["error"]["code"] == "store_busy"
        blocker.execute("ROLLBACK")
        blocker.close()
        assert host.call("capture.upsert", payload)["inserted"] == 1
    finally:
        host.close()
