"""Google AI Studio in real headless Firefox ESR: the Chromium suite's AI Studio scenarios (imported from
tests/e2e) after the user turned AI Studio on in the popup (the real "Turn on" click: permissions.request,
then the background registers its scripts), and AI Studio never read before that."""

from __future__ import annotations

import pytest

from tests.e2e import test_capture_aistudio as aistudio
from tests.e2e.checks import scripts_of
from tests.e2e.harness import wait_for

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


SCRIPTS = scripts_of("aistudio")


@pytest.fixture
def firefox_aistudio(firefox: FirefoxBrowser) -> FirefoxBrowser:
    """The extension freshly installed, AI Studio turned on in its popup as a user does it."""
    popup = firefox.grant_in_popup("aistudio")
    assert (
        popup.evaluate("browser.permissions.contains({origins: ['https://aistudio.google.com/*']})") is True
    )
    wait_for(lambda: firefox.registered_scripts(popup) == SCRIPTS, what="AI Studio's content scripts")
    return firefox


def test_aistudio_turns_thoughts_code_math_and_hostile_text_are_captured_as_written(
    firefox_aistudio: FirefoxBrowser,
) -> None:
    aistudio.test_aistudio_turns_thoughts_code_math_and_hostile_text_are_captured_as_written(firefox_aistudio)


def test_aistudio_streamed_answer_and_rerun_are_kept(firefox_aistudio: FirefoxBrowser) -> None:
    aistudio.test_aistudio_streamed_answer_and_rerun_are_kept(firefox_aistudio)


def test_aistudio_the_pages_prompt_payload_makes_the_conversation_complete(
    firefox_aistudio: FirefoxBrowser,
) -> None:
    aistudio.test_aistudio_the_pages_prompt_payload_makes_the_conversation_complete(firefox_aistudio)


def test_aistudio_not_enabled_is_never_read(firefox: FirefoxBrowser) -> None:
    aistudio.test_aistudio_not_enabled_is_never_read(firefox)
