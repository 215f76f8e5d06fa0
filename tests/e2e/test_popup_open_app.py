"""The popup's "Open VIVIM" button: the local web app, opened with its token, or a reason why not."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as TargetClosedError

from vivim.store import Store
from vivim.store.settings import set_settings

from .harness import Browser, vivim_command, wait_for

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outcome(popup: Any) -> str | None:
    """'closed' once the popup opened a tab and closed itself, else the note it shows, if any."""
    try:
        return "closed" if popup.is_closed() else (popup.inner_text("#search-note") or None)
    except TargetClosedError:
        return "closed"


async def set_web_port(home: Path, port: int) -> None:
    store = await Store.open(home / "vivim.sqlite3")
    await store.write(set_settings, {"web.port": port})
    await store.close()


def test_open_vivim_says_how_to_start_the_web_app_when_it_is_not_running(browser: Browser) -> None:
    popup = browser.open_popup()
    wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
    popup.click("#open-app")
    wait_for(lambda: "vivim serve" in popup.inner_text("#search-note"), what="the hint to run vivim serve")


def test_open_vivim_opens_the_web_app_with_its_token_in_a_new_tab(browser: Browser) -> None:
    port = free_port()
    # Playwright's sync API owns this thread's event loop: write the setting from another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, set_web_port(browser.vivim_home, port)).result()
    serve = subprocess.Popen(
        [*vivim_command(), "serve"],
        env={**browser.env, "VIVIM_SERVICES": "web"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stdout.readline().startswith("VIVIM is running. Open your library at:")
        token = (browser.vivim_home / "web.token").read_text().strip()
        origin = f"http://127.0.0.1:{port}"
        # The harness serves only the chat sites; let the web app's own address through.
        browser.context.route(f"{origin}/**", lambda route: route.continue_())
        popup = browser.open_popup()
        wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
        try:
            popup.click("#open-app")
        except TargetClosedError:
            pass  # the popup closes itself once the tab is open
        assert wait_for(lambda: outcome(popup), what="the popup to act") == "closed"
        # Extension-opened tabs are not always surfaced as Playwright pages: ask the browser itself.
        cdp = browser.context.new_cdp_session(browser.context.pages[0])

        def app_tab() -> dict | None:
            pages = [t for t in cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            return next((t for t in pages if t["url"].startswith(origin) and t["title"] == "VIVIM"), None)

        tab = wait_for(app_tab, what="the web app loaded in a new tab")
        # The app moved the token from the address into its cookie: the address no longer shows it.
        assert tab["url"] == f"{origin}/" and token not in tab["url"]
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_open_vivim_never_sends_the_token_to_another_program_on_the_port(browser: Browser) -> None:
    from tests.web.test_identity import Impostor

    with Impostor() as impostor:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, set_web_port(browser.vivim_home, impostor.port)).result()
        token_file = browser.vivim_home / "web.token"
        popup = browser.open_popup()
        wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
        popup.click("#open-app")
        note = wait_for(lambda: outcome(popup), what="the popup to explain")
        assert note != "closed" and "another program" in note, note
        token = token_file.read_text().strip()
        assert impostor.received, "the host never asked the listener who it is"
        assert token not in "".join(impostor.received)
        pages = [p.url for p in browser.context.pages]
        assert not any(str(impostor.port) in url for url in pages), pages
