"""The native-messaging host: one stdio session with the browser, from start to EOF.

The browser starts us through the launcher the installer wrote, talks over stdin/stdout, and
closes stdin when the port is closed. Requests are handled concurrently (a slow search never
holds up a capture), replies go through the single FrameWriter, and nothing else touches
stdout: sys.stdout is pointed at stderr before any other import could print.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any, BinaryIO

from .config import EXTENSION_ID, FIREFOX_EXTENSION_ID, Paths
from .errors import ProtocolError, UnknownMessageType, VivimError
from .messaging import EndOfStream, FrameWriter, read_frame
from .protocol import error_reply, ok_reply, parse_envelope, parse_payload, request_id_of

log = logging.getLogger("vivim.host")

ALLOWED_ORIGINS = {f"chrome-extension://{EXTENSION_ID}/", FIREFOX_EXTENSION_ID}


class Session:
    def __init__(self, runtime: Any, writer: FrameWriter, broken: VivimError | None = None) -> None:
        from .handlers import ROUTES

        self.runtime = runtime
        self.writer = writer
        # Set when the database cannot be opened: every request is answered with this error
        # (hello too), so the extension can tell the user why instead of seeing a dead port.
        self.broken = broken
        self.routes = ROUTES
        self.tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(self.writer.send, message)
        except (BrokenPipeError, ValueError, OSError):
            log.info("browser closed the channel before a reply could be sent")

    async def handle(self, message: Any) -> None:
        request_id = request_id_of(message)
        try:
            envelope = parse_envelope(message)
            route = self.routes.get(envelope.type)
            if route is None:
                raise UnknownMessageType(
                    f"unknown message type {envelope.type!r}",
                    details={"known": sorted(self.routes)},
                )
            payload = parse_payload(envelope.payload, route.payload)
            if self.broken is not None:
                raise self.broken
            result = await route.handler(self.runtime, payload)
            reply = ok_reply(envelope.id, result)
        except VivimError as exc:
            log.info("request %r failed: %s: %s", request_id, exc.code, exc.message)
            reply = error_reply(request_id, exc)
        except Exception as exc:  # a bug must cost one request, never the session
            log.exception("internal error handling request %r", request_id)
            reply = error_reply(request_id, VivimError(f"internal error: {type(exc).__name__}; see the log"))
        await self.send(reply)

    def dispatch(self, message: Any) -> None:
        task = asyncio.create_task(self.handle(message))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


async def serve_stdio(stdin: BinaryIO, stdout: BinaryIO, paths: Paths) -> int:
    from .runtime import Runtime
    from .services import start_services, stop_services
    from .singleton import DataDirLock

    runtime: Runtime | None = None
    broken: VivimError | None = None
    try:
        runtime = await Runtime.open(paths)
    except VivimError as exc:
        log.error("cannot open the database %s: %s", paths.db, exc.message)
        broken = type(exc)(f"VIVIM cannot open its database ({exc.message}); run `vivim doctor`")
    session = Session(runtime, FrameWriter(stdout), broken)
    lock = DataDirLock(paths.lock)
    services_task: asyncio.Task[Any] | None = None
    if runtime is not None and lock.try_acquire():
        runtime.is_singleton = True
        # After the first replies: services import heavy libraries.
        services_task = asyncio.get_running_loop().create_task(_start_later(start_services, runtime))
    try:
        while True:
            try:
                frame = await asyncio.to_thread(read_frame, stdin)
            except EndOfStream as exc:
                log.info("session ends: %s", exc)
                break
            if frame.error is not None:
                error = frame.error if isinstance(frame.error, VivimError) else ProtocolError(str(frame.error))
                await session.send(error_reply(None, error))
                continue
            session.dispatch(frame.message)
        await session.drain()
    finally:
        if services_task is not None:
            services_task.cancel()
            await asyncio.gather(services_task, return_exceptions=True)
        if runtime is not None:
            await stop_services(runtime)
            await runtime.close()
        lock.release()
    return 0


async def _start_later(start: Any, runtime: Any) -> None:
    await asyncio.sleep(0.2)
    await start(runtime)


def origin_allowed(argv: list[str]) -> bool:
    """Chrome passes the caller's origin as argv[1]; Firefox passes the manifest path and the
    add-on id. A different origin is refused even though the browser already checked."""
    candidates = [a for a in argv[1:] if a.startswith("chrome-extension://")]
    if candidates:
        return all(c.rstrip("/") + "/" in ALLOWED_ORIGINS for c in candidates)
    if len(argv) >= 3 and argv[1].endswith(".json"):
        return argv[2] in ALLOWED_ORIGINS
    return True  # started by hand (`vivim host`) for debugging


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # any stray print() now lands in stderr, not in the channel
    if sys.platform == "win32":
        import msvcrt

        msvcrt.setmode(stdin.fileno(), os.O_BINARY)
        msvcrt.setmode(stdout.fileno(), os.O_BINARY)
    from .config import private_umask
    from .logs import setup_logging

    private_umask()
    paths = Paths.default()
    setup_logging(paths.log)
    if not origin_allowed(argv):
        log.error("refusing caller %r: not VIVIM's extension", argv[1:])
        return 1
    try:
        return asyncio.run(serve_stdio(stdin, stdout, paths))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
