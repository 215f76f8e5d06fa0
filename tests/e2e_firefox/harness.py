"""Real headless Firefox ESR with the VIVIM extension, the real host registered by
`vivim install --browser firefox`, and the site fixtures served at the sites' real URLs.

Firefox is driven over WebDriver BiDi, which it speaks itself (`--remote-debugging-port`): no
geckodriver. The extension is installed as a temporary add-on (`webExtension.install`), exactly as
`about:debugging` would, so Firefox reads `background.scripts` and `browser_specific_settings.gecko.id`
from the shipped manifest. Every http(s) request is held by a BiDi network intercept: the fixture URLs
are answered with `network.provideResponse` (so the page really is https://chatgpt.com/c/... and the
manifest's match patterns are what is tested); everything else is failed and recorded per tab.

Optional sites are granted the way a user grants them: `grant_in_popup(key)` clicks the popup's
"Turn on" (a real pointer click over BiDi, so `permissions.request` runs in a user gesture); the pref
`extensions.webextOptionalPermissionPrompts=false` makes Firefox grant without showing its prompt
(which headless Firefox could not show), and the rest is the product's own path.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Reused from the Chromium suite: the same fixture pages at the same URLs, the same store readers.
from tests.e2e.harness import (
    EXTENSION_DIR,
    PAGES,
    SITE_FIXTURES,
    SITE_HOSTS,
    Browser,
    vivim_command,
    wait_for,
)
from vivim.config import FIREFOX_EXTENSION_ID, HOST_NAME

from .bidi import BiDiError, Connection, local_value, python_value

FIREFOX = Path(os.environ.get("VIVIM_FIREFOX", "/usr/bin/firefox-esr"))
# A URL the extension does not match, serving a fixture byte for byte: what the page does on its own.
BASELINE_ORIGIN = "https://fixture-baseline.test/"

PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    # With --remote-allow-system-access: the browser window's chrome context, to open extension pages.
    "remote.experimental.enabled": True,
    # permissions.request (from a user gesture) grants without the prompt headless Firefox cannot show.
    "extensions.webextOptionalPermissionPrompts": False,
}


class Page:
    """One tab (a top-level browsing context)."""

    def __init__(self, browser: FirefoxBrowser, context: str) -> None:
        self.browser = browser
        self.context = context

    def goto(self, url: str) -> None:
        self.browser.bidi.call(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def reload(self) -> None:
        self.browser.bidi.call("browsingContext.reload", {"context": self.context, "wait": "complete"})

    def wait_for_timeout(self, ms: float) -> None:
        """Playwright's name for it; BiDi events are served on their own thread, so a sleep will do."""
        time.sleep(ms / 1000)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        """Like Playwright's page.evaluate: a function (called with arg) or an expression; promises awaited."""
        target = {"context": self.context}
        if re.match(r"^\s*(async\s+)?(\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>|^\s*(async\s+)?function\b", script):
            result = self.browser.bidi.call(
                "script.callFunction",
                {
                    "functionDeclaration": script,
                    "arguments": [] if arg is None else [local_value(arg)],
                    "target": target,
                    "awaitPromise": True,
                    "resultOwnership": "none",
                },
            )
        else:
            result = self.browser.bidi.call(
                "script.evaluate",
                {"expression": script, "target": target, "awaitPromise": True, "resultOwnership": "none"},
            )
        if result["type"] == "exception":
            details = result["exceptionDetails"]
            raise BiDiError(f"page script threw: {details.get('text')}")
        return python_value(result["result"])

    def inner_text(self, selector: str) -> str:
        return self.evaluate("(s) => document.querySelector(s)?.innerText ?? ''", selector)

    def click(self, selector: str) -> None:
        """A real pointer click (BiDi input actions: trusted, a user gesture) in the middle of the element,
        once it has stayed put and nothing covers it, as Playwright waits before its clicks: a page that
        is still laying out would take the click somewhere else."""
        last: list[int] | None = None

        def settled() -> list[int] | None:
            nonlocal last
            box = self.evaluate(
                """(s) => { const el = document.querySelector(s); if (!el) return null;
                el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect();
                if (!r.width || !r.height) return null;
                const x = Math.round(r.x + r.width / 2), y = Math.round(r.y + r.height / 2);
                return el.contains(document.elementFromPoint(x, y)) ? [x, y] : null; }""",
                selector,
            )
            steady = box is not None and box == last
            last = box
            return box if steady else None

        box = wait_for(settled, timeout=15, interval=0.1, what=f"{selector} to be shown and still")
        self.browser.bidi.call(
            "input.performActions",
            {
                "context": self.context,
                "actions": [
                    {
                        "type": "pointer",
                        "id": "mouse",
                        "parameters": {"pointerType": "mouse"},
                        "actions": [
                            {"type": "pointerMove", "x": box[0], "y": box[1]},
                            {"type": "pointerDown", "button": 0},
                            {"type": "pointerUp", "button": 0},
                        ],
                    }
                ],
            },
        )

    @property
    def foreign_requests(self) -> list[str]:
        return self.browser.foreign_by_context.get(self.context, [])


