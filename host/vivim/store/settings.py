"""User settings: JSON values over defaults that live here, in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidPayload
from ..providers import AGENTS, SITES
from .connection import Connection

DEFAULTS: dict[str, Any] = {
    **{
        f"capture.{p.key}": True for p in (*SITES, *AGENTS)
    },  # the agents' logs are read by the agents service
    "context.token_budget": 1200,
    "context.max_items": 8,
    "search.limit": 20,
    "web.port": 8765,
    "sync.enabled": True,
    "sync.mdns": True,
    "embed.enabled": True,
    "web.theme": "system",
    "mcp.remember": False,  # AI clients may store notes through `vivim mcp` only when the user allows it
}


@dataclass(frozen=True)
class Setting:
    """How a setting is shown and checked: people see `label` and `help`, never the key."""

    label: str
    help: str
    group: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    restart: bool = False  # takes effect when the services restart

    def to_json(self, key: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": key,
            "label": self.label,
            "help": self.help,
            "group": self.group,
            "kind": _kind(DEFAULTS.get(key)),
            "default": DEFAULTS.get(key),
        }
        for name in ("minimum", "maximum"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.choices:
            out["choices"] = list(self.choices)
        if self.restart:
            out["restart"] = True
        return out


# The groups in the order Settings shows them.
GROUPS = ("Capture", "Search", "Insert context", "AI clients", "Sync", "Web app")
SCHEMA: dict[str, Setting] = {
    **{
        f"capture.{p.key}": Setting(
            p.name,
            f"Save your conversations on {p.hosts[0]} as you chat (the same switch as the browser"
            " extension's, which follows it).",
            "Capture",
        )
        for p in SITES
    },
    **{
        f"capture.{p.key}": Setting(
            f"{p.name} sessions",
            f"Keep the sessions {p.name} writes on this machine (secrets such as API keys are masked first).",
            "Capture",
        )
        for p in AGENTS
    },
    "search.limit": Setting(
        "Results per search",
        "How many conversations a search shows at most.",
        "Search",
        minimum=1,
        maximum=200,
    ),
    "embed.enabled": Setting(
        "Search by meaning",
        "Also find conversations that say the same thing in other words. "
        "Uses an offline model on this machine; turn it off on a slow machine.",
        "Search",
        restart=True,
    ),
    "context.token_budget": Setting(
        "Context size",
        "At most this many tokens of past knowledge go into a prompt "
        "with Insert context (a token is about 4 characters).",
        "Insert context",
        minimum=100,
        maximum=32_000,
    ),
    "context.max_items": Setting(
        "Most items inserted",
        "At most this many past passages go into one prompt.",
        "Insert context",
        minimum=1,
        maximum=50,
    ),
    "mcp.remember": Setting(
        "Let AI clients save notes",
        "AI clients connected through `vivim mcp` (Claude Desktop, "
        "Cursor, ...) may store notes in your library. Reading is always allowed.",
        "AI clients",
    ),
    "sync.enabled": Setting(
        "Sync with my devices",
        "Exchange conversations, end-to-end encrypted, with the devices you paired.",
        "Sync",
        restart=True,
    ),
    "sync.mdns": Setting(
        "Find my devices on this network",
        "Announce this device on the local network so paired "
        "devices find it without an address. Only paired devices can sync.",
        "Sync",
        restart=True,
    ),
    "web.port": Setting(
        "Port",
        "The web app answers at http://127.0.0.1:PORT/. Use 1024-65535, free on this machine.",
        "Web app",
        minimum=1024,
        maximum=65_535,
        restart=True,
    ),
    "web.theme": Setting(
        "Theme", "Light, dark, or as your system is set.", "Web app", choices=("system", "light", "dark")
    ),
}


def schema() -> list[dict[str, Any]]:
    return [setting.to_json(key) for key, setting in SCHEMA.items()]


def validate(key: str, value: Any) -> None:
    """Refuse a value people could not mean (search.limit=-5, web.port=80) with a sentence saying why."""
    setting = SCHEMA.get(key)
    if setting is None:
        return
    label = f"{setting.label} ({key})"
    if setting.choices and value not in setting.choices:
        raise InvalidPayload(
            f"{label} must be one of {', '.join(setting.choices)}, not {value!r}", details={"key": key}
        )
    if setting.minimum is not None or setting.maximum is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise InvalidPayload(f"{label} must be a whole number", details={"key": key})
        if (setting.minimum is not None and value < setting.minimum) or (
            setting.maximum is not None and value > setting.maximum
        ):
            raise InvalidPayload(
                f"{label} must be between {setting.minimum} and {setting.maximum}, not {value}",
                details={"key": key},
            )


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, (int, float)):
        return "number"
    return "text"


def get_settings(conn: Connection, keys: list[str] | None = None) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in conn.execute("SELECT key, value FROM settings").fetchall():
        values[row[0]] = json.loads(row[1])
    if keys is not None:
        return {k: values.get(k) for k in keys}
    return values


def set_settings(conn: Connection, updates: dict[str, Any]) -> dict[str, Any]:
    for key, value in updates.items():
        if key in DEFAULTS and DEFAULTS[key] is not None and not _same_kind(DEFAULTS[key], value):
            raise InvalidPayload(
                f"setting {key!r} takes a {type(DEFAULTS[key]).__name__}, not {type(value).__name__}"
            )
        validate(key, value)
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
