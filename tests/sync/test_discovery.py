"""Discovery through the Kademlia DHT: ten local nodes, eight of them strangers' plain DHT nodes
(tests/sync/dht_swarm.py), one of which lies (tests/sync/dht_liar.py), and two paired `vivim serve`
devices that have forgotten every address of each other (no mDNS, no relay, no address book) and
find each other under the vault's key."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sync.peers import Node, pair, wait_until
from tests.sync.test_peers import capture_payload, capture_via_host
from vivim.sync import crypto, discovery

pytestmark = pytest.mark.slow


def test_record_keys_rotate_daily_and_records_open_only_for_the_vault(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "intruder").mkdir()
    device = crypto.load_or_create_device(tmp_path / "keys")
    vault, other = b"v" * 32, b"o" * 32
    now = 1_790_000_000.0
    today, tomorrow = (
        discovery.record_key(vault, "12D3KooWpeer", discovery.utc_day(t)) for t in (now, now + 86400)
    )
    assert today != tomorrow and today.startswith("/vivim/") and "12D3KooWpeer" not in today
    raw = discovery.seal(device, vault, "12D3KooWpeer", ["/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWpeer"], now)
    assert b"10.0.0.2" not in raw and b"12D3KooWpeer" not in raw  # DHT nodes see a time and ciphertext
    assert discovery.open_record(raw, [other, vault], "12D3KooWpeer", device.sign_pub, now + 60) == [
        "/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWpeer"
    ]
    assert discovery.open_record(raw, [other], "12D3KooWpeer", device.sign_pub, now) is None  # not our vault
    assert discovery.open_record(raw, [vault], "12D3KooWelse", device.sign_pub, now) is None  # names another
    assert (
        discovery.open_record(raw, [vault], "12D3KooWpeer", device.sign_pub, now + 3 * 86400) is None
    )  # stale
    intruder = crypto.load_or_create_device(tmp_path / "intruder")
    assert discovery.open_record(raw, [vault], "12D3KooWpeer", intruder.sign_pub, now) is None  # not its key


def test_the_newest_signed_record_wins_over_stale_and_forged_answers(tmp_path: Path) -> None:
    """Nodes that missed the last publish answer with the device's old address, and any storage node
    can give a record a huge outer stamp: the reader goes by the signed time inside."""
    import msgspec

    (tmp_path / "keys").mkdir()
    device = crypto.load_or_create_device(tmp_path / "keys")
    vault, now = b"v" * 32, 1_790_000_000.0
    old = discovery.seal(device, vault, "12D3KooWpeer", ["/ip4/10.0.0.2/tcp/4001"], now - 600)
    new = discovery.seal(device, vault, "12D3KooWpeer", ["/ip4/10.0.0.9/tcp/4002"], now)
    _, sealed, sig = msgspec.msgpack.decode(old)
    forged = msgspec.msgpack.encode([2**40, sealed, sig])  # the old record, restamped by a storage node
    answers = [old, old, forged, b"garbage", new, old]
    assert discovery.newest(answers, [vault], "12D3KooWpeer", device.sign_pub, now) == [
        "/ip4/10.0.0.9/tcp/4002"
    ]
    assert discovery.newest([old, forged], [vault], "12D3KooWpeer", device.sign_pub, now) == [
        "/ip4/10.0.0.2/tcp/4001"
    ]
    assert discovery.newest([b"garbage"], [vault], "12D3KooWpeer", device.sign_pub, now) is None


def test_storage_nodes_keep_only_records_signed_for_their_key_and_the_newest_of_them(tmp_path: Path) -> None:
    """What a DHT node that holds no vault key checks before it stores or replaces a record: the
    signature of the key the record is stored under, over the stamp and the ciphertext. Neither
    an outsider's record nor a restamped real one passes, and an older real one loses."""
    import msgspec

    (tmp_path / "keys").mkdir()
    device = crypto.load_or_create_device(tmp_path / "keys")
    vault, now, peer = b"v" * 32, 1_790_000_000.0, "12D3KooWpeer"
    key = discovery.record_key(vault, peer, discovery.utc_day(now))
    old = discovery.seal(device, vault, peer, ["/ip4/10.0.0.2/tcp/4001"], now - 600)
    new = discovery.seal(device, vault, peer, ["/ip4/10.0.0.9/tcp/4002"], now)
    assert discovery.check_signed(key, new, now) == int(now * 1000)
    assert discovery.check_signed(key, old, now) == int((now - 600) * 1000)
    stamp, sealed, sig = msgspec.msgpack.decode(old)
    restamped = msgspec.msgpack.encode([stamp + 10**6, sealed, sig])
    made_up = msgspec.msgpack.encode([stamp + 10**6, b"x" * len(sealed), b"y" * 64])
    for bad in (restamped, made_up, b"garbage", msgspec.msgpack.encode([stamp, sealed])):
        assert discovery.check_signed(key, bad, now) == -1
    other_key = discovery.record_key(b"o" * 32, peer, discovery.utc_day(now))
    assert discovery.check_signed(other_key, new, now) == -1  # a real record moved to another key
    tomorrow = discovery.seal(device, vault, peer, ["/ip4/10.0.0.9/tcp/4002"], now + 86400)
    assert discovery.check_signed(key, tomorrow, now + 86400) == -1  # signed for tomorrow's key
    early = discovery.seal(device, vault, peer, ["/ip4/10.0.0.9/tcp/4002"], now + 2 * 3600)
    early_key = discovery.record_key(vault, peer, discovery.utc_day(now + 2 * 3600))
    assert discovery.check_signed(early_key, early, now) == -1  # stamped hours ahead: could pin the key

    validator = discovery._validator_class()()
    # the validator reads the clock: these records are stamped now
    fresh_old = discovery.seal(device, vault, peer, ["/ip4/10.0.0.2/tcp/4001"], time.time() - 600)
    fresh_new = discovery.seal(device, vault, peer, ["/ip4/10.0.0.9/tcp/4002"], time.time())
    fresh_key = discovery.record_key(vault, peer, discovery.utc_day(time.time()))
    assert fresh_key.startswith("/vivim/") and peer not in fresh_key
    validator.validate(fresh_key, fresh_new)
    for bad in (restamped, made_up):
        with pytest.raises(Exception, match="not a validly signed"):
            validator.validate(fresh_key, bad)
    assert validator.select(fresh_key, [fresh_new, fresh_old]) == 0  # held, newer: a rollback is refused
    assert validator.select(fresh_key, [fresh_old, fresh_new]) == 1  # the device's new record replaces it


