"""Snap and Flatpak browsers cannot start native hosts: install says so instead of writing
manifests they would ignore."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vivim.install.installer import plan_install
from vivim.install.machine import Machine

from .layouts import install_browsers


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def linux(home: Path, root: Path, path: str = "") -> Machine:
    return Machine(system="linux", home=home, env={"PATH": path}, root=root)


def test_snap_chromium_is_not_registered_and_the_reason_and_fix_are_given(home, root):
    executable(root / "snap" / "bin" / "chromium")
    plan = plan_install(linux(home, root, str(root / "snap" / "bin")), home / "data")
    assert plan.registrations == []
    [skipped] = plan.skipped
    assert skipped.browser == "chromium" and "snap" in skipped.label
    assert "Snap" in skipped.reason and "cannot start" in skipped.reason
    assert "non-Snap build" in skipped.reason and "vivim install --browser chromium" in skipped.reason


def test_snap_data_folder_in_home_also_counts_as_a_snap(home, root):
    (home / "snap" / "firefox").mkdir(parents=True)
    plan = plan_install(linux(home, root), home / "data")
    [skipped] = plan.skipped
    assert skipped.browser == "firefox"
    assert (
        "WebExtensions portal" in skipped.reason
        and "widget.use-xdg-desktop-portal.native-messaging" in skipped.reason
    )


def test_flatpak_browser_is_not_registered_and_the_bridge_steps_are_given(home, root):
    (home / ".var" / "app" / "com.brave.Browser").mkdir(parents=True)
    plan = plan_install(linux(home, root), home / "data")
    assert plan.registrations == []
    [skipped] = plan.skipped
    assert skipped.browser == "brave" and "flatpak" in skipped.label
    assert "flatpak override --user --talk-name=org.freedesktop.Flatpak com.brave.Browser" in skipped.reason
    assert "flatpak-spawn --host" in skipped.reason
    assert (
        str(home / ".var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser/NativeMessagingHosts")
        in skipped.reason
    )


def test_a_native_browser_is_registered_while_its_snap_twin_gets_a_note(home, root):
    install_browsers(home, "linux", ["chromium"])
    executable(root / "snap" / "bin" / "chromium")
    plan = plan_install(linux(home, root), home / "data")
    assert [r.browser for r in plan.registrations] == ["chromium"]
    assert plan.skipped == []
    assert any("Snap" in note for note in plan.notes)


def test_an_executable_on_path_counts_as_installed(home, root, tmp_path):
    bin_dir = tmp_path / "bin"
    executable(bin_dir / "brave-browser")
    plan = plan_install(linux(home, root, str(bin_dir)), home / "data")
    assert [r.browser for r in plan.registrations] == ["brave"]
