"""The popup for people, in real Chromium with the real extension: the search box's placeholder
fits, each site's dot is said in words, a result opens VIVIM's own copy in the web app (the
provider's page is one click beside it), and a browser that cannot find the host says what to run."""

from __future__ import annotations

import asyncio
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Error as TargetClosedError

from .harness import CHATGPT_URL, Browser, at_least, vivim_command, wait_for
from .test_popup_open_app import free_port, outcome, set_web_port

pytestmark = pytest.mark.browser

EXTERNAL_ID = CHATGPT_URL.rsplit("/", 1)[1]
PLACEHOLDER_FITS = """() => {
  const input = document.getElementById('q');
  const style = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {needed: ctx.measureText(input.placeholder).width, room};
}"""


def test_the_popup_placeholder_fits_and_the_site_dots_are_explained(browser: Browser) -> None:
    browser.open(CHATGPT_URL)
    wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="the captured turns")
    popup = browser.open_popup()
    wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
    fit = popup.evaluate(PLACEHOLDER_FITS)
    assert fit["needed"] <= fit["room"], fit
    chatgpt = popup.locator("#health li", has_text="ChatGPT")
    wait_for(lambda: "capturing" in chatgpt.inner_text(), what="ChatGPT said to be capturing")
    assert "not visited yet" in popup.locator("#health li", has_text="Gemini").inner_text()
    assert popup.locator("#health li", has_text="Gemini").get_attribute("title").startswith("Open Gemini")


def test_a_result_opens_vivims_copy_in_the_web_app_with_the_provider_beside(browser: Browser) -> None:
    port = free_port()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, set_web_port(browser.vivim_home, port)).result()
    serve = subprocess.Popen(
        [*vivim_command(), "serve"],
        env={**browser.env, "VIVIM_SERVICES": "web"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stdout.readline().startswith("VIVIM is running")
        origin = f"http://127.0.0.1:{port}"
        browser.context.route(f"{origin}/**", lambda route: route.continue_())
        browser.open(CHATGPT_URL)
        wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="the captured turns")
        popup = browser.open_popup()
        wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the host status")
        popup.fill("#q", "reversed")
        first = popup.locator("#results li").first
        first.wait_for()
        beside = first.get_by_role("button", name="Open the original on ChatGPT")
        assert beside.count() == 1
        popup.focus("#q")
        try:
            popup.keyboard.press("Enter")
        except TargetClosedError:
            pass
        assert wait_for(lambda: outcome(popup), what="the popup to act") == "closed"
        cdp = browser.context.new_cdp_session(browser.context.pages[0])

        def app_tab() -> dict | None:
            pages = [t for t in cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            return next(
                (
                    t
                    for t in pages
                    if t["url"].startswith(origin) and "#/c/" in t["url"] and "token" not in t["url"]
                ),
                None,
            )  # after the token went into the cookie

        tab = wait_for(app_tab, what="VIVIM's copy of the conversation in a new tab")
        assert tab["url"].startswith(f"{origin}/#/c/") and tab["url"].endswith("?q=reversed")

        # The provider's page is one click beside the result.
        popup = browser.open_popup()
        popup.fill("#q", "reversed")
        popup.locator("#results li").first.wait_for()
        try:
            popup.locator("#results li").first.get_by_role(
                "button", name="Open the original on ChatGPT"
            ).click()
        except TargetClosedError:
            pass
        wait_for(
            lambda: (
                browser.service_worker.evaluate(
                    "(u) => chrome.tabs.query({}).then(ts => ts.filter(t => (t.pendingUrl || t.url) === u).length)",
                    CHATGPT_URL,
                )
                >= 2
            ),
            what="a tab at the provider's page",
        )
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_a_browser_that_cannot_find_the_host_says_what_to_run(browser: Browser) -> None:
    browser.manifest_path.unlink()  # never installed for this browser
    popup = browser.open_popup()
    status = popup.locator("#host-status")
    wait_for(lambda: "vivim install" in status.inner_text(), what="the popup to say what to run")
    text = status.inner_text()
    assert "not found" not in text.lower() and ".." not in text
    assert popup.locator("#host-status code", has_text="vivim install").count() == 1
