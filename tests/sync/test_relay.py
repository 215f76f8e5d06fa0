"""Three real `vivim serve` processes on 127.0.0.1: two devices with no direct route to each other
(each restarted on a new port, so the addresses they learned at pairing lead nowhere, and mDNS is
off) meet through the circuit relay on the blind backup peer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync.peers import Node, pair, wait_until
from tests.sync.test_peers import capture_payload, capture_via_host

pytestmark = pytest.mark.slow


@pytest.fixture
def nodes(tmp_path: Path):
    started: list[Node] = []

    def make(name: str) -> Node:
        # on 127.0.0.1 the devices would soon learn each other's new ports (identify, the DHT) and
        # move the session off the relay; this test is about the relay, so that waits an hour
        # (test_relay_netns.py moves a session when a route appears)
        node = Node(tmp_path / name, name, env={"VIVIM_SYNC_UPGRADE_INTERVAL": "3600"})
        started.append(node)
        return node.start()

    yield make
    for node in started:
        node.stop()


def device(node: Node, peer_id: str) -> dict:
    return {d["peer_id"]: d for d in json.loads(node.cli("devices", "--json").stdout)}[peer_id]


def test_devices_without_a_direct_route_sync_through_the_backup_relay(nodes) -> None:
    laptop, desktop, backup = nodes("laptop"), nodes("desktop"), nodes("backup")
    pair(laptop, desktop)
    pair(laptop, backup, blind=True)
    assert desktop.cli("peers", "add", backup.addrs()[0]).returncode == 0  # the user's backup server
    old = {n.name: n.addrs() for n in (laptop, desktop)}
    for node in (laptop, desktop):  # both move: new ports, the addresses learned at pairing are dead
        node.stop()
        node.start()
    assert laptop.addrs() != old["laptop"] and desktop.addrs() != old["desktop"]

    wait_until(
        lambda: device(laptop, desktop.peer_id)["sync"].startswith("connected through the relay"),
        timeout=90,
        what="the laptop reaching the desktop through the relay",
    )
    seen = device(desktop, laptop.peer_id)
    assert seen["reached"] == "relay" and "/p2p-circuit/" in (seen["addr"] or "")

    capture_via_host(laptop, capture_payload("c1", [("k1", "user", "sent from the laptop at work")]))
    wait_until(lambda: "claude/c1" in desktop.view(), timeout=60, what="the capture on the desktop")
    assert desktop.view()["claude/c1"]["messages"]["k1"][1] == "sent from the laptop at work"
    assert backup.view() == {}  # the relay (and backup) never reads anything

    # a peer that is not one of the vault's devices gets no slot on the relay
    report = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tests.sync.intruder", backup.addrs()[0], "--relay"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert report["connected"] and not report["reserved"]
