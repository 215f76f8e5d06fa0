"""Network capture in real headless Firefox ESR (MAIN-world content scripts, Firefox 128+): the same
scenarios and assertions as the Chromium suite in tests/e2e/test_capture_network.py."""

from __future__ import annotations

import pytest

from tests.e2e import test_capture_network as network

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


def test_chatgpt_300_turns_with_20_rendered_and_older_pages_are_all_stored_and_complete(
    firefox: FirefoxBrowser,
) -> None:
    network.test_chatgpt_300_turns_with_20_rendered_and_older_pages_are_all_stored_and_complete(firefox)


def test_claude_300_turns_and_a_branch_never_shown_are_stored_with_the_dom_turns_merged(
    firefox: FirefoxBrowser,
) -> None:
    network.test_claude_300_turns_and_a_branch_never_shown_are_stored_with_the_dom_turns_merged(firefox)


def test_network_blocked_the_dom_capture_still_works_and_completeness_is_unknown_with_a_warning(
    firefox: FirefoxBrowser,
) -> None:
    network.test_network_blocked_the_dom_capture_still_works_and_completeness_is_unknown_with_a_warning(
        firefox
    )


@pytest.mark.parametrize("hostile", ["unknown_shape", "wrong_types", "huge"])
def test_a_hostile_or_unknown_payload_is_ignored_with_a_warning_and_the_page_is_unaffected(
    firefox: FirefoxBrowser, hostile: str
) -> None:
    network.test_a_hostile_or_unknown_payload_is_ignored_with_a_warning_and_the_page_is_unaffected(
        firefox, hostile
    )


def test_a_conversation_the_page_loads_with_xmlhttprequest_is_captured_too(firefox: FirefoxBrowser) -> None:
    network.test_a_conversation_the_page_loads_with_xmlhttprequest_is_captured_too(firefox)


def test_other_requests_under_the_conversation_are_kept_only_when_they_carry_its_messages(
    firefox: FirefoxBrowser,
) -> None:
    network.test_other_requests_under_the_conversation_are_kept_only_when_they_carry_its_messages(firefox)


def test_capture_all_from_the_popup_scrolls_a_page_without_network_data_to_its_start(
    firefox: FirefoxBrowser,
) -> None:
    from tests.e2e.harness import wait_for
    from tests.e2e.network_pages import chatgpt_lazy_page
    from tests.support import payloads

    doc = payloads.chatgpt_conversation(network.CHATGPT_ID, 120)
    url = f"https://chatgpt.com/c/{network.CHATGPT_ID}"
    firefox.responses[url] = ("text/html; charset=utf-8", chatgpt_lazy_page(doc, rendered=20, step=20))
    tab = firefox.open(url)
    network.stored_when(
        tab, firefox, "chatgpt", network.CHATGPT_ID, lambda c: len(c["texts"]) >= 20, "20 turns"
    )
    popup = firefox.open_popup()
    status = wait_for(
        lambda: popup.evaluate("document.querySelector('#this-tab')?.dataset.status"),
        timeout=20,
        what="the popup's line for the tab",
    )
    assert status == "unknown"
    popup.evaluate("document.querySelector('#this-tab .capture-all').click()")
    firefox.bidi.call("browsingContext.activate", {"context": tab.context})  # the page stays visible
    conv = network.stored_when(
        tab, firefox, "chatgpt", network.CHATGPT_ID, lambda c: len(c["texts"]) >= 120, "every turn"
    )
    assert sorted(conv["texts"]) == sorted(payloads.turn_text(i) for i in range(120))
