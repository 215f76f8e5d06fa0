"""settings.get, settings.set: the user's settings (defaults in store/settings.py)."""

from __future__ import annotations

from typing import Any

from ..protocol import SettingsGet, SettingsSet
from ..runtime import Runtime
from ..store import settings


async def settings_get(runtime: Runtime, payload: SettingsGet) -> dict[str, Any]:
    return {
        "settings": await runtime.store.read(settings.get_settings, payload.keys),
        "schema": settings.schema(),
    }


async def settings_set(runtime: Runtime, payload: SettingsSet) -> dict[str, Any]:
    values = await runtime.store.write(settings.set_settings, payload.values)
    runtime.events.publish("settings", keys=sorted(payload.values))
    return {"settings": values, "schema": settings.schema()}
