"""Coding agents' own session logs (Claude Code, Codex CLI, Gemini CLI) as a capture source.

Each agent appends to one log file per session while it works. VIVIM reads each file from where
it stopped last time (the byte offset is kept in `agent_log_files`, migration 10), turns the new
records into turns, and writes them and the new offset in ONE transaction: a crash between the
two cannot lose or double a turn, and reading a file again from 0 changes nothing (turn keys are
the agents' own record ids, or the record's byte offset in an append-only file).

A line without its newline yet (the agent is still writing it, or died mid-write) is left for
the next read; a complete line that is not JSON is skipped and counted. A file that shrank or
was replaced is read again from the start (idempotent). Secrets are masked and tool output is
clipped before anything is stored.

Agent modules (claude_code, codex_cli, gemini_cli) know their format; this one knows files,
offsets and the store.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from ..providers import AGENTS
from .agent_format import Session, project_tag

log = logging.getLogger(__name__)

MAX_READ_BYTES = 8 * 1024 * 1024  # per file per pass; a bigger backlog is taken in several passes


STATE_SCHEMA = """
CREATE TABLE agent_log_files (
    path TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    offset INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    mtime REAL NOT NULL DEFAULT 0,
    identity TEXT,
    state TEXT NOT NULL DEFAULT '{}',
    conversation_id INTEGER,
    bad_lines INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
"""


def agent_modules() -> dict[str, ModuleType]:
    """provider -> the module that reads its logs."""
    from . import claude_code, codex_cli, gemini_cli

    return {m.PROVIDER: m for m in (claude_code, codex_cli, gemini_cli)}


AGENT_PROVIDERS = tuple(p.key for p in AGENTS)


# ---- reading files ----------------------------------------------------------------------------


@dataclass
class Chunk:
    records: list[tuple[int, Any]]  # (byte offset of the line, parsed JSON)
    end: int  # offset after the last complete line read
    bad_lines: int = 0
    pending_bytes: int = 0  # an unfinished last line left for the next read


def read_lines(path: Path, offset: int, limit: int = MAX_READ_BYTES) -> Chunk:
    """Complete JSON lines from `offset`; an unfinished last line is left where it is."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(limit)
        if len(data) >= limit and b"\n" not in data:
            return _skip_long_line(handle, offset)
    records: list[tuple[int, Any]] = []
    bad = 0
    position = offset
    last_newline = data.rfind(b"\n")
    complete = data[: last_newline + 1] if last_newline >= 0 else b""
    for line in complete.split(b"\n")[:-1] if complete else []:
        start = position
        position += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        try:
            records.append((start, json.loads(stripped)))
        except ValueError:
            bad += 1
    return Chunk(records, offset + len(complete), bad, len(data) - len(complete))


def _skip_long_line(handle: Any, offset: int) -> Chunk:
    """A line longer than a whole read (a pasted binary, a runaway dump) is skipped and counted once
    its newline is there; until then it is an unfinished line like any other."""
    position = handle.tell()
    while block := handle.read(1024 * 1024):
        newline = block.find(b"\n")
        if newline >= 0:
            return Chunk([], position + newline + 1, bad_lines=1)
        position += len(block)
    return Chunk([], offset, 0, position - offset)


def file_identity(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


# ---- one file into the store ------------------------------------------------------------------


@dataclass
class FileResult:
    path: str
    provider: str
    conversation_id: int | None = None
    turns: int = 0
    inserted: int = 0
    bad_lines: int = 0
    pending_bytes: int = 0
    more: bool = False  # the file holds more than one pass reads
    error: str | None = None


def _state_row(conn: Any, path: str) -> Any:
    return conn.execute("SELECT * FROM agent_log_files WHERE path = ?", (path,)).fetchone()


def _save_state(
    conn: Any,
    path: str,
    provider: str,
    offset: int,
    stat: os.stat_result,
    session: Session,
    conversation_id: int | None,
    bad: int,
) -> None:
    conn.execute(
        "INSERT INTO agent_log_files (path, provider, offset, size, mtime, identity, state, conversation_id,"
        " bad_lines, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET"
        " offset = excluded.offset, size = excluded.size, mtime = excluded.mtime, identity = excluded.identity,"
        " state = excluded.state, conversation_id = COALESCE(excluded.conversation_id, conversation_id),"
        " bad_lines = agent_log_files.bad_lines + excluded.bad_lines, updated_at = excluded.updated_at",
        (
            path,
            provider,
            offset,
            stat.st_size,
            stat.st_mtime,
            file_identity(stat),
            session.to_json(),
            conversation_id,
            bad,
            time.time(),
        ),
    )


def ingest_file(
    conn: Any, module: ModuleType, path: Path, *, source: str = "capture", force: bool = False
) -> FileResult:
    """Read what is new in one log file and store it (call inside a write transaction)."""
    from ..store.capture import upsert_capture
    from ..sync.library import add_tag

    key = str(path)
    result = FileResult(key, module.PROVIDER)
    try:
        stat = path.stat()
    except OSError as exc:
        result.error = f"cannot read {path}: {exc.strerror or exc}"
        return result
    row = _state_row(conn, key)
    offset = 0
    session = Session(module.external_id(path))
    if row is not None and not force:
        same_file = row["identity"] == file_identity(stat) and stat.st_size >= row["offset"]
        if same_file and stat.st_size == row["size"] and stat.st_mtime == row["mtime"]:
            result.conversation_id = row["conversation_id"]
            return result  # nothing new
        if same_file and not getattr(module, "WHOLE_FILE", lambda p: False)(path):
            offset = row["offset"]
            session = Session.from_json(row["state"], session.external_id)
    if session.cwd is None and hasattr(module, "project_of"):
        session.cwd = module.project_of(path)
    try:
        if getattr(module, "WHOLE_FILE", lambda p: False)(path):
            records, end, bad, pending = module.read_whole(path)
            chunk = Chunk(records, end, bad, pending)
        else:
            chunk = read_lines(path, offset)
    except OSError as exc:
        result.error = f"cannot read {path}: {exc.strerror or exc}"
        return result
    turns: list[TurnIn] = []
    for record_offset, record in chunk.records:
        try:
            turns.extend(t for t in module.parse_record(record, record_offset, session) if t is not None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            chunk.bad_lines += 1
            log.info("%s: record at byte %d not understood: %s", path, record_offset, exc)
    session.place(turns)
    result.bad_lines, result.pending_bytes = chunk.bad_lines, chunk.pending_bytes
    result.more = chunk.end > offset and chunk.end + chunk.pending_bytes < stat.st_size
    conversation_id = row["conversation_id"] if row is not None else None
    if turns or (conversation_id is None and session.title):
        capture = CaptureUpsert(
            conversation=ConversationIn(
                provider=module.PROVIDER,
                external_id=session.external_id,
                title=session.title or f"{module.LABEL} session",
                url=path.as_uri(),
                model=session.model,
                created_at=session.created_at,
            ),
            turns=turns,
            source=source,  # type: ignore[arg-type]
        )
        upserted = upsert_capture(conn, capture)
        conversation_id = upserted.conversation_id
        result.inserted = upserted.inserted + upserted.branched + upserted.updated
        tag = project_tag(session.cwd)
        if tag:
            add_tag(conn, conversation_id, tag)
    result.turns = len(turns)
    result.conversation_id = conversation_id
    _save_state(conn, key, module.PROVIDER, chunk.end, stat, session, conversation_id, chunk.bad_lines)
    return result


# ---- where the logs live ----------------------------------------------------------------------


def discover(
    home: Path | None = None, env: Mapping[str, str] | None = None, providers: tuple[str, ...] | None = None
) -> Iterator[tuple[ModuleType, Path]]:
    """Every session log of the installed agents on this machine, (module, path)."""
    home = home or Path.home()
    env = os.environ if env is None else env
    for provider, module in agent_modules().items():
        if providers and provider not in providers:
            continue
        for root in module.roots(home, env):
            for path in module.session_files(root):
                yield module, path


def detect(path: Path) -> ModuleType | None:
    """Which agent wrote this file (by its first records), or None."""
    for module in agent_modules().values():
        try:
            if module.looks_like(path):
                return module
        except (OSError, ValueError):
            continue
    return None


def find_logs(path: Path, provider: str | None = None) -> list[tuple[ModuleType, Path]]:
    """Agent session logs at `path`: one file, or every log under a folder."""
    modules = agent_modules()
    wanted = {provider: modules[provider]} if provider in modules else modules
    if path.is_file():
        module = detect(path)
        if module is None and provider in modules:
            module = modules[provider]
        return [(module, path)] if module is not None and module.PROVIDER in wanted else []
    found: list[tuple[ModuleType, Path]] = []
    for module in wanted.values():
        for candidate in module.session_files(path):
            if module.looks_like(candidate):
                found.append((module, candidate))
    return found


# ---- a whole import (vivim import) and the state table -----------------------------------------


async def import_logs(
    store: Any, path: Path | None = None, *, provider: str | None = None, source: str = "import"
) -> dict[str, Any]:
    """Import every agent log at `path` (or, without one, wherever the agents keep them)."""
    import asyncio

    pairs = await asyncio.to_thread(
        lambda: (
            find_logs(Path(path), provider)
            if path is not None
            else list(discover(providers=(provider,) if provider else None))
        )
    )
    summary: dict[str, Any] = {
        "files": 0,
        "conversations": 0,
        "turns": 0,
        "stored": 0,
        "bad_lines": 0,
        "errors": [],
    }
    conversations: set[int] = set()
    for module, log_path in pairs:
        while True:  # a backlog over MAX_READ_BYTES is taken in several transactions
            result = await store.write(ingest_file, module, log_path, source=source)
            summary["turns"] += result.turns
            summary["stored"] += result.inserted
            summary["bad_lines"] += result.bad_lines
            if result.error:
                summary["errors"].append(result.error)
            if result.conversation_id is not None:
                conversations.add(result.conversation_id)
            if result.error or not result.more:
                break
        summary["files"] += 1
    summary["conversations"] = len(conversations)
    return summary
