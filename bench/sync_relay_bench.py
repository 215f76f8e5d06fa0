"""One turn's propagation between two devices that reach each other only through the circuit relay
on their blind backup peer: three real `vivim serve` processes on 127.0.0.1 (prints, never asserts).

The laptop and the desktop are paired, then both restart on new ports (the addresses learned at
pairing are dead, mDNS is off), so their session runs over the relay. Each turn is written into
the laptop's database by another process and timed until it is committed in the desktop's.
(The backup also stores and forwards the entry; whichever path is first counts: both go only
through the backup machine.)

With `--netns` the three run in real network namespaces (tests/sync/netns.py): the devices were
paired on 127.0.0.1, then each moved to its own network with no route to the other's, the backup
reachable from both over veth links.

    python bench/sync_relay_bench.py [--turns 30] [--netns]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.sync import netns
from tests.sync.peers import Node, pair, wait_until

from sync_bench import capture_one, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--netns", action="store_true", help="devices on networks with no route between them")
    args = parser.parse_args()
    networks = netns.Networks() if args.netns else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # on 127.0.0.1 the session would move off the relay once the devices learn each other's new
        # ports (identify, the DHT): held on the relay, as tests/sync/test_relay.py does
        stay = {"VIVIM_SYNC_UPGRADE_INTERVAL": "3600"}
        laptop, desktop, backup = (
            Node(root / n, n, env=dict(stay)).start() for n in ("laptop", "desktop", "backup")
        )
        try:
            pair(laptop, desktop)
            pair(laptop, backup, blind=True)
            if networks is not None:
                for node in (laptop, desktop, backup):
                    node.stop()
                netns.move(networks, laptop, desktop, backup)
            else:
                desktop.cli("peers", "add", backup.addrs()[0])
                for node in (laptop, desktop):
                    node.stop()
                    node.start()
            t = time.perf_counter()

            def relayed() -> bool:
                listed = json.loads(laptop.cli("devices", "--json").stdout)
                return any(
                    d["peer_id"] == desktop.peer_id
                    and d["reached"] == "relay"
                    and d["sync"].startswith("connected")
                    for d in listed
                )

            wait_until(relayed, timeout=120, what="a relayed session")
            print(f"relayed session up {time.perf_counter() - t:.1f} s after both devices restarted")
            asyncio.run(capture_one(laptop.home, 10_000))  # creates the conversation first
            wait_until(lambda: count(desktop, "SELECT COUNT(*) FROM messages WHERE key = 't10000'"), 60)
            latencies = []
            for n in range(args.turns):
                t = time.perf_counter()
                asyncio.run(capture_one(laptop.home, n))
                while count(desktop, "SELECT COUNT(*) FROM messages WHERE key = ?", f"t{n}") == 0:
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - t)
            latencies.sort()
            p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
            where = "separate network namespaces" if networks else "127.0.0.1, dead direct addresses"
            print(
                f"one turn laptop -> desktop through the backup relay ({where}, {args.turns} turns): "
                f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {latencies[-1] * 1000:.0f} ms"
            )
        finally:
            for node in (laptop, desktop, backup):
                node.stop()
            if networks is not None:
                networks.close()


if __name__ == "__main__":
    main()
