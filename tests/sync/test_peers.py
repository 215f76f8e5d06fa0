"""Real sync nodes (`vivim serve` processes, separate VIVIM_HOMEs) talking over 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hostproc import HostProcess
from tests.sync.peers import Node, pair, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def nodes(tmp_path: Path):
    started: list[Node] = []

    def make(name: str, mdns: bool = False) -> Node:
        node = Node(tmp_path / name, name, mdns)
        started.append(node)
        return node.start()

    yield make
    for node in started:
        node.stop()


def capture_payload(conv: str, turns: list[tuple[str, str, str]], title: str | None = None) -> dict:
    return {
        "conversation": {"provider": "claude", "external_id": conv, "title": title},
        "turns": [
            {"key": k, "role": r, "text": t, "markdown": t, "position": i}
            for i, (k, r, t) in enumerate(turns)
        ],
    }


def capture_via_host(node: Node, payload: dict) -> None:
    host = HostProcess(node.home)  # a browser's host: not the lock holder, another process
    try:
        assert host.call("capture.upsert", payload)["conversation_id"]
    finally:
        host.close()


def test_paired_devices_exchange_captures_both_ways(nodes) -> None:
    a, b = nodes("laptop"), nodes("desktop")
    fp_a, fp_b = pair(a, b)
    assert fp_a == fp_b
    listed = a.cli("devices", "--json")
    devices = {d["peer_id"]: d for d in json.loads(listed.stdout)}
    assert devices[b.peer_id]["status"] == "paired" and devices[b.peer_id]["name"] == "desktop"

    capture_via_host(a, capture_payload("c1", [("k1", "user", "asked on the laptop")], title="From A"))
    wait_until(lambda: "claude/c1" in b.view(), what="A's capture on B")
    assert b.view()["claude/c1"]["messages"]["k1"][1] == "asked on the laptop"

    capture_via_host(b, capture_payload("c2", [("k1", "user", "asked on the desktop")]))
    wait_until(lambda: "claude/c2" in a.view(), what="B's capture on A")
    wait_until(lambda: a.view() == b.view(), what="identical stores")

    # what `vivim devices` says about the other device: how it was reached, when, what it lacks
    def desktop() -> dict:
        return {d["peer_id"]: d for d in json.loads(a.cli("devices", "--json").stdout)}[b.peer_id]

    wait_until(lambda: desktop()["pending"] == 0, what="B's acknowledgement")
    seen = desktop()
    assert seen["reached"] == "lan" and seen["last_sync_at"] and seen["entries_in"] >= 1
    assert seen["sync"] == "connected on this network, in sync"
    assert "connected on this network, in sync" in a.cli("devices").stdout


def test_devices_find_each_other_by_mdns_and_a_blind_backup_forwards_ciphertext(nodes) -> None:
    a, backup = nodes("a", mdns=True), nodes("backup", mdns=True)
    pair(a, backup, blind=True, by_mdns=True)  # no address given: found on the (loopback) LAN
    capture_via_host(a, capture_payload("c1", [("k1", "user", "only for my devices")]))
    wait_until(
        lambda: backup.query(
            lambda c: c.execute("SELECT COUNT(*) FROM sync_log WHERE kind = 'doc'").fetchone()[0]
        ),
        what="ciphertext on the backup",
    )
    assert backup.view() == {}
    assert not backup.query(
        lambda c: any(b"only for my devices" in bytes(r[0]) for r in c.execute("SELECT entry FROM sync_log"))
    )


def test_offline_edits_converge_and_restart_resumes_incrementally(nodes) -> None:
    from vivim.sync import library

    a, b = nodes("a"), nodes("b")
    pair(a, b)
    capture_via_host(a, capture_payload("c1", [("k1", "user", "shared turn")], title="Original"))
    wait_until(lambda: "claude/c1" in b.view(), what="first sync")
    b.stop()

    def cid(conn):
        return conn.execute("SELECT id FROM conversations WHERE external_id = 'c1'").fetchone()[0]

    a.query(lambda c: library.rename_conversation(c, cid(c), "Renamed on A"))
    capture_via_host(
        a, capture_payload("c1", [("k1", "user", "shared turn"), ("k2", "assistant", "reply on A")])
    )
    b.query(lambda c: library.add_tag(c, cid(c), "from-b"))  # B edits while it is offline
    held_before = b.query(lambda c: c.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0])
    missing_on_b = wait_until(
        lambda: (
            a.query(
                lambda c: c.execute(
                    "SELECT COUNT(*) FROM sync_log WHERE received_at > (SELECT MAX(received_at)"
                    " FROM sync_log WHERE kind = 'member')"
                ).fetchone()[0]
            )
            or None
        ),
        what="A's export",
    )

    b.start()
    wait_until(
        lambda: a.view() == b.view() and a.view()["claude/c1"]["tags"] == ["from-b"], what="convergence"
    )
    view = a.view()["claude/c1"]
    assert view["title"] == "Renamed on A" and set(view["messages"]) == {"k1", "k2"}
    counters = wait_until(lambda: b.counters() if b.counters().get("accepted") else None, what="B's counters")
    assert counters["duplicates"] == 0  # A sent only what B lacked
    held_after = b.query(lambda c: c.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0])
    assert held_after - held_before >= counters["accepted"] >= 1
    assert missing_on_b >= 1


def test_unpaired_peer_is_refused_and_a_wrong_code_pairs_nothing(nodes) -> None:
    a = nodes("a")
    capture_via_host(a, capture_payload("c1", [("k1", "user", "private")]))
    report = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tests.sync.intruder", a.addrs()[0]],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parents[2],
        ).stdout
    )
    assert report["connected"] and report["received"] == 0

    b = nodes("b")
    offer = subprocess.Popen(
        [*__import__("tests.sync.peers", fromlist=["x"]).vivim_command(), "pair", "--timeout", "30"],
        env=__import__("tests.sync.peers", fromlist=["x"]).node_env(a.home, "a"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = offer.stdout.readline()
    code = line.split("Pairing code: ")[1].split()[0]
    wrong = "2345-6789" if code != "2345-6789" else "3456-789A"
    joined = b.cli("pair", wrong, "--addr", a.addrs()[0], "--timeout", "20")
    assert joined.returncode != 0
    offer.terminate()
    offer.wait(15)
    assert b.view() == {}
    devices = json.loads(a.cli("devices", "--json").stdout)
    assert [d["status"] for d in devices] == ["self"]


def test_revoked_device_gets_nothing_new(nodes) -> None:
    a, b = nodes("a"), nodes("b")
    pair(a, b)
    capture_via_host(a, capture_payload("c1", [("k1", "user", "before")]))
    wait_until(lambda: "claude/c1" in b.view(), what="sync before revocation")
    removed = a.cli("devices", "remove", b.peer_id[:20])
    assert removed.returncode == 0, removed.stderr
    assert "rotated" in removed.stdout
    statuses = {d["peer_id"]: d["status"] for d in json.loads(a.cli("devices", "--json").stdout)}
    assert statuses[b.peer_id] == "revoked"
    capture_via_host(a, capture_payload("c2", [("k1", "user", "after")]))
    wait_until(
        lambda: a.query(lambda c: c.execute("SELECT COUNT(*) FROM sync_dirty").fetchone()[0]) == 0,
        what="A exports the new capture",
    )
    # B's node keeps dialing A; give it several rounds
    import time

    time.sleep(5)
    assert "claude/c2" not in b.view()


def test_an_imported_conversation_keeps_the_providers_dates_on_the_other_device(nodes) -> None:
    """An import is history: the laptop dates it by the provider's last activity, and so must the
    desktop it syncs to (not by the moment it arrived there), through later renames too."""
    laptop, desktop = nodes("laptop"), nodes("desktop")
    pair(laptop, desktop)
    export = Path(__file__).parents[1] / "fixtures" / "exports" / "chatgpt" / "conversations.json"
    done = laptop.cli("import", str(export))
    assert done.returncode == 0, done.stdout + done.stderr

    def dates(node: Node) -> dict[str, tuple[float, float]]:
        rows = node.query(
            lambda c: c.execute(
                "SELECT external_id, created_at, updated_at FROM conversations WHERE provider = 'chatgpt'"
            ).fetchall()
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    imported = dates(laptop)
    assert imported and all(updated < 1_800_000_000 for _, updated in imported.values())  # 2024, not now
    wait_until(lambda: dates(desktop) == imported, 60, "the imported conversations' dates on the desktop")

    # a rename on the desktop is activity there: both devices then agree on the new date
    uid = sorted(imported)[0]
    cid = desktop.query(
        lambda c: c.execute("SELECT id FROM conversations WHERE external_id = ?", (uid,)).fetchone()[0]
    )
    assert desktop.cli("conversation", "rename", str(cid), "Renamed on the desktop").returncode == 0
    wait_until(lambda: dates(desktop)[uid][1] > imported[uid][1], 30, "the rename dating the desktop's row")
    wait_until(lambda: dates(laptop) == dates(desktop), 60, "the same dates on both devices")
