"""`vivim install` run for real as a subprocess, then the launcher it wrote started as the
browser would and spoken to over real pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hostproc import HostProcess
from vivim.install.doctor import probe_host

from .layouts import LAYOUTS, MANIFEST, tree


def vivim_command() -> list[str]:
    script = Path(sys.executable).with_name("vivim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]


@pytest.fixture
def env(tmp_path: Path, vivim_home: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "VIVIM_HOME": str(vivim_home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VIVIM_SERVICES": "none",
        "LANG": "C.UTF-8",
    }


def vivim(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*vivim_command(), *args], env=env, capture_output=True, text=True, timeout=120)


def test_installed_launcher_starts_the_host_and_answers_hello_over_real_pipes(env, vivim_home):
    home = Path(env["HOME"])
    done = vivim(env, "install", "--browser", "chromium")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((home / LAYOUTS["linux"]["chromium"][1] / MANIFEST).read_text())
    launcher = Path(manifest["path"])
    assert launcher == vivim_home / "bin" / "vivim-host"
    assert os.access(launcher, os.X_OK)

    host = HostProcess(vivim_home, command=[str(launcher)], env={"VIVIM_SERVICES": "none"})
    try:
        hello = host.call("hello", {"client": "vivim-extension"})
    finally:
        assert host.close() == 0
    assert hello["protocol"] == 1


def test_launcher_carries_vivim_home_when_started_with_a_bare_environment(env, vivim_home):
    assert vivim(env, "install", "--browser", "firefox").returncode == 0
    bare = {"PATH": "/usr/bin:/bin", "HOME": env["HOME"], "VIVIM_SERVICES": "none"}
    outcome = probe_host([str(vivim_home / "bin" / "vivim-host")], bare)
    assert outcome.get("reply", {}).get("ok") is True, outcome
    assert outcome["exit_code"] == 0
    assert (vivim_home / "vivim.log").exists()
    assert not (Path(env["HOME"]) / ".local" / "share" / "vivim").exists()


def test_doctor_is_green_after_a_real_install_and_uninstall_leaves_nothing(env, vivim_home):
    home = Path(env["HOME"])
    before = tree(home, vivim_home)
    assert vivim(env, "install", "--browser", "chromium", "--browser", "firefox").returncode == 0

    doctor = vivim(env, "doctor", "--json")
    report = json.loads(doctor.stdout)
    assert [c for c in report["checks"] if c["status"] == "fail"] == []
    assert doctor.returncode == 0

    assert vivim(env, "uninstall").returncode == 0
    # The host and doctor created the database and log; those are the user's data, not the install's.
    assert tree(home, vivim_home) - before <= {
        str(vivim_home / n)
        for n in ("vivim.sqlite3", "vivim.sqlite3-wal", "vivim.sqlite3-shm", "vivim.log", "vivim.lock")
    }


def test_launcher_falls_back_to_python_dash_m_when_there_is_no_console_script(tmp_path, vivim_home):
    from vivim.install.installer import install
    from vivim.install.launcher import host_command
    from vivim.install.machine import Machine

    assert host_command(tmp_path / "nowhere" / "python")[1:] == ["-m", "vivim.host"]
    home = tmp_path / "home"
    home.mkdir()
    machine = Machine(system="linux", home=home, env={"PATH": "", "VIVIM_HOME": str(vivim_home)})
    plan, _ = install(
        machine, vivim_home, browsers=["chromium"], command=[sys.executable, "-m", "vivim.host"]
    )
    outcome = probe_host(
        [str(plan.launcher)], {"PATH": "/usr/bin:/bin", "HOME": str(home), "VIVIM_SERVICES": "none"}
    )
    assert outcome.get("reply", {}).get("ok") is True, outcome
