"""Time for a device joining through the DHT to first sync (prints, never asserts).

Ten local nodes: eight plain Kademlia nodes (tests/sync/dht_swarm.py) and two paired `vivim serve`
devices. Both devices forget every address of each other (no mDNS, no relay, empty address book)
and restart; the desktop then finds the laptop only through its DHT record. Timed: from starting
both processes to a turn captured on the laptop before the restart being in the desktop's store.

    python bench/sync_dht_bench.py [--rounds 3] [--interval 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync.peers import Node, pair, wait_until
from tests.sync.test_peers import capture_payload, capture_via_host


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--interval", default="2", help="seconds between DHT lookup rounds (default 30 in use)"
    )
    args = parser.parse_args()
    swarm = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.dht_swarm", "8"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    times = []
    timeouts = 0
    try:
        strangers = json.loads(swarm.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            env = {"VIVIM_SYNC_BOOTSTRAP": strangers[0], "VIVIM_SYNC_DHT_INTERVAL": args.interval}
            laptop = Node(Path(tmp) / "laptop", "laptop", env=env).start()
            desktop = Node(
                Path(tmp) / "desktop", "desktop", env={**env, "VIVIM_SYNC_BOOTSTRAP": strangers[-1]}
            ).start()
            try:
                pair(laptop, desktop)
                for n in range(args.rounds):
                    for node in (laptop, desktop):
                        node.stop()
                        node.query(lambda c: c.execute("DELETE FROM sync_addresses"))
                    capture_via_host(laptop, capture_payload(f"r{n}", [("k1", "user", f"round {n}")]))
                    t = time.perf_counter()
                    laptop.start()
                    desktop.start()
                    try:
                        wait_until(lambda: f"claude/r{n}" in desktop.view(), 120, "first sync")
                    except AssertionError:
                        timeouts += 1
                        print(f"round {n}: TIMED OUT (120 s)")
                    times.append(time.perf_counter() - t)
                    print(f"round {n}: join to first sync through the DHT {times[-1]:.1f} s")
            finally:
                laptop.stop()
                desktop.stop()
    finally:
        swarm.stdin.close()
        swarm.wait(30)
    print(
        f"join to first sync through the DHT (lookup every {args.interval} s, process start included): "
        f"median {statistics.median(times):.1f} s, max {max(times):.1f} s over {len(times)} rounds, "
        f"{timeouts} timed out"
    )


if __name__ == "__main__":
    main()
