"""`vivim mcp` as a client sees it: start to first tool result, search and build_context latency.

    python bench/mcp_server.py                  # 100k messages (~1-2 min to build)
    python bench/mcp_server.py --messages 10000
    python bench/mcp_server.py --keep /tmp/mcp-100k --starts 15   # also the median of 15 fresh starts

The archive is bench/retrieval_search.py's synthetic one (one chunk per message, vectors around topic
centroids). Every figure is a full MCP round trip through the SDK's stdio client to a real `vivim mcp`
subprocess: JSON-RPC, the tool, rendering the cited answer. "cold" searches run while the embedding model
is still loading (full text); "warm" ones after it is loaded (hybrid). Figures are printed, nothing asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp import ClientSession
from retrieval_search import build

WARM_QUERIES = 60
CONTEXT_DRAFTS = 30


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def line(name: str, times: list[float]) -> str:
    return (
        f"  {name:<34} n={len(times):>3}  p50 {pct(times, 0.5):7.1f} ms  p95 {pct(times, 0.95):7.1f} ms"
        f"  max {max(times) * 1000:7.1f} ms"
    )


async def run(home: Path, queries: list[str]) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vivim", "mcp"],
        env={"VIVIM_HOME": str(home), "PATH": os.environ.get("PATH", "")},
    )
    started = time.perf_counter()
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            initialized = time.perf_counter()
            first = await session.call_tool("search_conversations", {"query": queries[0]})
            first_at = time.perf_counter()
            cold, cold_modes = [], []
            for q in queries[1:11]:
                t = time.perf_counter()
                result = await session.call_tool("search_conversations", {"query": q})
                cold.append(time.perf_counter() - t)
                cold_modes.append("hybrid" if "mode: hybrid" in result.content[0].text else "fulltext")
            waited = time.perf_counter()
            while True:
                result = await session.call_tool("search_conversations", {"query": queries[0]})
                if "mode: hybrid" in result.content[0].text or time.perf_counter() - waited > 60:
                    break
                await asyncio.sleep(0.2)
            model_ready = time.perf_counter() - started
            warm = []
            for q in queries[:WARM_QUERIES]:
                t = time.perf_counter()
                await session.call_tool("search_conversations", {"query": q})
                warm.append(time.perf_counter() - t)
            contexts = []
            for q in queries[:CONTEXT_DRAFTS]:
                draft = f"Can you remind me what we said about {q} and how it relates to {queries[-1]}?"
                t = time.perf_counter()
                await session.call_tool("build_context", {"draft": draft})
                contexts.append(time.perf_counter() - t)
            conv = await session.call_tool("get_conversation", {"id": 1})
            gets = []
            for cid in range(1, 31):
                t = time.perf_counter()
                await session.call_tool("get_conversation", {"id": cid * 97})
                gets.append(time.perf_counter() - t)
    print(f"  start -> initialized               {(initialized - started) * 1000:7.1f} ms")
    print(
        f"  start -> first tool result         {(first_at - started) * 1000:7.1f} ms"
        f"  (first search alone {(first_at - initialized) * 1000:.1f} ms, "
        f"{'error' if first.is_error else 'ok'})"
    )
    print(line(f"search, model loading ({cold_modes.count('fulltext')} fulltext)", cold))
    print(f"  model ready (hybrid) after start   {model_ready * 1000:7.1f} ms")
    print(line("search_conversations (hybrid)", warm))
    print(line("build_context", contexts))
    print(line("get_conversation (default budget)", gets))
    del conv


async def cold_starts(home: Path, query: str, count: int) -> None:
    """Fresh servers one after another: start -> initialized and start -> first search result.

    One start is too noisy to compare on a shared machine (the same code varies by +-30% with load), so
    this prints the median and spread over `count` starts."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vivim", "mcp"],
        env={"VIVIM_HOME": str(home), "PATH": os.environ.get("PATH", "")},
    )
    initialized, first = [], []
    for _ in range(count):
        started = time.perf_counter()
        async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                initialized.append(time.perf_counter() - started)
                result = await session.call_tool("search_conversations", {"query": query})
                first.append(time.perf_counter() - started)
                if result.is_error:
                    raise SystemExit(f"the first search failed: {result.content}")
    print(line(f"{count} starts: start -> initialized", initialized))
    print(line(f"{count} starts: start -> first result", first))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the archive in this folder and keep it")
    parser.add_argument("--starts", type=int, default=0, help="also time this many fresh server starts")
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="vivim-mcp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "vivim.sqlite3"
    if not db.exists():
        t = time.perf_counter()
        _, queries, _ = build(db, args.messages, rng, baselines=False)
        print(f"built {args.messages:,} messages in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    else:
        from retrieval_search import vocabulary

        words = vocabulary()
        queries = [" ".join(rng.choice(words[200:3000], size=int(rng.integers(1, 4)))) for _ in range(60)]
    print(f"vivim mcp at {args.messages:,} messages (load: {os.getloadavg()[0]:.2f})")
    asyncio.run(run(folder, queries))
    if args.starts:
        asyncio.run(cold_starts(folder, queries[0], args.starts))
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
