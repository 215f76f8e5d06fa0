"""Where each browser reads host manifests, written out literally (not derived from the code
under test), and helpers to build a fake home with browsers "installed"."""

from __future__ import annotations

from pathlib import Path

MANIFEST = "com.vivim.host.json"

# system -> browser -> (folder that shows the browser is installed, folder of host manifests), under HOME
LAYOUTS: dict[str, dict[str, tuple[str, str]]] = {
    "linux": {
        "chrome": (".config/google-chrome", ".config/google-chrome/NativeMessagingHosts"),
        "chromium": (".config/chromium", ".config/chromium/NativeMessagingHosts"),
        "brave": (
            ".config/BraveSoftware/Brave-Browser",
            ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ),
        "edge": (".config/microsoft-edge", ".config/microsoft-edge/NativeMessagingHosts"),
        "vivaldi": (".config/vivaldi", ".config/vivaldi/NativeMessagingHosts"),
        "firefox": (".mozilla/firefox", ".mozilla/native-messaging-hosts"),
    },
    "darwin": {
        "chrome": (
            "Library/Application Support/Google/Chrome",
            "Library/Application Support/Google/Chrome/NativeMessagingHosts",
        ),
        "chromium": (
            "Library/Application Support/Chromium",
            "Library/Application Support/Chromium/NativeMessagingHosts",
        ),
        "brave": (
            "Library/Application Support/BraveSoftware/Brave-Browser",
            "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ),
        "edge": (
            "Library/Application Support/Microsoft Edge",
            "Library/Application Support/Microsoft Edge/NativeMessagingHosts",
        ),
        "vivaldi": (
            "Library/Application Support/Vivaldi",
            "Library/Application Support/Vivaldi/NativeMessagingHosts",
        ),
        "firefox": (
            "Library/Application Support/Firefox",
            "Library/Application Support/Mozilla/NativeMessagingHosts",
        ),
    },
    "windows": {
        "chrome": ("AppData/Local/Google/Chrome/User Data", ""),
        "chromium": ("AppData/Local/Chromium/User Data", ""),
        "brave": ("AppData/Local/BraveSoftware/Brave-Browser/User Data", ""),
        "edge": ("AppData/Local/Microsoft/Edge/User Data", ""),
        "vivaldi": ("AppData/Local/Vivaldi/User Data", ""),
        "firefox": ("AppData/Roaming/Mozilla/Firefox", ""),
    },
}

KEY = "Software\\{}\\NativeMessagingHosts\\com.vivim.host"
# Windows: the HKCU keys each browser reads (Vivaldi, and some Chromium builds, read Chrome's).
WINDOWS_KEYS: dict[str, list[str]] = {
    "chrome": [KEY.format("Google\\Chrome")],
    "chromium": [KEY.format("Chromium"), KEY.format("Google\\Chrome")],
    "brave": [KEY.format("BraveSoftware\\Brave-Browser"), KEY.format("Google\\Chrome")],
    "edge": [KEY.format("Microsoft\\Edge")],
    "vivaldi": [KEY.format("Google\\Chrome")],
    "firefox": [KEY.format("Mozilla")],
}
FAMILY = {
    "chrome": "chromium",
    "chromium": "chromium",
    "brave": "chromium",
    "edge": "chromium",
    "vivaldi": "chromium",
    "firefox": "firefox",
}


def install_browsers(home: Path, system: str, browsers: list[str]) -> None:
    for key in browsers:
        (home / LAYOUTS[system][key][0]).mkdir(parents=True, exist_ok=True)


def tree(*roots: Path) -> set[str]:
    """Every file and folder under the roots (the roots included), as strings."""
    found: set[str] = set()
    for root in roots:
        if root.exists():
            found.add(str(root))
            found.update(str(p) for p in root.rglob("*"))
    return found
