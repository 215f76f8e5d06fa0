"""The browsers VIVIM registers with, where each one looks for native-messaging host manifests,
and how we tell whether a browser is installed (natively, or sandboxed as a Snap or Flatpak).

Sources: Chrome's native-messaging docs (Linux/macOS user folders, Windows registry), MDN's
"Native manifests" (Firefox folders and registry key), and field reports gathered by
KeePassXC-Browser: on Windows, Vivaldi and (some) Chromium builds read Google Chrome's
registry key rather than their own, so for those we write Chrome's key as well.

Folder templates are resolved against a Machine:
  ~/       the home directory               $XDG/      $XDG_CONFIG_HOME or ~/.config
  $SUPPORT ~/Library/Application Support    $LOCAL/    %LOCALAPPDATA%   $ROAMING/ %APPDATA%
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import HOST_NAME
from .machine import LINUX, MACOS, WINDOWS, Machine

CHROMIUM_FAMILY = "chromium"
FIREFOX_FAMILY = "firefox"
MANIFEST_FILENAME = f"{HOST_NAME}.json"
CHROME_REGISTRY_VENDOR = "Google\\Chrome"


@dataclass(frozen=True)
class Browser:
    key: str
    label: str
    family: str
    profile: dict[str, str]  # system -> folder that exists once the browser has run
    manifest_dir: dict[str, str]  # linux/darwin -> folder the browser reads host manifests from
    registry_vendors: tuple[str, ...]  # Windows: HKCU\Software\<vendor>\NativeMessagingHosts\<host>
    executables: tuple[str, ...] = ()  # names on PATH (Linux) that mean "installed"
    mac_apps: tuple[str, ...] = ()
    snap: str | None = None
    flatpak: str | None = None

    def manifest_folder(self, machine: Machine) -> Path | None:
        """Where this browser reads per-user host manifests; None on Windows (registry)."""
        template = self.manifest_dir.get(machine.system)
        return resolve(template, machine) if template else None

    def registry_keys(self) -> list[str]:
        return [f"Software\\{vendor}\\NativeMessagingHosts\\{HOST_NAME}" for vendor in self.registry_vendors]


BROWSERS: dict[str, Browser] = {
    b.key: b
    for b in [
        Browser(
            "chrome",
            "Google Chrome",
            CHROMIUM_FAMILY,
            profile={
                LINUX: "$XDG/google-chrome",
                MACOS: "$SUPPORT/Google/Chrome",
                WINDOWS: "$LOCAL/Google/Chrome/User Data",
            },
            manifest_dir={
                LINUX: "$XDG/google-chrome/NativeMessagingHosts",
                MACOS: "$SUPPORT/Google/Chrome/NativeMessagingHosts",
            },
            registry_vendors=(CHROME_REGISTRY_VENDOR,),
            executables=("google-chrome", "google-chrome-stable"),
            mac_apps=("Google Chrome.app",),
            flatpak="com.google.Chrome",
        ),
        Browser(
            "chromium",
            "Chromium",
            CHROMIUM_FAMILY,
            profile={
                LINUX: "$XDG/chromium",
                MACOS: "$SUPPORT/Chromium",
                WINDOWS: "$LOCAL/Chromium/User Data",
            },
            manifest_dir={
                LINUX: "$XDG/chromium/NativeMessagingHosts",
                MACOS: "$SUPPORT/Chromium/NativeMessagingHosts",
            },
            registry_vendors=("Chromium", CHROME_REGISTRY_VENDOR),
            executables=("chromium", "chromium-browser"),
            mac_apps=("Chromium.app",),
            snap="chromium",
            flatpak="org.chromium.Chromium",
        ),
        Browser(
            "brave",
            "Brave",
            CHROMIUM_FAMILY,
            profile={
                LINUX: "$XDG/BraveSoftware/Brave-Browser",
                MACOS: "$SUPPORT/BraveSoftware/Brave-Browser",
                WINDOWS: "$LOCAL/BraveSoftware/Brave-Browser/User Data",
            },
            manifest_dir={
                LINUX: "$XDG/BraveSoftware/Brave-Browser/NativeMessagingHosts",
                MACOS: "$SUPPORT/BraveSoftware/Brave-Browser/NativeMessagingHosts",
            },
            registry_vendors=("BraveSoftware\\Brave-Browser", CHROME_REGISTRY_VENDOR),
            executables=("brave-browser", "brave"),
            mac_apps=("Brave Browser.app",),
            snap="brave",
            flatpak="com.brave.Browser",
        ),
        Browser(
            "edge",
            "Microsoft Edge",
            CHROMIUM_FAMILY,
            profile={
                LINUX: "$XDG/microsoft-edge",
                MACOS: "$SUPPORT/Microsoft Edge",
                WINDOWS: "$LOCAL/Microsoft/Edge/User Data",
            },
            manifest_dir={
                LINUX: "$XDG/microsoft-edge/NativeMessagingHosts",
                MACOS: "$SUPPORT/Microsoft Edge/NativeMessagingHosts",
            },
            registry_vendors=("Microsoft\\Edge",),
            executables=("microsoft-edge", "microsoft-edge-stable"),
            mac_apps=("Microsoft Edge.app",),
            flatpak="com.microsoft.Edge",
        ),
        Browser(
            "vivaldi",
            "Vivaldi",
            CHROMIUM_FAMILY,
            profile={LINUX: "$XDG/vivaldi", MACOS: "$SUPPORT/Vivaldi", WINDOWS: "$LOCAL/Vivaldi/User Data"},
            manifest_dir={
                LINUX: "$XDG/vivaldi/NativeMessagingHosts",
                MACOS: "$SUPPORT/Vivaldi/NativeMessagingHosts",
            },
            # Vivaldi on Windows never reads a Vivaldi key; it reads Google Chrome's.
            registry_vendors=(CHROME_REGISTRY_VENDOR,),
            executables=("vivaldi", "vivaldi-stable"),
            mac_apps=("Vivaldi.app",),
            snap="vivaldi",
            flatpak="com.vivaldi.Vivaldi",
        ),
        Browser(
            "firefox",
            "Firefox",
            FIREFOX_FAMILY,
            profile={
                LINUX: "~/.mozilla/firefox",
                MACOS: "$SUPPORT/Firefox",
                WINDOWS: "$ROAMING/Mozilla/Firefox",
            },
            manifest_dir={
                LINUX: "~/.mozilla/native-messaging-hosts",
                MACOS: "$SUPPORT/Mozilla/NativeMessagingHosts",
            },
            registry_vendors=("Mozilla",),
            executables=("firefox", "firefox-esr"),
            mac_apps=("Firefox.app",),
            snap="firefox",
            flatpak="org.mozilla.firefox",
        ),
    ]
}


def resolve(template: str, machine: Machine) -> Path:
    prefixes = {
        "~/": machine.home,
        "$XDG/": machine.config_home(),
        "$SUPPORT/": machine.application_support(),
        "$LOCAL/": machine.local_appdata(),
        "$ROAMING/": machine.roaming_appdata(),
    }
    for prefix, base in prefixes.items():
        if template.startswith(prefix):
            return base.joinpath(*template[len(prefix) :].split("/"))
    raise ValueError(f"folder template {template!r} has no known prefix")


@dataclass(frozen=True)
class Sandboxed:
    """A Snap or Flatpak copy of a browser: it cannot start host programs without extra steps."""

    browser: Browser
    kind: str  # "snap" | "flatpak"
    evidence: Path

    def advice(self, launcher: Path | None = None) -> str:
        b = self.browser
        target = str(launcher) if launcher else "the VIVIM launcher"
        if self.kind == "snap" and b.key == "firefox":
            return (
                f"{b.label} is installed as a Snap ({self.evidence}). A confined Firefox starts native hosts only "
                "through the XDG WebExtensions portal: it needs an xdg-desktop-portal that provides that portal "
                "(recent Ubuntu releases ship it) and `widget.use-xdg-desktop-portal.native-messaging` set to 1 in "
                "about:config. The portal reads the normal manifest, so also run `vivim install --browser firefox`. "
                "Otherwise use Mozilla's .deb or tarball build of Firefox."
            )
        if self.kind == "snap":
            return (
                f"{b.label} is installed as a Snap ({self.evidence}). Snap confinement stops it from starting "
                "programs outside the snap, so it cannot start VIVIM's host and would ignore a manifest. Use a "
                "non-Snap build (your distribution's .deb/.rpm, or the vendor's own package), then run "
                f"`vivim install --browser {b.key}`."
            )
        folder = self.sandbox_manifest_folder()
        return (
            f"{b.label} is installed as a Flatpak ({b.flatpak}). The Flatpak sandbox cannot see or start programs "
            "on the host, so it would ignore a manifest. Either use a non-Flatpak build and run "
            f"`vivim install --browser {b.key}`, or bridge the sandbox yourself: "
            f"`flatpak override --user --talk-name=org.freedesktop.Flatpak {b.flatpak}`, then put {MANIFEST_FILENAME} "
            f'in {folder} with a `path` to a script that runs `flatpak-spawn --host {target} "$@"`.'
        )

    def sandbox_manifest_folder(self) -> Path:
        """Where the sandboxed browser looks for manifests, inside its own ~/.var/app/<id>."""
        # Flatpak points XDG_CONFIG_HOME at ~/.var/app/<id>/config inside the sandbox.
        inside = Machine(
            system=LINUX, home=self.evidence, env={"XDG_CONFIG_HOME": str(self.evidence / "config")}
        )
        return resolve(self.browser.manifest_dir[LINUX], inside)


@dataclass(frozen=True)
class Detection:
    browser: Browser
    native: Path | None  # evidence of a normal install: a profile folder or an executable
    sandboxed: list[Sandboxed] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.native is not None


def detect(browser: Browser, machine: Machine) -> Detection:
    native: Path | None = None
    profile = resolve(browser.profile[machine.system], machine)
    if profile.is_dir():
        native = profile
    elif machine.system == LINUX:
        for name in browser.executables:
            exe = machine.which(name)
            if exe is not None and not exe.is_relative_to(machine.system_path("/snap")):
                native = exe
                break
    elif machine.system == MACOS:
        for app in browser.mac_apps:
            for folder in (machine.system_path("/Applications"), machine.home / "Applications"):
                if (folder / app).is_dir():
                    native = folder / app
                    break
            if native:
                break
    return Detection(browser, native, _sandboxed(browser, machine))


def _sandboxed(browser: Browser, machine: Machine) -> list[Sandboxed]:
    if machine.system != LINUX:
        return []
    found: list[Sandboxed] = []
    if browser.snap:
        for evidence in (
            machine.system_path(f"/snap/bin/{browser.snap}"),
            machine.home / "snap" / browser.snap,
        ):
            if evidence.exists():
                found.append(Sandboxed(browser, "snap", evidence))
                break
    if browser.flatpak:
        user_data = machine.home / ".var" / "app" / browser.flatpak
        installed = [
            machine.home / ".local/share/flatpak/app" / browser.flatpak,
            machine.system_path(f"/var/lib/flatpak/app/{browser.flatpak}"),
        ]
        if user_data.is_dir() or any(p.is_dir() for p in installed):
            found.append(Sandboxed(browser, "flatpak", user_data))
    return found


def detect_all(machine: Machine, keys: list[str] | None = None) -> list[Detection]:
    return [detect(BROWSERS[k], machine) for k in (keys or list(BROWSERS))]
