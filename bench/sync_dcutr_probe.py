"""Does py-libp2p's DCUtR (hole punching) upgrade a relayed session to a direct one? Three real
`vivim serve` processes with VIVIM_SYNC_DCUTR=1 (prints what happened, never asserts):

- loopback: all on 127.0.0.1, the devices restarted on new ports so the addresses they know are
  dead; a direct route exists, only the address is unknown (what DCUtR's address exchange solves);
- netns (--netns): each device in its own network namespace with no route to the other
  (tests/sync/netns.py): a firewall-like "no path" case, which hole punching cannot open;
- NAT (--nat): each device behind its own home router doing NAT (nftables masquerade, Debian's
  nftables package; tests/sync/netns.NatNetworks), the backup on the "internet" between them:
  the case hole punching is for.

For each: whether the sync session came up through the relay, then, after --wait seconds, whether
either device holds a direct (non-circuit) connection to the other, and libp2p's DCUtR log lines.

    python bench/sync_dcutr_probe.py [--netns | --nat] [--wait 30] [--off]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync import netns
from tests.sync.peers import Node, pair, wait_until


def debug_log(root: Path, name: str) -> dict[str, str]:
    """py-libp2p's own debug log of its DCUtR module, one file per node (read at the end)."""
    return {
        "LIBP2P_DEBUG": "relay.circuit_v2.dcutr:DEBUG",
        "LIBP2P_DEBUG_FILE": str(root / f"{name}-libp2p.log"),
    }


def reached(node: Node, peer: str) -> dict:
    return {d["peer_id"]: d for d in json.loads(node.cli("devices", "--json").stdout)}[peer]


def direct_tcp(a: Node, b: Node, prefix: list[str]) -> list[str]:
    """Established TCP connections between the two processes' listening ports, seen from `a`'s
    network namespace (`ss`): a direct connection, whoever dialled."""
    import subprocess

    ports = {int(m.group(1)) for n in (a, b) for addr in n.addrs() if (m := re.search(r"/tcp/(\d+)", addr))}
    out = subprocess.run(
        [*prefix, "ss", "-tnpH", "state", "established"], capture_output=True, text=True
    ).stdout
    pids = {str(a.proc.pid), str(b.proc.pid)} if a.proc and b.proc else set()
    hits = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 4 or not any(f"pid={pid}," in line for pid in pids):
            continue
        peer_port = int(fields[3].rsplit(":", 1)[1])
        if peer_port in ports:
            hits.append(" ".join(fields[2:4]))
    return hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--netns", action="store_true")
    parser.add_argument("--nat", action="store_true")
    parser.add_argument("--wait", type=float, default=30.0)
    parser.add_argument("--off", action="store_true", help="the same without DCUtR, for comparison")
    args = parser.parse_args()
    networks = netns.NatNetworks() if args.nat else netns.Networks() if args.netns else None
    env = {} if args.off else {"VIVIM_SYNC_DCUTR": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        laptop, desktop, backup = (
            Node(root / n, n, env={**env, **debug_log(root, n)}).start()
            for n in ("laptop", "desktop", "backup")
        )
        try:
            pair(laptop, desktop)
            pair(laptop, backup, blind=True)
            if networks is not None:
                for node in (laptop, desktop, backup):
                    node.stop()
                netns.move(networks, laptop, desktop, backup)
            else:  # as tests/sync/test_relay.py: both devices move to new ports, the backup stays
                desktop.cli("peers", "add", backup.addrs()[0])
                for node in (laptop, desktop):
                    node.stop()
                    node.start()
            t = time.perf_counter()
            wait_until(
                lambda: reached(laptop, desktop.peer_id)["sync"].startswith("connected"), 120, "a session"
            )
            first = reached(laptop, desktop.peer_id)
            print(
                f"session up after {time.perf_counter() - t:.1f} s: reached {first['reached']} ({first['addr']})"
            )
            time.sleep(args.wait)
            later = reached(laptop, desktop.peer_id)
            print(f"after {args.wait:.0f} s more: reached {later['reached']} ({later['addr']})")
            relay_port = backup.addrs()[0].split("/tcp/")[1].split("/")[0]
            tcp = [c for c in direct_tcp(laptop, desktop, laptop.prefix) if not c.endswith(":" + relay_port)]
            print(f"direct TCP connections between the laptop and the desktop: {tcp or 'none'}")
            for node in (laptop, desktop):
                log = root / f"{node.name}-libp2p.log"
                lines = log.read_text(errors="replace").splitlines() if log.exists() else []
                hits = [x for x in lines if "dcutr" in x.lower() or "hole punch" in x.lower()]
                print(f"{node.name}: {len(hits)} DCUtR log lines; each kind, with its count:")
                kinds = Counter(re.sub(r"12D3Koo\w+", "<peer>", x.split(" - ", 3)[-1]) for x in hits)
                for text, count in kinds.most_common(25):
                    print(f"  {count:4d}  {text[:300]}")
        finally:
            for node in (laptop, desktop, backup):
                node.stop()
            if networks is not None:
                networks.close()


if __name__ == "__main__":
    main()
