"""Find host manifests for com.vivim.host where browsers look, whoever wrote them.

`vivim doctor` reports these next to what the install receipt lists (a stale manifest from an
older install, or one pointing at another data directory, is exactly what breaks capture), and
`vivim uninstall` falls back on them when the receipt is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .browsers import BROWSERS, MANIFEST_FILENAME
from .machine import Machine
from .manifests import Registration
from .registry import Registry


@dataclass(frozen=True)
class Found:
    registration: Registration
    manifest_data: dict[str, Any] | None  # None when missing or unreadable
    error: str | None = None


def load_manifest(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except (OSError, ValueError) as exc:
        return None, f"{path} is not readable JSON ({exc})"
    if not isinstance(data, dict):
        return None, f"{path} is not a JSON object"
    return data, None


def discover(machine: Machine, registry: Registry | None = None) -> list[Found]:
    found: list[Found] = []
    if machine.is_windows:
        if registry is None:
            return found
        readers: dict[str, list[str]] = {}
        for browser in BROWSERS.values():
            for key in browser.registry_keys():
                readers.setdefault(key, []).append(browser.key)
        for key, keys in readers.items():
            value = registry.read_default(key)
            if not value:
                continue
            first = BROWSERS[keys[0]]
            label = " / ".join(BROWSERS[k].label for k in keys)
            registration = Registration(first.key, label, first.family, Path(value), (key,))
            data, error = load_manifest(Path(value))
            found.append(Found(registration, data, error))
        return found
    for browser in BROWSERS.values():
        folder = browser.manifest_folder(machine)
        if folder is None:
            continue
        path = folder / MANIFEST_FILENAME
        if path.exists():
            data, error = load_manifest(path)
            found.append(Found(Registration(browser.key, browser.label, browser.family, path), data, error))
    return found
