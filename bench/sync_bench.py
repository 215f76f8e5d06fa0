"""Sync figures between two real `vivim serve` processes on 127.0.0.1 (prints, never asserts).

- initial sync: A holds N messages, A and B pair; seconds until B's store holds all of them
  (export on A, transfer, verify/decrypt, CRDT apply and store upsert with chunks/FTS on B);
- incremental latency: one captured turn added to the first conversation (--per-conversation
  messages long), written into A's database by another process, until it is committed in B's
  database (p50/p95 over --turns captures);
- bytes per message: the signed, encrypted log entries B received, divided by messages
  (Noise/yamux framing adds about 1%).

    python bench/sync_bench.py [--messages 10000] [--per-conversation 100] [--turns 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync.peers import Node, pair

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store import Store
from vivim.store.capture import upsert_capture

WORDS = ("sync", "vault", "peer", "noise", "crdt", "message", "python", "latency", "device", "capture")


def text_for(i: int) -> str:
    return " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(40)) + f" #{i}"


async def fill(home: Path, messages: int, per_conversation: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    store = await Store.open(home / "vivim.sqlite3")
    try:
        for c in range(0, messages, per_conversation):
            turns = [
                TurnIn(
                    key=f"k{i}",
                    role="user" if i % 2 == 0 else "assistant",
                    text=text_for(c + i),
                    markdown=text_for(c + i),
                    position=i,
                )
                for i in range(min(per_conversation, messages - c))
            ]
            await store.write(
                upsert_capture,
                CaptureUpsert(
                    conversation=ConversationIn(
                        provider="chatgpt", external_id=f"bench-{c}", title=f"Bench {c}"
                    ),
                    turns=turns,
                    source="import",
                ),
            )
    finally:
        await store.close()


async def capture_one(home: Path, n: int) -> None:
    store = await Store.open(home / "vivim.sqlite3")
    try:
        await store.write(
            upsert_capture,
            CaptureUpsert(
                conversation=ConversationIn(
                    provider="chatgpt", external_id="bench-0"
                ),  # the first (largest) one
                turns=[
                    TurnIn(key=f"t{n}", role="user", text=f"live turn {n} " + text_for(n), position=10**6 + n)
                ],
            ),
        )
    finally:
        await store.close()


def count(node: Node, sql: str, *args: object) -> int:
    return node.query(lambda c: c.execute(sql, args).fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--per-conversation", type=int, default=100)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        asyncio.run(fill(root / "a", args.messages, args.per_conversation))
        print(f"filled A with {args.messages} messages in {time.perf_counter() - t0:.1f} s")
        a, b = Node(root / "a", "a").start(), Node(root / "b", "b").start()
        try:
            started = time.perf_counter()
            pair(a, b)
            paired = time.perf_counter()
            while count(b, "SELECT COUNT(*) FROM messages") < args.messages:
                time.sleep(0.02)
            done = time.perf_counter()
            print(
                f"initial sync of {args.messages} messages: {done - paired:.2f} s after pairing "
                f"(pairing itself {paired - started:.2f} s, total {done - started:.2f} s)"
            )
            log_bytes = count(
                b, "SELECT COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log WHERE origin = ?", a.peer_id
            )
            print(f"bytes on the wire (log entries) per message, initial: {log_bytes / args.messages:.0f}")

            latencies, sizes = [], []
            for n in range(args.turns):
                before = count(b, "SELECT COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log")
                t = time.perf_counter()
                asyncio.run(capture_one(a.home, n))
                while count(b, "SELECT COUNT(*) FROM messages WHERE key = ?", f"t{n}") == 0:
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - t)
                time.sleep(0.05)
                sizes.append(count(b, "SELECT COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log") - before)
            latencies.sort()
            p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
            print(
                f"incremental propagation of one captured turn ({args.turns} turns): "
                f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {latencies[-1] * 1000:.0f} ms"
            )
            print(
                f"bytes on the wire (log entries) per incremental turn: median {statistics.median(sizes):.0f}"
            )
        finally:
            a.stop()
            b.stop()


if __name__ == "__main__":
    main()
