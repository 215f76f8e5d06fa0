"""web.url: the local web app's address (with its token) for the popup's "Open VIVIM" button.

The token goes into the address only when the listener proved it is this vault's web app
(`vivim.web.identity`): anything else on the port (another user's process, another data
directory's VIVIM) gets no token. The popup should open the address with
`chrome.tabs.create({url})` (a browser-initiated navigation): the page then sets its cookie and
drops the token from the address bar. Nothing here imports aiohttp; the web app itself runs in
the singleton process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..protocol import WebUrl
from ..runtime import Runtime


async def web_url(runtime: Runtime, payload: WebUrl) -> dict[str, Any]:
    from ..store import settings
    from ..web.identity import find_web_app
    from ..web.token import LOOPBACK, load_or_create_token
    from ..web.token import web_url as make_url

    service = runtime.services.get("web")
    if service is not None:
        return {"url": service.url, "running": True, "listener": "vivim", "port": service.port}
    configured = int((await runtime.store.read(settings.get_settings, ["web.port"]))["web.port"])
    token = load_or_create_token(runtime.paths.web_token)
    port, listener = await asyncio.to_thread(find_web_app, runtime.paths.web_address, configured, token)
    if listener == "vivim":
        return {"url": make_url(port, token), "running": True, "listener": listener, "port": port}
    return {"url": f"http://{LOOPBACK}:{port}/", "running": False, "listener": listener, "port": port}
