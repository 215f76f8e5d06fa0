"""Memory and time of sync on a large vault (default 1,000,000 messages), with engines over real
SQLite files and real keys (prints, never asserts). Each phase runs in its own process, so its peak
RSS (ru_maxrss) is that phase's own:

- build: the laptop captures --messages turns (50-turn conversations, 1,000 turns per transaction,
  through the store's real upsert) and exports them into documents and signed, encrypted entries;
- sync: a paired desktop that has nothing receives everything, the way a session moves it
  (node.Session: a snapshot first if it is behind the laptop's floor, then batches of BATCH
  entries, each ingested and acknowledged before the next; both engines in the process, so the
  RSS is both devices' together);
- compact: the laptop, now acknowledged, compacts its log;
- turn: one more turn captured on the laptop reaches the desktop (the steady state of a big vault).

    python bench/sync_vault_memory.py [--messages 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync.engines import exchange, open_engine, pair_in_process

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture
from vivim.sync.node import BATCH

WORDS = ("sync", "vault", "peer", "noise", "crdt", "message", "python", "latency", "device", "capture")
PER_CONVERSATION = 50
PER_TRANSACTION = 1000


def text_for(i: int) -> str:
    return " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(20)) + f" #{i}"


def batch(start: int, count: int) -> list[CaptureUpsert]:
    out = []
    for first in range(start, start + count, PER_CONVERSATION):
        conv = ConversationIn(provider="chatgpt", external_id=f"v{first // PER_CONVERSATION}", title="Vault")
        turns = [
            TurnIn(key=f"k{i}", role="user" if i % 2 == 0 else "assistant", text=text_for(i), position=i)
            for i in range(first, min(first + PER_CONVERSATION, start + count))
        ]
        out.append(CaptureUpsert(conversation=conv, turns=turns, source="import"))
    return out


def write_all(conn, captures: list[CaptureUpsert]) -> None:
    for capture in captures:
        upsert_capture(conn, capture)


async def build(root: Path, messages: int) -> dict:
    laptop, desktop = await open_engine(root / "laptop"), await open_engine(root / "desktop")
    await pair_in_process(laptop, desktop)
    await desktop.store.close()
    t0 = time.perf_counter()
    for start in range(0, messages, PER_TRANSACTION):
        await laptop.store.write(write_all, batch(start, min(PER_TRANSACTION, messages - start)))
    captured = time.perf_counter() - t0
    t1 = time.perf_counter()
    entries = await laptop.export_local()
    exported = time.perf_counter() - t1
    await laptop.store.close()
    return {"captured_s": captured, "exported_s": exported, "entries": entries}


async def sync(root: Path) -> dict:
    laptop, desktop = await open_engine(root / "laptop"), await open_engine(root / "desktop")
    t = time.perf_counter()
    await laptop.note_acks({desktop.peer_id: await desktop.version_vector()})
    batches = 0
    while True:
        theirs = await desktop.version_vector()
        plan = await laptop.snapshot_plan(theirs)
        for spec in plan or ():
            await desktop.ingest_snapshot(await laptop.snapshot_part(spec))
        if plan:
            continue
        raws = [raw for _, raw in await laptop.entries_for(theirs, limit=BATCH)]
        if not raws:
            break
        await desktop.ingest(raws)
        batches += 1
    took = time.perf_counter() - t
    await exchange(laptop, desktop)  # the acknowledgements both ways, as the session's acks carry them
    n = (await desktop.store.fetchone("SELECT COUNT(*) FROM messages"))[0]
    for e in (laptop, desktop):
        await e.store.close()
    return {"sync_s": took, "batches": batches, "messages_received": n}


async def compact(root: Path) -> dict:
    laptop = await open_engine(root / "laptop")
    before = await laptop.store.fetchone("SELECT COUNT(*), COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log")
    t = time.perf_counter()
    done = await laptop.compact()
    took = time.perf_counter() - t
    after = await laptop.store.fetchone("SELECT COUNT(*), COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log")
    await laptop.store.close()
    return {"compact_s": took, "log_before": list(before), "log_after": list(after), "done": done}


async def one_turn(root: Path, messages: int) -> dict:
    laptop, desktop = await open_engine(root / "laptop"), await open_engine(root / "desktop")
    t = time.perf_counter()
    await laptop.store.write(write_all, batch(messages, 1))
    await exchange(laptop, desktop)
    took = time.perf_counter() - t
    for e in (laptop, desktop):
        await e.store.close()
    return {"turn_s": took}


def phase(name: str, root: Path, messages: int) -> dict:
    fn = {
        "build": lambda: build(root, messages),
        "sync": lambda: sync(root),
        "compact": lambda: compact(root),
    }
    fn["turn"] = lambda: one_turn(root, messages)
    result = asyncio.run(fn[name]())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dir", help="keep the vaults here (default: a temporary directory)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--phases", default="build,sync,compact,turn", help="a subset, e.g. on a kept --dir")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, Path(args.dir), args.messages)), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.dir or tmp)
        root.mkdir(parents=True, exist_ok=True)
        for name in args.phases.split(","):
            t = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--phase",
                    name,
                    "--dir",
                    str(root),
                    "--messages",
                    str(args.messages),
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(f"[{name}] failed:\n{out.stderr[-3000:]}")
                return
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"[{name}] {time.perf_counter() - t:.1f} s wall, {json.dumps(result)}", flush=True)
        size = sum(f.stat().st_size for f in (root / "laptop").glob("vivim.sqlite3*"))
        print(f"[vault] {args.messages} messages, laptop database {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
