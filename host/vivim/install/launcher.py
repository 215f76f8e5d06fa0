"""The launcher: the small script a host manifest's `path` points at.

Browsers start native hosts with a minimal environment (no virtualenv on PATH, often no
VIVIM_HOME), so the launcher names the interpreter, or the console script next to it, by
absolute path and exports VIVIM_HOME when the install used one.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from .machine import Machine

LAUNCHER_NAME = "vivim-host"
HEADER = "VIVIM native-messaging launcher, written by `vivim install` (`vivim uninstall` removes it)."


def launcher_path(data_root: Path, machine: Machine) -> Path:
    name = f"{LAUNCHER_NAME}.bat" if machine.is_windows else LAUNCHER_NAME
    return data_root / "bin" / name


def host_command(python: str | Path | None = None, *, windows: bool | None = None) -> list[str]:
    """How to run the host with this Python: the `vivim-host` console script beside the
    interpreter when pip put one there, else `python -m vivim.host`. Never resolves symlinks:
    a virtualenv's python symlink is what makes the venv's packages visible."""
    python = Path(os.path.abspath(python or sys.executable))
    windows = os.name == "nt" if windows is None else windows
    script = python.with_name(f"{LAUNCHER_NAME}.exe" if windows else LAUNCHER_NAME)
    if script.is_file():
        return [str(script)]
    return [str(python), "-m", "vivim.host"]


def launcher_text(command: list[str], machine: Machine, vivim_home: Path | None) -> str:
    if machine.is_windows:
        return _batch(command, vivim_home)
    return _shell(command, vivim_home)


def _shell(command: list[str], vivim_home: Path | None) -> str:
    lines = [
        "#!/bin/sh",
        f"# {HEADER}",
        "# The browser passes the caller's origin (or manifest path and add-on id) as arguments.",
    ]
    if vivim_home is not None:
        lines += [f"VIVIM_HOME={shlex.quote(str(vivim_home))}", "export VIVIM_HOME"]
    lines.append("exec " + " ".join(shlex.quote(part) for part in command) + ' "$@"')
    return "\n".join(lines) + "\n"


def _batch(command: list[str], vivim_home: Path | None) -> str:
    def esc(value: str) -> str:
        return value.replace("%", "%%")

    lines = ["@echo off", f"rem {HEADER}"]
    if vivim_home is not None:
        lines.append(f'set "VIVIM_HOME={esc(str(vivim_home))}"')
    lines.append(" ".join(f'"{esc(part)}"' for part in command) + " %*")
    return "\r\n".join(lines) + "\r\n"
