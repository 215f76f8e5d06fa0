"""DeepSeek and Le Chat in real headless Firefox ESR, granted the way a user grants them: nothing is read
before; the popup's "Turn on" grants each origin, the background registers its scripts, and the pages
are captured (DeepSeek's reasoning apart from its answer, Le Chat's turns under the page's own ids)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import DEEPSEEK_URL, MISTRAL_URL, at_least, wait_for

from .harness import FirefoxBrowser

pytestmark = pytest.mark.firefox

DEEPSEEK_ID = DEEPSEEK_URL.rsplit("/", 1)[1]
MISTRAL_ID = MISTRAL_URL.rsplit("/", 1)[1]


def test_deepseek_and_le_chat_are_read_only_after_the_user_turns_them_on(firefox: FirefoxBrowser) -> None:
    for url in (DEEPSEEK_URL, MISTRAL_URL):
        before = firefox.open(url)
        before.wait_for_timeout(2500)
        assert firefox.snapshots(before) == 0
    assert firefox.messages("deepseek", DEEPSEEK_ID) == firefox.messages("mistral", MISTRAL_ID) == []

    for key, origin in (
        ("deepseek", "https://chat.deepseek.com/*"),
        ("mistral", "https://chat.mistral.ai/*"),
    ):
        popup = firefox.grant_in_popup(key)
        assert popup.evaluate(f"browser.permissions.contains({{origins: ['{origin}']}})") is True
        scripts = [f"vivim-{key}-bridge", f"vivim-{key}-net", f"vivim-{key}-page"]
        wait_for(lambda: set(scripts) <= set(firefox.registered_scripts(popup)), what=f"{key}'s scripts")

    firefox.open(DEEPSEEK_URL)
    rows = wait_for(at_least(4, lambda: firefox.messages("deepseek", DEEPSEEK_ID)), what="DeepSeek's turns")
    assert [r["role"] for r in rows] == ["user", "assistant", "user", "assistant"]
    assert rows[1]["text"].startswith("An iterative version runs in linear time and constant space:")
    assert "They want code and a complexity argument." not in rows[1]["text"]

    firefox.open(MISTRAL_URL)
    rows = wait_for(at_least(4, lambda: firefox.messages("mistral", MISTRAL_ID)), what="Le Chat's turns")
    assert rows[0]["key"] == "c1000001-0000-4000-8000-000000000001"
    assert rows[3]["text"] == "Функция считает слова в тексте. Подробнее"
