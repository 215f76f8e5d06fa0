"""The web app's routes: a thin HTTP skin over the same protocol handlers the extension talks to.

Conversations, search, stats, settings and sync status go through `vivim.handlers.ROUTES`, so
the web app shows exactly what the popup shows and follows their changes (search turning
hybrid, for instance) without code here. What only the web app needs (charts, threads, peer
addresses) lives in `vivim.web.queries`. `add_routes` is the one list of URLs.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec
from aiohttp import web

from .. import __version__
from ..errors import InvalidPayload, NotFound
from ..handlers import ROUTES
from . import events, openapi, queries, transfer
from .keys import RUNTIME, STATIC_DIR, STATS_CACHE, json
from .params import (
    MAX_ID,
    ConversationPatch,
    ConversationsQuery,
    DeviceRename,
    SearchQuery,
    SettingsPatch,
    StatsQuery,
    parse_body,
    parse_query,
)

log = logging.getLogger(__name__)


DAY = 86400


async def call(request: web.Request, message_type: str, payload: dict[str, Any]) -> Any:
    """The protocol message `message_type`, answered by its handler, as plain JSON data."""
    route = ROUTES[message_type]
    try:
        parsed: msgspec.Struct = msgspec.convert(payload, route.payload)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"invalid parameters: {exc}") from None
    return msgspec.to_builtins(await route.handler(request.app[RUNTIME], parsed))


def _without_none(struct: msgspec.Struct) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not None}


async def list_conversations(request: web.Request) -> web.Response:
    q = parse_query(request.query, ConversationsQuery)
    payload = {
        "provider": q.provider,
        "limit": q.limit,
        "offset": q.offset,
        "query": q.q,
        "completeness": q.completeness,
    }
    return json(await call(request, "conversation.list", payload))


async def get_conversation(request: web.Request) -> web.Response:
    conversation_id = int(request.match_info["id"])
    if not 1 <= conversation_id <= MAX_ID:
        raise NotFound("no such conversation", details={"id": conversation_id})
    result = await call(request, "conversation.get", {"id": conversation_id})
    result.update(queries.annotate_threads(result["messages"]))
    return json(result)


def _conversation_id(request: web.Request) -> int:
    conversation_id = int(request.match_info["id"])
    if not 1 <= conversation_id <= MAX_ID:
        raise NotFound("no such conversation", details={"id": conversation_id})
    return conversation_id


async def patch_conversation(request: web.Request) -> web.Response:
    """Rename, pin and tag through the protocol's conversation.* messages; answers the conversation."""
    conversation_id = _conversation_id(request)
    body = parse_body(await request.read(), ConversationPatch)
    if body.title is not None:
        await call(request, "conversation.rename", {"id": conversation_id, "title": body.title})
    if body.pinned is not None:
        await call(request, "conversation.pin", {"id": conversation_id, "pinned": body.pinned})
    if body.add_tags or body.remove_tags:
        await call(
            request,
            "conversation.tag",
            {"id": conversation_id, "add": body.add_tags, "remove": body.remove_tags},
        )
    result = await call(request, "conversation.get", {"id": conversation_id})
    return json(result["conversation"])


async def delete_conversation(request: web.Request) -> web.Response:
    return json(await call(request, "conversation.delete", {"id": _conversation_id(request)}))


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
    return json(
        {
            "version": __version__,
            "data_dir": str(runtime.paths.root),
            "singleton": runtime.is_singleton,
            "services": sorted(runtime.services),
            "sync": await sync_status(request),
            "embedding": await embedding_status(request),
        }
    )


async def embedding_status(request: web.Request) -> dict[str, Any]:
    """The retrieval area's `embed.status` (model loaded? backlog?); its trouble must not break the page."""
    try:
        return await call(request, "embed.status", {})
    except Exception as exc:  # noqa: BLE001 - shown on the page instead
        log.warning("embed.status failed: %s", exc)
        return {"error": str(exc)}


async def sync_status(request: web.Request) -> dict[str, Any]:
    """The sync area's `sync.status`; sync trouble must not break the page."""
    try:
        return await call(request, "sync.status", {})
    except Exception as exc:  # noqa: BLE001 - shown on the page instead
        log.warning("sync.status failed: %s", exc)
        return {"running": False, "error": str(exc)}


async def get_sync(request: web.Request) -> web.Response:
    return json(await sync_status(request))


async def devices(request: web.Request) -> web.Response:
    """Devices as sync reports them (its `sync.status`), and the peer addresses it dials."""
    peers = await request.app[RUNTIME].store.read(queries.peer_addresses)
    sync = await sync_status(request)
    return json({"devices": sync.pop("devices", []), "peers": peers, "sync": sync})


async def rename_device(request: web.Request) -> web.Response:
    """Give a device the name people know it by (kept on this device; see store.device_names)."""
    from ..store.device_names import set_device_name

    body = parse_body(await request.read(), DeviceRename)
    return json(
        await request.app[RUNTIME].store.write(set_device_name, request.match_info["peer_id"], body.name)
    )


async def get_settings(request: web.Request) -> web.Response:
    return json(await call(request, "settings.get", {}))


async def patch_settings(request: web.Request) -> web.Response:
    body = parse_body(await request.read(), SettingsPatch)
    return json(await call(request, "settings.set", {"values": body.values}))


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(request.app[STATIC_DIR] / "index.html")


def add_routes(app: web.Application, token: str) -> None:
    """Every route of the web app; `token` answers the identity challenge (see `vivim.web.identity`)."""
    from .identity import IDENTITY_PATH
    from .security import make_identity_handler

    app[STATS_CACHE] = {}
    app.router.add_get("/", index)
    app.router.add_get(IDENTITY_PATH, make_identity_handler(token))
    app.router.add_get("/api/status", status)
    app.router.add_get("/api/conversations", list_conversations)
    app.router.add_get(r"/api/conversations/{id:\d{1,30}}", get_conversation)
    app.router.add_patch(r"/api/conversations/{id:\d{1,30}}", patch_conversation)
    app.router.add_delete(r"/api/conversations/{id:\d{1,30}}", delete_conversation)
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
