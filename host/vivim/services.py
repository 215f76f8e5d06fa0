"""The singleton services, started by whichever process holds the data directory's lock.

Each entry names a module with `async def start(runtime) -> Service`, where a Service has
`async def stop()`. Modules are imported only here, after start-up, so their heavy imports
(fastembed, libp2p, pycrdt, aiohttp) never slow the host's first reply. A service that fails
to start is logged and skipped: capture must keep working without it.
VIVIM_SERVICES (comma-separated names, or "none") narrows the set, for tests and debugging.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any, Protocol

from .runtime import Runtime

log = logging.getLogger(__name__)

SERVICES: dict[str, str] = {
    "embed": "vivim.embed_worker",
    "sync": "vivim.sync.service",
    "web": "vivim.web.service",
    "agents": "vivim.agent_watcher",  # coding agents' session logs (Claude Code, Codex, Gemini CLI)
}


class Service(Protocol):
    async def stop(self) -> None: ...


def enabled_services() -> list[str]:
    wanted = os.environ.get("VIVIM_SERVICES")
    if wanted is None:
        return list(SERVICES)
    if wanted.strip().lower() in ("", "none"):
        return []
    return [name.strip() for name in wanted.split(",") if name.strip() in SERVICES]


async def start_services(runtime: Runtime, names: list[str] | None = None) -> dict[str, Any]:
    started: dict[str, Any] = {}
    for name in names if names is not None else enabled_services():
        try:
            module = importlib.import_module(SERVICES[name])
        except ModuleNotFoundError as exc:
            log.info("service %s is not available: %s", name, exc)
            continue
        try:
            started[name] = await module.start(runtime)
            log.info("service %s started", name)
        except Exception:
            log.exception("service %s failed to start; continuing without it", name)
    runtime.services.update(started)
    return started


async def stop_services(runtime: Runtime) -> None:
    for name, service in list(runtime.services.items()):
        try:
            await service.stop()
        except Exception:
            log.exception("service %s failed to stop cleanly", name)
        runtime.services.pop(name, None)
