"""Live events for the page over a WebSocket: captures, settings, sync, import, backlog.

Two sources feed one hub: this process's `runtime.events` (captures it acknowledged, settings,
sync progress), and a watcher that notices commits by *other* processes (another browser's
host, `vivim import` in a terminal) through SQLite's `PRAGMA data_version`, and the embedding
backlog shrinking. The watcher polls only while a page is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from ..runtime import Events
from . import queries
from .keys import RUNTIME

log = logging.getLogger(__name__)

HUB: web.AppKey[Events] = web.AppKey("events_hub", Events)
CLIENTS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("ws_clients", set)
WATCH_INTERVAL = 2.0
HEARTBEAT = 25.0


def setup(app: web.Application) -> None:
    app[HUB] = Events()
    app[CLIENTS] = set()
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_close_sockets)


async def _background(app: web.Application) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(_forward_runtime_events(app)), asyncio.create_task(_watch_store(app))]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _close_sockets(app: web.Application) -> None:
    clients: set[web.WebSocketResponse] = app[CLIENTS]
    # All at once and bounded: a tab that never answers the close frame must not hold the shutdown.
    await asyncio.gather(
        *(
            asyncio.wait_for(ws.close(code=1001, message=b"server shutting down"), 2.0)
            for ws in list(clients)
        ),
        return_exceptions=True,
    )


async def _forward_runtime_events(app: web.Application) -> None:
    runtime_events = app[RUNTIME].events
    queue = runtime_events.subscribe()
    try:
        while True:
            event = await queue.get()
            app[HUB].publish(event.get("type", "event"), **{k: v for k, v in event.items() if k != "type"})
    finally:
        runtime_events.unsubscribe(queue)


async def _watch_store(app: web.Application) -> None:
    last: tuple[int, int] | None = None
    while True:
        await asyncio.sleep(WATCH_INTERVAL)
        if not app[CLIENTS]:
            last = None
            continue
        try:
            version, backlog = await app[RUNTIME].store.read(queries.data_version)
        except Exception as exc:  # noqa: BLE001 - the watcher must outlive a bad read
            log.debug("store watch failed: %s", exc)
            continue
        if last is not None:
            if version != last[0]:
                app[HUB].publish("store.changed")
            if backlog != last[1]:
                app[HUB].publish("embedding.backlog", backlog=backlog)
        last = (version, backlog)


def publish(app: web.Application, kind: str, **data: Any) -> None:
    app[HUB].publish(kind, **data)


async def events_socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT)
    await ws.prepare(request)
    app = request.app
    queue = app[HUB].subscribe()
    app[CLIENTS].add(ws)
    receiver = asyncio.create_task(_drain_incoming(ws))
    try:
        _, backlog = await app[RUNTIME].store.read(queries.data_version)
        await ws.send_json(
            {"type": "hello", "services": sorted(app[RUNTIME].services), "embedding_backlog": backlog}
        )
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await ws.send_json(getter.result())
            else:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
    except ConnectionResetError:
        pass
    finally:
        receiver.cancel()
        app[HUB].unsubscribe(queue)
        app[CLIENTS].discard(ws)
        await ws.close()
    return ws


async def _drain_incoming(ws: web.WebSocketResponse) -> None:
    """The page sends nothing we act on; reading is how we notice it leave."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break
