"""Firefox-only checks beyond the shared scenarios: hostile markup from all three sites is stored
inert and shown as text by the popup (a moz-extension:// page), and captures made while the host is
not installed wait in the extension's queue and arrive once when it is."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.e2e.harness import CHATGPT_URL, CLAUDE_URL, GEMINI_URL, at_least, texts, vivim_command, wait_for

from .harness import FirefoxBrowser, Page

pytestmark = pytest.mark.firefox

CONVERSATIONS = [("chatgpt", CHATGPT_URL, 6), ("claude", CLAUDE_URL, 4), ("gemini", GEMINI_URL, 6)]
ACTIVE_TAGS = {"script", "template", "iframe", "object", "embed", "style", "form", "button", "svg"}


def external_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def active_parts(html: str) -> list[str]:
    """Everything in stored HTML that could run or fetch on its own if someone rendered it."""
    found = []
    for el in BeautifulSoup(html, "html.parser").find_all(True):
        if el.name in ACTIVE_TAGS:
            found.append(f"<{el.name}>")
        for name, value in el.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name.lower().startswith("on") or name.lower() in ("style", "srcdoc"):
                found.append(f"{el.name}[{name}]")
            elif value.strip().lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                found.append(f"{el.name}[{name}={value[:20]}]")
    return found


def type_query(popup: Page, query: str) -> None:
    popup.evaluate(
        "(q) => { const i = document.getElementById('q'); i.value = q;"
        " i.dispatchEvent(new Event('input', {bubbles: true})); }",
        query,
    )


def extension_state(popup: Page) -> dict[str, Any]:
    """The queue and the badge, read from an extension page (the popup has the extension's APIs)."""
    return popup.evaluate(
        "async () => ({queued: ((await browser.storage.local.get('captureQueue')).captureQueue || []).length,"
        " badge: await browser.action.getBadgeText({})})"
    )


def test_all_three_sites_export_completely_hostile_markup_is_stored_inert_and_the_popup_shows_it_as_text(
    firefox: FirefoxBrowser,
) -> None:
    for _, url, _ in CONVERSATIONS:
        firefox.open(url)
    for provider, url, turns in CONVERSATIONS:
        rows = wait_for(
            at_least(turns, lambda: firefox.messages(provider, external_id(url))),
            what=f"the {turns} turns on {url}",
        )
        for row in rows:
            assert active_parts(row["html"]) == [], (provider, row["position"], row["html"])
    # What the user gets back out: every turn of every site, in order, with its role.
    exported = [
        json.loads(line)
        for line in subprocess.run(
            [*vivim_command(), "export", "--format", "jsonl"],
            env=firefox.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.splitlines()
    ]
    for provider, url, turns in CONVERSATIONS:
        lines = [
            e for e in exported if e["provider"] == provider and e["conversation_id"] == external_id(url)
        ]
        assert [e["role"] for e in lines] == ["user", "assistant"] * (turns // 2)
        assert [e["text"] for e in lines] == texts(firefox.messages(provider, external_id(url)))
    hostile = [
        r
        for p, url, _ in CONVERSATIONS
        for r in firefox.messages(p, external_id(url))
        if "onerror" in r["text"]
    ]
    assert len(hostile) == 3  # each site has a prompt that *says* <img onerror=...>: kept as text

    popup = firefox.open_popup()
    wait_for(lambda: "Host connected" in popup.inner_text("#host-status"), what="the popup to reach the host")
    type_query(popup, "onerror")
    wait_for(
        lambda: popup.evaluate("document.querySelectorAll('#results li').length") >= 3,
        what="the hostile prompts among the popup's results",
    )
    assert "<img" in popup.inner_text("#results")
    assert (
        popup.evaluate(
            "document.querySelectorAll('#results img, #results script, #results a,"
            " #results [onerror]').length"
        )
        == 0
    )
    assert firefox.dialogs == []
    assert firefox.foreign_requests == []  # nothing beyond what the pages fetch without the extension


def test_captures_queue_while_the_host_is_not_installed_and_arrive_once_when_it_is(
    firefox_without_host: FirefoxBrowser,
) -> None:
    firefox = firefox_without_host
    conversation = external_id(CHATGPT_URL)
    page = firefox.open(CHATGPT_URL)
    popup = firefox.open_popup()
    state = wait_for(
        lambda: (s := extension_state(popup))["queued"] >= 1 and s,
        what="captures waiting in the extension's queue",
    )
    assert state["badge"] in (str(state["queued"]), "!")
    page.evaluate("([p, a]) => fixture.ask(p, a, {delay: 10})", ["Still there?", "Queued, not lost."])
    wait_for(
        lambda: (s := extension_state(popup))["queued"] >= 2 and s["badge"] == str(s["queued"]),
        what="the badge to show the queued count",
    )
    assert firefox.messages("chatgpt", conversation) == []

    firefox.register_host()  # the user runs `vivim install --browser firefox`
    popup = firefox.open_popup()  # opening the popup asks for the host's status, which flushes the queue
    rows = wait_for(
        at_least(8, lambda: firefox.messages("chatgpt", conversation)),
        timeout=45,
        what="the queued captures, resent when the host is there",
    )
    wait_for(
        lambda: extension_state(popup) == {"queued": 0, "badge": ""}, what="an empty queue, a clear badge"
    )
    rows = firefox.messages("chatgpt", conversation)
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8  # nothing lost, nothing twice
    assert texts(rows)[-2:] == ["Still there?", "Queued, not lost."]
    assert rows[-1]["status"] == "complete"
    assert firefox.dialogs == [] and firefox.foreign_requests == []


def test_firefox_loads_the_shipped_manifest_with_its_background_scripts_and_minimal_permissions(
    firefox: FirefoxBrowser,
) -> None:
    loaded = firefox.chrome(
        "(id) => { const ext = WebExtensionPolicy.getByID(id).extension; return {warnings: ext.warnings,"
        " permissions: [...ext.permissions].sort(), origins: ext.allowedOrigins.patterns.map(p => p.pattern)"
        ".filter(p => !p.startsWith('moz-extension:')), background: ext.backgroundScripts.map(u => new URL(u).pathname),"
        " version: ext.manifestVersion}; }",
        "vivim@vivim.dev",
    )
    assert loaded["version"] == 3
    assert loaded["background"] == ["/background/service_worker.js"]  # `background.scripts`: Firefox's way
    # "scripting": the optional sites' content scripts are registered once the user turns them on.
    assert loaded["permissions"] == ["nativeMessaging", "scripting", "storage"]
    # The optional sites (optional_host_permissions) are not granted at install.
    assert loaded["origins"] == [
        "https://chatgpt.com/*",
        "https://claude.ai/*",
        "https://gemini.google.com/*",
    ]
    # The only complaint is the Chromium-only `key` (kept for unpacked loading; a store package drops it).
    assert [w for w in loaded["warnings"] if "processing key" not in w] == [], loaded["warnings"]
