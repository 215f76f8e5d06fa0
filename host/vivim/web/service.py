"""The web app as a singleton service: `start(runtime)` binds 127.0.0.1:<web.port>.

When the configured port is taken (another VIVIM data directory's web app, or any program),
the service listens on a port derived from the data directory's path (or, if that is taken too,
a free one) and records the real one in the data directory
(`web.address`); the popup and `vivim web` look there first and verify whoever answers
(`vivim.web.identity`) before they put the token in a URL.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from pathlib import Path

from aiohttp import web

from ..errors import ConfigError
from ..runtime import Runtime
from ..store import settings
from .identity import forget_port, record_port
from .token import LOOPBACK, load_or_create_token, web_url

log = logging.getLogger(__name__)

PORT_SETTING = "web.port"
# How long stopping waits for requests still running (an open tab's events socket) before cancelling
# them: aiohttp's default of 60 s kept `vivim serve` alive long after SIGTERM.
SHUTDOWN_GRACE_SECONDS = 3.0
VAULT_PORT_BASE, VAULT_PORT_SPAN = 20000, 10000


class WebService:
    def __init__(
        self,
        runner: web.AppRunner,
        port: int,
        token: str,
        record: Path | None = None,
        requested: int | None = None,
    ) -> None:
        self.runner = runner
        self.port = port
        self.requested = port if requested is None else requested  # != port: the wanted one was taken
        self.token = token
        self.record = record

    @property
    def url(self) -> str:
        """The address to open once: it sets the cookie and redirects to a token-free URL."""
        return web_url(self.port, self.token)

    async def stop(self) -> None:
        if self.record is not None:
            forget_port(self.record, self.port)
        await self.runner.cleanup()


async def configured_port(runtime: Runtime) -> int:
    values = await runtime.store.read(settings.get_settings, [PORT_SETTING])
    return int(values[PORT_SETTING])


async def start(runtime: Runtime, port: int | None = None) -> WebService:
    """Serve the web app; port 0 picks a free one (tests). A taken port passed here is a
    ConfigError; a taken configured port falls back to a free one (recorded, and logged)."""
    from .app import create_app

    configured = port is None
    port = await configured_port(runtime) if port is None else port
    token = load_or_create_token(runtime.paths.web_token)
    runner = web.AppRunner(
        create_app(runtime, token),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
    )
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, LOOPBACK, port, reuse_address=REUSE_ADDRESS).start()
        except OSError as exc:
            if not _in_use(exc):
                raise
            if not configured:
                raise ConfigError(
                    f"the web app cannot listen on {LOOPBACK}:{port}: another program uses that port; "
                    f"choose another with the setting {PORT_SETTING} (e.g. `vivim web --port 8766` saves it)",
                    details={"port": port},
                ) from exc
            await _listen_elsewhere(runner, port, vault_port(runtime.paths.root))
    except BaseException:
        await runner.cleanup()
        raise
    bound = _bound_port(runner) or port
    record_port(runtime.paths.web_address, bound)
    log.info("web app listening on http://%s:%d/", LOOPBACK, bound)
    return WebService(runner, bound, token, runtime.paths.web_address, requested=port)


# SO_REUSEADDR on POSIX lets a restart bind while the last run's connections sit in TIME_WAIT (up to
# 60 s); it never lets two servers listen on one port there. On Windows it would, so not there.
REUSE_ADDRESS = os.name != "nt"


def vault_port(root: Path) -> int:
    """A port of this data directory's own, in 20000-29999, derived from its path: where the web app
    goes when the configured port is taken, so a second vault's address stays the same across
    restarts (bookmarks, open tabs) instead of changing with every free port the system offers."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8")).digest()
    return VAULT_PORT_BASE + int.from_bytes(digest[:4], "big") % VAULT_PORT_SPAN


async def _listen_elsewhere(runner: web.AppRunner, taken: int, own: int) -> None:
    for port in (own, 0):
        if port == taken:
            continue
        try:
            await web.TCPSite(runner, LOOPBACK, port, reuse_address=REUSE_ADDRESS).start()
        except OSError as exc:
            if not _in_use(exc) or port == 0:
                raise
            continue
        log.warning(
            "web port %d is taken (another VIVIM data directory or another program); listening on "
            "%s instead (`vivim web` shows the address)",
            taken,
            port or "a free port",
        )
        return


def _in_use(exc: OSError) -> bool:
    return exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or "in use" in str(exc)


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
