"""The page in a real headless Chromium: open with the token, search, read, switch branches,
and a hostile captured turn that must do nothing at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browser import CHROMIUM, png_colours, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM}"),
]


async def test_open_search_read_and_switch_branches(service: Any, page: Any, seeded: dict[str, int]) -> None:
    await page.goto(service.url)
    # The token went into an HttpOnly cookie and out of the address bar.
    assert "token" not in page.url
    cookies = await page.context.cookies()
    from vivim.web.security import cookie_name

    assert [(c["name"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
        (cookie_name(service.token), True, "Strict")
    ]
    assert await page.evaluate("document.cookie") == ""
    await page.wait_for_selector("#conversation-list .conv-link")
    assert await page.locator("#conversation-list .conv-link").count() == 3
    assert await page.locator("#live.on").count() in (0, 1)

    # Search from the keyboard, see highlighted snippets.
    await page.keyboard.press("/")
    await page.wait_for_selector("#search-input")
    await page.fill("#search-input", "borrow checker")
    mark = page.locator("#search-results mark").first
    await mark.wait_for()
    assert (await mark.text_content()).lower() == "borrow"
    await page.locator("#search-results .hits a").first.click()

    # The reader opens on the hit's branch; the other branch is one click away.
    await page.wait_for_selector("#reader .message.assistant")
    assistant = page.locator("#reader .message.assistant")
    assert "Second answer" in await assistant.text_content()
    assert (await page.locator(".branch-count").text_content()).strip() == "2 / 2"
    await page.get_by_role("button", name="Previous branch").click()
    assert "First answer" in await page.locator("#reader .message.assistant").text_content()
    assert (await page.locator(".branch-count").text_content()).strip() == "1 / 2"

    # A hit on the other branch opens the reader on that branch.
    await page.goto(service.url.split("?")[0] + "#/search?q=borrowed%20references")
    await page.locator("#search-results .hits a").first.click()
    await page.wait_for_selector("#reader .message.targeted")
    assert "First answer" in await page.locator("#reader .message.assistant").text_content()
    assert (await page.locator(".branch-count").text_content()).strip() == "1 / 2"

    # "Find" searches the open conversation only.
    await page.get_by_role("link", name="⌕ Find").click()
    await page.fill("#search-input", "decorators")
    await page.get_by_text("No close matches").wait_for()  # decorators live in another conversation
    assert f"conversation_id={seeded['branches']}" in page.url
    await page.get_by_role("button", name="Search everywhere").click()
    await page.locator("#search-results .result").first.wait_for()
    assert "Python decorators explained" in await page.locator("#search-results").text_content()

    # A captured turn renders Markdown: highlighted code, a table, math.
    await page.goto(service.url.split("?")[0] + f"#/c/{seeded['python']}")
    body = page.locator("#reader .message.assistant .md")
    await body.wait_for()
    assert await body.locator("pre code .hljs-keyword").count() >= 1
    assert await body.locator("table td").count() == 2
    assert await body.locator("math").count() == 1
    assert "**" in await page.locator("#reader .message.user").text_content()  # user turns stay text
    shot = await screenshot(page, "conversation")
    assert len(shot) > 10_000 and png_colours(shot) > 20
    assert page.errors == []
    assert page.dialogs == []


async def test_search_says_no_close_matches_and_that_meaning_search_is_incomplete(
    service: Any, page: Any, seeded: dict[str, int]
) -> None:
    # Nothing is embedded in this store: every answer is words-only, and the page must say so.
    await page.goto(service.url)  # the token becomes a cookie
    await page.wait_for_selector("#conversation-list .conv-link")
    await page.goto(service.url.split("?")[0] + "#/search?q=zzqxnotathing")
    await page.get_by_text("No close matches for “zzqxnotathing”").wait_for()
    state = page.locator("#search-results .search-state")
    await state.wait_for()
    assert "Meaning search: 0 of" in await state.text_content()
    await page.fill("#search-input", "borrow checker")
    await page.locator("#search-results .result").first.wait_for()
    assert "Meaning search: 0 of" in await page.locator("#search-results .search-state").text_content()
    assert "words" in await page.locator("#search-results p.muted").text_content()
    assert page.errors == []


async def test_a_hostile_captured_turn_does_nothing(service: Any, page: Any, seeded: dict[str, int]) -> None:
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + f"#/c/{seeded['hostile']}")
    md = page.locator("#reader .message.assistant .md")
    await md.wait_for()
    assert "Here is a trap" in await md.text_content()
    await page.get_by_text("hover trap").hover()
    await page.get_by_text("click me").click()
    await page.get_by_text("raw link").click()
    await page.get_by_text("entity link").click()
    await page.get_by_text("data link").click()
    await page.wait_for_timeout(300)  # give anything that slipped through the time to fire

    assert page.dialogs == []
    assert await page.evaluate("window.__pwned") is None
    assert (
        await md.locator(
            "script, iframe, svg, img[onerror], [onmouseover], [style], form, object, embed, meta, "
            "base, link, style, video, img[srcset]"
        ).count()
        == 0
    )
    assert len(page.context.pages) == 1  # no link opened a window
    hrefs = await md.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert not any(h and h.strip().lower().startswith("javascript:") for h in hrefs)
    # The remote image became a link; nothing was fetched from anywhere but this server.
    assert await md.locator("a.external-image").count() == 1
    foreign = [
        u
        for u in page.requests
        if not u.startswith(f"http://127.0.0.1:{service.port}/")
        and not u.startswith(f"ws://127.0.0.1:{service.port}/")
    ]
    assert foreign == []
    assert page.url.startswith(f"http://127.0.0.1:{service.port}/")
    shot = await screenshot(page, "hostile")
    assert png_colours(shot) > 20


async def test_stats_and_import_pages_render(service: Any, page: Any) -> None:
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/stats?days=3650")
    await page.wait_for_selector("svg.chart rect")
    assert await page.locator("svg.chart rect").count() >= 3
    shot = await screenshot(page, "stats")
    assert png_colours(shot) > 20
    await page.get_by_role("link", name="Import & export").click()
    await page.wait_for_selector("#import-file")
    assert await page.locator("a.button[href^='/api/export']").count() == 3
    await page.get_by_role("link", name="Devices").click()
    await page.get_by_role("heading", name="Your other devices").wait_for()
    assert page.errors == []


async def test_a_turn_captured_while_reading_appears_without_a_reload(
    service: Any, page: Any, runtime: Any, seeded: dict[str, int]
) -> None:
    from vivim.store.capture import upsert_capture

    from .conftest import capture

    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + f"#/c/{seeded['python']}")
    await page.wait_for_selector("#reader .message.assistant")
    await page.wait_for_selector("#live.on")
    grown = capture(
        "chatgpt",
        "c-python",
        "Python decorators explained",
        [
            {
                "key": "u2",
                "role": "user",
                "position": 2,
                "parent_key": "a1",
                "markdown": "And class decorators?",
                "text": "And class decorators?",
            }
        ],
    )
    result = await runtime.store.write(upsert_capture, grown)
    runtime.events.publish(
        "capture",
        conversation_id=result.conversation_id,
        message_ids=result.changed_message_ids,
        provider="chatgpt",
    )
    await page.get_by_text("And class decorators?").wait_for(timeout=10_000)
    assert await page.locator("#reader .message").count() == 3


async def test_an_export_uploaded_through_the_page_is_imported(
    service: Any, page: Any, tmp_path: Path
) -> None:
    import json

    from .test_api import CHATGPT_EXPORT

    export = tmp_path / "conversations.json"
    export.write_text(json.dumps(CHATGPT_EXPORT))
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/transfer")
    await page.set_input_files("#import-file", str(export))
    await page.get_by_role("button", name="Import", exact=True).click()
    status = page.locator("#import-status")
    await page.get_by_text("Imported conversations.json").wait_for(timeout=20_000)
    assert "1 conversation (1 new), " in await status.text_content()
    assert await page.locator("#import-progress").evaluate("bar => bar.value") == 1
    await page.get_by_role("link", name="Conversations").click()
    await page.get_by_text("Imported through the web page").wait_for()


async def test_the_conversation_list_is_keyboard_driven(service: Any, page: Any) -> None:
    from playwright.async_api import expect  # page functions are plain JS: the CSP forbids eval

    await page.goto(service.url)
    await page.wait_for_selector("#conversation-list .conv-link")
    await page.keyboard.press("j")
    title = page.locator("#reader h1")
    await expect(title).to_have_text("Hostile captured turn")
    await page.keyboard.press("j")
    await expect(title).to_have_text("Rust lifetimes with branches")
    await page.keyboard.press("k")
    await expect(title).to_have_text("Hostile captured turn")
    await page.keyboard.press("Escape")
    await expect(page).to_have_url(service.url.split("?")[0] + "#/conversations")


async def test_a_conversation_is_pinned_renamed_tagged_and_deleted_from_the_reader(
    service: Any, page: Any, seeded: dict[str, int]
) -> None:
    answers = iter(["My own title", "work, rust"])

    async def on_dialog(dialog: Any) -> None:
        await (dialog.accept() if dialog.type == "confirm" else dialog.accept(next(answers)))

    page.remove_listener("dialog", page.dismiss_dialogs)  # these dialogs are answered, not dismissed
    page.on("dialog", on_dialog)
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + f"#/c/{seeded['python']}")
    await page.get_by_role("button", name="☆ Pin").click()
    await page.get_by_role("button", name="★ Pinned").wait_for()
    await page.get_by_role("button", name="Rename").click()
    await page.locator("#reader .reader-head h1", has_text="My own title").wait_for()
    await page.locator("#conversation-list .conv-title", has_text="My own title").wait_for()
    await page.get_by_role("button", name="Tags").click()
    await page.locator("#reader .chip.tag", has_text="#rust").wait_for()
    assert await page.locator("#reader .chip.tag").all_text_contents() == ["#rust", "#work"]
    await page.get_by_role("button", name="Delete").click()
    await page.locator("#conversation-list .conv-title", has_text="My own title").wait_for(state="detached")
    assert await page.locator(f'#conversation-list .conv-link[data-id="{seeded["python"]}"]').count() == 0
    assert page.errors == []
