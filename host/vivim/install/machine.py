"""The machine we install on, as a value: its platform, home, environment and filesystem root.

Every installer function takes a Machine instead of reading sys.platform, Path.home() and
os.environ itself, so one Linux test run can check the Linux, macOS and Windows layouts in a
temporary home (and a temporary "/" for system paths such as /snap/bin).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LINUX = "linux"
MACOS = "darwin"
WINDOWS = "windows"
SYSTEMS = (LINUX, MACOS, WINDOWS)


def current_system() -> str:
    if sys.platform.startswith("win"):
        return WINDOWS
    if sys.platform == "darwin":
        return MACOS
    return LINUX


@dataclass(frozen=True)
class Machine:
    system: str
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    root: Path = Path("/")  # where absolute system paths (/snap/bin, /Applications) are looked up

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"unknown system {self.system!r}; expected one of {SYSTEMS}")

    @classmethod
    def current(cls) -> Machine:
        return cls(system=current_system(), home=Path.home(), env=dict(os.environ))

    @property
    def is_windows(self) -> bool:
        return self.system == WINDOWS

    def system_path(self, absolute: str) -> Path:
        """An absolute POSIX path ("/snap/bin/chromium") under this machine's root."""
        return self.root / absolute.lstrip("/")

    def config_home(self) -> Path:
        """Linux: $XDG_CONFIG_HOME, where Chromium-family browsers keep their profiles."""
        value = self.env.get("XDG_CONFIG_HOME")
        return Path(value) if value and Path(value).is_absolute() else self.home / ".config"

    def application_support(self) -> Path:
        return self.home / "Library" / "Application Support"

    def local_appdata(self) -> Path:
        value = self.env.get("LOCALAPPDATA")
        return Path(value) if value else self.home / "AppData" / "Local"

    def roaming_appdata(self) -> Path:
        value = self.env.get("APPDATA")
        return Path(value) if value else self.home / "AppData" / "Roaming"

    def which(self, name: str) -> Path | None:
        """An executable of that name on this machine's PATH."""
        found = shutil.which(name, path=self.env.get("PATH", ""))
        return Path(found) if found else None
