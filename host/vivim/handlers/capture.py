"""capture.upsert and adapter.health: what the extension sends as the user chats."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..errors import CaptureOff
from ..protocol import AdapterHealth, CaptureUpsert
from ..providers import display_name
from ..runtime import Runtime
from ..store import capture, settings, stats


def ensure_capture_on(conn: Any, provider: str) -> None:
    """Refuse what a site sends once the user turned its capture off: the web app's switch is the same
    decision as the popup's, and an extension that has not heard of it yet must not store anything.
    Checked inside the write's own transaction, so a switch and a capture never cross."""
    key = f"capture.{provider}"
    if settings.get_settings(conn, [key]).get(key) is False:
        raise CaptureOff(f"Capture of {display_name(provider)} is turned off; nothing was saved.")


def _upsert_if_on(conn: Any, payload: CaptureUpsert) -> capture.UpsertResult:
    ensure_capture_on(conn, payload.conversation.provider)
    return capture.upsert_capture(conn, payload)


async def capture_upsert(runtime: Runtime, payload: CaptureUpsert) -> dict[str, Any]:
    payload = await asyncio.to_thread(capture.prepare_capture, payload)  # off the loop and the lock
    result = await runtime.store.write(_upsert_if_on, payload)
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
