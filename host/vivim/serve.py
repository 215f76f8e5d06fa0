"""`vivim serve`: the singleton services without a browser, until SIGINT/SIGTERM.

It takes the data directory's lock like a host would; if a host already holds it, the
services already run there, and serving twice would fight over the same port and peers.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from .config import Paths
from .errors import ConfigError

log = logging.getLogger(__name__)


async def serve_forever(paths: Paths | None = None, ready: asyncio.Event | None = None) -> None:
    from .logs import setup_logging
    from .runtime import Runtime
    from .services import start_services, stop_services
    from .singleton import DataDirLock

    paths = paths or Paths.default()
    setup_logging(paths.log)
    lock = DataDirLock(paths.lock)
    if not lock.try_acquire():
        raise ConfigError(
            f"another VIVIM process already runs the services for {paths.root} (it holds {paths.lock.name}); "
            "stop it first, or point VIVIM_HOME at another data directory"
        )
    runtime = await Runtime.open(paths)
    runtime.is_singleton = True
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass  # Windows: Ctrl+C arrives as KeyboardInterrupt
    try:
        started = await start_services(runtime)
        log.info("vivim serve: running %s", ", ".join(started) or "no services")
        import sys

        banner = f"VIVIM serving {', '.join(started) or 'no services'} for {paths.root}. Ctrl+C stops."
        print(banner, file=sys.stderr, flush=True)  # stderr: serve shares code paths with the host
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await stop_services(runtime)
        await runtime.close()
        lock.release()
