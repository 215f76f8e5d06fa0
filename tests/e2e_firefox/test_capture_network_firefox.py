"""Network capture in real headless Firefox ESR (MAIN-world content scripts, Firefox 128+): the same
scenarios and assertions as the Chromium suite in tests/e2e/test_capture_network.py."""

from __future__ import annotations

import pytest

from tests.e2e import test_capture_network as network

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


def test_chatgpt_300_turns_with_20_rendered_and_older_pages_are_all_stored_and_complete(
        firefox: FirefoxBrowser) -> None:
    network.test_chatgpt_300_turns_with_20_rendered_and_older_pages_are_all_stored_and_complete(firefox)


def test_claude_300_turns_and_a_branch_never_shown_are_stored_with_the_dom_turns_merged(
        firefox: FirefoxBrowser) -> None:
    network.test_claude_300_turns_and_a_branch_never_shown_are_stored_with_the_dom_turns_merged(firefox)


def test_network_blocked_the_dom_capture_still_works_and_completeness_is_unknown_with_a_warning(
        firefox: FirefoxBrowser) -> None:
    network.test_network_blocked_the_dom_capture_still_works_and_completeness_is_unknown_with_a_warning(firefox)


@pytest.mark.parametrize("hostile", ["unknown_shape", "wrong_types", "huge"])
def test_a_hostile_or_unknown_payload_is_ignored_with_a_warning_and_the_page_is_unaffected(
        firefox: FirefoxBrowser, hostile: str) -> None:
    network.test_a_hostile_or_unknown_payload_is_ignored_with_a_warning_and_the_page_is_unaffected(firefox, hostile)


def test_a_conversation_the_page_loads_with_xmlhttprequest_is_captured_too(firefox: FirefoxBrowser) -> None:
    network.test_a_conversation_the_page_loads_with_xmlhttprequest_is_captured_too(firefox)


def test_other_requests_under_the_conversation_are_kept_only_when_they_carry_its_messages(
        firefox: FirefoxBrowser) -> None:
    network.test_other_requests_under_the_conversation_are_kept_only_when_they_carry_its_messages(firefox)
