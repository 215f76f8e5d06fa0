"""User settings: JSON values over defaults that live here, in one place."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidPayload

DEFAULTS: dict[str, Any] = {
    "capture.chatgpt": True,
    "capture.claude": True,
    "capture.gemini": True,
    "context.token_budget": 1200,
    "context.max_items": 8,
    "search.limit": 20,
    "web.port": 8765,
    "sync.enabled": True,
    "sync.mdns": True,
    "embed.enabled": True,
    "capture.claude-code": True,  # coding agents' session logs, read by the agents service
    "capture.codex": True,
    "capture.gemini-cli": True,
    "mcp.remember": False,  # AI clients may store notes through `vivim mcp` only when the user allows it
}


def get_settings(conn: Any, keys: list[str] | None = None) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in conn.execute("SELECT key, value FROM settings").fetchall():
        values[row[0]] = json.loads(row[1])
    if keys is not None:
        return {k: values.get(k) for k in keys}
    return values


def set_settings(conn: Any, updates: dict[str, Any]) -> dict[str, Any]:
    for key, value in updates.items():
        if key in DEFAULTS and DEFAULTS[key] is not None and not _same_kind(DEFAULTS[key], value):
            raise InvalidPayload(
                f"setting {key!r} takes a {type(DEFAULTS[key]).__name__}, not {type(value).__name__}"
            )
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(k, json.dumps(v)) for k, v in updates.items()],
    )
    return get_settings(conn)


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))
