"""Host figures over the real pipe: cold start to first hello reply, capture commit latency,
batch throughput, and RSS. Prints numbers; never passes or fails.

    python bench/host_bench.py [--starts 15] [--captures 300] [--batch 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.hostproc import HostProcess


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def payload(i: int, conv: str) -> dict:
    text = f"Turn {i}: a typical answer about sourdough hydration, autolyse and oven spring. " * 6
    return {
        "conversation": {"provider": "chatgpt", "external_id": conv, "title": "Bench"},
        "turns": [
            {
                "key": f"k{i}",
                "role": "assistant" if i % 2 else "user",
                "position": i,
                "html": f"<p>{text}</p>",
                "text": text,
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=15)
    parser.add_argument("--captures", type=int, default=300)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cold: list[float] = []
        for n in range(args.starts):
            started = time.perf_counter()
            host = HostProcess(home / f"h{n % 2}")
            host.call("hello")
            cold.append((time.perf_counter() - started) * 1000)
            host.close()
        print(
            f"cold start to first hello reply: p50 {statistics.median(cold):.0f} ms, "
            f"p95 {pct(cold, 0.95):.0f} ms, min {min(cold):.0f} ms (n={len(cold)}, target < 300 ms)"
        )

        host = HostProcess(home / "lat")
        host.call("hello")
        rss_idle = rss_mb(host.proc.pid)
        latencies = []
        for i in range(args.captures):
            started = time.perf_counter()
            host.call("capture.upsert", payload(i, f"c{i // 50}"))
            latencies.append((time.perf_counter() - started) * 1000)
        print(
            f"capture commit latency (request -> ack after COMMIT, synchronous=FULL): "
            f"p50 {statistics.median(latencies):.2f} ms, p95 {pct(latencies, 0.95):.2f} ms (n={len(latencies)})"
        )

        started = time.perf_counter()
        for i in range(args.batch):
            host.send(
                {
                    "v": 1,
                    "id": f"b{i}",
                    "type": "capture.upsert",
                    "payload": payload(100000 + i, f"b{i // 100}"),
                }
            )
        acks = sum(1 for _ in range(args.batch) if host.read_message()["ok"])
        elapsed = time.perf_counter() - started
        print(f"batch stream: {acks} turns in {elapsed:.2f} s = {acks / elapsed:.0f} turns/s (pipelined)")
        print(
            f"host RSS: {rss_idle:.1f} MB after hello, {rss_mb(host.proc.pid):.1f} MB after {args.batch} captures"
        )
        host.close()


if __name__ == "__main__":
    main()
