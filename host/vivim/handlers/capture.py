"""capture.upsert and adapter.health: what the extension sends as the user chats."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..protocol import AdapterHealth, CaptureUpsert
from ..runtime import Runtime
from ..store import capture, stats


async def capture_upsert(runtime: Runtime, payload: CaptureUpsert) -> dict[str, Any]:
    payload = await asyncio.to_thread(capture.prepare_capture, payload)  # off the loop and the lock
    result = await runtime.store.write(capture.upsert_capture, payload)
    # Committed: only now may the extension forget its queued copy.
    if result.changed_message_ids or result.created:
        runtime.events.publish(
            "capture",
            conversation_id=result.conversation_id,
            message_ids=result.changed_message_ids,
            provider=payload.conversation.provider,
        )
    return {
        **result.counts(),
        "keys": result.keys,
    }


async def adapter_health(runtime: Runtime, payload: AdapterHealth) -> dict[str, Any]:
    if payload.warning:  # the network path's report: the DOM's ok/problem stays as it was
        await runtime.store.write(
            stats.record_warning, payload.provider, payload.warning, payload.url, time.time()
        )
        runtime.events.publish("adapter.health", provider=payload.provider, ok=None, warning=payload.warning)
        return {"recorded": True}
    await runtime.store.write(
        stats.record_adapter_health, payload.provider, payload.ok, payload.problem, payload.url, time.time()
    )
    runtime.events.publish(
        "adapter.health", provider=payload.provider, ok=payload.ok, problem=payload.problem
    )
    return {"recorded": True}
