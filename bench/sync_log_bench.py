"""Sync log figures with engines over real SQLite files and real keys, in one process (prints,
never asserts). The network is left out on purpose: these are the costs of the log itself.

- turn: one captured turn in a --long-message conversation: export on A (documents, entry,
  signature, encryption) + verify/decrypt/apply/upsert on B; p50/p95 over --turns; entry bytes;
- growth: --growth turns (in 50-turn conversations, each turn first captured streaming, then
  complete, as pages do) exchanged as they come; log + document bytes per 10,000 turns, before
  and after compaction, against the text itself;
- year: --year turns over 365 simulated days on two devices (a laptop and a desktop, each
  compacting once a day), with renames, tags and some deletes; at the end: log and document
  bytes, and the time a device paired that day takes to receive everything (a snapshot).

    python bench/sync_log_bench.py [--long 10000] [--turns 50] [--growth 10000] [--year 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync.engines import exchange, open_engine, pair_in_process

from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture
from vivim.sync import library

WORDS = ("sync", "vault", "peer", "noise", "crdt", "message", "python", "latency", "device", "capture")


def text_for(i: int, words: int = 40) -> str:
    return " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(words)) + f" #{i}"


def turn(key: str, i: int, status: str = "complete", words: int = 40) -> TurnIn:
    t = text_for(i, words)
    return TurnIn(
        key=key, role="user" if i % 2 == 0 else "assistant", text=t, markdown=t, position=i, status=status
    )


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


async def sizes(engine) -> dict[str, int]:
    row = await engine.store.fetchone(
        "SELECT (SELECT COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log),"
        " (SELECT COALESCE(SUM(LENGTH(state)), 0) FROM sync_docs),"
        " (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM sync_doc_updates),"
        " (SELECT COALESCE(SUM(LENGTH(markdown)), 0) FROM messages), (SELECT COUNT(*) FROM sync_log)"
    )
    return {"log": row[0], "docs": row[1] + row[2], "text": row[3], "entries": row[4]}


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


async def bench_turn(root: Path, long: int, turns: int) -> None:
    a, b = await open_engine(root / "ta"), await open_engine(root / "tb")
    await pair_in_process(a, b)
    t0 = time.perf_counter()
    await a.store.write(
        upsert_capture,
        CaptureUpsert(
            conversation=ConversationIn(provider="chatgpt", external_id="long", title="Long"),
            turns=[turn(f"k{i}", i) for i in range(long)],
            source="import",
        ),
    )
    await exchange(a, b)
    print(f"[turn] {long}-message conversation captured and synced in {time.perf_counter() - t0:.1f} s")
    latencies, export_ms, apply_ms, entry_bytes = [], [], [], []
    for n in range(turns):
        await a.store.write(
            upsert_capture,
            CaptureUpsert(
                conversation=ConversationIn(provider="chatgpt", external_id="long"),
                turns=[turn(f"t{n}", long + n)],
            ),
        )
        t = time.perf_counter()
        await a.export_local()
        t1 = time.perf_counter()
        raws = [raw for _, raw in await a.entries_for(await b.version_vector())]
        await b.ingest(raws)
        t2 = time.perf_counter()
        latencies.append(t2 - t)
        export_ms.append(t1 - t)
        apply_ms.append(t2 - t1)
        entry_bytes.append(sum(len(r) for r in raws))
    print(
        f"[turn] one turn in a {long}-message conversation, export + transfer + apply ({turns} turns): "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {p95(latencies) * 1000:.1f} ms "
        f"(export p95 {p95(export_ms) * 1000:.1f} ms, apply p95 {p95(apply_ms) * 1000:.1f} ms)"
    )
    text = len(text_for(long))
    print(
        f"[turn] bytes per turn on the wire (signed, encrypted entry): median {statistics.median(entry_bytes):.0f}"
        f" for {text} characters of text"
    )
    for e in (a, b):
        await e.store.close()


async def bench_growth(root: Path, count: int) -> None:
    a, b = await open_engine(root / "ga"), await open_engine(root / "gb")
    await pair_in_process(a, b)
    t0 = time.perf_counter()
    for i in range(count):
        conv = ConversationIn(provider="claude", external_id=f"g{i // 50}", title=f"Growth {i // 50}")
        await a.store.write(
            upsert_capture,
            CaptureUpsert(conversation=conv, turns=[turn(f"k{i}", i, status="streaming", words=20)]),
        )
        await a.export_local()
        await a.store.write(upsert_capture, CaptureUpsert(conversation=conv, turns=[turn(f"k{i}", i)]))
        if i % 25 == 24:
            await exchange(a, b)
    await exchange(a, b)
    elapsed = time.perf_counter() - t0
    before = await sizes(b)
    per = 10_000 / count
    await b.compact()
    after = await sizes(b)
    print(
        f"[growth] {count} turns (each captured streaming, then complete) in {elapsed:.1f} s; per 10,000 turns "
        f"on the receiving device: text {mb(int(before['text'] * per))}; before compaction log "
        f"{mb(int(before['log'] * per))} ({before['entries']} entries) + documents {mb(int(before['docs'] * per))}; "
        f"after compaction log {mb(int(after['log'] * per))} ({after['entries']} entries) + documents "
        f"{mb(int(after['docs'] * per))} = {(after['log'] + after['docs']) / max(1, after['text']):.2f}x the text"
    )
    for e in (a, b):
        await e.store.close()


async def bench_year(root: Path, total: int) -> None:
    laptop, desktop = await open_engine(root / "laptop"), await open_engine(root / "desktop")
    await pair_in_process(laptop, desktop)
    rng = random.Random(7)
    per_day = max(1, total // 365)
    conv_n, in_conv, done = 0, 0, 0
    peak_log = 0
    t0 = time.perf_counter()
    for day in range(365):
        device = laptop if day % 3 else desktop
        turns_today = min(per_day, total - done)
        batch: list[TurnIn] = []
        for _ in range(turns_today):
            if in_conv >= rng.randint(4, 60):
                await _flush(device, conv_n, batch)
                batch, conv_n, in_conv = [], conv_n + 1, 0
            batch.append(turn(f"k{in_conv}", done, words=rng.randint(10, 120)))
            in_conv += 1
            done += 1
            if len(batch) >= 8:
                await _flush(device, conv_n, batch)
                await device.export_local()
                batch = []
        await _flush(device, conv_n, batch)
        await _library_day(device, rng, conv_n)
        await exchange(laptop, desktop)
        for e in (laptop, desktop):
            await e.compact()
        peak_log = max(peak_log, (await sizes(desktop))["log"])
        if day % 73 == 72:
            s = await sizes(desktop)
            print(
                f"[year] day {day + 1}: {done} turns, log {mb(s['log'])}, documents {mb(s['docs'])}, "
                f"text {mb(s['text'])} ({time.perf_counter() - t0:.0f} s)"
            )
    s = await sizes(desktop)
    print(
        f"[year] {done} turns over 365 days in {time.perf_counter() - t0:.0f} s: log {mb(s['log'])} "
        f"({s['entries']} entries), documents {mb(s['docs'])}, text {mb(s['text'])}: "
        f"log + documents = {(s['log'] + s['docs']) / max(1, s['text']):.2f}x the text; peak log {mb(peak_log)}"
    )
    newcomer = await open_engine(root / "newcomer")
    await pair_in_process(laptop, newcomer)
    t = time.perf_counter()
    await exchange(laptop, newcomer)
    n = (await newcomer.store.fetchone("SELECT COUNT(*) FROM messages"))[0]
    print(
        f"[year] a device paired at the end receives everything (a snapshot) in {time.perf_counter() - t:.1f} s "
        f"({n} messages)"
    )
    for e in (laptop, desktop, newcomer):
        await e.store.close()


async def _flush(device, conv_n: int, batch: list[TurnIn]) -> None:
    if batch:
        await device.store.write(
            upsert_capture,
            CaptureUpsert(
                conversation=ConversationIn(
                    provider="chatgpt", external_id=f"y{conv_n}", title=f"Day chat {conv_n}"
                ),
                turns=batch,
            ),
        )


async def _library_day(device, rng: random.Random, conv_n: int) -> None:
    """A few library edits a day: a rename, a tag, and now and then a delete."""
    ids = [
        r[0]
        for r in await device.store.fetchall(
            "SELECT id FROM conversations WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 20"
        )
    ]
    if not ids:
        return
    await device.store.write(library.rename_conversation, rng.choice(ids), f"renamed {rng.random():.4f}")
    await device.store.write(library.add_tag, rng.choice(ids), rng.choice(("work", "home", "code")))
    if rng.random() < 0.1:
        await device.store.write(library.delete_conversation, rng.choice(ids))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--long", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--growth", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=100_000)
    parser.add_argument("--only", choices=("turn", "growth", "year"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.only in (None, "turn"):
            asyncio.run(bench_turn(root, args.long, args.turns))
        if args.only in (None, "growth"):
            asyncio.run(bench_growth(root, args.growth))
        if args.only in (None, "year"):
            asyncio.run(bench_year(root, args.year))


if __name__ == "__main__":
    main()