class FirefoxBrowser:
    """One running Firefox (one profile, one temporary HOME) that each test starts afresh with
    `fresh()`: its own VIVIM data directory, the host registered for it, the extension newly installed.

    Starting Firefox costs 3-7 s on this (2-core, shared) machine, a fresh start in a running one under
    a second; the suite must stay near a minute, so the browser is shared and everything a test can
    observe (tabs, data directory, host process, extension and its storage) is renewed."""

    # The Chromium suite's readers of the host's database need only `vivim_home`.
    messages = Browser.messages
    conversation_count = Browser.conversation_count

    def __init__(self, root: Path) -> None:
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
            "MOZ_CRASHREPORTER_DISABLE": "1",
        }
        self.dialogs: list[str] = []
        self.foreign_by_context: dict[str, list[str]] = {}
        self.fixture_of_context: dict[str, str] = {}
        self.baselines: dict[str, list[str]] = {}
        self.served: dict[str, bytes] = {
            url: (SITE_FIXTURES / name).read_bytes() for url, name in PAGES.items()
        }
        # As Browser.responses: extra answers (the sites' own JSON), URL with or without query -> (type, body),
        # or (type, body, headers) for an API on another origin (CORS headers).
        self.responses: dict[str, tuple[Any, ...]] = {}
        self.stderr_tail: deque[str] = deque(maxlen=200)
        self.timings: dict[str, float] = {}
        self.extension_installed = False
        self._write_prefs()
        self.process: subprocess.Popen[str] | None = None
        self.bidi: Connection | None = None  # type: ignore[assignment]
        self._start()

    def _start(self) -> None:
        try:
            self._launch()
            self._connect()
        except BaseException:
            self.close()
            raise

    def fresh(self, vivim_home: Path, *, register: bool = True) -> FirefoxBrowser:
        """A clean slate for one test: no tabs but a blank one, a new VIVIM data directory, the host
        registered for it by `vivim install --browser firefox` (or no host manifest at all), and the
        extension uninstalled and installed again (a new background, empty extension storage)."""
        started = time.monotonic()
        if self.process is None or self.process.poll() is not None:  # a previous test lost the browser
            self.close()
            self.extension_installed = False
            self._start()
        if self.extension_installed:
            self.bidi.call("webExtension.uninstall", {"extension": FIREFOX_EXTENSION_ID})
            self.extension_installed = False
        self._close_tabs()
        self.vivim_home = vivim_home
        self.vivim_home.mkdir(parents=True, exist_ok=True)
        self.env["VIVIM_HOME"] = str(vivim_home)
        if register:
            self.register_host()
        else:
            self.manifest_path.unlink(missing_ok=True)
        self.dialogs.clear()
        self.responses.clear()
        self.foreign_by_context.clear()
        self.fixture_of_context.clear()
        result = self.bidi.call(
            "webExtension.install", {"extensionData": {"type": "path", "path": str(EXTENSION_DIR)}}
        )
        assert result["extension"] == FIREFOX_EXTENSION_ID, result
        self.extension_installed = True
        self.timings["fresh"] = time.monotonic() - started
        return self

    def _close_tabs(self) -> None:
        keep = self.bidi.call("browsingContext.create", {"type": "tab"})["context"]
        for context in self.bidi.call("browsingContext.getTree", {"maxDepth": 0})["contexts"]:
            if context["context"] != keep:
                self.bidi.call("browsingContext.close", {"context": context["context"]})

    # ---- host registration ----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json"

    def register_host(self) -> None:
        """`vivim install --browser firefox`, exactly as a user would run it (HOME is the temp HOME)."""
        subprocess.run(
            [*vivim_command(), "install", "--browser", "firefox"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        manifest = json.loads(self.manifest_path.read_text())
        assert manifest["allowed_extensions"] == [FIREFOX_EXTENSION_ID], manifest

    def launcher_path(self) -> Path:
        return Path(json.loads(self.manifest_path.read_text())["path"])

    # ---- the browser ----------------------------------------------------------------------

    def _write_prefs(self) -> None:
        lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in PREFS.items()]
        (self.profile / "user.js").write_text("\n".join(lines) + "\n")

    def _launch(self) -> None:
        self._started = time.monotonic()
        self.process = subprocess.Popen(
            [
                str(FIREFOX),
                "--headless",
                "--no-remote",
                "--profile",
                str(self.profile),
                "--remote-debugging-port=0",
                "--remote-allow-system-access",
            ],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self._listening: list[str] = []
        self._ready = threading.Event()
        listening, ready = self._listening, self._ready

        stderr = self.process.stderr
        assert stderr is not None

        def drain() -> None:  # Firefox (and the host it starts) write here: never let the pipe fill
            for line in stderr:
                self.stderr_tail.append(line.rstrip())
                found = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if found:
                    listening.append(found.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, name="firefox-stderr", daemon=True).start()

    def _connect(self) -> None:
        if not self._ready.wait(30) or not self._listening:
            raise RuntimeError("Firefox did not start its WebDriver BiDi server:\n" + self.log())
        self.timings["launch"] = time.monotonic() - self._started
        self.bidi = Connection(self._listening[0] + "/session", self._on_event)
        self.bidi.call(
            "session.new",
            {
                "capabilities": {
                    "alwaysMatch": {"webSocketUrl": True, "unhandledPromptBehavior": {"default": "ignore"}}
                }
            },
        )
        self.bidi.call(
            "session.subscribe", {"events": ["network.beforeRequestSent", "browsingContext.userPromptOpened"]}
        )
        self.bidi.call(
            "network.addIntercept",
            {
                "phases": ["beforeRequestSent"],
                "urlPatterns": [
                    {"type": "pattern", "protocol": "https"},
                    {"type": "pattern", "protocol": "http"},
                ],
            },
        )
        self.timings["ready"] = time.monotonic() - self._started

    async def _on_event(self, bidi: Connection, method: str, params: dict[str, Any]) -> None:
        if method == "browsingContext.userPromptOpened":
            self.dialogs.append(params.get("message", ""))
            await bidi.acall(
                "browsingContext.handleUserPrompt", {"context": params["context"], "accept": False}
            )
            return
        if method != "network.beforeRequestSent" or not params.get("isBlocked"):
            return
        request = params["request"]
        url = request["url"]
        extra = self.responses.get(url.split("#")[0]) or self.responses.get(url.split("#")[0].split("?")[0])
        if extra is not None:
            await bidi.acall(
                "network.provideResponse",
                {
                    "request": request["request"],
                    "statusCode": 200,
                    "reasonPhrase": "OK",
                    "headers": [
                        {"name": "Content-Type", "value": {"type": "string", "value": extra[0]}},
                        {"name": "Cache-Control", "value": {"type": "string", "value": "no-store"}},
                        *(
                            {"name": name, "value": {"type": "string", "value": value}}
                            for name, value in (extra[2] if len(extra) > 2 else {}).items()
                        ),
                    ],
                    "body": {"type": "base64", "value": base64.b64encode(extra[1]).decode()},
                },
            )
            return
        body = self.served.get(url.split("#")[0].split("?")[0])
        if body is None and url.startswith(BASELINE_ORIGIN):
            body = (SITE_FIXTURES / url[len(BASELINE_ORIGIN) :].split("?")[0]).read_bytes()
        if body is not None:
            await bidi.acall(
                "network.provideResponse",
                {
                    "request": request["request"],
                    "statusCode": 200,
                    "reasonPhrase": "OK",
                    "headers": [
                        {
                            "name": "Content-Type",
                            "value": {"type": "string", "value": "text/html; charset=utf-8"},
                        },
                        {"name": "Cache-Control", "value": {"type": "string", "value": "no-store"}},
                    ],
                    "body": {"type": "base64", "value": base64.b64encode(body).decode()},
                },
            )
            return
        host = urlsplit(url).hostname
        if params.get("context") and host not in SITE_HOSTS:
            self.foreign_by_context.setdefault(params["context"], []).append(url)
        await bidi.acall("network.failRequest", {"request": request["request"]})

    def new_page(self) -> Page:
        created = self.bidi.call("browsingContext.create", {"type": "tab"})
        return Page(self, created["context"])

    def open(self, url: str) -> Page:
        fixture = PAGES.get(url)
        if fixture is not None and fixture not in self.baselines:
            self.baselines[fixture] = self.baseline_requests(fixture)
        page = self.new_page()
        if fixture is not None:
            self.fixture_of_context[page.context] = fixture
        page.goto(url)
        return page

    def baseline_requests(self, fixture: str) -> list[str]:
        """What the fixture page fetches on its own, served at an address the extension does not match.

        Firefox's speculative parser preloads images inside <template> (Mozilla bug 1441044), so the
        ChatGPT fixture's hostile <template><img src=https://evil.example/...> is fetched by the page
        itself, with or without any extension. What the extension must never add is measured against this.
        """
        page = self.new_page()
        page.goto(BASELINE_ORIGIN + fixture)
        self.bidi.call("browsingContext.close", {"context": page.context})
        return self.foreign_by_context.pop(page.context, [])

    @property
    def foreign_requests(self) -> list[str]:
        """Requests to hosts other than the three sites that the page alone would not have made.

        Counted as multisets per tab: a URL the page fetches once on its own but twice with the
        extension installed is reported once."""
        extra: list[str] = []
        for context, urls in self.foreign_by_context.items():
            expected = Counter(self.baselines.get(self.fixture_of_context.get(context, ""), []))
            extra.extend((Counter(urls) - expected).elements())
        return extra

    def all_foreign_requests(self) -> list[str]:
        return [url for urls in self.foreign_by_context.values() for url in urls]

    def snapshots(self, page: Page) -> int:
        """How many capture snapshots the content script has run on this page (its performance marks)."""
        return page.evaluate("performance.getEntriesByName('vivim:snapshot').length")

    def chrome(self, function: str, arg: Any = None) -> Any:
        """Call a function in the browser window's privileged (chrome) scope: Firefox's own view of
        the add-on (WebExtensionPolicy), and what a click on the toolbar button would do."""
        window = self.bidi.call("browsingContext.getTree", {"moz:scope": "chrome"})["contexts"][0]["context"]
        result = self.bidi.call(
            "script.callFunction",
            {
                "functionDeclaration": function,
                "arguments": [] if arg is None else [local_value(arg)],
                "target": {"context": window},
                "awaitPromise": True,
            },
        )
        if result["type"] == "exception":
            raise BiDiError(f"chrome script threw: {result['exceptionDetails'].get('text')}")
        return python_value(result["result"])

    def open_popup(self) -> Page:
        """The popup page in a tab. BiDi refuses to navigate a tab to moz-extension:// (web content may
        not), so the browser window's own (chrome) script opens it, as a click on the toolbar would."""
        known = {c["context"] for c in self.bidi.call("browsingContext.getTree", {})["contexts"]}
        # Each install gets a new random moz-extension:// host name: ask Firefox for this one's.
        url = self.chrome(
            "(id) => { const url = `moz-extension://${WebExtensionPolicy.getByID(id)"
            ".mozExtensionHostname}/popup/popup.html`; gBrowser.selectedTab = gBrowser.addTab(url,"
            " {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()}); return url; }",
            FIREFOX_EXTENSION_ID,
        )

        def opened() -> str | None:
            contexts = self.bidi.call("browsingContext.getTree", {})["contexts"]
            return next(
                (c["context"] for c in contexts if c["url"] == url and c["context"] not in known), None
            )

        page = Page(self, wait_for(opened, timeout=15, interval=0.1, what="the popup's tab"))
        wait_for(
            lambda: page.evaluate("document.readyState") == "complete",
            timeout=15,
            interval=0.1,
            what="the popup page to load",
        )
        return page

    def grant_in_popup(self, key: str) -> Page:
        """The user turns an optional site on: the popup's "Turn on" clicked, the origin granted
        (permissions.request), and the popup's row showing the site's switch once it is."""
        popup = self.open_popup()
        popup.click(f'#health li[data-site="{key}"] .turn-on')
        wait_for(
            lambda: popup.evaluate(
                "(k) => !!document.querySelector(`#health li[data-site='${k}'] .switch`)", key
            ),
            timeout=15,
            what=f"{key} to be granted in the popup",
        )
        # Granted is not yet registered: the background registers the site's scripts right after. A
        # page opened in between would race it (a tab open before is started by the background itself).
        wait_for(
            lambda: f"vivim-{key}-page" in self.registered_scripts(popup), what=f"{key}'s scripts registered"
        )
        return popup

    def registered_scripts(self, popup: Page) -> list[str]:
        """The content scripts the background registered (asked from an extension page)."""
        return popup.evaluate(
            "browser.scripting.getRegisteredContentScripts().then(s => s.map(x => x.id).sort())"
        )

    def log(self) -> str:
        return "\n".join(self.stderr_tail)

    def close(self) -> None:
        if self.bidi is not None:
            try:
                self.bidi.call("browser.close", {}, timeout=10)
            except Exception:
                pass
            self.bidi.close()
            self.bidi = None  # type: ignore[assignment]
        if self.process is not None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


def firefox_missing_reason() -> str | None:
    if not FIREFOX.exists():
        return f"Firefox ESR not found at {FIREFOX} (apt-get install -y --no-install-recommends firefox-esr)"
    return None
