"""The WebExtension as people install it: where its folder is, and the store-ready packages.

The folder in a checkout is what developers load unpacked. The stores want something else:
the Chrome Web Store rejects a manifest with `key` (it assigns the ID itself) and does not know
`background.scripts`; addons.mozilla.org needs `browser_specific_settings.gecko.id` and, for
extensions submitted since November 2025, `data_collection_permissions` (VIVIM sends nothing to
anyone: "none"), and Firefox runs `background.scripts`, not a service worker. `build_packages`
writes one ZIP per store from the same folder, byte-identical for the same input (sorted entries,
fixed timestamps), so a release can be rebuilt and compared.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

ENV_FOLDER = "VIVIM_EXTENSION_DIR"
GECKO_ID = "vivim@vivim.dev"
# Files of the source folder that are for developers, never shipped.
EXCLUDED = {"README.md", ".DS_Store"}
ZIP_TIMESTAMP = (2024, 1, 1, 0, 0, 0)


def extension_folder() -> Path | None:
    """The unpacked extension, from the first of these that holds a VIVIM manifest.json:

    $VIVIM_EXTENSION_DIR; the checkout this package runs from (an editable install); the folder
    `vivim install` recorded in its receipt (install.sh installs a copy of the package into a venv, so
    after it the package knows nothing of the checkout it came from); the checkout the command is
    run in (the current folder or one above it)."""
    candidates = []
    if os.environ.get(ENV_FOLDER):
        candidates.append(Path(os.environ[ENV_FOLDER]).expanduser())
    candidates.append(Path(__file__).resolve().parents[3] / "extension")
    recorded = _recorded_folder()
    if recorded is not None:
        candidates.append(recorded)
    here = Path.cwd()
    candidates += [folder / "extension" for folder in (here, *here.parents)]
    for folder in candidates:
        if _is_vivim_extension(folder):
            return folder.resolve()
    return None


def _recorded_folder() -> Path | None:
    """The extension folder the last `vivim install` saw (its receipt's "extension"), if any."""
    from ..config import RECEIPT_FILENAME, data_dir_path

    try:
        receipt = json.loads((data_dir_path() / RECEIPT_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = receipt.get("extension") if isinstance(receipt, dict) else None
    return Path(folder) if isinstance(folder, str) and folder else None


def _is_vivim_extension(folder: Path) -> bool:
    """A folder with VIVIM's manifest (an explicit $VIVIM_EXTENSION_DIR only needs a manifest)."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    if os.environ.get(ENV_FOLDER) and folder == Path(os.environ[ENV_FOLDER]).expanduser():
        return True
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("short_name") == "VIVIM"


@dataclass(frozen=True)
class Package:
    store: str  # "chrome" or "firefox"
    path: Path
    manifest: dict[str, Any]


def chrome_manifest(source: dict[str, Any]) -> dict[str, Any]:
    """The Chrome Web Store manifest: no `key`, no Firefox-only settings, a service worker only."""
    manifest = json.loads(json.dumps(source))
    manifest.pop("key", None)
    manifest.pop("browser_specific_settings", None)
    background = manifest.get("background") or {}
    background.pop("scripts", None)
    return manifest


def firefox_manifest(source: dict[str, Any]) -> dict[str, Any]:
    """The addons.mozilla.org manifest: no `key`, event-page scripts, the gecko id and data consent."""
    manifest = json.loads(json.dumps(source))
    manifest.pop("key", None)
    background = manifest.get("background") or {}
    if background.get("scripts"):
        background.pop("service_worker", None)
    gecko = manifest.setdefault("browser_specific_settings", {}).setdefault("gecko", {})
    gecko.setdefault("id", GECKO_ID)
    # Captured conversations go only to the local host over Native Messaging: nothing is transmitted.
    gecko.setdefault("data_collection_permissions", {"required": ["none"]})
    return manifest


def referenced_files(manifest: dict[str, Any]) -> list[str]:
    """Every file the manifest names (scripts, popup, icons): a package missing one is broken."""
    names: list[str] = []
    background = manifest.get("background") or {}
    if background.get("service_worker"):
        names.append(background["service_worker"])
    names += background.get("scripts") or []
    action = manifest.get("action") or {}
    if action.get("default_popup"):
        names.append(action["default_popup"])
    for icons in (manifest.get("icons") or {}, action.get("default_icon") or {}):
        names += list(icons.values()) if isinstance(icons, dict) else [icons]
    for script in manifest.get("content_scripts") or []:
        names += script.get("js") or []
        names += script.get("css") or []
    return list(dict.fromkeys(names))


def build_packages(out_dir: Path, source: Path | None = None) -> list[Package]:
    """Write vivim-<version>-chrome.zip and vivim-<version>-firefox.xpi to out_dir."""
    source = source or extension_folder()
    if source is None:
        raise ConfigError(
            "the extension's folder was not found: run this inside your VIVIM checkout (or run the "
            f"checkout's installer/install.sh once: it records the folder), or set {ENV_FOLDER} to the "
            "folder that holds its manifest.json"
        )
    original = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(
        p
        for p in source.rglob("*")
        if p.is_file() and p.name not in EXCLUDED and p.relative_to(source).as_posix() != "manifest.json"
    )
    version = original.get("version", "0")
    out_dir.mkdir(parents=True, exist_ok=True)
    packages = []
    for store, make, suffix in (("chrome", chrome_manifest, "zip"), ("firefox", firefox_manifest, "xpi")):
        manifest = make(original)
        missing = [name for name in referenced_files(manifest) if not (source / name).is_file()]
        if missing:
            raise ConfigError(f"the extension's manifest names files that do not exist: {', '.join(missing)}")
        path = out_dir / f"vivim-{version}-{store}.{suffix}"
        _write_zip(path, source, files, manifest)
        packages.append(Package(store, path, manifest))
    return packages


def _write_zip(path: Path, source: Path, files: list[Path], manifest: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
        for file in files:
            _add(archive, file.relative_to(source).as_posix(), file.read_bytes())
    tmp.replace(path)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
