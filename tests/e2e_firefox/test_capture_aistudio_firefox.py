"""Google AI Studio in real headless Firefox ESR: the Chromium suite's AI Studio scenarios (imported from
tests/e2e) against the extension installed as a temporary add-on with AI Studio turned on, and the
shipped extension (AI Studio not turned on) never reading its pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import test_capture_aistudio as aistudio
from tests.e2e.granted import extension_with

from . import harness
from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox


@pytest.fixture
def firefox_aistudio(
    firefox_shell: FirefoxBrowser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FirefoxBrowser:
    """The extension with AI Studio turned on, freshly installed; the host registered for a new store."""
    monkeypatch.setattr(harness, "EXTENSION_DIR", extension_with(["aistudio"], tmp_path / "extension"))
    return firefox_shell.fresh(tmp_path / "vivim-home")


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
