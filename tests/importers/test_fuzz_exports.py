"""Hostile export files for every new importer (DeepSeek, Le Chat, Grok, Microsoft Copilot's two CSV
layouts, AI Studio prompt files): cut off, type-swapped, NaN and infinite dates, nesting 900 deep,
huge strings, duplicated and missing ids, CSV rows with swapped columns, NUL bytes and quotes never
closed. Each import ends either with a clear `ImportFormatError` or with a summary that imports what
it can and names what it skipped; never another exception, never a hang. Afterwards the database is
sound and the untouched export still imports in full.

Seeded: VIVIM_FUZZ_SEED and VIVIM_FUZZ_EXPORTS override the defaults.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path

from tests.support.hostile import Hostile
from vivim.errors import ImportFormatError
from vivim.importers import import_path

from .helpers import FIXTURES, GROK_JSON

CASES = int(os.environ.get("VIVIM_FUZZ_EXPORTS", "360"))
SEED = int(os.environ.get("VIVIM_FUZZ_SEED", "20261207"))
SOURCES = [
    ("deepseek", FIXTURES / "deepseek" / "conversations.json"),
    ("mistral", FIXTURES / "mistral" / "chat-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d.json"),
    ("grok", GROK_JSON),
    ("aistudio", FIXTURES / "aistudio" / "Google AI Studio" / "Dijkstra vs A star"),
    ("copilot", FIXTURES / "copilot" / "copilot-activity-history.csv"),
    ("copilot", FIXTURES / "copilot-chat-activity" / "copilot-chat-activity.csv"),
]


def hostile_text(hostile: Hostile, source: Path) -> str:
    if source.suffix == ".csv":
        return hostile.csv_variant(source.read_text(encoding="utf-8-sig"))
    text = source.read_text(encoding="utf-8")
    if hostile.rng.random() < 0.15:
        return text[: hostile.rng.randrange(len(text))]  # a download cut off
    return json.dumps(hostile.mutate(json.loads(text)))


async def test_hostile_export_files_import_partly_or_fail_clearly_never_crash_or_hang(store, tmp_path: Path):
    hostile = Hostile(SEED)
    outcomes: Counter[tuple[str, str]] = Counter()
    for case in range(CASES):
        fmt, source = SOURCES[case % len(SOURCES)]
        folder = tmp_path / f"case-{case}"
        folder.mkdir()
        path = folder / source.name
        path.write_bytes(hostile_text(hostile, source).encode("utf-8", "surrogatepass"))
        try:
            summary = await asyncio.wait_for(import_path(store, path, provider=fmt), timeout=60)
        except ImportFormatError as exc:
            assert exc.message, "an import error says what is wrong"
            outcomes[(fmt, "refused")] += 1
            continue
        if summary.conversations:
            outcomes[(fmt, "imported")] += 1
        if summary.errors or sum(summary.skipped.reasons.values()):
            outcomes[(fmt, "reported")] += 1
    print(dict(outcomes))
    for fmt in {f for f, _ in SOURCES}:  # every importer met input it could partly read
        assert outcomes[(fmt, "imported")] > 0, (fmt, outcomes)
        assert outcomes[(fmt, "reported")] > 0, (fmt, outcomes)
    assert await store.read(lambda c: c.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"
    for fmt, source in SOURCES:  # the real files still import whole after all that
        summary = await import_path(store, source, provider=fmt)
        assert summary.conversations > 0 and not summary.errors, (fmt, summary.errors)
