"""Windows registry keys that tell browsers where our host manifest is.

Installation code talks to a `Registry` (three operations on HKEY_CURRENT_USER default values),
so the Windows layout can be checked on any OS with `MemoryRegistry`; `WindowsRegistry` is the
real one and imports winreg only when constructed, i.e. only on Windows.
"""

from __future__ import annotations

from typing import Protocol


class Registry(Protocol):
    def read_default(self, key: str) -> str | None: ...

    def write_default(self, key: str, value: str) -> None: ...

    def delete_key(self, key: str) -> None: ...


class MemoryRegistry:
    """HKCU as a dict of key path -> default value (for other OSes and dry runs)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def read_default(self, key: str) -> str | None:
        return self.values.get(key)

    def write_default(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete_key(self, key: str) -> None:
        self.values.pop(key, None)


class WindowsRegistry:
    def __init__(self) -> None:
        import winreg  # only exists on Windows

        self._winreg = winreg

    def read_default(self, key: str) -> str | None:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key) as handle:
                value, _kind = w.QueryValueEx(handle, "")
                return str(value)
        except FileNotFoundError:
            return None

    def write_default(self, key: str, value: str) -> None:
        w = self._winreg
        with w.CreateKeyEx(w.HKEY_CURRENT_USER, key, 0, w.KEY_WRITE) as handle:
            w.SetValueEx(handle, "", 0, w.REG_SZ, value)

    def delete_key(self, key: str) -> None:
        w = self._winreg
        try:
            w.DeleteKey(w.HKEY_CURRENT_USER, key)
        except FileNotFoundError:
            pass


def system_registry() -> Registry | None:
    """The real registry on Windows, None elsewhere."""
    import os

    return WindowsRegistry() if os.name == "nt" else None
