"""Import throughput and memory for a synthetic ChatGPT export.

    python bench/import_chatgpt.py                 # 50,000 messages
    python bench/import_chatgpt.py --messages 500000 --per-conversation 40

Writes a `conversations.json` in the official shape (mapping trees, a regenerated answer in
every fifth conversation, Markdown with code), imports it into an empty temporary data
directory through `vivim.importers.import_path` (the code `vivim import` runs), imports it
again (the idempotent no-op pass), exports it as JSON Lines, and prints messages/s and peak
RSS. The file is written one conversation at a time, so the generator does not inflate RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from vivim.export import export_jsonl
from vivim.importers import import_path
from vivim.store import Store

WORDS = (
    "index vector merge branch cache deploy timeout query tree schema latency replica shard token "
    "prompt context window budget embedding cosine rank fusion snippet"
).split()


def rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def conversation(rng: random.Random, index: int, messages: int) -> tuple[dict, int]:
    conv_id = f"bench-{index:07d}"
    base = 1_700_000_000.0 + index * 3600
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent, count, leaf = "root", 0, "root"
    for i in range(messages):
        role = "user" if i % 2 == 0 else "assistant"
        node = f"{conv_id}-{i}"
        if role == "user":
            parts = [paragraph(rng, rng.randint(8, 40))]
        else:
            parts = [
                f"{paragraph(rng, rng.randint(30, 120))}\n\n```python\nprint({i})\n```\n\n"
                f"- {paragraph(rng, 8)}\n- {paragraph(rng, 8)}"
            ]
        mapping[node] = {
            "id": node,
            "parent": parent,
            "children": [],
            "message": {
                "id": node,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": base + i * 30,
                "content": {"content_type": "text", "parts": parts},
                "status": "finished_successfully",
                "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
            },
        }
        mapping[parent]["children"].append(node)
        parent, leaf, count = node, node, count + 1
    if index % 5 == 0 and messages >= 2:  # a regenerated first answer: a second branch
        node = f"{conv_id}-regen"
        first_user = f"{conv_id}-0"
        mapping[node] = {
            "id": node,
            "parent": first_user,
            "children": [],
            "message": {
                "id": node,
                "author": {"role": "assistant"},
                "create_time": base + 45,
                "content": {"content_type": "text", "parts": [paragraph(rng, 60)]},
                "metadata": {"model_slug": "gpt-4o"},
            },
        }
        mapping[first_user]["children"].append(node)
        count += 1
    return (
        {
            "title": f"Bench conversation {index}",
            "create_time": base,
            "update_time": base + messages * 30,
            "mapping": mapping,
            "current_node": leaf,
            "conversation_id": conv_id,
            "id": conv_id,
            "default_model_slug": "gpt-4o",
        },
        count,
    )


def write_export(path: Path, total: int, per_conversation: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    written = conversations = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        while written < total:
            size = min(per_conversation, total - written)
            item, count = conversation(rng, conversations, size)
            out.write(("\n" if conversations == 0 else ",\n") + json.dumps(item))
            written += count
            conversations += 1
        out.write("\n]\n")
    return conversations, written


async def run(args: argparse.Namespace, folder: Path) -> None:
    export = folder / "conversations.json"
    started = time.perf_counter()
    conversations, messages = write_export(export, args.messages, args.per_conversation, args.seed)
    size_mib = export.stat().st_size / (1024 * 1024)
    print(
        f"synthetic export: {conversations:,} conversations, {messages:,} messages, {size_mib:,.1f} MiB "
        f"(written in {time.perf_counter() - started:.1f}s)"
    )
    rss_before = rss_mib()
    store = await Store.open(folder / "home" / "vivim.sqlite3")
    try:
        started = time.perf_counter()
        summary = await import_path(store, export, batch_size=args.batch)
        first = time.perf_counter() - started
        print(
            f"first import:  {summary.messages:,} messages in {first:.1f}s = {summary.messages / first:,.0f} "
            f"messages/s ({summary.conversations / first:,.0f} conversations/s), batch {args.batch}"
        )
        started = time.perf_counter()
        again = await import_path(store, export, batch_size=args.batch)
        second = time.perf_counter() - started
        print(
            f"re-import (no changes): {again.messages:,} messages in {second:.1f}s = "
            f"{again.messages / second:,.0f} messages/s; inserted {again.inserted}"
        )
        rss_import = rss_mib()
        started = time.perf_counter()
        sink = _CountingSink()
        exported = await export_jsonl(store, sink)
        third = time.perf_counter() - started
        print(
            f"export jsonl: {exported.messages:,} messages in {third:.1f}s = {exported.messages / third:,.0f} "
            f"messages/s ({sink.chars / (1024 * 1024):,.1f} MiB)"
        )
    finally:
        await store.close()
    db_mib = (folder / "home" / "vivim.sqlite3").stat().st_size / (1024 * 1024)
    print(f"database: {db_mib:,.1f} MiB")
    print(
        f"peak RSS: {rss_import:,.1f} MiB after both imports (before: {rss_before:,.1f} MiB), "
        f"{rss_mib():,.1f} MiB after the export, for a {size_mib:,.1f} MiB export file"
    )


class _CountingSink(io.TextIOBase):
    """Where the export writes in the bench: counts characters, keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


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
