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
import re
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

from .config import EXTENSION_ID, FIREFOX_EXTENSION_ID, Paths
from .errors import ProtocolError, UnknownMessageType, VivimError
from .messaging import EndOfStream, FrameWriter, read_frame
from .protocol import clip, error_reply, ok_reply, parse_envelope, parse_payload, request_id_of

log = logging.getLogger("vivim.host")

CHROME_ORIGIN = f"chrome-extension://{EXTENSION_ID}/"


class Session:
    def __init__(self, runtime: Any, writer: FrameWriter, broken: VivimError | None = None) -> None:
        from .api import load_handlers

        self.runtime = runtime
        self.writer = writer
        # Set when the database cannot be opened: every request is answered with this error
        # (hello too), so the extension can tell the user why instead of seeing a dead port.
        self.broken = broken
        self.routes = load_handlers()
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
            log.info("request %r failed: %s: %s", request_id, exc.code, clip(exc.message))
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
                log.info("frame refused: %s: %s", error.code, clip(error.message))
                await session.send(error_reply(None, error))
                if frame.fatal:
                    log.info("session ends: the stream cannot be trusted after that frame")
                    break
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


DEBUG_ENV = "VIVIM_HOST_DEBUG"  # "1": a start with no arguments (by hand, or a test) is served
_PARENT_WINDOW = re.compile(r"--parent-window=\d+")  # Chrome on Windows adds it after the origin


def origin_allowed(argv: list[str], env: Mapping[str, str] | None = None) -> bool:
    """Whether the caller is VIVIM's own extension, judged from how the browser started us.

    Chrome passes exactly our origin (`chrome-extension://<id>/`, then `--parent-window=N` on
    Windows); Firefox passes the manifest's path and our add-on id. Anything else (another
    extension, a web origin, an empty string) is refused even though the browser already checked
    its allow-list: the host holds the user's whole history. A start with no arguments at all is
    refused too, unless VIVIM_HOST_DEBUG=1 says a person or a test is driving it by hand.
    """
    env = os.environ if env is None else env
    args = argv[1:]
    if not args:
        return env.get(DEBUG_ENV) == "1"
    if args[0].startswith("chrome-extension://"):
        return args[0].rstrip("/") + "/" == CHROME_ORIGIN and all(_PARENT_WINDOW.fullmatch(a) for a in args[1:])
    if len(args) == 2 and args[0].endswith(".json"):
        return args[1] == FIREFOX_EXTENSION_ID
    return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # any stray print() now lands in stderr, not in the channel
    if os.name == "nt":
        import msvcrt

        msvcrt.setmode(stdin.fileno(), os.O_BINARY)
        msvcrt.setmode(stdout.fileno(), os.O_BINARY)
    from .config import private_umask
    from .logs import setup_logging

    private_umask()
    paths = Paths.default()
    setup_logging(paths.log)
    if not origin_allowed(argv):
        log.error("refusing caller %r: not VIVIM's extension (set %s=1 to start the host by hand)",
                  [clip(a, 200) for a in argv[1:4]], DEBUG_ENV)
        return 1
    try:
        return asyncio.run(serve_stdio(stdin, stdout, paths))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
