"""The native-messaging host: one stdio session with the browser, from start to EOF.

The browser starts us through the launcher the installer wrote, talks over stdin/stdout, and
closes stdin when the port is closed. Requests are handled concurrently (a slow search never
holds up a capture), replies go through the single FrameWriter, and nothing else touches
stdout: sys.stdout is pointed at stderr before any other import could print.

Shutdown (stdin reached EOF) may come at any moment, also while the services are starting: the
start in progress is cancelled and stops what it had started, then every service is stopped
(web app and sync node first, the embedding worker before the store closes), then the store
closes, and only then is the data directory's lock released, so the next host can never run a
second sync node with our peer id. Two bounded last resorts, both logged: services that do not
stop within SERVICES_STOP_TIMEOUT end the process at once (the kernel releases the lock as it
dies), and worker threads still busy after cleanup (a service import) are not waited for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from .config import EXTENSION_ID, FIREFOX_EXTENSION_ID, MAX_INFLIGHT_BYTES, MAX_INFLIGHT_REQUESTS, Paths
from .errors import ProtocolError, UnknownMessageType, VivimError
from .messaging import EndOfStream, FrameWriter, read_frame
from .protocol import clip, error_reply, ok_reply, parse_envelope, parse_payload, request_id_of

log = logging.getLogger("vivim.host")

CHROME_ORIGIN = f"chrome-extension://{EXTENSION_ID}/"


REOPEN_INTERVAL = 1.0  # while the database cannot be opened, a request tries again at most this often


class Session:
    def __init__(
        self,
        runtime: Any,
        writer: FrameWriter,
        broken: VivimError | None = None,
        reopen: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        from .handlers import ROUTES

        self.runtime = runtime
        self.writer = writer
        # Set when the database cannot be opened: every request is answered with this error
        # (hello too), so the extension can tell the user why instead of seeing a dead port.
        self.broken = broken
        # ...and how to try again. Another VIVIM process may hold the database for a moment (two
        # browsers starting their hosts at once on a new vault: one migrates while the other waits
        # out its busy timeout); that must cost a few retried requests, not the whole session.
        self._reopen = reopen
        self._reopen_lock = asyncio.Lock()
        self._next_reopen = 0.0
        self.routes = ROUTES
        self.tasks: set[asyncio.Task[None]] = set()
        self._inflight_bytes = 0
        self._answered = asyncio.Event()  # set each time a request is answered (room may have opened)

    async def _ensure_open(self) -> None:
        """Raise the open error unless the database opens now (tried at most every REOPEN_INTERVAL)."""
        async with self._reopen_lock:
            if self.broken is None:
                return
            if self._reopen is None or time.monotonic() < self._next_reopen:
                raise self.broken
            try:
                self.runtime = await self._reopen()
            except VivimError as exc:
                self._next_reopen = time.monotonic() + REOPEN_INTERVAL
                self.broken = type(exc)(f"VIVIM cannot open its database ({exc.message}); run `vivim doctor`")
                raise self.broken from None
            log.info("the database opened on a later try")
            self.broken = None

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
                await self._ensure_open()
            result = await route.handler(self.runtime, payload)
            reply = ok_reply(envelope.id, result)
        except VivimError as exc:
            log.info("request %r failed: %s: %s", request_id, exc.code, clip(exc.message))
            reply = error_reply(request_id, exc)
        except Exception as exc:  # a bug must cost one request, never the session
            log.exception("internal error handling request %r", request_id)
            reply = error_reply(request_id, VivimError(f"internal error: {type(exc).__name__}; see the log"))
        await self.send(reply)

    async def admit(self, size: int) -> None:
        """Wait until a request of `size` bytes fits within MAX_INFLIGHT_BYTES / MAX_INFLIGHT_REQUESTS
        of requests not yet answered (one request always fits when none is in flight)."""
        while self.tasks and (
            self._inflight_bytes + size > MAX_INFLIGHT_BYTES or len(self.tasks) >= MAX_INFLIGHT_REQUESTS
        ):
            self._answered.clear()
            await self._answered.wait()

    def dispatch(self, message: Any, size: int = 0) -> None:
        task = asyncio.create_task(self.handle(message))
        self.tasks.add(task)
        self._inflight_bytes += size

        def done(finished: asyncio.Task[None]) -> None:
            self.tasks.discard(finished)
            self._inflight_bytes -= size
            self._answered.set()

        task.add_done_callback(done)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


async def serve_stdio(stdin: BinaryIO, stdout: BinaryIO, paths: Paths) -> int:
    from .runtime import Runtime
    from .services import start_services, stop_services
    from .singleton import DataDirLock

    asyncio.get_running_loop().set_default_executor(_UnjoinedExecutor(thread_name_prefix="vivim-worker"))
    runtime: Runtime | None = None
    broken: VivimError | None = None
    try:
        runtime = await Runtime.open(paths)
    except VivimError as exc:
        log.error("cannot open the database %s: %s", paths.db, exc.message)
        broken = type(exc)(f"VIVIM cannot open its database ({exc.message}); run `vivim doctor`")
    lock = DataDirLock(paths.lock)
    services_task: asyncio.Task[Any] | None = None

    def start(opened: Runtime) -> None:
        nonlocal services_task
        if services_task is None and lock.try_acquire():
            opened.is_singleton = True
            # After the first replies: services import heavy libraries.
            services_task = asyncio.get_running_loop().create_task(_start_later(start_services, opened))

    async def reopen() -> Runtime:
        opened = await Runtime.open(paths)
        start(opened)
        return opened

    session = Session(runtime, FrameWriter(stdout), broken, reopen)
    if runtime is not None:
        start(runtime)
    try:
        while True:
            try:
                frame = await asyncio.to_thread(read_frame, stdin)
            except EndOfStream as exc:
                log.info("session ends: %s", exc)
                break
            if frame.error is not None:
                error = (
                    frame.error if isinstance(frame.error, VivimError) else ProtocolError(str(frame.error))
                )
                log.info("frame refused: %s: %s", error.code, clip(error.message))
                await session.send(error_reply(None, error))
                if frame.fatal:
                    log.info("session ends: the stream cannot be trusted after that frame")
                    break
                continue
            # Backpressure: a client pipelining faster than we answer waits on its own full pipe.
            await session.admit(frame.size)
            session.dispatch(frame.message, frame.size)
        await session.drain()
    finally:
        # Order matters: no service may outlive the store it uses, and the lock is released only
        # when no service runs, so the next host cannot start a second sync node with our peer id.
        if services_task is not None:
            services_task.cancel()  # a start in progress stops what it had started (SyncService.start)
            await asyncio.gather(services_task, return_exceptions=True)
        runtime = session.runtime
        if runtime is not None:
            stopping = time.monotonic()
            try:
                failed = await asyncio.wait_for(stop_services(runtime), SERVICES_STOP_TIMEOUT)
            except TimeoutError:
                failed = ["(timed out)"]
            log.info("services stopped in %.2f s", time.monotonic() - stopping)
            if failed:
                _exit_now(f"services {failed} did not stop within {SERVICES_STOP_TIMEOUT:g} s", 1)
            await runtime.close()
        lock.release()
    return 0


SERVICES_STOP_TIMEOUT = 12.0  # last resort only: a normal stop takes well under a second
THREAD_GRACE = 0.2  # after cleanup, how long leftover worker threads (an import) may delay the exit


class _UnjoinedExecutor(ThreadPoolExecutor):
    """asyncio's default executor, minus the wait at loop shutdown: a service import still running
    on it (libp2p takes seconds on a busy machine) must not keep a host whose browser has gone.
    Whatever runs there holds no lock, no socket and no database handle of ours."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=True)