def test_paired_devices_without_any_address_find_each_other_through_the_dht(tmp_path: Path) -> None:
    """One of the eight strangers lies: it restamps the devices' records, makes up its own and plays
    old ones back, to every node it knows. The others refuse all of it; the devices still meet."""
    swarm = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.dht_swarm", "8", "--liar", "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    nodes: list[Node] = []
    try:
        assert swarm.stdout is not None
        strangers = json.loads(swarm.stdout.readline())
        env = {"VIVIM_SYNC_BOOTSTRAP": strangers[0], "VIVIM_SYNC_DHT_INTERVAL": "2"}
        laptop = Node(tmp_path / "laptop", "laptop", env=env).start()
        desktop = Node(
            tmp_path / "desktop", "desktop", env={**env, "VIVIM_SYNC_BOOTSTRAP": strangers[-1]}
        ).start()
        nodes += [laptop, desktop]
        pair(laptop, desktop)
        for node in (laptop, desktop):  # both move and forget every address they knew
            node.stop()
            node.query(lambda c: c.execute("DELETE FROM sync_addresses"))
        started = time.monotonic()
        for node in (laptop, desktop):
            node.start()

        # Whichever looks first finds the other's record; the other is then reached and needs no
        # lookup of its own (the desktop waiting for its own DHT record made this test fail about
        # half the time while the laptop had found it and the two were syncing).
        wait_until(
            lambda: sum(
                node.query(
                    lambda c: c.execute(
                        "SELECT COUNT(*) FROM sync_addresses WHERE source = 'dht'"
                    ).fetchone()[0]
                )
                for node in (laptop, desktop)
            ),
            90,
            "a DHT record found",
        )
        capture_via_host(laptop, capture_payload("c1", [("k1", "user", "found you through the DHT")]))
        wait_until(lambda: "claude/c1" in desktop.view(), 90, "the capture on the desktop")
        print(f"join to first sync through the DHT: {time.monotonic() - started:.1f} s")
        listed = {d["peer_id"]: d for d in json.loads(desktop.cli("devices", "--json").stdout)}
        assert listed[laptop.peer_id]["reached"] == "lan"  # a direct connection, to an address from the DHT

        # the laptop moves again: every DHT node still holds its record with the old, dead address
        # (same key, same day), and the desktop's swarm has just seen that address fail
        old_addrs = laptop.addrs()
        laptop.stop()
        desktop.query(lambda c: c.execute("DELETE FROM sync_addresses"))
        laptop.query(lambda c: c.execute("DELETE FROM sync_addresses"))
        laptop.start()
        assert laptop.addrs() != old_addrs
        capture_via_host(laptop, capture_payload("c2", [("k1", "user", "moved again")]))
        wait_until(lambda: "claude/c2" in desktop.view(), 90, "the second capture on the desktop")
    finally:
        for node in nodes:
            node.stop()
        assert swarm.stdin is not None and swarm.stdout is not None
        swarm.stdin.close()
        lies = swarm.stdout.readline()
        swarm.wait(30)
    liar = json.loads(lies)
    print(f"the lying node: {liar}")
    assert liar["records_seen"] >= 2  # it held both devices' records (the laptop's twice)
    assert liar["tried"]["restamped"] > 0 and liar["tried"]["made_up"] > 0
    assert liar["accepted"]["restamped"] == 0 and liar["accepted"]["made_up"] == 0
