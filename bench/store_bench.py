"""The Store's cost per call on aiosqlite's thread, against a bare one-worker executor on the same file.

Every capture, search and web request is one `Store.read`/`Store.write` hop; this prints the median
and p95 of a trivial read (the hop itself), of a one-row write transaction (hop + BEGIN IMMEDIATE +
COMMIT with synchronous=FULL), and the ratio to the same work through `loop.run_in_executor` on a
ThreadPoolExecutor(1) (the model the house branch briefly used instead of aiosqlite).

Then the turn fingerprint's cost (store/fingerprint.py, which lets the DOM's and the network's
renderings of one turn merge): a 10,000-turn network payload upserted into an empty conversation with
the fingerprint as shipped, and with it switched off (what the store did before), and a page's
six-turn snapshot in another rendering merged into that conversation (two index probes per turn).

    python bench/store_bench.py [--calls 2000] [--turns 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from vivim.store import Store
from vivim.store.connection import connect_sync
from vivim.store.fingerprint import TurnWords

RICH = "Turn {i}: the closed form \\(F_{{{i}}} = \\frac{{\\varphi^{i}}}{{\\sqrt{{5}}}}\\), see [a](https://x.example/{i}).\n\n| a | b |\n|---|---|\n| {i} | 2 |\n\n```python\nprint({i})\n```\n"


def read_one(conn: Any) -> int:
    return int(conn.execute("SELECT 1").fetchone()[0])


def write_one(conn: Any, i: int) -> None:
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (f"bench.{i % 50}", str(i)))


def in_transaction(conn: Any, i: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    write_one(conn, i)
    conn.execute("COMMIT")


async def timed(calls: int, fn: Callable[[int], Awaitable[Any]]) -> list[float]:
    out = []
    for i in range(calls):
        start = time.perf_counter()
        await fn(i)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def summary(label: str, us: list[float]) -> float:
    us = sorted(us)
    median = statistics.median(us)
    print(f"{label:<44} median {median:8.1f} us   p95 {us[int(len(us) * 0.95)]:8.1f} us")
    return median


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "a.sqlite3")
        try:
            store_read = summary(
                "Store.read (aiosqlite thread)", await timed(calls, lambda i: store.read(read_one))
            )
            store_write = summary(
                "Store.write, one row (aiosqlite thread)",
                await timed(calls // 4, lambda i: store.write(write_one, i)),
            )
        finally:
            await store.close()

        pool = ThreadPoolExecutor(max_workers=1)
        loop = asyncio.get_running_loop()
        conn = await loop.run_in_executor(pool, lambda: connect_sync(Path(tmp) / "a.sqlite3"))
        try:
            bare_read = summary(
                "run_in_executor read (ThreadPoolExecutor(1))",
                await timed(calls, lambda i: loop.run_in_executor(pool, read_one, conn)),
            )
            bare_write = summary(
                "run_in_executor write, one row",
                await timed(calls // 4, lambda i: loop.run_in_executor(pool, in_transaction, conn, i)),
            )
        finally:
            await loop.run_in_executor(pool, conn.close)
            pool.shutdown()
    print(
        f"ratio aiosqlite/executor: read {store_read / bare_read:.2f}x, write {store_write / bare_write:.2f}x"
    )


def network_payload(turns: int) -> Any:
    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn

    conversation = ConversationIn(provider="copilot", external_id="bench-twins")
    out = [
        TurnIn(
            key=f"n{i}",
            role="user" if i % 2 == 0 else "assistant",
            text=RICH.format(i=i),
            markdown=RICH.format(i=i),
            position=i,
            parent_key=f"n{i - 1}" if i else None,
            message_id=f"n{i}",
        )
        for i in range(turns)
    ]
    return CaptureUpsert(conversation=conversation, turns=out, source="network")


def page_snapshot(turns: int, round_: int) -> Any:
    """The page's newest six turns, rendered (math as $..$, the text's cells without pipes), keys of its own."""
    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn

    conversation = ConversationIn(provider="copilot", external_id="bench-twins")
    out = []
    for j, i in enumerate(range(turns - 6, turns)):
        text = RICH.format(i=i).replace("\\(", "$").replace("\\)", "$")
        out.append(
            TurnIn(
                key=f"r{round_}-{j}",
                role="user" if i % 2 == 0 else "assistant",
                text=text.replace("|", " "),
                markdown=text,
                position=j,
                parent_key=f"r{round_}-{j - 1}" if j else None,
            )
        )
    return CaptureUpsert(conversation=conversation, turns=out, source="capture")


class NoWords(TurnWords):
    """A turn's fingerprint switched off: no words, so nothing is worked out, stored or probed for."""

    @cached_property
    def letters(self) -> str:
        return ""


async def twins(turns: int) -> None:
    from vivim.store import capture as capture_module
    from vivim.store.capture import upsert_capture

    async def once(fingerprints: bool) -> float:
        if not fingerprints:
            setattr(capture_module, "TurnWords", NoWords)  # noqa: B010 (a module attribute, swapped for the run)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                store = await Store.open(Path(tmp) / "t.sqlite3")
                try:
                    payload = network_payload(turns)
                    start = time.perf_counter()
                    await store.write(upsert_capture, payload)
                    return time.perf_counter() - start
                finally:
                    await store.close()
        finally:
            setattr(capture_module, "TurnWords", TurnWords)  # noqa: B010

    off = min([await once(False) for _ in range(3)])
    on = min([await once(True) for _ in range(3)])
    print(f"upsert of a {turns}-turn network payload, fingerprint off   {off * 1e3:8.1f} ms")
    print(
        f"upsert of a {turns}-turn network payload, fingerprint on    {on * 1e3:8.1f} ms   ratio {on / off:.2f}x"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "t.sqlite3")
        try:
            await store.write(upsert_capture, network_payload(turns))
            merged = []
            for r in range(20):
                start = time.perf_counter()
                result = await store.write(upsert_capture, page_snapshot(turns, r))
                merged.append((time.perf_counter() - start) * 1e6)
                assert result.merged == 6 and result.inserted == 0, result.counts()
            summary(f"page snapshot (6 turns) merged into {turns}", merged)
        finally:
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.calls))
    asyncio.run(twins(args.turns))
