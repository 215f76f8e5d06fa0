"""REST handlers: a thin HTTP skin over the same protocol handlers the extension talks to.

Conversations, search, stats and settings go through `vivim.api`'s registered routes, so the
web app shows exactly what the popup shows and follows their changes (search turning hybrid,
for instance) without code here. What only the web app needs (charts, threads, devices) lives
in `vivim.web.queries`.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from .. import __version__
from ..errors import InvalidPayload, NotFound, VivimError
from ..runtime import Runtime
from . import queries
from .params import (
    MAX_ID, ConversationsQuery, DeviceRename, SearchQuery, SettingsPatch, StatsQuery, parse_body, parse_query,
)

log = logging.getLogger(__name__)


class Unavailable(VivimError):
    """A feature another part of VIVIM provides is missing from this build (HTTP 501)."""

    code = "unavailable"


RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
ROUTES: web.AppKey[dict[str, Any]] = web.AppKey("routes", dict)
STATIC_DIR: web.AppKey[Path] = web.AppKey("static_dir", Path)
STATS_CACHE: web.AppKey[dict[Any, Any]] = web.AppKey("stats_cache", dict)
DAY = 86400


def load_protocol_routes() -> dict[str, Any]:
    """The protocol's handlers; an area module that fails to import costs only its own routes."""
    from .. import api as protocol_api

    for module in pkgutil.iter_modules(protocol_api.__path__):
        try:
            importlib.import_module(f"{protocol_api.__name__}.{module.name}")
        except Exception:
            log.exception("protocol handlers in vivim.api.%s failed to import; skipping them", module.name)
    return protocol_api.ROUTES


async def call(request: web.Request, message_type: str, payload: dict[str, Any]) -> Any:
    route = request.app[ROUTES].get(message_type)
    if route is None:
        raise Unavailable(f"{message_type} is not available in this VIVIM build")
    try:
        parsed = msgspec.convert(payload, route.payload)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"invalid parameters: {exc}") from None
    return msgspec.to_builtins(await route.handler(request.app[RUNTIME], parsed))


def json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: msgspec.json.encode(v).decode())


def _without_none(struct: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not None}


async def list_conversations(request: web.Request) -> web.Response:
    q = parse_query(request.query, ConversationsQuery)
    payload = {"provider": q.provider, "limit": q.limit, "offset": q.offset, "query": q.q,
               "completeness": q.completeness}
    return json(await call(request, "conversation.list", payload))


async def get_conversation(request: web.Request) -> web.Response:
    conversation_id = int(request.match_info["id"])
    if not 1 <= conversation_id <= MAX_ID:
        raise NotFound("no such conversation", details={"id": conversation_id})
    result = await call(request, "conversation.get", {"id": conversation_id})
    result.update(queries.annotate_threads(result["messages"]))
    return json(result)


async def search(request: web.Request) -> web.Response:
    q = parse_query(request.query, SearchQuery)
    payload = _without_none(q)
    payload["query"] = payload.pop("q")
    return json(await call(request, "search", payload))


async def stats(request: web.Request) -> web.Response:
    """Counts and charts; they scan the whole store, so an unchanged store answers from a cache."""
    q = parse_query(request.query, StatsQuery)
    runtime = request.app[RUNTIME]
    key = (await runtime.store.read(queries.store_generation), q.days, q.tz, int(time.time() // DAY))
    cache = request.app[STATS_CACHE]
    if key not in cache:
        result = await call(request, "stats", {})
        result.update(await runtime.store.read(queries.chart_stats, days=q.days, tz_offset_minutes=q.tz))
        chunks, embedded = result.get("chunks", 0), result.get("embedded_chunks", 0)
        result["embedding_backlog"] = max(0, chunks - embedded)
        cache.clear()  # one entry per period is plenty; a changed store makes all of them stale
        cache[key] = result
    return json(cache[key])


async def status(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    return json({
        "version": __version__,
        "data_dir": str(runtime.paths.root),
        "singleton": runtime.is_singleton,
        "services": sorted(runtime.services),
        "sync": await sync_status(request),
        "embedding": await embedding_status(request),
    })


async def embedding_status(request: web.Request) -> dict[str, Any] | None:
    """The retrieval area's `embed.status` (model loaded? backlog?), if this build has it."""
    if "embed.status" not in request.app[ROUTES]:
        return None
    try:
        return await call(request, "embed.status", {})
    except Exception as exc:
        log.warning("embed.status failed: %s", exc)
        return {"error": str(exc)}


async def sync_status(request: web.Request) -> dict[str, Any]:
    """What the sync area reports, through its protocol route if it has one."""
    if "sync.status" in request.app[ROUTES]:
        try:
            return {"available": True, **await call(request, "sync.status", {})}
        except Exception as exc:  # sync trouble must not break the page
            log.warning("sync.status failed: %s", exc)
            return {"available": True, "running": False, "error": str(exc)}
    runtime = request.app[RUNTIME]
    service = runtime.services.get("sync")
    if service is not None and hasattr(service, "status"):
        try:
            status = service.status()
            status = await status if hasattr(status, "__await__") else status
            return {"available": True, "running": True, **msgspec.to_builtins(status)}
        except Exception as exc:
            log.warning("sync service status failed: %s", exc)
    tables = await runtime.store.read(queries.sync_tables_state)
    return {"available": tables is not None, "running": service is not None, **(tables or {})}


async def get_sync(request: web.Request) -> web.Response:
    return json(await sync_status(request))


async def devices(request: web.Request) -> web.Response:
    """Devices as sync reports them (its `sync.status`), else straight from its tables; peers' addresses."""
    tables = await request.app[RUNTIME].store.read(queries.devices_and_peers)
    sync = await sync_status(request)
    listed = sync.pop("devices", None)
    return json({"devices": listed if isinstance(listed, list) else tables["devices"], "peers": tables["peers"],
                 "sync": sync})


async def rename_device(request: web.Request) -> web.Response:
    """Give a device the name people know it by (kept on this device; see store.device_names)."""
    from ..store.device_names import set_device_name

    body = parse_body(await request.read(), DeviceRename)
    return json(await request.app[RUNTIME].store.write(set_device_name, request.match_info["peer_id"], body.name))


async def get_settings(request: web.Request) -> web.Response:
    return json(await call(request, "settings.get", {}))


async def patch_settings(request: web.Request) -> web.Response:
    body = parse_body(await request.read(), SettingsPatch)
    return json(await call(request, "settings.set", {"values": body.values}))


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(request.app[STATIC_DIR] / "index.html")


def add_routes(app: web.Application) -> None:
    from . import events, openapi, transfer

    app[STATS_CACHE] = {}
    app.router.add_get("/", index)
    app.router.add_get("/api/status", status)
    app.router.add_get("/api/conversations", list_conversations)
    app.router.add_get(r"/api/conversations/{id:\d{1,30}}", get_conversation)
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/stats", stats)
    app.router.add_get("/api/devices", devices)
    app.router.add_patch(r"/api/devices/{peer_id:[1-9A-HJ-NP-Za-km-z]{6,80}}", rename_device)
    app.router.add_get("/api/sync", get_sync)
    app.router.add_get("/api/settings", get_settings)
    app.router.add_patch("/api/settings", patch_settings)
    app.router.add_post("/api/import", transfer.import_upload)
    app.router.add_get("/api/export", transfer.export_download)
    app.router.add_get("/api/events", events.events_socket)
    app.router.add_get("/api/openapi.json", openapi.serve)
