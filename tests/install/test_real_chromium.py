"""Real headless Chromium finds the host that `vivim install --profile-dir` registered, starts
the launcher, and gets a `hello` reply: the manifest's folder, name, path and allowed origin
are what a real browser accepts. A minimal extension with VIVIM's `key` (hence VIVIM's ID)
stands in for the real one, so this checks the registration alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("VIVIM_CHROMIUM", "/usr/lib/chromium/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
HELLO_JS = """() => chrome.runtime.sendNativeMessage('com.vivim.host', {v: 1, id: '1', type: 'hello', payload: {}})
    .then(reply => ({reply}), error => ({error: String(error && error.message || error)}))"""


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


pytestmark = [pytest.mark.browser, pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]


def probe_extension(folder: Path) -> Path:
    key = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))["key"]
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "manifest_version": 3,
                "name": "VIVIM install probe",
                "version": "0.0.1",
                "key": key,
                "permissions": ["nativeMessaging"],
                "background": {"service_worker": "sw.js"},
            }
        )
    )
    (folder / "sw.js").write_text("self.addEventListener('install', () => self.skipWaiting());\n")
    return folder


def vivim(env: dict[str, str], *args: str) -> None:
    script = Path(sys.executable).with_name("vivim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]
    subprocess.run([*command, *args], env=env, check=True, capture_output=True, text=True, timeout=60)


def test_real_chromium_starts_the_host_registered_with_profile_dir(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    from vivim.config import EXTENSION_ID

    profile, home, data = tmp_path / "profile", tmp_path / "home", tmp_path / "data"
    for path in (profile, home, data):
        path.mkdir()
    extension = probe_extension(tmp_path / "probe")
    env = {**os.environ, "HOME": str(home), "VIVIM_HOME": str(data), "VIVIM_SERVICES": "none"}
    vivim(env, "install", "--browser", "chromium", "--profile-dir", str(profile))

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            env=env,
            args=[
                f"--load-extension={extension}",
                f"--disable-extensions-except={extension}",
                *CHROMIUM_ARGS,
            ],
        )
        try:
            worker = (
                context.service_workers[0]
                if context.service_workers
                else context.wait_for_event("serviceworker")
            )
            assert worker.url.startswith(f"chrome-extension://{EXTENSION_ID}/")
            answer = worker.evaluate(HELLO_JS)
            assert "reply" in answer, answer
            assert answer["reply"]["ok"] is True and answer["reply"]["result"]["protocol"] == 1

            vivim(env, "uninstall", "--profile-dir", str(profile))
            gone = worker.evaluate(HELLO_JS)
            assert "native messaging host not found" in gone.get("error", "").lower(), gone
        finally:
            context.close()
