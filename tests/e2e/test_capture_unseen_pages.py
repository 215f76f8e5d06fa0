"""Pages the other tests never script, in each site's other markup generations, captured completely."""

from __future__ import annotations

import pytest

from .harness import UNSEEN, Browser, at_least, wait_for

pytestmark = pytest.mark.browser

EXPECTED = {
    "chatgpt": [
        ("user", "How do I cite a web page in APA 7?\nGive me the pattern first."),
        (
            "assistant",
            "The pattern is:\n\nAuthor, A. (Year, Month Day). Title of page. Site Name. URL\n\n"
            "Use the organisation as author when no person is named.\nUse “n.d.” when there is no date.",
        ),
        ("user", "Ok. 한국어로도 알려줘."),
        ("assistant", "저자, A. (연도, 월 일). 페이지 제목. 사이트 이름. URL"),
        ("assistant", "출처가 여러 개면 저자 이름 순으로 정렬하세요."),  # a second message in the same turn
    ],
    "claude": [
        ("user", "What should I pack for a rainy 15 km hike?"),
        (
            "assistant",
            "Pack for wet feet and cold hands:\n\nWaterproof shell and rain pants\n"
            "Spare wool socks in a dry bag\nHeadlamp — rain makes dusk early",
        ),
        ("user", "And snacks? Réponds en français."),
        ("assistant", "Des fruits secs, du chocolat noir et un thermos de thé chaud."),
    ],
    "gemini": [
        ("user", 'Translate "good morning" into Swahili and Hindi.'),
        ("assistant", "Swahili: Habari za asubuhi\nHindi: सुप्रभात (suprabhāt)"),
        ("user", "Which one is more formal?"),
        ("assistant", "सुप्रभात is formal; among friends Hindi speakers often just say नमस्ते."),
    ],
}
EXTERNAL_IDS = {
    "chatgpt": "6790aa00-1111-8000-9999-abcdefabcdef",
    "claude": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
    "gemini": "1234abcd5678ef90",
}


def test_unseen_conversations_in_older_markup_are_captured_completely(browser: Browser) -> None:
    for url, _ in UNSEEN.values():
        browser.open(url)
    for provider, expected in EXPECTED.items():
        rows = wait_for(
            at_least(len(expected), lambda: browser.messages(provider, EXTERNAL_IDS[provider])),
            what=f"the {provider} turns",
        )
        assert [(r["role"], r["text"]) for r in rows] == expected, provider
        assert [r["parent_key"] for r in rows[1:]] == [r["key"] for r in rows[:-1]], provider
    assert browser.conversation_count() == 3
