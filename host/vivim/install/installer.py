"""`vivim install` / `vivim uninstall` as library functions.

Installing is planned first (a pure function of the machine, the data directory and the
options, so `--dry-run` and tests see exactly what would be written) and then applied.
Everything applied is recorded in a receipt, `<data dir>/install.json`: uninstall removes what
the receipt lists and nothing else, and only once no remaining registration still needs it
(on Windows several browsers share Google Chrome's registry key and one manifest file).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import HOST_NAME, RECEIPT_FILENAME, private_file
from ..errors import InstallError
from .browsers import BROWSERS, CHROMIUM_FAMILY, MANIFEST_FILENAME, Detection, detect_all
from .extension import extension_folder
from .launcher import host_command, launcher_path, launcher_text
from .machine import Machine
from .manifests import Registration, manifest_text
from .registry import Registry

RECEIPT_VERSION = 1
PROFILE_SUBDIR = "NativeMessagingHosts"


@dataclass(frozen=True)
class Skipped:
    browser: str
    label: str
    reason: str


@dataclass
class InstallPlan:
    machine: Machine
    data_root: Path
    launcher: Path
    launcher_text: str
    command: list[str]
    registrations: list[Registration]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def manifest_files(self) -> dict[Path, str]:
        """Each manifest file to write, once (Windows shares one per family)."""
        return {r.manifest: manifest_text(r.family, self.launcher) for r in self.registrations}


@dataclass
class UninstallResult:
    removed: list[str] = field(default_factory=list)
    kept: list[Registration] = field(default_factory=list)
    unregistered: list[Registration] = field(default_factory=list)


# ---------------------------------------------------------------- planning


def plan_install(
    machine: Machine,
    data_root: Path,
    *,
    browsers: list[str] | None = None,
    profile_dir: Path | None = None,
    command: list[str] | None = None,
) -> InstallPlan:
    for key in browsers or []:
        if key not in BROWSERS:
            raise InstallError(f"unknown browser {key!r}; choose from {', '.join(BROWSERS)}")
    data_root = Path(os.path.abspath(data_root))
    launcher = launcher_path(data_root, machine)
    command = command or host_command(windows=machine.is_windows)
    vivim_home = data_root if machine.env.get("VIVIM_HOME") else None
    plan = InstallPlan(machine, data_root, launcher, launcher_text(command, machine, vivim_home), command, [])

    if profile_dir is not None:
        plan.registrations.append(_profile_registration(machine, Path(profile_dir), browsers))
        return plan

    for detection in detect_all(machine, browsers):
        browser = detection.browser
        named = bool(browsers)
        for sandboxed in detection.sandboxed:
            message = sandboxed.advice(launcher)
            if detection.found or named:
                plan.notes.append(message)
            else:
                plan.skipped.append(Skipped(browser.key, f"{browser.label} ({sandboxed.kind})", message))
        if detection.found or named:
            plan.registrations.append(_registration(machine, data_root, detection))
    return plan


def _registration(machine: Machine, data_root: Path, detection: Detection) -> Registration:
    browser = detection.browser
    if machine.is_windows:
        manifest = data_root / "manifests" / f"{HOST_NAME}.{browser.family}.json"
        return Registration(
            browser.key, browser.label, browser.family, manifest, tuple(browser.registry_keys())
        )
    folder = browser.manifest_folder(machine)
    assert folder is not None
    return Registration(browser.key, browser.label, browser.family, folder / MANIFEST_FILENAME)


def _profile_registration(machine: Machine, profile_dir: Path, browsers: list[str] | None) -> Registration:
    if machine.is_windows:
        raise InstallError(
            "--profile-dir does not apply on Windows: Chromium-family browsers there find native hosts only "
            "through the registry, which `vivim install` (without --profile-dir) writes"
        )
    keys = browsers or ["chromium"]
    families = {BROWSERS[k].family for k in keys}
    if families != {CHROMIUM_FAMILY}:
        raise InstallError(
            "--profile-dir is for Chromium-family browsers started with --user-data-dir; Firefox reads host "
            "manifests only from ~/.mozilla/native-messaging-hosts (or its macOS equivalent)"
        )
    profile_dir = Path(os.path.abspath(profile_dir.expanduser()))
    label = f"{BROWSERS[keys[0]].label} with --user-data-dir={profile_dir}"
    return Registration(
        keys[0],
        label,
        CHROMIUM_FAMILY,
        profile_dir / PROFILE_SUBDIR / MANIFEST_FILENAME,
        profile_dir=profile_dir,
    )


# ---------------------------------------------------------------- applying


def apply_install(plan: InstallPlan, registry: Registry | None = None) -> list[str]:
    """Write the launcher, the manifests and the registry keys; record them. Returns what was written."""
    if plan.machine.is_windows and plan.registrations and registry is None:
        raise InstallError("registering on Windows needs the registry; none was given")
    receipt = read_receipt(plan.data_root) or _empty_receipt(plan.machine)
    created: list[str] = receipt["created_dirs"]
    written: list[str] = []
    new = {(r.browser, str(r.manifest)) for r in plan.registrations}
    kept = [r for r in receipt["registrations"] if (r["browser"], r["manifest"]) not in new]
    folder = extension_folder()
    if folder is not None:  # later `vivim extension path|build` find it from anywhere (install.sh's venv)
        receipt["extension"] = str(folder)
    receipt.update(
        launcher=str(plan.launcher),
        command=plan.command,
        registrations=kept + [r.to_json() for r in plan.registrations],
    )
    # The receipt is written even when a step fails half-way, so uninstall can still clean up
    # (it skips anything listed that is not there).
    try:
        _make_dirs(plan.launcher.parent, created, mode=0o700)
        _write_atomically(plan.launcher, plan.launcher_text, mode=0o700)
        written.append(str(plan.launcher))
        for path, text in plan.manifest_files().items():
            _make_dirs(path.parent, created)
            _write_atomically(path, text, mode=0o644)
            written.append(str(path))
        for registration in plan.registrations:
            for key in registration.registry_keys:
                assert registry is not None
                registry.write_default(key, str(registration.manifest))
                written.append(f"HKCU\\{key}")
    finally:
        write_receipt(plan.data_root, receipt)
    return written


def install(
    machine: Machine,
    data_root: Path,
    *,
    browsers: list[str] | None = None,
    profile_dir: Path | None = None,
    registry: Registry | None = None,
    command: list[str] | None = None,
) -> tuple[InstallPlan, list[str]]:
    plan = plan_install(machine, data_root, browsers=browsers, profile_dir=profile_dir, command=command)
    return plan, apply_install(plan, registry)


def uninstall(
    machine: Machine,
    data_root: Path,
    *,
    browsers: list[str] | None = None,
    profile_dir: Path | None = None,
    registry: Registry | None = None,
    dry_run: bool = False,
) -> UninstallResult:
    """Remove what install recorded (for the named browsers/profile, or everything)."""
    data_root = Path(os.path.abspath(data_root))
    receipt = read_receipt(data_root)
    if receipt is None:
        receipt = _receipt_from_disk(machine, data_root, registry)
    registrations = [Registration.from_json(r) for r in receipt["registrations"]]
    profile = Path(os.path.abspath(profile_dir.expanduser())) if profile_dir else None

    def selected(r: Registration) -> bool:
        if profile is not None:
            return r.profile_dir == profile
        return not browsers or r.browser in browsers

    result = UninstallResult()
    result.unregistered = [r for r in registrations if selected(r)]
    result.kept = [r for r in registrations if not selected(r)]
    still_used_files = {r.manifest for r in result.kept}
    still_used_keys = {k for r in result.kept for k in r.registry_keys}

    for r in result.unregistered:
        for key in r.registry_keys:
            if key in still_used_keys or f"HKCU\\{key}" in result.removed:
                continue
            if registry is not None and registry.read_default(key) is not None:
                if not dry_run:
                    registry.delete_key(key)
                result.removed.append(f"HKCU\\{key}")
        if (
            r.manifest not in still_used_files
            and str(r.manifest) not in result.removed
            and _is_our_manifest(r.manifest)
        ):
            if not dry_run:
                r.manifest.unlink()
            result.removed.append(str(r.manifest))

    if not result.kept:
        launcher = Path(receipt.get("launcher") or launcher_path(data_root, machine))
        receipt_path = data_root / RECEIPT_FILENAME
        for path in (launcher, receipt_path):
            if path.is_file():
                if not dry_run:
                    path.unlink()
                result.removed.append(str(path))

    # Folders install created and that are now empty go too, deepest first.
    remaining_dirs = []
    for folder in sorted(receipt["created_dirs"], key=lambda p: len(Path(p).parts), reverse=True):
        path = Path(folder)
        if path.is_dir() and not _has_entries(path, result.removed if dry_run else []):
            if not dry_run:
                path.rmdir()
            result.removed.append(str(path))
        elif path.is_dir():
            remaining_dirs.append(folder)

    if result.kept and not dry_run:
        receipt["registrations"] = [r.to_json() for r in result.kept]
        receipt["created_dirs"] = sorted(remaining_dirs, key=lambda p: len(Path(p).parts))
        write_receipt(data_root, receipt)
    return result


# ---------------------------------------------------------------- receipt


def read_receipt(data_root: Path) -> dict[str, Any] | None:
    path = Path(data_root) / RECEIPT_FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InstallError(f"cannot read {path}: {exc}; delete it and run `vivim install` again") from exc
    data.setdefault("registrations", [])
    data.setdefault("created_dirs", [])
    return data


def write_receipt(data_root: Path, receipt: dict[str, Any]) -> None:
    path = Path(data_root) / RECEIPT_FILENAME
    _write_atomically(path, json.dumps(receipt, indent=2) + "\n", mode=0o600)
    private_file(path)


def _empty_receipt(machine: Machine) -> dict[str, Any]:
    return {
        "version": RECEIPT_VERSION,
        "host": HOST_NAME,
        "system": machine.system,
        "registrations": [],
        "created_dirs": [],
    }


def _receipt_from_disk(machine: Machine, data_root: Path, registry: Registry | None) -> dict[str, Any]:
    """No receipt (deleted, or never written): find manifests in the standard places whose
    `path` is this data directory's launcher, i.e. that an install from here wrote."""
    from .discover import discover

    launcher = launcher_path(data_root, machine)
    receipt = _empty_receipt(machine)
    receipt["launcher"] = str(launcher)
    for found in discover(machine, registry):
        if found.manifest_data and found.manifest_data.get("path") == str(launcher):
            receipt["registrations"].append(found.registration.to_json())
    return receipt


# ---------------------------------------------------------------- files


def _is_our_manifest(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("name") == HOST_NAME
    except (OSError, ValueError, AttributeError):
        return False


def _has_entries(path: Path, being_removed: list[str]) -> bool:
    return any(str(child) not in being_removed for child in path.iterdir())


def _make_dirs(path: Path, created: list[str], mode: int = 0o755) -> None:
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=mode)
        if str(folder) not in created:
            created.append(str(folder))


def _write_atomically(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    if os.name == "posix":
        os.chmod(tmp, mode)
    os.replace(tmp, path)
