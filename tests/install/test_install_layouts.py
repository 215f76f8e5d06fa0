"""install/uninstall into a temporary HOME write exactly the right files for each browser,
on the Linux, macOS and Windows layouts (Windows registry through MemoryRegistry)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vivim.config import EXTENSION_ID, FIREFOX_EXTENSION_ID
from vivim.errors import InstallError
from vivim.install.installer import install, plan_install, read_receipt, uninstall
from vivim.install.machine import Machine
from vivim.install.registry import MemoryRegistry

from .layouts import FAMILY, LAYOUTS, MANIFEST, WINDOWS_KEYS, install_browsers, tree

ALL = list(LAYOUTS["linux"])
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path


def machine(system: str, home: Path, **env: str) -> Machine:
    # An empty PATH and a private "/" so nothing on the real machine is detected.
    root = home.parent / "root"
    root.mkdir(exist_ok=True)
    return Machine(system=system, home=home, env={"PATH": "", **env}, root=root)


def expected_manifest(family: str, launcher: Path) -> dict:
    manifest = {"name": "com.vivim.host", "path": str(launcher), "type": "stdio"}
    if family == "chromium":
        manifest["allowed_origins"] = [f"chrome-extension://{EXTENSION_ID}/"]
    else:
        manifest["allowed_extensions"] = [FIREFOX_EXTENSION_ID]
    return manifest


def assert_manifest(path: Path, family: str, launcher: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    description = data.pop("description")
    assert description
    assert data == expected_manifest(family, launcher)


@pytest.mark.parametrize("system", ["linux", "darwin"])
def test_install_registers_every_browser_found_in_its_own_manifest_folder(system, home, data_root):
    install_browsers(home, system, ALL)
    before = tree(home, data_root)

    plan, _written = install(machine(system, home), data_root)

    launcher = data_root / "bin" / "vivim-host"
    manifests = {home / LAYOUTS[system][b][1] / MANIFEST for b in ALL}
    new_folders = {str(p) for m in manifests for p in m.parents if p.is_relative_to(home)} - before
    expected = {str(m) for m in manifests} | new_folders
    expected |= {str(data_root / "bin"), str(launcher), str(data_root / "install.json")}
    assert tree(home, data_root) - before == expected
    for browser in ALL:
        assert_manifest(home / LAYOUTS[system][browser][1] / MANIFEST, FAMILY[browser], launcher)
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    assert Path(
        json.loads((home / LAYOUTS[system]["chrome"][1] / MANIFEST).read_text())["path"]
    ).is_absolute()


@pytest.mark.parametrize("system", ["linux", "darwin"])
@pytest.mark.parametrize("browser", ALL)
def test_a_named_browser_is_registered_alone_and_uninstall_leaves_nothing(system, browser, home, data_root):
    before = tree(home, data_root)

    install(machine(system, home), data_root, browsers=[browser])

    launcher = data_root / "bin" / "vivim-host"
    manifests = [p for p in tree(home) if p.endswith(MANIFEST)]
    assert manifests == [str(home / LAYOUTS[system][browser][1] / MANIFEST)]
    assert_manifest(Path(manifests[0]), FAMILY[browser], launcher)

    result = uninstall(machine(system, home), data_root)

    assert tree(home, data_root) == before
    assert str(home / LAYOUTS[system][browser][1] / MANIFEST) in result.removed


def test_windows_writes_manifests_in_the_data_dir_and_registry_keys_per_browser(home, data_root):
    install_browsers(home, "windows", ALL)
    registry = MemoryRegistry()
    before = tree(home, data_root)

    install(machine("windows", home), data_root, registry=registry)

    launcher = data_root / "bin" / "vivim-host.bat"
    chromium_manifest = data_root / "manifests" / "com.vivim.host.chromium.json"
    firefox_manifest = data_root / "manifests" / "com.vivim.host.firefox.json"
    assert tree(home, data_root) - before == {
        str(data_root / "bin"),
        str(launcher),
        str(data_root / "manifests"),
        str(chromium_manifest),
        str(firefox_manifest),
        str(data_root / "install.json"),
    }
    expected_keys = {
        key: str(firefox_manifest if b == "firefox" else chromium_manifest)
        for b in ALL
        for key in WINDOWS_KEYS[b]
    }
    assert registry.values == expected_keys
    assert_manifest(chromium_manifest, "chromium", launcher)
    assert_manifest(firefox_manifest, "firefox", launcher)
    text = launcher.read_bytes().decode("utf-8")
    assert text.startswith("@echo off\r\n") and text.endswith(" %*\r\n")

    uninstall(machine("windows", home), data_root, registry=registry)

    assert registry.values == {}
    assert tree(home, data_root) == before


@pytest.mark.parametrize("browser", ALL)
def test_windows_named_browser_writes_only_the_keys_that_browser_reads(browser, home, data_root):
    registry = MemoryRegistry()
    install(machine("windows", home), data_root, browsers=[browser], registry=registry)
    assert sorted(registry.values) == sorted(WINDOWS_KEYS[browser])


def test_windows_uninstalling_one_browser_keeps_the_chrome_key_another_still_reads(home, data_root):
    registry = MemoryRegistry()
    install(machine("windows", home), data_root, browsers=["chromium", "vivaldi"], registry=registry)
    chrome_key = WINDOWS_KEYS["vivaldi"][0]

    uninstall(machine("windows", home), data_root, browsers=["chromium"], registry=registry)

    assert list(registry.values) == [chrome_key]
    assert Path(registry.values[chrome_key]).is_file()
    assert (data_root / "bin" / "vivim-host.bat").is_file()

    uninstall(machine("windows", home), data_root, browsers=["vivaldi"], registry=registry)

    assert registry.values == {}
    assert not (data_root / "bin").exists() and not (data_root / "install.json").exists()


def test_launcher_runs_this_python_by_absolute_path_and_exports_vivim_home(home, data_root):
    install(machine("linux", home, VIVIM_HOME=str(data_root)), data_root, browsers=["chromium"])
    text = (data_root / "bin" / "vivim-host").read_text()
    assert text.startswith("#!/bin/sh\n")
    assert f"VIVIM_HOME={data_root}\nexport VIVIM_HOME\n" in text
    exec_line = text.strip().splitlines()[-1]
    program = exec_line.split()[1]
    assert Path(program).is_absolute() and Path(program).exists()
    assert exec_line.endswith('"$@"')


def test_launcher_does_not_set_vivim_home_when_the_install_used_the_default(home, data_root):
    install(machine("linux", home), data_root, browsers=["chromium"])
    assert "VIVIM_HOME" not in (data_root / "bin" / "vivim-host").read_text()


def test_xdg_config_home_moves_chromium_family_manifests_but_not_firefox(home, data_root, tmp_path):
    config = tmp_path / "xdg"
    install(machine("linux", home, XDG_CONFIG_HOME=str(config)), data_root, browsers=["chromium", "firefox"])
    assert (config / "chromium" / "NativeMessagingHosts" / MANIFEST).is_file()
    assert (home / ".mozilla" / "native-messaging-hosts" / MANIFEST).is_file()


def test_profile_dir_writes_only_into_that_profile(home, data_root, tmp_path):
    install_browsers(home, "linux", ALL)
    profile = tmp_path / "profile"
    profile.mkdir()
    before = tree(home)

    plan, _ = install(machine("linux", home), data_root, profile_dir=profile)

    assert tree(home) == before
    manifest = profile / "NativeMessagingHosts" / MANIFEST
    assert tree(profile) == {str(profile), str(profile / "NativeMessagingHosts"), str(manifest)}
    assert_manifest(manifest, "chromium", data_root / "bin" / "vivim-host")

    uninstall(machine("linux", home), data_root, profile_dir=profile)

    assert tree(profile) == {str(profile)}


def test_profile_dir_is_refused_for_firefox_and_on_windows(home, data_root, tmp_path):
    with pytest.raises(InstallError, match="Firefox"):
        plan_install(machine("linux", home), data_root, browsers=["firefox"], profile_dir=tmp_path)
    with pytest.raises(InstallError, match="registry"):
        plan_install(machine("windows", home), data_root, profile_dir=tmp_path)


def test_installing_twice_changes_nothing_and_records_each_registration_once(home, data_root):
    install_browsers(home, "linux", ["chrome", "firefox"])
    install(machine("linux", home), data_root)
    first = {p: Path(p).read_bytes() for p in tree(home, data_root) if Path(p).is_file()}

    install(machine("linux", home), data_root)

    assert {p: Path(p).read_bytes() for p in tree(home, data_root) if Path(p).is_file()} == first
    assert sorted(r["browser"] for r in read_receipt(data_root)["registrations"]) == ["chrome", "firefox"]


def test_a_second_install_for_another_browser_adds_to_the_first(home, data_root):
    install(machine("linux", home), data_root, browsers=["chrome"])
    install(machine("linux", home), data_root, browsers=["firefox"])
    assert sorted(r["browser"] for r in read_receipt(data_root)["registrations"]) == ["chrome", "firefox"]


def test_uninstall_removes_nothing_it_did_not_write(home, data_root):
    install_browsers(home, "linux", ["chromium"])
    other_host = home / ".config/chromium/NativeMessagingHosts/org.example.other.json"
    other_host.parent.mkdir(parents=True)
    other_host.write_text("{}")
    before = tree(home, data_root)

    install(machine("linux", home), data_root)
    uninstall(machine("linux", home), data_root)

    assert tree(home, data_root) == before
    assert other_host.read_text() == "{}"


def test_uninstall_without_a_receipt_removes_only_manifests_pointing_at_our_launcher(home, data_root):
    install(machine("linux", home), data_root, browsers=["chromium", "firefox"])
    foreign = home / ".config/chromium/NativeMessagingHosts" / MANIFEST
    foreign.write_text(json.dumps({"name": "com.vivim.host", "path": "/opt/elsewhere/vivim-host"}))
    (data_root / "install.json").unlink()

    result = uninstall(machine("linux", home), data_root)

    assert str(home / ".mozilla/native-messaging-hosts" / MANIFEST) in result.removed
    assert not (home / ".mozilla/native-messaging-hosts" / MANIFEST).exists()
    assert foreign.exists()


def test_dry_run_plan_lists_the_files_and_writes_nothing(home, data_root):
    install_browsers(home, "darwin", ["chrome", "firefox"])
    before = tree(home, data_root)
    plan = plan_install(machine("darwin", home), data_root)
    assert sorted(str(r.manifest) for r in plan.registrations) == sorted(
        str(home / LAYOUTS["darwin"][b][1] / MANIFEST) for b in ("chrome", "firefox")
    )
    assert tree(home, data_root) == before


def test_nothing_found_means_nothing_planned(home, data_root):
    assert plan_install(machine("linux", home), data_root).registrations == []


def test_templates_in_the_repository_match_what_install_writes(home, data_root):
    install(machine("linux", home), data_root, browsers=["chromium", "firefox"])
    launcher = str(data_root / "bin" / "vivim-host")
    for family, written in [
        ("chromium", home / LAYOUTS["linux"]["chromium"][1] / MANIFEST),
        ("firefox", home / LAYOUTS["linux"]["firefox"][1] / MANIFEST),
    ]:
        template = (REPO / "manifests" / f"com.vivim.host.{family}.json").read_text(encoding="utf-8")
        filled = (
            template.replace("@LAUNCHER@", launcher)
            .replace("@EXTENSION_ID@", EXTENSION_ID)
            .replace("@FIREFOX_EXTENSION_ID@", FIREFOX_EXTENSION_ID)
        )
        assert json.loads(filled) == json.loads(written.read_text(encoding="utf-8"))


def test_uninstalling_one_browser_removes_its_manifest_and_the_folder_install_made_for_it(home, data_root):
    install(machine("linux", home), data_root, browsers=["chrome", "firefox"])
    firefox_manifest = home / LAYOUTS["linux"]["firefox"][1] / MANIFEST

    result = uninstall(machine("linux", home), data_root, browsers=["chrome"])

    assert not (home / ".config").exists()
    assert str(home / ".config") in result.removed
    assert firefox_manifest.is_file() and (data_root / "bin" / "vivim-host").is_file()
    assert [r["browser"] for r in read_receipt(data_root)["registrations"]] == ["firefox"]

    uninstall(machine("linux", home), data_root)

    assert tree(home) == {str(home)}


def test_uninstall_dry_run_lists_everything_and_removes_nothing(home, data_root):
    install(machine("linux", home), data_root, browsers=["vivaldi"])
    before = tree(home, data_root)
    result = uninstall(machine("linux", home), data_root, dry_run=True)
    assert tree(home, data_root) == before
    assert set(result.removed) == before - {str(home), str(data_root)}