def _exit_now(reason: str, code: int, level: int = logging.ERROR) -> None:
    """The bounded last resort: log why, flush, and end the process without further cleanup. The
    kernel releases the data directory's lock (and every socket) only as the process dies."""
    log.log(level, "exiting at once: %s", reason)
    logging.shutdown()
    os._exit(code)


def _leave(code: int) -> int:
    """Return normally when nothing is left running; else give leftover non-daemon threads (a
    service module still importing on a worker thread) a moment, then exit without waiting."""
    deadline = time.monotonic() + THREAD_GRACE
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
    busy = [
        t.name
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    if busy:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        _exit_now(f"cleanup is done; not waiting for busy threads {busy}", code, logging.WARNING)
    return code


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
        return args[0].rstrip("/") + "/" == CHROME_ORIGIN and all(
            _PARENT_WINDOW.fullmatch(a) for a in args[1:]
        )
    if len(args) == 2 and args[0].endswith(".json"):
        return args[1] == FIREFOX_EXTENSION_ID
    return False


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
        log.error(
            "refusing caller %r: not VIVIM's extension (set %s=1 to start the host by hand)",
            [clip(a, 200) for a in argv[1:4]],
            DEBUG_ENV,
        )
        return 1
    try:
        code = asyncio.run(serve_stdio(stdin, stdout, paths))
    except KeyboardInterrupt:
        code = 0
    log.info("host exits (code %d)", code)
    return _leave(code)


if __name__ == "__main__":
    sys.exit(main())
