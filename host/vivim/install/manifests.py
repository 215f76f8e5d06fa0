"""The native-messaging host manifest: what a browser reads to find and trust our host.

Chromium-family browsers admit callers by `allowed_origins` (our extension's fixed ID, which
follows from the `key` in extension/manifest.json); Firefox admits them by
`allowed_extensions` (the gecko id). The repository's manifests/*.json are the same documents
as templates, kept equal to these by a test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import EXTENSION_ID, FIREFOX_EXTENSION_ID, HOST_NAME
from .browsers import CHROMIUM_FAMILY, FIREFOX_FAMILY

DESCRIPTION = "VIVIM: keeps your AI conversations on your own machine"
CHROMIUM_ORIGIN = f"chrome-extension://{EXTENSION_ID}/"


def build_manifest(family: str, launcher: Path | str) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "name": HOST_NAME,
        "description": DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
    }
    if family == CHROMIUM_FAMILY:
        manifest["allowed_origins"] = [CHROMIUM_ORIGIN]
    elif family == FIREFOX_FAMILY:
        manifest["allowed_extensions"] = [FIREFOX_EXTENSION_ID]
    else:
        raise ValueError(f"unknown browser family {family!r}")
    return manifest


def manifest_text(family: str, launcher: Path | str) -> str:
    return json.dumps(build_manifest(family, launcher), indent=2) + "\n"


def problems_with(manifest: Any, family: str) -> list[str]:
    """What is wrong with a manifest we find on disk (empty when it is sound).

    Checks the fields a browser checks; whether `path` exists is the caller's business.
    """
    if not isinstance(manifest, dict):
        return ["it is not a JSON object"]
    problems = []
    if manifest.get("name") != HOST_NAME:
        problems.append(f"its name is {manifest.get('name')!r}, not {HOST_NAME!r}")
    if manifest.get("type") != "stdio":
        problems.append(f"its type is {manifest.get('type')!r}, not 'stdio'")
    path = manifest.get("path")
    if not isinstance(path, str) or not _is_absolute(path):
        problems.append(f"its path {path!r} is not absolute")
    if family == CHROMIUM_FAMILY and CHROMIUM_ORIGIN not in (manifest.get("allowed_origins") or []):
        problems.append(f"allowed_origins does not list {CHROMIUM_ORIGIN}")
    if family == FIREFOX_FAMILY and FIREFOX_EXTENSION_ID not in (manifest.get("allowed_extensions") or []):
        problems.append(f"allowed_extensions does not list {FIREFOX_EXTENSION_ID}")
    return problems


def _is_absolute(path: str) -> bool:
    # A Windows manifest may be checked from POSIX (tests) and the other way round.
    return path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/")


@dataclass(frozen=True)
class Registration:
    """One browser (or one --user-data-dir profile) that can find our host."""

    browser: str
    label: str
    family: str
    manifest: Path
    registry_keys: tuple[str, ...] = ()
    profile_dir: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "browser": self.browser,
            "label": self.label,
            "family": self.family,
            "manifest": str(self.manifest),
            "registry_keys": list(self.registry_keys),
            "profile_dir": str(self.profile_dir) if self.profile_dir else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Registration:
        return cls(
            browser=data["browser"],
            label=data["label"],
            family=data["family"],
            manifest=Path(data["manifest"]),
            registry_keys=tuple(data.get("registry_keys") or ()),
            profile_dir=Path(data["profile_dir"]) if data.get("profile_dir") else None,
        )

    @property
    def where(self) -> str:
        keys = ", ".join(f"HKCU\\{key}" for key in self.registry_keys)
        return f"{self.manifest} (via {keys})" if keys else str(self.manifest)
