"""Import (upload a provider's export file) and export (download the user's archive).

Importing is `vivim.importers`' job: the upload is streamed to a private temporary file and
handed to its public entry point; until that package exists the endpoint answers 501 with a
sentence saying so. Export streams the store as JSON (full fidelity, branches included) or
JSON Lines (one message a line), a batch of conversations per database round trip.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..config import private_file
from ..errors import InvalidPayload, VivimError
from ..store import conversations
from .api import RUNTIME, json
from .params import ExportQuery, parse_query

log = logging.getLogger(__name__)

IMPORTER_MODULE = "vivim.importers"
PROGRESS_INTERVAL = 0.25  # seconds between import.progress events
UPLOAD_FIELD = "file"
MAX_UPLOAD_BYTES = 4 * 1024**3
UPLOAD_CHUNK = 256 * 1024
EXPORT_BATCH = 50
EXPORT_FORMAT_VERSION = 1
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ImportUnavailable(VivimError):
    code = "unavailable"


def find_importer() -> Callable[..., Any] | None:
    """`vivim.importers.import_path(store, path, *, provider, progress)`, if this build has it."""
    try:
        module = importlib.import_module(IMPORTER_MODULE)
    except ImportError:
        return None
    fn = getattr(module, "import_path", None)
    return fn if callable(fn) else None


async def import_upload(request: web.Request) -> web.Response:
    importer = find_importer()
    if importer is None:
        raise ImportUnavailable(
            "importing export files is not available in this VIVIM build yet (vivim.importers is missing); "
            "nothing was uploaded"
        )
    runtime = request.app[RUNTIME]
    hub_publish = _publisher(request.app)
    try:
        path, provider, size = await _receive_upload(request, runtime.paths.root / "imports")
    except (HttpProcessingError, ValueError, LookupError) as exc:  # a malformed multipart body
        raise InvalidPayload(f"the upload is not valid multipart/form-data: {exc}") from None
    hub_publish("import.progress", stage="uploaded", bytes=size, filename=path.name)
    started = time.monotonic()
    try:
        summary = await _run_importer(importer, runtime, path, provider, hub_publish)
    finally:
        path.unlink(missing_ok=True)
    result = {"filename": path.name.split("-", 1)[-1], "bytes": size,
              "seconds": round(time.monotonic() - started, 3), "summary": msgspec.to_builtins(summary)}
    hub_publish("import.done", **{k: v for k, v in result.items() if k != "summary"})
    return json(result)


def _publisher(app: web.Application) -> Callable[..., None]:
    from .events import publish

    return lambda kind, **data: publish(app, kind, **data)


async def _receive_upload(request: web.Request, folder: Path) -> tuple[Path, str | None, int]:
    if not request.content_type.startswith("multipart/"):
        raise InvalidPayload(f"upload the export as multipart/form-data with a '{UPLOAD_FIELD}' field")
    folder.mkdir(mode=0o700, exist_ok=True)
    reader = await request.multipart()
    provider: str | None = None
    while True:
        part = await reader.next()
        if part is None:
            raise InvalidPayload(f"the upload has no '{UPLOAD_FIELD}' field")
        if part.name == "provider":
            provider = (await part.text()).strip() or None
            if provider not in (None, "chatgpt", "claude", "gemini"):
                raise InvalidPayload("provider must be chatgpt, claude or gemini")
            continue
        if part.name != UPLOAD_FIELD:
            await part.release()
            continue
        name = _UNSAFE_NAME.sub("_", Path(part.filename or "upload").name)[-100:] or "upload"
        path = private_file(folder / f"{secrets.token_hex(8)}-{name}")
        size = 0
        try:
            with path.open("wb") as out:
                while chunk := await part.read_chunk(UPLOAD_CHUNK):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        raise InvalidPayload(f"the upload is larger than {MAX_UPLOAD_BYTES // 1024**3} GB")
                    await asyncio.to_thread(out.write, chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if size == 0:
            path.unlink(missing_ok=True)
            raise InvalidPayload("the uploaded file is empty")
        return path, provider, size


async def _run_importer(importer: Callable[..., Any], runtime: Any, path: Path, provider: str | None,
                        publish: Callable[..., None]) -> Any:
    progress = _event_progress(publish)
    summary = await importer(runtime.store, path, provider=provider, progress=progress)
    return summary.as_dict() if hasattr(summary, "as_dict") else summary


def _event_progress(publish: Callable[..., None]) -> Any:
    """The importers' Progress, reported as `import.progress` events (a few per second at most)."""
    from ..importers import Progress

    class EventProgress(Progress):
        def __init__(self) -> None:
            self.file, self.total, self.read = "", None, 0
            self.conversations = self.messages = 0
            self.last = 0.0

        def start_file(self, export: Any, total_bytes: int | None) -> None:
            self.file, self.total, self.read = getattr(export, "name", str(export)), total_bytes, 0
            self.emit(force=True)

        def read_bytes(self, count: int) -> None:
            self.read += count
            self.emit()

        def wrote(self, conversations: int, messages: int) -> None:
            self.conversations += conversations
            self.messages += messages
            self.emit()

        def end_file(self, export: Any) -> None:
            self.emit(force=True)

        def emit(self, force: bool = False) -> None:
            now = time.monotonic()
            if force or now - self.last >= PROGRESS_INTERVAL:
                self.last = now
                publish("import.progress", stage="importing", file=self.file, bytes_read=self.read,
                        bytes_total=self.total, conversations=self.conversations, messages=self.messages)

    return EventProgress()


async def export_download(request: web.Request) -> web.StreamResponse:
    q = parse_query(request.query, ExportQuery)
    store = request.app[RUNTIME].store
    ids = await store.read(conversations.iter_conversation_ids, provider=q.provider, since=q.since)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    extension, content_type = ("json", "application/json") if q.format == "json" else ("jsonl", "application/x-ndjson")
    response = web.StreamResponse(headers={
        "Content-Type": f"{content_type}; charset=utf-8",
        "Content-Disposition": f'attachment; filename="vivim-export-{stamp}.{extension}"',
    })
    await response.prepare(request)
    encode = msgspec.json.Encoder().encode
    if q.format == "json":
        head = {"format": "vivim.export", "version": EXPORT_FORMAT_VERSION, "exported_at": time.time(),
                "count": len(ids)}
        await response.write(encode(head)[:-1] + b', "conversations": [\n')
    first = True
    for start in range(0, len(ids), EXPORT_BATCH):
        batch = await store.read(_read_batch, ids[start:start + EXPORT_BATCH])
        for item in batch:
            if q.format == "json":
                await response.write((b"" if first else b",\n") + encode(item))
                first = False
            else:
                lines = [encode({"conversation": item["conversation"], **m}) for m in item["messages"]]
                await response.write(b"\n".join(lines) + b"\n" if lines else b"")
    if q.format == "json":
        await response.write(b"\n]}\n")
    await response.write_eof()
    return response


def _read_batch(conn: Any, ids: list[int]) -> list[dict[str, Any]]:
    return [conversations.get_conversation(conn, cid) for cid in ids]
