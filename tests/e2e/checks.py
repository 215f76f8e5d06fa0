"""What the browser tests of the optional sites share: a browser where the user granted a site, what
the host's store says about a conversation, whether VIVIM read a page at all, and a page captured as
its `*expected.json` says. (tests/e2e/harness.py drives the browser; this reads back and checks.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .harness import Browser, at_least, export, wait_for


def scripts_of(*sites: str) -> list[str]:
    """The ids of the content scripts the service worker registers for these optional sites, sorted
    as Browser.registered_scripts lists them (extension/sites.js scriptsOf)."""
    return sorted(f"vivim-{site}-{part}" for site in sites for part in ("bridge", "net", "page"))


@contextmanager
def granted_browser(tmp_path: Path, *sites: str) -> Iterator[Browser]:
    """A browser where the user granted these sites in the popup, once their scripts are registered."""
    browser = Browser(tmp_path, grant=sites)
    try:
        wait_for(
            lambda: browser.registered_scripts() == scripts_of(*sites),
            what=f"the scripts of {', '.join(sites)} to be registered",
        )
        yield browser
    finally:
        browser.close()


def completeness(browser: Any, provider: str, external_id: str) -> dict[str, Any] | None:
    """The conversation's stated completeness ({status, stored, expected}), or None before it is stored."""
    db = browser.vivim_home / "vivim.sqlite3"
    if not db.exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute(
            "SELECT completeness, turns_stored, turns_expected FROM conversations"
            " WHERE provider = ? AND external_id = ?",
            (provider, external_id),
        ).fetchone()
        return None if row is None else {"status": row[0], "stored": row[1], "expected": row[2]}
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def complete(tab: Any, browser: Any, provider: str, external_id: str) -> dict[str, Any]:
    """The completeness once the conversation is stated complete. Waited for inside Playwright: its sync
    API answers the page's requests (the harness's routes) only while the test is in one of its calls."""
    return wait_for(
        lambda: (
            ((c := completeness(browser, provider, external_id)) and c["status"] == "complete" and c)
            or tab.wait_for_timeout(200)
        ),
        what=f"the {provider} conversation to be complete",
    )


def nothing_read(page: Any) -> dict[str, int]:
    """What VIVIM's content scripts left on the page's shared performance timeline."""
    result: dict[str, int] = page.evaluate(
        """() => ({
            snapshots: performance.getEntriesByName('vivim:snapshot').length,
            handovers: performance.getEntriesByName('vivim:net:handover').length,
            sends: performance.getEntriesByName('vivim:net:send').length,
        })"""
    )
    return result


def insert_context(page: Any, editor: str, *, shortcut: bool = False) -> dict[str, Any]:
    """As a user does it: type a draft into the site's prompt box (`editor`), wait for the context button
    to count memories for it (a home seeded by tests/retrieval/test_context_button_e2e.seed), insert them
    (a click on the button, or with `shortcut` its Alt+Shift+M) and wait for the insertion to succeed.
    Returns the button's state once it counted."""
    from tests.retrieval.test_context_button_e2e import DRAFT, button_state

    page.locator(editor).click()
    page.keyboard.type(DRAFT)
    counted: dict[str, Any] = wait_for(
        lambda: (s := button_state(page)) and int(s.get("count") or 0) > 0 and s,
        what="the button to count memories",
    )
    if shortcut:
        page.keyboard.press("Alt+Shift+KeyM")
    else:
        box = page.locator("vivim-context-button").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for(lambda: button_state(page).get("lastInsert"), what="the insertion to finish")
    assert button_state(page)["lastInsert"] == "ok"
    return counted


def check_capture(browser: Any, site: str, url: str, expected: dict[str, Any]) -> None:
    """Open `url` in a browser where the site is on: what it stores is what `expected` (an expected.json:
    `external_id`, `turns` as [role, text] pairs, optionally `title`, `provider_message_ids`,
    `markdown_contains` and `markdown_lacks`) says, in order, with parent links, and nothing else is stored, asked or shown."""
    browser.open(url)
    turns = [tuple(t) for t in expected["turns"]]
    rows = wait_for(
        at_least(len(turns), lambda: browser.messages(site, expected["external_id"])),
        what=f"the {site} turns",
    )
    assert [(r["role"], r["text"]) for r in rows] == turns
    if "provider_message_ids" in expected:  # the ids the page names, in order (null where it names none)
        assert [r["provider_message_id"] for r in rows] == expected["provider_message_ids"]
    assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]]
    if expected.get("title"):
        assert rows[0]["title"] == expected["title"]
    markdown = "\n\n".join(m["markdown"] for m in export(browser, site))
    for piece in expected.get("markdown_contains", []):
        assert piece in markdown, piece
    for piece in expected.get("markdown_lacks", []):
        assert piece not in markdown, piece
    assert browser.conversation_count() == 1
    assert browser.dialogs == [] and browser.foreign_requests == []
