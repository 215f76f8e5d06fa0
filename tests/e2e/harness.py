"""Real headless Chromium with the unpacked VIVIM extension, the real host registered by
`vivim install`, and the site fixtures served at the sites' real URLs by request interception.

Only the fixture URLs are answered; every other request is aborted and recorded, so a test can
assert that captured hostile markup never made the browser fetch anything.

Optional sites (extension/sites.js `optional: true`, the manifest's `optional_host_permissions`) are not
read until the user grants their origin in the popup. Chromium cannot click its permission prompt, so
`Browser(root, grant=("perplexity",))` starts from a copy of the extension whose manifest lists those
origins in `host_permissions` too: Chromium grants them at install, exactly as a user's "Allow" would,
and everything after that is the product's own path (the service worker sees the grant with
`permissions.contains` and registers the site's content scripts with `scripting.registerContentScripts`).
Firefox tests the real click (tests/e2e_firefox/harness.py `grant_in_popup`).

A site's fixture pages are one line each in PAGES (URL -> file under tests/fixtures/sites/), and its
unscripted page one line in UNSEEN.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from vivim.config import EXTENSION_ID, HOST_NAME
from vivim.providers import SITES

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "extension"
SITE_FIXTURES = REPO / "tests" / "fixtures" / "sites"
CHROMIUM = Path(os.environ.get("VIVIM_CHROMIUM", "/usr/lib/chromium/chromium"))

# Measured on Debian's Chromium 156: new headless runs extensions with these.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

CHATGPT_URL = "https://chatgpt.com/c/67a1b2c3-0d4e-8f00-a1b2-c3d4e5f60718"
CLAUDE_URL = "https://claude.ai/chat/4f1c2a9e-8b7d-4c3e-9a10-2b3c4d5e6f70"
GEMINI_URL = "https://gemini.google.com/app/8c2f4e6a1b3d5f70"
CLAUDE_BROKEN_URL = "https://claude.ai/chat/0badc0de-0000-4000-8000-000000000000"
CHATGPT_NEW_URL = "https://chatgpt.com/"
PERPLEXITY_URL = "https://www.perplexity.ai/search/why-do-tide-tables-differ-AbC1dEf2GhI3jKl4MnO5pQ"
# A thread in 2024 markup (test_capture_perplexity.py); its UNSEEN page is the markup public exporters read.
PERPLEXITY_2024_URL = (
    "https://www.perplexity.ai/search/best-time-to-see-the-severn-bore-Xs6pxUAfRwqwP8Wg0SsM6Q"
)
DEEPSEEK_URL = "https://chat.deepseek.com/a/chat/s/3b5d7f90-2a4c-4e6f-8a0b-1c3e5f7a9b2d"
DEEPSEEK_NEW_URL = "https://chat.deepseek.com/"
MISTRAL_URL = "https://chat.mistral.ai/chat/5e4d3c2b-1a09-4877-9665-544332211000"
GROK_URL = "https://grok.com/c/4f6a2b1c-3d5e-4f70-8a9b-0c1d2e3f4a5b"
GROK_OLDER_URL = "https://grok.com/c/5a6b7c8d-0000-4000-8000-111122223333"
COPILOT_URL = "https://copilot.microsoft.com/chats/kY8vQx2LmN4pR6sT0uWz1"
COPILOT_OLDER_URL = "https://copilot.microsoft.com/chats/Ab3dEf6hIj9kLm2nOp5qR"
COPILOT_ARTICLE_URL = "https://copilot.microsoft.com/chats/Zq7wX1cV3bN5mA8sD0fG2"
AISTUDIO_URL = "https://aistudio.google.com/prompts/1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV"
AISTUDIO_NEW_URL = "https://aistudio.google.com/prompts/new_chat"

# Conversations no test scripts, in other markup generations of each site: captured as completely.
UNSEEN = {
    "chatgpt": (
        "https://chatgpt.com/g/g-2fkFE8rbu-scholar/c/6790aa00-1111-8000-9999-abcdefabcdef",
        "chatgpt/custom_gpt_2024.html",
    ),
    "claude": ("https://claude.ai/chat/9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", "claude/older_markup.html"),
    "gemini": ("https://gemini.google.com/app/1234abcd5678ef90", "gemini/no_ids.html"),
    "deepseek": (
        "https://chat.deepseek.com/a/chat/s/7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        "deepseek/older_markup.html",
    ),
    "mistral": (
        "https://chat.mistral.ai/chat/d2000000-1111-4222-8333-944455556666",
        "mistral/older_markup.html",
    ),
    "aistudio": (
        "https://aistudio.google.com/app/prompts/1kanjiStrokeOrder0000000000000",
        "aistudio/older_markup.html",
    ),
    "grok": (GROK_OLDER_URL, "grok/older_markup.html"),
    "copilot": (COPILOT_OLDER_URL, "copilot/older_markup.html"),
    "perplexity": (
        "https://www.perplexity.ai/search/how-do-sourdough-starters-work-Qw3rTy7uIo9pAs1dFg7h",
        "perplexity/pplxport_markup.html",
    ),
}

# One more generation of each new site, in the markup public tools for that site read or measured (the
# fixture's comment names them; Perplexity's is its UNSEEN page): test_capture_source_generations.py.
SOURCE_GENERATIONS = {
    "chatgpt": ("https://chatgpt.com/c/68f1c2d3-0a1b-8c2d-9e3f-4a5b6c7d8e9f", "chatgpt/thread_2026.html"),
    "claude": ("https://claude.ai/chat/4f3e2d1c-0b9a-4876-8543-210fedcba987", "claude/feed_2026.html"),
    "grok": ("https://grok.com/c/6b7c8d9e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "grok/bubbles_2026.html"),
    "copilot": ("https://copilot.microsoft.com/chats/Zx9yW8vU7tS6rQ5pO4nM3", "copilot/exporter_markup.html"),
    "deepseek": (
        "https://chat.deepseek.com/a/chat/s/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "deepseek/late_2026.html",
    ),
    "mistral": (
        "https://chat.mistral.ai/chat/a1b2c3d4-0000-4000-8000-2024aaaabbbb",
        "mistral/markup_2024.html",
    ),
    "aistudio": (
        "https://aistudio.google.com/prompts/1hAikuSeasonWords00000000000",
        "aistudio/prompt_containers.html",
    ),
}

PAGES: dict[str, str] = {
    **dict(UNSEEN.values()),
    **dict(SOURCE_GENERATIONS.values()),
    CHATGPT_URL: "chatgpt/conversation.html",
    CLAUDE_URL: "claude/conversation.html",
    GEMINI_URL: "gemini/conversation.html",
    CLAUDE_BROKEN_URL: "claude/redesigned.html",
    CHATGPT_NEW_URL: "chatgpt/new_chat.html",
    PERPLEXITY_URL: "perplexity/thread.html",
    PERPLEXITY_2024_URL: "perplexity/older_markup.html",
    DEEPSEEK_URL: "deepseek/conversation.html",
    DEEPSEEK_NEW_URL: "deepseek/new_chat.html",
    "https://chat.deepseek.com/a/chat/s/5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f": "deepseek/side_panel_first.html",
    "https://chatgpt.com/uc/6ac003a8-d54c-83ea-bb04-28d7229e9e47": "chatgpt/transcript_2026.html",
    MISTRAL_URL: "mistral/conversation.html",
    GROK_URL: "grok/conversation.html",
    GROK_OLDER_URL: "grok/older_markup.html",
    COPILOT_URL: "copilot/conversation.html",
    COPILOT_OLDER_URL: "copilot/older_markup.html",
    COPILOT_ARTICLE_URL: "copilot/article_markup_2026.html",
    AISTUDIO_URL: "aistudio/conversation.html",
    AISTUDIO_NEW_URL: "aistudio/new_chat.html",
}

# Requests to these hosts that no fixture answers (a favicon) are expected; any other host is "foreign".
SITE_HOSTS = {host for info in SITES for host in info.hosts}

T = TypeVar("T")


# How long a browser test waits for the page, the extension and the host to get somewhere. Only a failing
# test waits this long; 20 s was too short on a 2-core machine running ~130 browser tests in a row
# (tests of the new sites timed out at 20 s there and passed alone in 5-10 s).
WAIT_SECONDS = 45.0


def wait_for(
    check: Callable[[], T], timeout: float = WAIT_SECONDS, interval: float = 0.2, what: str = "condition"
) -> T:
    """Poll until check() returns something truthy; the last value is in the failure message."""
    deadline = time.monotonic() + timeout
    value: Any = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {value!r}")


def at_least(n: int, rows_of: Callable[[], list[Any]]) -> Callable[[], list[Any] | None]:
    """A wait_for check: the rows once there are at least n of them."""

    def check() -> list[Any] | None:
        rows = rows_of()
        return rows if len(rows) >= n else None

    return check


def vivim_command() -> list[str]:
    script = Path(sys.executable).with_name("vivim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]


def extension_with_grants(root: Path, grant: tuple[str, ...]) -> Path:
    """A copy of the extension whose manifest also lists the chosen optional sites' origins in
    `host_permissions`, so Chromium grants them at install (what the user's "Allow" would do).
    Same key, so the same extension id; nothing else changes."""
    if not grant:
        return EXTENSION_DIR
    manifest = json.loads((EXTENSION_DIR / "manifest.json").read_text(encoding="utf-8"))
    optional = manifest.get("optional_host_permissions", [])
    wanted = [f"https://{host}/*" for info in SITES if info.key in grant for host in info.hosts]
    unknown = [origin for origin in wanted if origin not in optional]
    assert len(wanted) >= len(grant) and not unknown, f"not optional sites: {grant} ({unknown})"
    target = root / "extension"
    remove_tree(target)
    shutil.copytree(EXTENSION_DIR, target)
    manifest["host_permissions"] = [*manifest["host_permissions"], *wanted]
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


class Browser:
    """One browser profile, one VIVIM data directory, one temporary HOME; `grant` names the optional
    sites (provider keys) whose origins the user has granted."""

    def __init__(self, root: Path, *, register: bool = True, grant: tuple[str, ...] = ()) -> None:
        from playwright.sync_api import sync_playwright

        self.root = root
        self.home = root / "home"
        self.profile = root / "profile"
        self.vivim_home = root / "vivim-home"
        for path in (self.home, self.profile, self.vivim_home):
            path.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "VIVIM_HOME": str(self.vivim_home),
            "VIVIM_SERVICES": "none",
        }
        self.dialogs: list[str] = []
        self.foreign_requests: list[str] = []
        # Extra answers on the sites' origins: URL (query included, or without) -> (content type, body),
        # or (content type, body, headers) for an API on another origin (CORS headers).
        # The network-capture tests serve the sites' own conversation JSON (and pages made for it) here.
        self.responses: dict[str, tuple[Any, ...]] = {}
        if register:
            self.register_host()
        extension = extension_with_grants(root, grant)
        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=str(CHROMIUM),
            headless=True,
            env=self.env,
            args=[
                f"--load-extension={extension}",
                f"--disable-extensions-except={extension}",
                *CHROMIUM_ARGS,
            ],
        )
        self.context.route("**/*", self._serve)
        self.context.on("page", self._watch)
        for page in self.context.pages:
            self._watch(page)
        if grant:
            # The service worker registers a granted site's scripts once it has started (onInstalled);
            # a test opening the site's page before that would race it, as a user never does (they
            # grant, then browse). A tab open before registration is covered by its own test.
            wanted = {f"vivim-{key}-page" for key in grant}
            wait_for(
                lambda: wanted <= set(self.registered_scripts()), what="the granted sites' scripts registered"
            )

    # ---- host registration ----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.profile / "NativeMessagingHosts" / f"{HOST_NAME}.json"

    def register_host(self) -> None:
        """`vivim install --browser chromium --profile-dir`, exactly as a user would run it."""
        subprocess.run(
            [*vivim_command(), "install", "--browser", "chromium", "--profile-dir", str(self.profile)],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        manifest = json.loads(self.manifest_path.read_text())
        assert manifest["allowed_origins"] == [f"chrome-extension://{EXTENSION_ID}/"], manifest

    def launcher_path(self) -> Path:
        return Path(json.loads(self.manifest_path.read_text())["path"])

    # ---- serving the sites ----------------------------------------------------------------

    def _serve(self, route: Any) -> None:
        url = route.request.url
        if not url.startswith(("http://", "https://")):
            route.continue_()
            return
        bare = url.split("#")[0]
        extra = self.responses.get(bare) or self.responses.get(bare.split("?")[0])
        if extra is not None:
            headers = extra[2] if len(extra) > 2 else None
            route.fulfill(status=200, content_type=extra[0], body=extra[1], headers=headers)
            return
        fixture = PAGES.get(url.split("#")[0].split("?")[0])
        if fixture is None:
            if urlsplit(url).hostname not in SITE_HOSTS:  # e.g. /favicon.ico on a site is expected
                self.foreign_requests.append(url)
            route.abort()
            return
        route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=(SITE_FIXTURES / fixture).read_bytes()
        )

    def _watch(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def open(self, url: str) -> Any:
        page = self.context.new_page()
        page.goto(url)
        return page

    # ---- the extension ----------------------------------------------------------------------

    @property
    def service_worker(self) -> Any:
        workers = self.context.service_workers
        return workers[0] if workers else self.context.wait_for_event("serviceworker", timeout=15000)

    def badge(self) -> str:
        return self.service_worker.evaluate("chrome.action.getBadgeText({})")

    def queued(self) -> int:
        return self.service_worker.evaluate(
            "chrome.storage.local.get('captureQueue').then(r => (r.captureQueue || []).length)"
        )

    def snapshots(self, page: Any) -> int:
        """How many capture snapshots the content script has run on this page (its performance marks)."""
        return page.evaluate("performance.getEntriesByName('vivim:snapshot').length")

    def open_popup(self) -> Any:
        return self.open(f"chrome-extension://{EXTENSION_ID}/popup/popup.html")

    def registered_scripts(self) -> list[str]:
        """The ids of the content scripts the service worker registered (the optional sites')."""
        return self.service_worker.evaluate(
            "chrome.scripting.getRegisteredContentScripts().then(s => s.map(x => x.id).sort())"
        )

    def sites(self) -> dict[str, Any]:
        """Each site's state as the popup gets it: {key: {optional, granted, enabled, registered}}."""
        page = self.context.new_page()
        try:
            page.goto(f"chrome-extension://{EXTENSION_ID}/popup/popup.html")
            return page.evaluate("chrome.runtime.sendMessage({kind: 'sites'}).then(r => r.sites)")
        finally:
            page.close()

    def set_site_enabled(self, key: str, enabled: bool) -> None:
        """The per-site switch, as the popup's toggle writes it (storage.local siteEnabled)."""
        self.service_worker.evaluate(
            """async ([key, enabled]) => {
                const all = (await chrome.storage.local.get("siteEnabled")).siteEnabled || {};
                if (enabled) delete all[key]; else all[key] = false;
                await chrome.storage.local.set({siteEnabled: all});
            }""",
            [key, enabled],
        )

    # ---- what the host stored ---------------------------------------------------------------

    def messages(self, provider: str, external_id: str) -> list[dict[str, Any]]:
        db = self.vivim_home / "vivim.sqlite3"
        if not db.exists():
            return []
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(
                "SELECT m.key, m.parent_key, m.provider_message_id, m.position, m.role, m.text, m.markdown,"
                " m.html, m.status, m.model, c.title, c.url FROM messages m"
                " JOIN conversations c ON c.id = m.conversation_id"
                " WHERE c.provider = ? AND c.external_id = ? ORDER BY m.position, m.id",
                (provider, external_id),
            ).fetchall()
        except sqlite3.OperationalError:  # the host is still creating the schema
            return []
        finally:
            conn.close()
        return [dict(r) for r in rows]

    def export(self, provider: str) -> list[dict[str, Any]]:
        return export(self, provider)

    def conversation_count(self) -> int:
        db = self.vivim_home / "vivim.sqlite3"
        if not db.exists():
            return 0
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self._pw.stop()


def export(browser: Any, provider: str) -> list[dict[str, Any]]:
    """`vivim export --format jsonl` for any harness with an `env` (Chromium's or Firefox's): what
    the user gets back, with the Markdown the host made from the captured HTML."""
    done = subprocess.run(
        [*vivim_command(), "export", "--format", "jsonl", "--provider", provider],
        env=browser.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y --no-install-recommends chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def texts(rows: list[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in rows]


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
