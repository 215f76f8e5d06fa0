"""web.url: the local web app's address (with its token) for the popup's "Open VIVIM" button.

The popup should open it with `chrome.tabs.create({url})` (a browser-initiated navigation):
the page then sets its cookie and drops the token from the address bar. Nothing here imports
aiohttp; the web app itself runs in the singleton process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..protocol import WebUrl
from ..runtime import Runtime

PROBE_TIMEOUT = 0.3


async def web_url(runtime: Runtime, payload: WebUrl) -> dict[str, Any]:
    from ..store import settings
    from ..web.token import LOOPBACK, load_or_create_token
    from ..web.token import web_url as make_url

    service = runtime.services.get("web")
    if service is not None:
        return {"url": service.url, "running": True}
    port = int((await runtime.store.read(settings.get_settings, ["web.port"]))["web.port"])
    token = load_or_create_token(runtime.paths.web_token)
    return {"url": make_url(port, token), "running": await _listening(LOOPBACK, port)}


async def _listening(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), PROBE_TIMEOUT)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True
