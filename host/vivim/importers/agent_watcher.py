"""The agents service: coding agents' session logs become conversations as they are written.

Runs in the singleton process (one reader per data directory, so two hosts never race over the
same offsets). It polls: every POLL_SECONDS it lists the agents' session files and stats them,
and reads only files whose size, time or identity changed since the last look, from their kept
offset (importers.agent_logs). Polling costs a directory listing and a stat per file; it needs no
platform file-watching API and sees files on network and synced folders alike.

`capture.claude-code`, `capture.codex` and `capture.gemini-cli` (settings, on by default) turn
each source off. A file that cannot be read is logged and tried again on the next change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from ..errors import StoreBusy, VivimError
from ..runtime import Runtime

log = logging.getLogger(__name__)

POLL_SECONDS = float(os.environ.get("VIVIM_AGENTS_POLL", "2.0"))
SETTINGS_SECONDS = 10.0  # settings are read again this often


class AgentWatcher:
    def __init__(self, runtime: Runtime, home: Path | None = None) -> None:
        self.runtime = runtime
        self.home = home or Path.home()
        self.seen: dict[str, tuple[int, float, int]] = {}  # path -> (size, mtime, inode) last ingested
        self.files_read = 0
        self.turns_stored = 0
        self.last_error: str | None = None
        self._enabled: tuple[str, ...] = ()
        self._settings_at = 0.0
        self._task = asyncio.create_task(self._run(), name="vivim-agent-watcher")

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _providers(self) -> tuple[str, ...]:
        from ..store.settings import get_settings
        from .agent_logs import AGENT_PROVIDERS

        if time.monotonic() - self._settings_at > SETTINGS_SECONDS:
            values = await self.runtime.store.read(get_settings, [f"capture.{p}" for p in AGENT_PROVIDERS])
            self._enabled = tuple(p for p in AGENT_PROVIDERS if values.get(f"capture.{p}") is not False)
            self._settings_at = time.monotonic()
        return self._enabled

    async def _remember_read_files(self) -> None:
        """What earlier runs read to the end, so a restart does not open a transaction per unchanged file."""
        rows = await self.runtime.store.fetchall(
            "SELECT path, size, mtime, identity, offset FROM agent_log_files"
        )
        for row in rows:
            if row["offset"] == row["size"] and row["identity"]:
                self.seen[row["path"]] = (row["size"], row["mtime"], int(row["identity"].rsplit(":", 1)[-1]))

    async def _run(self) -> None:
        try:
            await self._remember_read_files()
        except VivimError as exc:
            log.warning("cannot read the agents' log state: %s", exc.message)
        while True:
            try:
                await self.scan()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the watcher must outlive any one bad file or busy moment
                self.last_error = str(exc)
                log.exception("agent log scan failed; trying again")
            await asyncio.sleep(POLL_SECONDS)

    def _changed(self) -> list[tuple[Any, Path, tuple[int, float, int]]]:
        from .agent_logs import discover

        changed = []
        for module, path in discover(self.home, os.environ, self._enabled):
            try:
                st = path.stat()
            except OSError:
                continue
            mark = (st.st_size, st.st_mtime, st.st_ino)
            if self.seen.get(str(path)) != mark:
                changed.append((module, path, mark))
        return changed

    async def scan(self) -> int:
        """Read every changed log once; returns how many turns were stored."""
        from .agent_logs import ingest_file

        if not await self._providers():
            return 0
        stored = 0
        for module, path, mark in await asyncio.to_thread(self._changed):
            try:
                while True:
                    result = await self.runtime.store.write(ingest_file, module, path)
                    if result.error:
                        log.info("%s", result.error)
                        break
                    stored += result.inserted
                    if result.inserted and result.conversation_id is not None:
                        self.runtime.events.publish(
                            "capture",
                            conversation_id=result.conversation_id,
                            message_ids=[],
                            provider=module.PROVIDER,
                        )
                    if not result.more:
                        break
            except StoreBusy:
                continue  # not marked seen: tried again next round
            except VivimError as exc:
                log.warning("could not store %s: %s", path, exc.message)
            self.seen[str(path)] = mark
            self.files_read += 1
        self.turns_stored += stored
        return stored


async def start(runtime: Runtime) -> AgentWatcher:
    return AgentWatcher(runtime)
