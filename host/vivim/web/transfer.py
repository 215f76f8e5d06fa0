"""Import (upload a provider's export file) and export (download the user's archive).

Importing is `vivim.importers`' job: the upload is streamed to a private temporary file and
handed to its public entry point; until that package exists the endpoint answers 501 with a
sentence saying so. Export is `vivim.export`'s, the same archive the CLI writes: JSON (full
fidelity, branches included, re-importable), JSON Lines, or a zipped Markdown folder.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, cast

import msgspec
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .. import providers
from ..config import private_file
from ..errors import InvalidPayload, VivimError
from .keys import RUNTIME, json
from .params import ExportQuery, parse_query

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # seconds between import.progress events
UPLOAD_FIELD = "file"
MAX_UPLOAD_BYTES = 4 * 1024**3
UPLOAD_CHUNK = 256 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


async def import_upload(request: web.Request) -> web.Response:
    from ..importers import import_path

    runtime = request.app[RUNTIME]
    hub_publish = _publisher(request.app)
    try:
        path, provider, size = await _receive_upload(request, runtime.paths.root / "imports")
    except (HttpProcessingError, ValueError, LookupError) as exc:  # a malformed multipart body
        raise InvalidPayload(f"the upload is not valid multipart/form-data: {exc}") from None
    filename = path.name.split("-", 1)[-1]
    hub_publish("import.progress", stage="uploaded", bytes=size, filename=filename)
    started = time.monotonic()

    # The import finishes (and its upload is removed) even if the page goes away meanwhile.
    def publish(kind: str, **data: Any) -> None:  # progress names the uploaded file, not the staged one
        hub_publish(kind, **_as_uploaded(data, path, filename))

    job = asyncio.ensure_future(_run_importer(import_path, runtime, path, provider, publish))
    job.add_done_callback(lambda done: _finished(done, path))
    try:
        summary = msgspec.to_builtins(await asyncio.shield(job))
    except VivimError as exc:
        # People uploaded "conversations.json", not a file in VIVIM's staging folder: name theirs.
        exc.message = _as_uploaded(exc.message, path, filename)
        exc.args = (exc.message,)
        raise
    summary = _as_uploaded(summary, path, filename)
    result = {
        "filename": filename,
        "bytes": size,
        "seconds": round(time.monotonic() - started, 3),
        "ok": not summary.get("errors"),
        "summary": summary,
    }
    if isinstance(summary, dict) and "conversations" in summary:
        from ..importers.common import summary_lines

        result["lines"] = summary_lines(summary)
    hub_publish("import.done", **{k: v for k, v in result.items() if k not in ("summary", "lines")})
    return json(result)


def _as_uploaded(value: Any, staged: Path, filename: str) -> Any:
    """Replace the staging path (and any folder around it) by the uploaded file's name, everywhere."""
    if isinstance(value, str):
        return value.replace(str(staged), filename).replace(staged.name, filename)
    if isinstance(value, dict):
        return {k: _as_uploaded(v, staged, filename) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_uploaded(v, staged, filename) for v in value]
    return value


def _finished(job: asyncio.Future[Any], upload: Path) -> None:
    upload.unlink(missing_ok=True)
    if not job.cancelled() and job.exception() is not None:
        log.info("import of %s failed: %s", upload.name, job.exception())


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
        if not isinstance(part, BodyPartReader):
            raise InvalidPayload("a multipart upload inside the upload is not supported")
        if part.name == "provider":
            provider = (await part.text()).strip() or None
            uploadable = [p.key for p in providers.SITES]  # the chat sites' exports; agents' logs stay local
            if provider is not None and provider not in uploadable:
                raise InvalidPayload(f"provider must be one of {', '.join(uploadable)}")
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


async def _run_importer(
    importer: Callable[..., Any], runtime: Any, path: Path, provider: str | None, publish: Callable[..., None]
) -> Any:
    """Run the import on its own thread, event loop and database connection, as `vivim import` in a
    terminal would: parsing a large export must not stall captures served by this process's loop."""
    from ..store import Store

    loop = asyncio.get_running_loop()
    progress = _event_progress(lambda kind, **data: loop.call_soon_threadsafe(lambda: publish(kind, **data)))

    async def run() -> Any:
        store = await Store.open(runtime.paths.db)
        try:
            return await importer(store, path, provider=provider, progress=progress)
        finally:
            await store.close()

    summary = await asyncio.to_thread(asyncio.run, run())
    return summary.as_dict() if hasattr(summary, "as_dict") else summary


def _event_progress(publish: Callable[..., object]) -> Any:
    """The importers' Progress, reported as `import.progress` events (a few per second at most)."""
    from ..importers import Progress

    class EventProgress(Progress):
        def __init__(self) -> None:
            self.file, self.read = "", 0
            self.total: int | None = None
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
                publish(
                    "import.progress",
                    stage="importing",
                    file=self.file,
                    bytes_read=self.read,
                    bytes_total=self.total,
                    conversations=self.conversations,
                    messages=self.messages,
                )

    return EventProgress()


async def export_download(request: web.Request) -> web.StreamResponse:
    """The same archive `vivim export` writes (vivim.export), streamed as it is produced."""
    from .. import export

    q = parse_query(request.query, ExportQuery)
    store = request.app[RUNTIME].store
    selection = export.ExportFilter(provider=q.provider, since=q.since, conversation=q.conversation)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if q.format == "markdown":
        return await _markdown_zip(request, store, selection, f"vivim-export-{stamp}")
    extension, content_type = EXPORT_TYPES[q.format]
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="vivim-export-{stamp}.{extension}"',
        }
    )
    await response.prepare(request)
    writer = export.export_json if q.format == "json" else export.export_jsonl
    out = _QueueText()
    task = asyncio.create_task(writer(store, cast(TextIO, out), selection))
    try:
        while not (task.done() and out.queue.empty()):
            getter = asyncio.create_task(out.queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await response.write(getter.result())
            else:
                getter.cancel()
        task.result()  # an export error surfaces (the download is then cut short)
    finally:
        task.cancel()
    await response.write_eof()
    return response


EXPORT_TYPES = {"json": ("json", "application/json"), "jsonl": ("jsonl", "application/x-ndjson")}


class _QueueText:
    """A write-only text file whose writes become chunks for the HTTP response."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def write(self, text: str) -> int:
        self.queue.put_nowait(text.encode("utf-8"))
        return len(text)

    def flush(self) -> None:
        pass


async def _markdown_zip(request: web.Request, store: Any, selection: Any, name: str) -> web.StreamResponse:
    """A Markdown folder (one file per conversation, Obsidian-ready), zipped, then sent."""
    import shutil
    import tempfile

    from .. import export

    root = request.app[RUNTIME].paths.root / "exports"
    root.mkdir(mode=0o700, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root))
    try:
        await export.export_markdown(store, work / name, selection)
        archive = await asyncio.to_thread(shutil.make_archive, str(work / name), "zip", work, name)
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": f'attachment; filename="{name}.zip"',
            }
        )
        await response.prepare(request)
        with open(archive, "rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, UPLOAD_CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
