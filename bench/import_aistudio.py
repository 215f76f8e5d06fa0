"""Google AI Studio: importing a Drive folder of prompt files, and reading the page's own prompt payload.

    python bench/import_aistudio.py                     # 1,000 files x 20 chunks, 200 live chats, 1,000-chunk payload
    python bench/import_aistudio.py --files 5000 --chunks 40 --live 1000

1. Writes a "Google AI Studio" folder of prompt files (no extension, the Drive shape: thinking chunks,
   Markdown with code, createTime) and imports it into an empty store through `import_path` (what
   `vivim import` runs): files/s, messages/s, peak RSS; then again (the idempotent no-op pass).
2. The same import into a store that already holds `--live` AI Studio chats captured live (each file
   looks for the live chat it copies: the `adopt_live_id` probe), to show what that lookup costs.
3. `capture.network`'s parse of a ResolveDriveResource payload (positional JSON) of `--payload-chunks`
   chunks: median of 5 parses, ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vivim.importers import import_path
from vivim.importers import network as netcapture
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store import Store
from vivim.store.capture import upsert_capture

WORDS = "grid heuristic admissible octile frontier cost weight path cell expand queue node edge".split()


def rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def sentence(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(n)).capitalize() + "."


def prompt_file(index: int, chunks: int) -> dict:
    out = []
    base = 1_760_000_000 + index * 3600
    for i in range(chunks):
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i * 30))
        if i % 3 == 0:
            out.append(
                {
                    "text": f"Question {index}.{i}: {sentence(index + i, 20)}",
                    "role": "user",
                    "createTime": when,
                }
            )
        elif i % 3 == 1:
            out.append({"text": sentence(i, 30), "role": "model", "isThought": True, "createTime": when})
        else:
            body = f"{sentence(i, 60)}\n\n```python\nprint({index}, {i})\n```\n\n- {sentence(i, 8)}\n- {sentence(i, 9)}"
            out.append({"text": body, "role": "model", "finishReason": "STOP", "createTime": when})
    return {
        "runSettings": {"model": "models/gemini-2.5-pro", "temperature": 1},
        "systemInstruction": {},
        "chunkedPrompt": {"chunks": out, "pendingInputs": [{"text": "", "role": "user"}]},
    }


def live_capture(index: int) -> CaptureUpsert:
    first = prompt_file(index, 1)["chunkedPrompt"]["chunks"][0]["text"]
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="aistudio", external_id=f"1LiveDriveId{index:020d}", title=f"Chat {index}"
        ),
        turns=[TurnIn(key="u0", role="user", position=0, text=first)],
    )


def payload(chunks: int) -> bytes:
    rows = []
    for i in range(chunks):
        row: list = [None] * 33
        row[0] = sentence(i, 40)
        row[8] = "user" if i % 2 == 0 else "model"
        row[32] = [str(1_760_000_000 + i), 0]
        rows.append(row)
    prompt = (
        [
            "prompts/1BenchPayload000000000000",
            None,
            None,
            [1, None, "models/gemini-2.5-pro"],
            ["Bench", None, None, None, [["1760009999", 0]]],
        ]
        + [None] * 8
        + [[rows, []]]
    )
    return json.dumps([prompt]).encode()


async def run_import(folder: Path, home: Path, live: int) -> dict[str, float]:
    store = await Store.open(home / "vivim.sqlite3")
    try:
        for i in range(live):
            await store.write(upsert_capture, live_capture(i))
        started = time.perf_counter()
        summary = await import_path(store, folder)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_path(store, folder)
        second = time.perf_counter() - started
        file_only = await store.read(
            lambda c: c.execute(
                "SELECT COUNT(*) FROM conversations WHERE provider = 'aistudio' AND external_id LIKE 'file-%'"
            ).fetchone()[0]
        )
        return {
            "conversations": summary.conversations,
            "messages": summary.messages,
            "first_s": first,
            "again_s": second,
            "again_inserted": again.inserted,
            "joined_live": summary.conversations - file_only,
        }
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--live", type=int, default=200)
    parser.add_argument("--payload-chunks", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "export" / "Google AI Studio"
        folder.mkdir(parents=True)
        for i in range(args.files):
            (folder / f"Chat number {i}").write_text(
                json.dumps(prompt_file(i, args.chunks)), encoding="utf-8"
            )
        for label, live in (("empty store", 0), (f"{args.live} live chats", args.live)):
            home = root / f"home-{live}"
            home.mkdir()
            r = asyncio.run(run_import(folder.parent, home, live))
            print(
                f"import, {label}: {r['conversations']} files, {r['messages']} messages in {r['first_s']:.2f} s"
                f" = {r['conversations'] / r['first_s']:.0f} files/s, {r['messages'] / r['first_s']:.0f} messages/s;"
                f" again (no-op): {r['again_s']:.2f} s ({r['first_s'] / r['again_s']:.1f}x faster),"
                f" {r['again_inserted']} inserted; files written into the live chat they copy: {r['joined_live']}"
            )
        body = payload(args.payload_chunks)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            parsed = netcapture.parse("aistudio", "1BenchPayload000000000000", body)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"ResolveDriveResource parse: {args.payload_chunks} chunks, {len(body) / 1024:.0f} KiB ->"
            f" {len(parsed.capture.turns)} turns, median {statistics.median(times):.1f} ms"
            f" (min {min(times):.1f}, max {max(times):.1f})"
        )
        print(f"peak RSS {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
