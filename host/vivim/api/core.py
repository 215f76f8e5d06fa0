"""hello, capture, conversations, stats, settings and adapter health."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .. import __version__
from ..protocol import (
    PROTOCOL_VERSION, AdapterHealth, CaptureUpsert, ConversationGet, ConversationList, Hello,
    SettingsGet, SettingsSet, Stats,
)
from ..runtime import Runtime
from ..store import capture, conversations, settings, stats
from . import ROUTES, handles


@handles("hello", Hello)
async def hello(runtime: Runtime, payload: Hello) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL_VERSION,
        "host_version": __version__,
        "capabilities": sorted(ROUTES),
        "singleton": runtime.is_singleton,
        "services": sorted(runtime.services),
    }


@handles("capture.upsert", CaptureUpsert)
async def capture_upsert(runtime: Runtime, payload: CaptureUpsert) -> dict[str, Any]:
    payload = await asyncio.to_thread(capture.prepare_capture, payload)  # off the loop and the lock
    result = await runtime.store.write(capture.upsert_capture, payload)
    # Committed: only now may the extension forget its queued copy.
    if result.changed_message_ids or result.created:
        runtime.events.publish(
            "capture", conversation_id=result.conversation_id, message_ids=result.changed_message_ids,
            provider=payload.conversation.provider,
        )
    return {
        "conversation_id": result.conversation_id,
        "created": result.created,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "branched": result.branched,
        "merged": result.merged,
        "keys": result.keys,
    }


@handles("conversation.list", ConversationList)
async def conversation_list(runtime: Runtime, payload: ConversationList) -> dict[str, Any]:
    return await runtime.store.read(
        lambda c: conversations.list_conversations(
            c, provider=payload.provider, limit=payload.limit, offset=payload.offset, query=payload.query,
            completeness=payload.completeness,
        )
    )


@handles("conversation.get", ConversationGet)
async def conversation_get(runtime: Runtime, payload: ConversationGet) -> dict[str, Any]:
    def read(c: Any) -> dict[str, Any]:
        cid = conversations.find_conversation_id(
            c, id=payload.id, provider=payload.provider, external_id=payload.external_id
        )
        return conversations.get_conversation(c, cid, include_html=payload.include_html)

    return await runtime.store.read(read)


@handles("stats", Stats)
async def get_stats(runtime: Runtime, payload: Stats) -> dict[str, Any]:
    return await runtime.store.read(stats.get_stats)


@handles("settings.get", SettingsGet)
async def settings_get(runtime: Runtime, payload: SettingsGet) -> dict[str, Any]:
    return {"settings": await runtime.store.read(settings.get_settings, payload.keys), "schema": settings.schema()}


@handles("settings.set", SettingsSet)
async def settings_set(runtime: Runtime, payload: SettingsSet) -> dict[str, Any]:
    values = await runtime.store.write(settings.set_settings, payload.values)
    runtime.events.publish("settings", keys=sorted(payload.values))
    return {"settings": values, "schema": settings.schema()}


@handles("adapter.health", AdapterHealth)
async def adapter_health(runtime: Runtime, payload: AdapterHealth) -> dict[str, Any]:
    if payload.warning:  # the network path's report: the DOM's ok/problem stays as it was
        await runtime.store.write(stats.record_warning, payload.provider, payload.warning, payload.url, time.time())
        runtime.events.publish("adapter.health", provider=payload.provider, ok=None, warning=payload.warning)
        return {"recorded": True}
    await runtime.store.write(
        stats.record_adapter_health, payload.provider, payload.ok, payload.problem, payload.url, time.time()
    )
    runtime.events.publish("adapter.health", provider=payload.provider, ok=payload.ok, problem=payload.problem)
    return {"recorded": True}
