"""The singleton services, started by whichever process holds the data directory's lock.

Each entry names a module with `async def start(runtime) -> Service`, where a Service has
`async def stop()`. Modules are imported only here, after start-up, so their heavy imports
(fastembed, libp2p, pycrdt, aiohttp) never slow the host's first reply. A service that fails
to start is logged and skipped: capture must keep working without it.

Modules are imported on a worker thread, so the event loop keeps answering the browser (and
notices a closed port at once) while libp2p or onnxruntime load. Each service is registered in
`runtime.services` the moment it has started, so a shutdown that interrupts the start of the
next one still stops every service that runs (the embedding worker before the store closes).
VIVIM_SERVICES (comma-separated names, or "none") narrows the set, for tests and debugging.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from typing import Any, Protocol

from .errors import VivimError
from .runtime import Runtime

log = logging.getLogger(__name__)

SERVICES: dict[str, str] = {
    "embed": "vivim.retrieval.worker",
    "sync": "vivim.sync.service",
    "web": "vivim.web.service",
    "agents": "vivim.importers.agent_watcher",  # coding agents' session logs (Claude Code, Codex, Gemini CLI)
}


SERVICE_LABELS = {
    "embed": "semantic search (embedding)",
    "sync": "sync",
    "web": "the web app",
    "agents": "coding agents' session logs",
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
            module = await asyncio.to_thread(_import, SERVICES[name])
        except ModuleNotFoundError as exc:
            log.info("service %s is not available: %s", name, exc)
            continue
        try:
            service = await module.start(runtime)
        except VivimError as exc:  # an expected problem (a taken port): one sentence, no traceback
            runtime.service_errors[name] = exc.message
            log.warning("%s did not start: %s", SERVICE_LABELS.get(name, name), exc.message)
            continue
        except Exception as exc:
            runtime.service_errors[name] = f"{type(exc).__name__}: {exc}"
            log.exception("service %s failed to start; continuing without it", name)
            continue
        runtime.services[name] = started[name] = service
        log.info("service %s started", name)
    return started


def _import(name: str) -> Any:
    """The service's module and the heavy libraries it names in PRELOAD, off the event loop."""
    module = importlib.import_module(name)
    for extra in getattr(module, "PRELOAD", ()):
        try:
            importlib.import_module(extra)
        except ImportError:
            pass  # the service reports it when it starts
    return module


async def stop_services(runtime: Runtime) -> list[str]:
    """Stop in reverse start order (the web app and sync node before the embedding worker).

    Returns the names of services that did not stop: the caller must then not release the data
    directory's lock while the process lives (another process would start a second sync node).
    """
    failed: list[str] = []
    for name, service in reversed(list(runtime.services.items())):
        try:
            await service.stop()
        except Exception:
            log.exception("service %s failed to stop cleanly", name)
            failed.append(name)
        runtime.services.pop(name, None)
    return failed
