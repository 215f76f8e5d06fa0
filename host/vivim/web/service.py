"""The web app as a singleton service: `start(runtime)` binds 127.0.0.1:<web.port>."""

from __future__ import annotations

import errno
import logging
import os

from aiohttp import web

from ..errors import ConfigError
from ..runtime import Runtime
from ..store import settings
from .token import LOOPBACK, load_or_create_token, web_url

log = logging.getLogger(__name__)

PORT_SETTING = "web.port"


class WebService:
    def __init__(self, runner: web.AppRunner, port: int, token: str) -> None:
        self.runner = runner
        self.port = port
        self.token = token

    @property
    def url(self) -> str:
        """The address to open once: it sets the cookie and redirects to a token-free URL."""
        return web_url(self.port, self.token)

    async def stop(self) -> None:
        await self.runner.cleanup()


async def configured_port(runtime: Runtime) -> int:
    values = await runtime.store.read(settings.get_settings, [PORT_SETTING])
    return int(values[PORT_SETTING])


async def start(runtime: Runtime, port: int | None = None) -> WebService:
    """Serve the web app; port 0 picks a free one (tests). A taken port is a ConfigError."""
    from .app import create_app

    port = await configured_port(runtime) if port is None else port
    token = load_or_create_token(runtime.paths.web_token)
    runner = web.AppRunner(create_app(runtime, token), access_log=None, handler_cancellation=True)
    await runner.setup()
    # SO_REUSEADDR on POSIX lets a restart bind while the last run's connections sit in TIME_WAIT
    # (up to 60 s); it never lets two servers listen on one port there. On Windows it would, so not there.
    site = web.TCPSite(runner, LOOPBACK, port, reuse_address=os.name != "nt")
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or "in use" in str(exc):
            raise ConfigError(
                f"the web app cannot listen on {LOOPBACK}:{port}: another program uses that port; "
                f"choose another with the setting {PORT_SETTING} (e.g. `vivim web --port 8766` saves it)",
                details={"port": port},
            ) from exc
        raise
    bound = _bound_port(runner) or port
    log.info("web app listening on http://%s:%d/", LOOPBACK, bound)
    return WebService(runner, bound, token)


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None

