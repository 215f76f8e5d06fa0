"""Two devices on separate networks with no route between them (real Linux network namespaces,
tests/sync/netns.py) meet through the circuit relay on their blind backup peer, which both can reach.

They were paired at home (on 127.0.0.1), then each moved to its own network: three real `vivim serve`
processes, one per namespace. The kernel, not the test, keeps the devices apart: a direct TCP
connection from one device's namespace to the other's is checked to fail. When a route between them
appears later, the relayed session moves onto a direct connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync import netns
from tests.sync.peers import Node, pair, wait_until
from tests.sync.test_peers import capture_payload, capture_via_host

pytestmark = pytest.mark.slow


@pytest.fixture
def networks() -> Iterator[netns.Networks]:
    reason = netns.unavailable()
    if reason:
        pytest.skip(f"no network namespaces here ({reason}); test_relay.py covers dead addresses instead")
    nets = netns.Networks()
    yield nets
    nets.close()


def device(node: Node, peer_id: str) -> dict:
    return {d["peer_id"]: d for d in json.loads(node.cli("devices", "--json").stdout)}[peer_id]


def test_devices_on_networks_without_a_route_between_them_sync_through_the_relay(
    tmp_path: Path, networks: netns.Networks
) -> None:
    nodes: dict[str, Node] = {}
    try:
        for name in ("laptop", "desktop", "backup"):  # at home: one machine, one network
            nodes[name] = Node(tmp_path / name, name).start()
        laptop, desktop, backup = nodes["laptop"], nodes["desktop"], nodes["backup"]
        pair(laptop, desktop)
        pair(laptop, backup, blind=True)
        for node in nodes.values():
            node.stop()

        netns.move(networks, laptop, desktop, backup)  # each to its own network
        assert any(networks.device_ip("laptop") in a for a in laptop.addrs())

        # the kernel keeps them apart: no direct connection either way, the relay reachable from both
        assert not networks.can_connect("desktop", networks.device_ip("laptop"), netns.PORTS["laptop"])
        assert not networks.can_connect("laptop", networks.device_ip("desktop"), netns.PORTS["desktop"])
        assert networks.can_connect("desktop", networks.relay_ip("desktop"), netns.PORTS["backup"])
        assert networks.can_connect("laptop", networks.relay_ip("laptop"), netns.PORTS["backup"])

        wait_until(
            lambda: device(laptop, desktop.peer_id)["sync"].startswith("connected through the relay"),
            timeout=90,
            what="the laptop reaching the desktop through the relay",
        )
        seen = device(desktop, laptop.peer_id)
        assert seen["reached"] == "relay" and "/p2p-circuit/" in (seen["addr"] or "")

        capture_via_host(laptop, capture_payload("n1", [("k1", "user", "typed on the train")]))
        wait_until(lambda: "claude/n1" in desktop.view(), timeout=60, what="the capture on the desktop")
        assert desktop.view()["claude/n1"]["messages"]["k1"][1] == "typed on the train"
        capture_via_host(desktop, capture_payload("n2", [("k1", "user", "answered from home")]))
        wait_until(lambda: "claude/n2" in laptop.view(), timeout=60, what="the capture on the laptop")
        assert backup.view() == {}  # the relay (and backup) never reads anything
    finally:
        for node in nodes.values():
            node.stop()


def test_a_relayed_session_moves_to_a_direct_connection_when_a_route_appears(
    tmp_path: Path, networks: netns.Networks
) -> None:
    """The devices meet through the relay; then the kernel gives them a route (the relay namespace
    starts forwarding). They learn each other's addresses from their signed DHT records (and
    identify), connect directly, move the session there and close the relayed connection: both
    `vivim devices` say "direct", and captures keep flowing both ways."""
    nodes: dict[str, Node] = {}
    fast = {"VIVIM_SYNC_UPGRADE_INTERVAL": "3", "VIVIM_SYNC_DHT_INTERVAL": "3"}
    try:
        for name in ("laptop", "desktop", "backup"):
            nodes[name] = Node(tmp_path / name, name, env=dict(fast)).start()
        laptop, desktop, backup = nodes["laptop"], nodes["desktop"], nodes["backup"]
        pair(laptop, desktop)
        pair(laptop, backup, blind=True)
        for node in nodes.values():
            node.stop()
        netns.move(networks, laptop, desktop, backup)
        wait_until(
            lambda: device(laptop, desktop.peer_id)["sync"].startswith("connected through the relay"),
            timeout=90,
            what="the laptop reaching the desktop through the relay",
        )
        capture_via_host(laptop, capture_payload("r1", [("k1", "user", "through the relay")]))
        wait_until(lambda: "claude/r1" in desktop.view(), timeout=60, what="the relayed capture")
        assert not networks.can_connect("laptop", networks.device_ip("desktop"), netns.PORTS["desktop"])

        networks.open_route()
        assert networks.can_connect("laptop", networks.device_ip("desktop"), netns.PORTS["desktop"])
        for here, there in ((laptop, desktop), (desktop, laptop)):
            wait_until(
                lambda: device(here, there.peer_id)["sync"].startswith("connected directly"),
                timeout=90,
                what=f"the {here.name} saying it is connected to the {there.name} directly",
            )
            seen = device(here, there.peer_id)
            assert seen["reached"] == "direct" and "/p2p-circuit/" not in (seen["addr"] or "")
            assert networks.device_ip(there.name) in (seen["addr"] or "")

        capture_via_host(desktop, capture_payload("r2", [("k1", "user", "now directly")]))
        wait_until(lambda: "claude/r2" in laptop.view(), timeout=60, what="a capture over the direct session")
        capture_via_host(laptop, capture_payload("r3", [("k1", "user", "and back")]))
        wait_until(lambda: "claude/r3" in desktop.view(), timeout=60, what="a capture the other way")
        assert device(laptop, desktop.peer_id)["reached"] == "direct"  # it stayed there
        assert backup.view() == {}
    finally:
        for node in nodes.values():
            node.stop()


@pytest.fixture
def homes() -> Iterator[netns.NatNetworks]:
    reason = netns.nat_unavailable()
    if reason:
        pytest.skip(f"no NAT routers here ({reason})")
    nets = netns.NatNetworks()
    yield nets
    nets.close()


def test_hole_punching_through_two_home_routers_moves_the_session_off_the_relay(
    tmp_path: Path, homes: netns.NatNetworks
) -> None:
    """Each device behind its own router doing NAT (nftables masquerade, a firewall that drops what
    arrives unasked), the backup on the internet between them. With hole punching on
    (VIVIM_SYNC_DCUTR=1), the devices meet through the relay, py-libp2p's DCUtR exchanges the
    routers' public addresses over it and both dial at once from their listen ports, which opens
    both routers; the session moves onto that connection."""
    nodes: dict[str, Node] = {}
    env = {"VIVIM_SYNC_DCUTR": "1", "VIVIM_SYNC_UPGRADE_INTERVAL": "3"}
    try:
        for name in ("laptop", "desktop", "backup"):
            nodes[name] = Node(tmp_path / name, name, env=dict(env)).start()
        laptop, desktop, backup = nodes["laptop"], nodes["desktop"], nodes["backup"]
        pair(laptop, desktop)
        pair(laptop, backup, blind=True)
        for node in nodes.values():
            node.stop()
        netns.move(homes, laptop, desktop, backup)

        # what the routers let through: out to the internet, nothing in, not even to a listening device
        assert homes.can_connect("laptop", homes.relay_ip("laptop"), netns.PORTS["backup"])
        for here, there in (("laptop", "desktop"), ("desktop", "laptop")):
            assert not homes.can_connect(here, homes.public_ip(there), netns.PORTS[there])
            assert not homes.can_connect(here, homes.device_ip(there), netns.PORTS[there])

        for here, there in ((laptop, desktop), (desktop, laptop)):
            wait_until(
                lambda: device(here, there.peer_id)["sync"].startswith("connected directly"),
                timeout=120,
                what=f"the {here.name} connected to the {there.name} directly, through both routers",
            )
            seen = device(here, there.peer_id)
            assert seen["reached"] == "direct" and homes.public_ip(there.name) in (seen["addr"] or "")

        capture_via_host(laptop, capture_payload("h1", [("k1", "user", "through a punched hole")]))
        wait_until(lambda: "claude/h1" in desktop.view(), timeout=60, what="the capture on the desktop")
        capture_via_host(desktop, capture_payload("h2", [("k1", "user", "and back through it")]))
        wait_until(lambda: "claude/h2" in laptop.view(), timeout=60, what="the capture on the laptop")
        assert device(laptop, desktop.peer_id)["reached"] == "direct"
        assert backup.view() == {}
    finally:
        for node in nodes.values():
            node.stop()
