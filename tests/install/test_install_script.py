"""installer/install.sh end to end, offline: it reuses a virtual environment that sees this
test environment's packages (the `--system-site-packages` idea, through a .pth file) and
installs the checkout into it with --no-deps --no-build-isolation --no-index.

Creating a brand-new environment needs PyPI, so that path is not exercised here."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "installer" / "install.sh"


def can_build_offline() -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import wheel.bdist_wheel  # noqa: F401  (setuptools < 70.1 needs it for bdist_wheel)
        return True
    except ImportError:
        pass
    try:
        import setuptools.command.bdist_wheel  # noqa: F401

        return True
    except ImportError:
        return False


def base_python() -> str:
    return getattr(sys, "_base_executable", sys.executable)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "home").mkdir()
    return {
        "HOME": str(tmp_path / "home"),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "VIVIM_HOME": str(tmp_path / "data"),
        "VIVIM_VENV": str(tmp_path / "venv"),
        "VIVIM_PYTHON": base_python(),
        "VIVIM_PIP_ARGS": "--no-deps --no-build-isolation --no-index",
    }


def reusable_venv(path: Path) -> None:
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    [site_packages] = (path / "lib").glob("python3*/site-packages")
    (site_packages / "_vivim_test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")


def run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="install.sh is for Linux and macOS")
@pytest.mark.skipif(
    not can_build_offline(), reason="no offline wheel builder (pip install wheel, or setuptools>=70.1)"
)
def test_install_sh_installs_registers_checks_and_explains_then_upgrades_in_place(env, tmp_path):
    venv = Path(env["VIVIM_VENV"])
    reusable_venv(venv)

    first = run_script(env, "--browser", "chromium")

    assert first.returncode == 0, first.stdout + first.stderr
    manifest_path = Path(env["HOME"]) / ".config/chromium/NativeMessagingHosts/com.vivim.host.json"
    manifest = json.loads(manifest_path.read_text())
    launcher = Path(manifest["path"])
    assert launcher == Path(env["VIVIM_HOME"]) / "bin" / "vivim-host"
    assert str(venv / "bin" / "vivim-host") in launcher.read_text()
    assert "VIVIM is installed." in first.stdout  # vivim doctor ran and was green
    link = Path(env["HOME"]) / ".local" / "bin" / "vivim"
    assert link.is_symlink() and link.resolve() == (venv / "bin" / "vivim").resolve()  # pipx's convention
    assert ".local/bin is not on your PATH" in first.stdout
    assert f"The extension is in {REPO / 'extension'}" in first.stdout
    assert f'Load unpacked" and choose: {REPO / "extension"}' in first.stdout
    assert "about:debugging" in first.stdout
    assert "Collecting " not in first.stdout and "Successfully installed" not in first.stdout  # pip's lines
    assert (venv / "pip-install.log").is_file()  # ...are in its log
    # The venv holds a copy of the package, far from the checkout: the folder comes from the receipt.
    found = subprocess.run(
        [str(venv / "bin" / "vivim"), "extension", "path"],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if k != "VIVIM_EXTENSION_DIR"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(REPO / "extension")

    again = run_script(env, "--browser", "chromium")

    assert again.returncode == 0, again.stdout + again.stderr
    assert "reusing it (upgrading in place)" in again.stdout
    assert json.loads(manifest_path.read_text()) == manifest


def test_install_sh_refuses_a_python_that_is_too_old(env):
    env["VIVIM_PYTHON"] = "/bin/false"
    done = run_script(env)
    assert done.returncode == 1
    assert "is not Python >= 3.11" in done.stderr
    assert not Path(env["VIVIM_VENV"]).exists()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="install.sh is for Linux and macOS")
@pytest.mark.skipif(
    not can_build_offline(), reason="no offline wheel builder (pip install wheel, or setuptools>=70.1)"
)
def test_install_sh_on_a_machine_without_a_browser_installs_the_cli_and_succeeds(env, tmp_path):
    """A home server meant for `vivim serve`: nothing to register is not a failed install."""
    reusable_venv(Path(env["VIVIM_VENV"]))
    bin_dir = Path(env["HOME"]) / ".local" / "bin"
    tools = tmp_path / "tools"  # a PATH with the shell's tools and no browser (this machine has Chromium)
    tools.mkdir()
    for tool in (
        "bash",
        "sh",
        "dirname",
        "uname",
        "mkdir",
        "rm",
        "ln",
        "cat",
        "env",
        "readlink",
        "sed",
        "grep",
    ):
        found = shutil.which(tool)
        if found:
            (tools / tool).symlink_to(found)
    env["PATH"] = f"{bin_dir}:{tools}"

    done = run_script(env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "No browser was found on this machine" in done.stdout
    assert "no browser on this machine" in done.stdout  # the doctor says it too, as a warning
    assert "not on your PATH" not in done.stdout
    assert "VIVIM is installed." in done.stdout
    version = subprocess.run(
        [str(bin_dir / "vivim"), "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0 and "vivim" in version.stdout
