"""`vivim extension build`: the Chrome Web Store ZIP and the addons.mozilla.org XPI are valid
store uploads (no dev `key`, the right background for each browser, the gecko id and data
consent for Firefox, every named file inside, real PNG icons), reproducible byte for byte, and
the Chrome one loads in real Chromium."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from vivim.cli import main
from vivim.install.extension import referenced_files

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def built(tmp_path: Path) -> dict[str, Path]:
    result = CliRunner().invoke(
        main,
        ["extension", "build", "--out", str(tmp_path / "dist")],
        env={"VIVIM_EXTENSION_DIR": str(REPO / "extension")},
    )
    assert result.exit_code == 0, result.output
    version = json.loads((REPO / "extension" / "manifest.json").read_text())["version"]
    packages = {
        "chrome": tmp_path / "dist" / f"vivim-{version}-chrome.zip",
        "firefox": tmp_path / "dist" / f"vivim-{version}-firefox.xpi",
    }
    for path in packages.values():
        assert str(path) in result.output
    return packages


def manifest_of(package: Path) -> tuple[dict, set[str], zipfile.ZipFile]:
    archive = zipfile.ZipFile(package)
    return json.loads(archive.read("manifest.json")), set(archive.namelist()), archive


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_common(manifest: dict, names: set[str], archive: zipfile.ZipFile) -> None:
    assert manifest["manifest_version"] == 3
    assert "key" not in manifest  # the stores assign the ID; a `key` is rejected on upload
    assert manifest["name"] and manifest["version"] and len(manifest["description"]) <= 132
    for name in referenced_files(manifest):
        assert name in names, f"the manifest names {name}, which the package lacks"
    for size, icon in manifest["icons"].items():
        assert png_size(archive.read(icon)) == (int(size), int(size))
    assert "128" in manifest["icons"]  # the stores' listing icon
    assert not any(n.endswith("README.md") for n in names)
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)


def test_the_chrome_package_is_a_valid_web_store_upload(built: dict[str, Path]) -> None:
    manifest, names, archive = manifest_of(built["chrome"])
    check_common(manifest, names, archive)
    assert "browser_specific_settings" not in manifest
    assert manifest["background"] == {"service_worker": "background/service_worker.js", "type": "module"}
    source = json.loads((REPO / "extension" / "manifest.json").read_text())
    assert manifest["content_scripts"] == source["content_scripts"]
    assert manifest["permissions"] == source["permissions"]


def test_the_firefox_package_is_a_valid_amo_upload(built: dict[str, Path]) -> None:
    manifest, names, archive = manifest_of(built["firefox"])
    check_common(manifest, names, archive)
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert gecko["id"] == "vivim@vivim.dev"
    assert gecko["data_collection_permissions"] == {"required": ["none"]}  # required on AMO since Nov 2025
    assert manifest["background"]["scripts"] == ["background/service_worker.js"]
    assert "service_worker" not in manifest["background"]


def test_building_twice_gives_the_same_bytes(built: dict[str, Path], tmp_path: Path) -> None:
    from vivim.install.extension import build_packages

    again = {p.store: p.path for p in build_packages(tmp_path / "again", REPO / "extension")}
    for store, path in built.items():
        assert again[store].read_bytes() == path.read_bytes()


def test_build_without_the_extension_folder_is_a_sentence(tmp_path: Path, monkeypatch) -> None:
    from vivim.install import extension

    monkeypatch.setattr(extension, "extension_folder", lambda: None)
    result = CliRunner().invoke(main, ["extension", "build", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "The extension's folder was not found" in result.output and "Traceback" not in result.output


@pytest.mark.browser
def test_real_chromium_loads_the_store_package_without_manifest_errors(
    built: dict[str, Path], tmp_path: Path
):
    from .test_real_chromium import CHROMIUM, CHROMIUM_ARGS, _missing

    if _missing():
        pytest.skip(str(_missing()))
    from playwright.sync_api import sync_playwright

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(built["chrome"]) as archive:
        archive.extractall(unpacked)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=[f"--load-extension={unpacked}", f"--disable-extensions-except={unpacked}", *CHROMIUM_ARGS],
        )
        try:
            worker = (
                context.service_workers[0]
                if context.service_workers
                else context.wait_for_event("serviceworker")
            )
            assert worker.url.startswith("chrome-extension://") and worker.url.endswith(
                "/background/service_worker.js"
            )
            ext_id = worker.url.split("/")[2]
            manifest = worker.evaluate("() => chrome.runtime.getManifest()")
            assert manifest["version"] and "key" not in manifest
            popup = context.new_page()
            popup.goto(f"chrome-extension://{ext_id}/popup/popup.html")
            popup.wait_for_selector("#host-status", timeout=10_000)  # the popup's scripts and markup shipped
        finally:
            context.close()
