"""Import throughput and memory for synthetic Grok and Copilot exports.

    python bench/import_grok_copilot.py                  # 50,000 messages each
    python bench/import_grok_copilot.py --messages 200000

Writes a `prod-grok-backend.json` in the data export's shape (`{"conversations": [{"conversation",
"responses": [{"response"}]}]}`, BSON dates, a reasoning trace and cited pages on every fourth
answer) and a `copilot-activity-history.csv` (one row per message), imports each into an empty
temporary data directory through `vivim.importers.import_path` (what `vivim import` runs), then
again (the idempotent no-op pass), and prints messages/s and the peak RSS next to the file size:
Grok's file is streamed (`conversations.item`), Copilot's CSV is read whole before grouping.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from vivim.importers import import_path
from vivim.store import Store

WORDS = "heap median stream branch cache deploy query tree schema token prompt context window".split()


def rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def grok_conversation(rng: random.Random, index: int, messages: int) -> dict:
    conv_id = f"00000000-0000-4000-8000-{index:012d}"
    base_ms = 1_750_000_000_000 + index * 3_600_000
    responses, parent = [], None
    for i in range(messages):
        rid = f"{index:08d}-0000-4000-8000-{i:012d}"
        answer = i % 2 == 1
        response = {
            "_id": rid,
            "conversation_id": conv_id,
            "message": f"{text(rng, 60)}\n\n```python\nprint({i})\n```" if answer else text(rng, 20),
            "sender": "ASSISTANT" if answer else "human",
            "create_time": {"$date": {"$numberLong": str(base_ms + i * 30_000)}},
            "model": "grok-4" if answer else "",
            "web_search_results": [],
        }
        if parent:
            response["parent_response_id"] = parent
        if answer and i % 4 == 1:
            response["thinking_trace"] = text(rng, 40)
            response["cited_web_search_results"] = [{"url": f"https://example.org/{i}", "title": "Source"}]
        responses.append({"response": response, "share_link": None})
        parent = rid
    return {
        "conversation": {
            "id": conv_id,
            "title": f"Bench {index}",
            "create_time": "2025-06-01T00:00:00Z",
            "modify_time": "2025-06-02T00:00:00Z",
        },
        "responses": responses,
    }


def write_grok(path: Path, total: int, per: int, seed: int) -> int:
    rng = random.Random(seed)
    written = index = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"conversations": [')
        while written < total:
            size = min(per, total - written)
            out.write(("\n" if index == 0 else ",\n") + json.dumps(grok_conversation(rng, index, size)))
            written += size
            index += 1
        out.write('\n], "projects": [], "tasks": [], "media_posts": []}\n')
    return index


def write_copilot(path: Path, total: int, per: int, seed: int) -> int:
    rng = random.Random(seed)
    conversations = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Conversation", "Time", "Author", "Message"])
        for i in range(total):
            if i % per == 0:
                conversations += 1
            minute = i  # one message a minute: no conversation splits on silence
            writer.writerow(
                [
                    f"Chat {conversations}",
                    f"2026-02-{1 + minute // 1440 % 28:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00",
                    "user" if i % 2 == 0 else "AI",
                    text(rng, 20 if i % 2 == 0 else 60),
                ]
            )
    return conversations


async def measure(name: str, export: Path, conversations: int, folder: Path, batch: int) -> None:
    size_mib = export.stat().st_size / (1024 * 1024)
    before = rss_mib()
    store = await Store.open(folder / f"{name}-home" / "vivim.sqlite3")
    try:
        started = time.perf_counter()
        summary = await import_path(store, export, batch_size=batch)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_path(store, export, batch_size=batch)
        second = time.perf_counter() - started
    finally:
        await store.close()
    print(
        f"{name}: {conversations:,} conversations, {summary.messages:,} messages, {size_mib:,.1f} MiB file; "
        f"import {first:.1f}s = {summary.messages / first:,.0f} messages/s; re-import {second:.1f}s "
        f"(inserted {again.inserted}); peak RSS {rss_mib():,.1f} MiB (was {before:,.1f} MiB)"
    )


async def run(args: argparse.Namespace, folder: Path) -> None:
    grok = folder / "prod-grok-backend.json"
    copilot = folder / "copilot-activity-history.csv"
    n_grok = write_grok(grok, args.messages, args.per_conversation, args.seed)
    n_copilot = write_copilot(copilot, args.messages, args.per_conversation, args.seed)
    await measure("grok", grok, n_grok, folder, args.batch)
    await measure("copilot", copilot, n_copilot, folder, args.batch)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--per-conversation", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100, help="conversations per transaction")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vivim-bench-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
