"""The capture suite in real headless Firefox ESR: the same fixture pages at the same real URLs, the
same scenarios and assertions as the Chromium suite (imported from tests/e2e, run against a Firefox
browser object with the same surface), the extension as a temporary add-on, the host registered by
`vivim install --browser firefox`."""

from __future__ import annotations

import pytest

from tests.e2e import test_capture_chatgpt as chatgpt
from tests.e2e import test_capture_claude_gemini as claude_gemini
from tests.e2e import test_capture_unseen_pages as unseen

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


def test_chatgpt_turns_are_captured_in_order_with_roles_ids_and_exact_text(firefox: FirefoxBrowser) -> None:
    chatgpt.test_chatgpt_turns_are_captured_in_order_with_roles_ids_and_exact_text(firefox)


def test_chatgpt_streamed_answer_is_stored_when_it_settles_and_again_when_it_completes(
    firefox: FirefoxBrowser,
) -> None:
    chatgpt.test_chatgpt_streamed_answer_is_stored_when_it_settles_and_again_when_it_completes(firefox)


def test_chatgpt_regenerated_answer_is_a_second_branch_and_virtualised_turns_stay(
    firefox: FirefoxBrowser,
) -> None:
    chatgpt.test_chatgpt_regenerated_answer_is_a_second_branch_and_virtualised_turns_stay(firefox)


def test_chatgpt_new_chat_without_an_id_is_not_stored_until_the_url_names_the_conversation(
    firefox: FirefoxBrowser,
) -> None:
    chatgpt.test_chatgpt_new_chat_without_an_id_is_not_stored_until_the_url_names_the_conversation(firefox)


def test_claude_turns_streaming_retry_and_edit_are_all_kept(firefox: FirefoxBrowser) -> None:
    claude_gemini.test_claude_turns_streaming_retry_and_edit_are_all_kept(firefox)


def test_gemini_lazy_loaded_older_turns_streaming_and_redo_are_all_kept_in_order(
    firefox: FirefoxBrowser,
) -> None:
    claude_gemini.test_gemini_lazy_loaded_older_turns_streaming_and_redo_are_all_kept_in_order(firefox)


def test_gemini_reload_showing_only_the_newest_turns_keeps_new_turns_after_the_stored_ones(
    firefox: FirefoxBrowser,
) -> None:
    claude_gemini.test_gemini_reload_showing_only_the_newest_turns_keeps_new_turns_after_the_stored_ones(
        firefox
    )


def test_unseen_conversations_in_older_markup_are_captured_completely(firefox: FirefoxBrowser) -> None:
    unseen.test_unseen_conversations_in_older_markup_are_captured_completely(firefox)
