"""`vivim serve`: the singleton services without a browser, until SIGINT/SIGTERM.

It takes the data directory's lock like a host would; if a host already holds it, the
services already run there, and serving twice would fight over the same port and peers.

Like Datasette, it says where it is: the web app's address, the data directory, the sync
peer id and what runs. Library chatter (libp2p dial failures, asyncio teardown) goes to
vivim.log only; the terminal gets one line per real problem (see `logs.HumanConsole`).
If the web app cannot start (its port is taken) serve stops with that sentence: a server
that runs without the one thing people open is worse than one that says why it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

from .config import Paths
from .errors import ConfigError

log = logging.getLogger(__name__)


async def serve_forever(
    paths: Paths | None = None,
    ready: asyncio.Event | None = None,
    *,
    announce: Callable[[dict[str, Any]], None] | None = None,
    console: logging.Handler | None = None,
) -> None:
    from .logs import setup_logging
    from .runtime import Runtime
    from .services import enabled_services, start_services, stop_services
    from .singleton import DataDirLock

    paths = paths or Paths.default()
    setup_logging(paths.log, console=console)
    lock = DataDirLock(paths.lock)
    if not lock.try_acquire():
        raise ConfigError(
            f"another VIVIM process already runs the services for {paths.root} (it holds {paths.lock.name}): "
            "a browser with the extension open, or another `vivim serve`; stop it first, or point VIVIM_HOME "
            "at another data directory"
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
        wanted = enabled_services()
        quiet_level = console.level if console is not None else 0
        if console is not None:
            console.setLevel(logging.ERROR)  # a service that does not start is said once, below
        try:
            started = await start_services(runtime, wanted)
        finally:
            if console is not None:
                console.setLevel(quiet_level)
        if "web" in wanted and "web" not in started:
            reason = runtime.service_errors.get("web", "the web app did not start (see vivim.log)")
            raise ConfigError(
                f"{reason.rstrip('.')}. `vivim serve` stopped: it is no use without its web app"
            )
        info = describe(runtime, paths)
        log.info("vivim serve: running %s", ", ".join(started) or "no services")
        if announce is not None:
            announce(info)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        await stop_services(runtime)
        await runtime.close()
        lock.release()


def describe(runtime: Any, paths: Paths) -> dict[str, Any]:
    """What runs and where, for the banner (and for tests, which read the same dict)."""
    info: dict[str, Any] = {
        "data_dir": str(paths.root),
        "log": str(paths.log),
        "running": sorted(runtime.services),
        "not_started": dict(runtime.service_errors),
    }
    web = runtime.services.get("web")
    if web is not None:
        info["web_url"] = web.url
        info["web_address"] = f"http://127.0.0.1:{web.port}/"
        if getattr(web, "requested", web.port) not in (web.port, 0):
            info["web_port_taken"] = web.requested
    sync = runtime.services.get("sync")
    if sync is not None and hasattr(sync, "status"):
        try:
            status = sync.status()
        except Exception:  # noqa: BLE001 - the banner must not take serve down
            status = {}
        if status.get("running"):
            info["peer_id"] = status.get("peer_id")
            info["device_name"] = status.get("device_name")
            info["sync_addrs"] = status.get("addrs") or []
    return info
