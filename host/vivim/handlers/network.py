"""capture.network: the site's own conversation payload, observed in the page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..errors import PayloadShape
from ..importers import network as netcapture
from ..protocol import CaptureNetwork
from ..runtime import Runtime
from ..store import capture, completeness, raw, stats
from .capture import ensure_capture_on

# One conversation's payloads are handled one at a time: a page of older turns must be parsed with
# the pages stored before it (the host serves requests concurrently; a paged load sends them together).
# A conversation's lock lives while a request holds or awaits it, no longer: kept for good, every
# conversation id ever sent (of any length) would stay in memory for the whole session.
_locks: dict[tuple[str, str], tuple[asyncio.Lock, list[int]]] = {}


@asynccontextmanager
async def _one_at_a_time(key: tuple[str, str]) -> AsyncIterator[None]:
    lock, users = _locks.setdefault(key, (asyncio.Lock(), [0]))
    users[0] += 1
    try:
        async with lock:
            yield
    finally:
        users[0] -= 1
        if users[0] == 0:
            del _locks[key]


async def capture_network(runtime: Runtime, payload: CaptureNetwork) -> dict[str, Any]:
    async with _one_at_a_time((payload.provider, payload.external_id)):
        return await _capture_network(runtime, payload)


async def _capture_network(runtime: Runtime, payload: CaptureNetwork) -> dict[str, Any]:
    try:
        data = netcapture.assemble(payload)
        if data is None:
            return {"received": payload.part, "parts": payload.parts}
        kind = netcapture.kind_of(payload.provider)
        earlier: list[bytes] = []
        urls: list[str | None] = []
        if payload.provider in netcapture.PAGED:  # its pages join into one conversation
            earlier, urls = await runtime.store.read(
                lambda conn: (
                    raw.of_conversation(conn, payload.provider, payload.external_id, kind),
                    raw.urls_of_conversation(conn, payload.provider, payload.external_id, kind),
                )
            )
        parsed = await asyncio.to_thread(
            netcapture.parse,
            payload.provider,
            payload.external_id,
            data,
            earlier,
            payload.url,
            urls,
            True,
        )
    except PayloadShape as exc:
        # Refused whole, and said so where the user looks (popup, vivim stats): never silently.
        await runtime.store.write(
            stats.record_warning,
            payload.provider,
            f"network capture: {exc.message}",
            payload.url,
            time.time(),
        )
        runtime.events.publish("adapter.health", provider=payload.provider, ok=None, warning=exc.message)
        raise
    upsert = parsed.capture
    upsert.source = "network"
    if payload.title and not upsert.conversation.title:
        upsert.conversation.title = payload.title
    upsert = await asyncio.to_thread(capture.prepare_capture, upsert)

    def write(conn: Any) -> tuple[capture.UpsertResult, bool, dict[str, Any]]:
        ensure_capture_on(conn, payload.provider)
        tombstone = capture.deleted_conversation(conn, upsert.conversation)
        if tombstone is not None:  # deleted by the user: neither its turns nor its payload are kept
            return capture.UpsertResult(conversation_id=tombstone, deleted=True), False, {"status": "deleted"}
        known = conn.execute(
            "SELECT title, url FROM conversations WHERE provider = ? AND external_id = ?",
            (payload.provider, payload.external_id),
        ).fetchone()
        if known is not None:  # the page's own title and address stay (a re-open must change nothing)
            upsert.conversation.title = None if known["title"] else upsert.conversation.title
            upsert.conversation.url = None if known["url"] else upsert.conversation.url
        stored_new = raw.put(conn, payload.provider, payload.external_id, kind, payload.url, data)
        if parsed.self_contained:
            raw.supersede(conn, payload.provider, payload.external_id, kind, data)
        elif parsed.redundant:
            raw.forget(conn, payload.provider, payload.external_id, kind, parsed.redundant, data)
        result = capture.upsert_capture(conn, upsert)
        status = completeness.record(
            conn, result.conversation_id, parsed.provider_ids, parsed.whole_tree, parsed.total_hint
        )
        stats.clear_warning(conn, payload.provider)
        return result, stored_new, status

    result, stored_new, status = await runtime.store.write(write)
    if result.changed_message_ids or result.created:
        runtime.events.publish(
            "capture",
            conversation_id=result.conversation_id,
            message_ids=result.changed_message_ids,
            provider=payload.provider,
        )
    return {
        **result.counts(),
        "raw_stored": stored_new,
        "completeness": status,
    }
