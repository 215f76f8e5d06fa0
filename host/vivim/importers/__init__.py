"""Importing the providers' official export files (and VIVIM's own archive) into the store.

    summary = await import_path(store, Path("chatgpt-export.zip"))

`import_path` finds the export files in a ZIP, a folder or a single file, detects each one's
format from its content (`provider=` restricts or forces it), streams it item by item, turns
each conversation into the same `CaptureUpsert` live capture sends (source "import"), and
writes batches of conversations, one transaction per batch, through
`store.capture.upsert_capture`. Its rules make imports idempotent and merge them with live
captures. Parsing the next batch overlaps the database writing the previous one.

A malformed conversation or entry is counted and named in the summary and skipped; a file
whose JSON breaks off keeps everything read before the break. A conversation the user deleted
here is left out and counted (`deleted_skipped`): a deletion is final (see store.capture).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from ..errors import StoreBusy, StoreError
from ..protocol import CaptureUpsert
from ..store.connection import Connection
from .common import SkipLog
from .reader import (
    ExportFile,
    Skipped,
    broken_json,
    find_export_files,
    find_exports,
    items_prefix,
    iter_array,
)

log = logging.getLogger(__name__)

__all__ = [
    "ExportFile",
    "ImportSummary",
    "Progress",
    "Skipped",
    "find_export_files",
    "find_exports",
    "import_path",
]

# Conversations per write transaction, and a cap on turns so one giant chat is not held long.
DEFAULT_BATCH = 100
MAX_BATCH_TURNS = 5_000


class Progress:
    """Receives progress as an import runs; the CLI draws a bar from it. Methods are no-ops."""

    def start_file(self, export: ExportFile, total_bytes: int | None) -> None: ...

    def read_bytes(self, count: int) -> None: ...

    def wrote(self, conversations: int, messages: int) -> None: ...

    def end_file(self, export: ExportFile) -> None: ...


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    conversations: int = 0  # conversations written (new or already there)
    conversations_created: int = 0
    conversations_changed: int = 0  # existing ones that gained or changed messages
    messages: int = 0  # turns written
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    branched: int = 0
    # Conversations the user deleted here that the export still holds: left out, a deletion is final.
    deleted_skipped: int = 0
    skipped: SkipLog = field(default_factory=SkipLog)
    errors: list[str] = field(default_factory=list)  # files that could not be read to the end
    not_exports: list[Skipped] = field(default_factory=list)  # files found beside them, and why not read

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "conversations": self.conversations,
            "conversations_created": self.conversations_created,
            "conversations_changed": self.conversations_changed,
            "messages": self.messages,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "branched": self.branched,
            "deleted_skipped": self.deleted_skipped,
            "skipped": {reason: count for reason, count in sorted(self.skipped.reasons.items()) if count},
            "skipped_details": self.skipped.details,
            "errors": self.errors,
            "skipped_files": [{"file": s.file, "reason": s.reason} for s in self.not_exports],
        }


async def import_path(
    store: Any,
    path: Path | str,
    *,
    provider: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    files: list[ExportFile] | None = None,
    not_exports: list[Skipped] | None = None,
) -> ImportSummary:
    """Import every export file found at `path` (or the `files` already found there, and the
    `not_exports` found beside them, reported in the summary); see the module docstring. Callers that must not create a database for a path holding no export find first."""
    progress = progress or Progress()
    not_exports = list(not_exports or [])
    if files is None:
        files, not_exports = find_exports(Path(path), provider)
    summary = ImportSummary(files=[f"{f.describe()} ({f.format})" for f in files], not_exports=not_exports)
    writer = _BatchWriter(store, summary, progress, batch_size)
    for export in files:
        await _import_file(export, writer, summary, progress)
    await writer.flush()
    return summary


async def _import_file(
    export: ExportFile, writer: _BatchWriter, summary: ImportSummary, progress: Progress
) -> None:
    import csv
    import importlib
    import zipfile

    import ijson

    from . import aistudio, gemini, gemini_html
    from .common import Malformed

    progress.start_file(export, _size(export))
    read = 0
    try:
        with export.open() as raw:
            handle = _CountingReader(raw, progress)
            if export.format == "gemini-html":
                text = handle.read().decode("utf-8", "replace")
                payloads: Iterator[CaptureUpsert] = gemini.parse(
                    gemini_html.iter_entries(text), summary.skipped
                )
            elif export.format == "aistudio":
                # One prompt object per file (or an array of them): its name is the chat's title.
                payloads = aistudio.parse(
                    iter_array(cast(IO[bytes], handle), ""),
                    summary.skipped,
                    name=export.name,
                    modified=aistudio.file_modified(_modified(export)),
                )
            else:
                # a provider's JSON format is read by the importer module of the same name
                module = importlib.import_module(
                    f"{__name__}.{'vivim_json' if export.format == 'vivim' else export.format}"
                )
                if hasattr(module, "read_items"):  # not a JSON array (Copilot's CSV): the module reads it
                    items = module.read_items(cast(IO[bytes], handle))
                else:
                    items = iter_array(cast(IO[bytes], handle), items_prefix(module))
                payloads = module.parse(items, summary.skipped)
            for payload in payloads:
                read += 1
                await writer.add(payload)
    except (
        csv.Error,
        Malformed,
        ijson.JSONError,
        ijson.IncompleteJSONError,
        UnicodeDecodeError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:
        log.info("import of %s stopped after %d conversations: %r", export.describe(), read, exc)
        kept = (
            (
                "the conversation before that point was imported"
                if read == 1
                else f"the {read} conversations before that point were imported"
            )
            if read
            else "nothing was imported from it"
        )
        summary.errors.append(
            f"{export.describe()}: {broken_json(exc)}; {kept}. Get a fresh copy of the export "
            "and import it again: what is already here is not duplicated"
        )
    progress.end_file(export)


def _modified(export: ExportFile) -> float | None:
    """The file's modification time (a ZIP member's stored date, read as UTC)."""
    import zipfile
    from datetime import UTC, datetime

    try:
        if export.member is None:
            return export.path.stat().st_mtime
        with zipfile.ZipFile(export.path) as archive:
            return datetime(*archive.getinfo(export.member).date_time, tzinfo=UTC).timestamp()
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _size(export: ExportFile) -> int | None:
    import zipfile

    try:
        if export.member is None:
            return export.path.stat().st_size
        with zipfile.ZipFile(export.path) as archive:
            return archive.getinfo(export.member).file_size
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


class _CountingReader:
    """A binary file wrapper that reports how many bytes the parser has consumed."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self._raw = raw
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._progress.read_bytes(len(data))
        return data


