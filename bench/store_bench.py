"""The Store's cost per call on aiosqlite's thread, against a bare one-worker executor on the same file.

Every capture, search and web request is one `Store.read`/`Store.write` hop; this prints the median
and p95 of a trivial read (the hop itself), of a one-row write transaction (hop + BEGIN IMMEDIATE +
COMMIT with synchronous=FULL), and the ratio to the same work through `loop.run_in_executor` on a
ThreadPoolExecutor(1) (the model the house branch briefly used instead of aiosqlite).

    python bench/store_bench.py [--calls 2000]
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from vivim.store import Store
from vivim.store.connection import connect_sync


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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    asyncio.run(main(parser.parse_args().calls))
