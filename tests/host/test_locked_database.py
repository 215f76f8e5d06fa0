"""A database another process keeps locked costs a request, never a capture already acknowledged."""

from __future__ import annotations

import time

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


def test_a_host_that_starts_while_another_process_holds_the_database_recovers_without_a_restart(
    vivim_home,
) -> None:
    # Two browsers starting their hosts at once on a new vault: the one that cannot open the database
    # yet answers store_busy (retryable), then opens it on a later request, with no restart.
    HostProcess(vivim_home).close()  # the vault exists, migrated
    blocker = sqlean.connect(str(vivim_home / "vivim.sqlite3"), isolation_level=None)
    blocker.execute("PRAGMA locking_mode = EXCLUSIVE")
    blocker.execute("BEGIN EXCLUSIVE")
    blocker.execute("CREATE TABLE IF NOT EXISTS held (x)")
    host = HostProcess(vivim_home, env={"VIVIM_BUSY_TIMEOUT_MS": "200"})
    try:
        reply = host.request("hello", {"client": "test"})
        assert reply["ok"] is False and reply["error"]["code"] == "store_busy"
        blocker.execute("ROLLBACK")
        blocker.close()
        deadline = time.monotonic() + 30
        while (reply := host.request("hello", {"client": "test"}))["ok"] is False:
            assert reply["error"]["code"] == "store_busy" and time.monotonic() < deadline, reply
            time.sleep(0.3)
        payload = {
            "conversation": {"provider": "gemini", "external_id": "g2"},
            "turns": [{"key": "q", "role": "user", "text": "Open now?"}],
        }
        assert host.call("capture.upsert", payload)["inserted"] == 1
    finally:
        host.close()