def _upsert_many(conn: Connection, payloads: list[CaptureUpsert]) -> list[Any]:
    from ..store.capture import upsert_capture
    from . import vivim_json
    from .aistudio import adopt_live_id

    results = []
    for payload in payloads:
        adopt_live_id(conn, payload)  # an AI Studio file joins the chat captured live, when there is one
        result = upsert_capture(conn, payload)
        if not result.deleted:
            vivim_json.restore_library(conn, payload, result.conversation_id)
        results.append(result)
    return results


class _BatchWriter:
    """Groups conversations into transactions and keeps one write in flight while parsing goes on."""

    def __init__(self, store: Any, summary: ImportSummary, progress: Progress, batch_size: int) -> None:
        self.store = store
        self.summary = summary
        self.progress = progress
        self.batch_size = max(1, batch_size)
        self.pending: list[CaptureUpsert] = []
        self.pending_turns = 0
        self.inflight: asyncio.Task[None] | None = None

    async def add(self, payload: CaptureUpsert) -> None:
        self.pending.append(payload)
        self.pending_turns += len(payload.turns)
        if len(self.pending) >= self.batch_size or self.pending_turns >= MAX_BATCH_TURNS:
            await self._submit()

    async def flush(self) -> None:
        await self._submit()
        if self.inflight is not None:
            await self.inflight
            self.inflight = None

    async def _submit(self) -> None:
        batch, self.pending, self.pending_turns = self.pending, [], 0
        if self.inflight is not None:
            await self.inflight
            self.inflight = None
        if batch:
            self.inflight = asyncio.ensure_future(self._write(batch))
            await asyncio.sleep(0)  # let the write reach the database thread before parsing goes on

    async def _write(self, batch: list[CaptureUpsert]) -> None:
        try:
            results = await self.store.write(_upsert_many, batch)
            pairs = list(zip(batch, results))
        except StoreBusy:
            raise
        except StoreError:
            pairs = []
            for payload in batch:  # find the one the database refused; keep the others
                try:
                    pairs.append((payload, (await self.store.write(_upsert_many, [payload]))[0]))
                except StoreBusy:
                    raise
                except StoreError as exc:
                    conv = payload.conversation
                    self.summary.skipped.skip(
                        "store refused conversation", f"{conv.provider} {conv.external_id}: {exc.message}"
                    )
        messages = 0
        for payload, result in pairs:
            self._tally(result)
            messages += len(payload.turns)
        self.progress.wrote(len(pairs), messages)

    def _tally(self, result: Any) -> None:
        s = self.summary
        if result.deleted:
            s.deleted_skipped += 1
            return
        s.conversations += 1
        s.conversations_created += int(result.created)
        changed = result.inserted + result.updated + result.branched
        s.conversations_changed += int(not result.created and changed > 0)
        for name in ("inserted", "updated", "unchanged", "merged", "branched"):
            setattr(s, name, getattr(s, name) + getattr(result, name))
        s.messages += result.inserted + result.updated + result.unchanged + result.merged + result.branched
