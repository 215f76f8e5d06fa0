"""The web app for people, in real headless Chromium: every page fits a phone (390x844) and a
desktop without sideways scrolling, Settings explains and validates, Devices speaks in names and
times, code blocks can be copied, the words searched for are marked in the opened conversation,
and the keyboard works (↓ and Enter from the search box, `?` for the shortcuts, focus kept)."""

from __future__ import annotations

from typing import Any

import pytest

from .browser import CHROMIUM, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM}"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && getComputedStyle(el).position !== 'fixed';
  }).filter((el) => !el.closest('pre, .table-scroll, .md table'))  // these scroll inside themselves
    .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


def pages(seeded: dict[str, int]) -> list[str]:
    return [
        "#/conversations",
        f"#/c/{seeded['python']}",
        f"#/c/{seeded['branches']}",
        "#/search?q=borrow",
        "#/stats?days=3650",
        "#/devices",
        "#/transfer",
        "#/settings",
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_no_page_scrolls_sideways(
    service: Any, page: Any, seeded: dict[str, int], viewport: dict
) -> None:
    await page.set_viewport_size(viewport)
    await page.goto(service.url)
    base = service.url.split("?")[0]
    for where in pages(seeded):
        await page.goto(base + where)
        await page.wait_for_selector("main > :not(.hidden)")
        await page.wait_for_load_state("networkidle")
        await page.wait_for_timeout(150)
        measured = await page.evaluate(OVERFLOW_JS)
        await screenshot(page, f"{viewport['width']}-{where.strip('#/').replace('/', '-').replace('?', '-')}")
        assert measured["scroll"] <= measured["width"], f"{where} at {viewport['width']} px: {measured}"
        assert measured["wide"] == [], f"{where} at {viewport['width']} px: {measured}"
    assert page.errors == []


async def test_settings_speak_in_words_validate_and_switch_the_theme(
    service: Any, page: Any, runtime: Any
) -> None:
    from vivim.store import settings

    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/settings")
    await page.get_by_role("group", name="Capture").wait_for()
    for group in ("Capture", "Search", "Insert context", "Sync", "Web app"):
        assert await page.get_by_role("group", name=group).count() == 1
    limit = page.get_by_label("Results per search")
    assert await limit.get_attribute("aria-describedby")
    assert (
        "How many conversations a search shows"
        in await page.locator("#setting-search-limit-help").text_content()
    )

    await limit.fill("-5")
    await page.get_by_role("button", name="Save").click()
    error = page.locator("#setting-search-limit-error")
    await error.wait_for()
    assert "whole number from 1 to 200" in await error.text_content()
    assert await page.evaluate("document.activeElement.id") == "setting-search-limit"
    assert (await runtime.store.read(settings.get_settings, ["search.limit"]))["search.limit"] == 20

    await limit.fill("20")
    port = page.get_by_label("Port")
    await port.fill("80")
    await page.get_by_role("button", name="Save").click()
    await page.locator("#setting-web-port-error").wait_for()
    assert "from 1024 to 65535" in await page.locator("#setting-web-port-error").text_content()
    assert (await runtime.store.read(settings.get_settings, ["web.port"]))["web.port"] == 8765

    await port.fill("8765")
    await page.get_by_label("Theme").select_option("dark")
    await page.get_by_role("button", name="Save").click()
    from playwright.async_api import expect  # polling page functions are eval, which the CSP forbids

    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 24)"
    assert (await runtime.store.read(settings.get_settings, ["web.theme"]))["web.theme"] == "dark"
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.errors == []


async def test_the_host_refuses_settings_out_of_range(client: Any, auth: dict[str, str]) -> None:
    for values, words in (
        ({"search.limit": -5}, "between 1 and 200"),
        ({"web.port": 80}, "between 1024 and 65535"),
        ({"web.theme": "purple"}, "one of system, light, dark"),
        ({"context.max_items": 2.5}, "whole number"),
    ):
        response = await client.patch("/api/settings", headers=auth, json={"values": values})
        assert response.status == 400, values
        error = (await response.json())["error"]
        assert error["code"] == "invalid_payload" and words in error["message"]
        assert error["details"]["key"] == next(iter(values))
    ok = await client.get("/api/settings", headers=auth)
    body = await ok.json()
    assert {s["key"] for s in body["schema"]} >= {"search.limit", "web.port", "web.theme", "capture.chatgpt"}
    assert all(s["label"] and s["group"] for s in body["schema"])


SELF_PEER = "12D3KooWSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1fSe1f"
DESK_PEER = "12D3KooWDeskDeskDeskDeskDeskDeskDeskDeskDeskDeskDesk"


async def seed_devices(runtime: Any) -> None:
    import time

    now = time.time()

    def write(conn: Any) -> None:
        conn.execute(
            "INSERT INTO sync_devices (peer_id, sign_pub, box_pub, name, blind, status, added_at)"
            " VALUES (?, x'00', x'00', 'vm', 0, 'self', ?)",
            (SELF_PEER, now - 86400 * 3),
        )
        conn.execute(
            "INSERT INTO sync_devices (peer_id, sign_pub, box_pub, name, blind, status, added_at)"
            " VALUES (?, x'00', x'00', 'vm', 0, 'paired', ?)",
            (DESK_PEER, now - 86400 * 2),
        )
        addr = "/ip4/192.168.178.23/tcp/4001/p2p/" + DESK_PEER
        conn.execute(
            "INSERT INTO sync_addresses (addr, peer_id, source, added_at, last_ok) VALUES (?, ?, 'mdns', ?, ?)",
            (addr, DESK_PEER, now - 86400, now - 180),
        )

    await runtime.store.write(write)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_devices_are_named_by_people_with_human_times(
    service: Any, page: Any, runtime: Any, viewport: dict
) -> None:
    await seed_devices(runtime)
    await page.set_viewport_size(viewport)
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/devices")
    others = page.locator(".device-list .device")
    await others.first.wait_for()
    text = await page.locator("main").inner_text()
    assert "last reached 3 min ago" in text
    assert DESK_PEER not in text  # peer ids and addresses are folded away
    assert "192.168.178.23" not in text and "BLIND" not in text.upper().replace("ENCRYPTED BACKUP", "")
    measured = await page.evaluate(OVERFLOW_JS)
    assert measured["scroll"] <= measured["width"], measured

    await others.first.get_by_role("button", name="Rename vm").click()
    field = page.get_by_label("Device name")
    assert await page.evaluate("document.activeElement.getAttribute('aria-label')") == "Device name"
    await field.fill("Desk PC in the study")
    await page.get_by_role("button", name="Save").click()
    await page.locator(".device-list .device-name", has_text="Desk PC in the study").wait_for()
    focused = await page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Rename Desk PC in the study"  # focus stays where the person was

    await page.locator(".device-list details summary").first.click()
    assert DESK_PEER in await page.locator(".device-list details").first.inner_text()
    measured = await page.evaluate(OVERFLOW_JS)
    assert measured["scroll"] <= measured["width"], measured

    from vivim.sync.control import devices

    listed = {d["peer_id"]: d for d in await runtime.store.read(devices)}
    assert listed[DESK_PEER]["name"] == "Desk PC in the study" and listed[DESK_PEER]["own_name"] == "vm"
    assert page.errors == []


def test_vivim_devices_rename_and_list_in_words(vivim_home: Any) -> None:
    import asyncio

    from click.testing import CliRunner

    from vivim.cli import main
    from vivim.config import Paths
    from vivim.runtime import Runtime

    async def seed() -> None:
        runtime = await Runtime.open(Paths(vivim_home))
        try:
            await seed_devices(runtime)
        finally:
            await runtime.close()

    asyncio.run(seed())
    renamed = CliRunner().invoke(main, ["devices", "rename", DESK_PEER[:12], "Desk PC"])
    assert renamed.exit_code == 0, renamed.output
    listed = CliRunner().invoke(main, ["devices"])
    assert "Desk PC" in listed.output and "last reached 3 min ago" in listed.output
    missing = CliRunner().invoke(main, ["devices", "rename", "nosuchdevice", "x"])
    assert missing.exit_code == 1 and "No device matches 'nosuchdevice'" in missing.output


async def test_code_blocks_have_a_language_and_a_copy_button(
    service: Any, page: Any, seeded: dict[str, int]
) -> None:
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + f"#/c/{seeded['python']}")
    block = page.locator("#reader .code-block").first
    await block.wait_for()
    assert (await block.locator(".code-lang").text_content()) == "Python"
    await block.get_by_role("button", name="Copy Python code").click()
    await block.get_by_role("button", name="Copy Python code").filter(has_text="Copied").wait_for()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied == "def shout(fn):\n    return lambda: fn().upper()\n"
    assert page.errors == []


async def test_search_snippets_show_code_without_markdown_fences(service: Any, page: Any) -> None:
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/search?q=shout")
    snippet = page.locator("#search-results .snippet").first
    await snippet.wait_for()
    text = await snippet.text_content()
    assert "shout" in text and "```" not in text


async def test_the_words_searched_for_are_marked_in_the_opened_conversation(service: Any, page: Any) -> None:
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/search?q=borrow%20checker")
    await page.locator("#search-results .hits a").first.wait_for()
    await page.keyboard.press("Enter")  # in the search box: opens the top hit
    await page.wait_for_selector("#reader .message")
    marks = page.locator("#reader .messages mark.hit")
    await marks.first.wait_for()
    words = {(await marks.nth(i).text_content()).lower() for i in range(await marks.count())}
    assert "borrow" in words or "borrowed" in words
    assert await page.evaluate("document.activeElement.tagName") == "H1"  # focus went to the conversation
    assert await page.evaluate("document.activeElement.closest('#reader') !== null")


async def test_the_search_box_arrow_down_walks_the_results(service: Any, page: Any) -> None:
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/search")
    await page.fill("#search-input", "decorators")
    hits = page.locator("#search-results .hits a")
    await hits.first.wait_for()
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate("document.activeElement.closest('.hits') !== null")
    await page.keyboard.press("ArrowUp")
    assert await page.evaluate("document.activeElement.id") == "search-input"
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#reader h1")
    assert "decorators" in (await page.locator("#reader h1").text_content()).lower()


async def test_escape_returns_focus_to_the_conversation_in_the_list(
    service: Any, page: Any, seeded: dict[str, int]
) -> None:
    await page.goto(service.url)
    await page.wait_for_selector("#conversation-list .conv-link")
    link = page.locator(f"#conversation-list .conv-link[data-id='{seeded['python']}']")
    await link.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#reader .message")
    assert await page.evaluate("document.activeElement.tagName") == "H1"
    await page.keyboard.press("Escape")
    from playwright.async_api import expect  # polling page functions are eval, which the CSP forbids

    await expect(link).to_be_focused()
    # Esc in the search box leaves it for the page, not for <body>.
    await page.keyboard.press("/")
    await page.wait_for_selector("#search-input:focus")
    await page.keyboard.press("Escape")
    assert await page.evaluate("document.activeElement !== document.body")


async def test_question_mark_shows_the_shortcuts(service: Any, page: Any) -> None:
    await page.goto(service.url)
    await page.wait_for_selector("#conversation-list .conv-link")
    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await dialog.wait_for()
    assert "Move through search results" in await dialog.text_content()
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")


async def test_the_chatgpt_icon_is_not_a_letter_g(service: Any, page: Any) -> None:
    await page.goto(service.url)
    response = await page.request.get(service.url.split("?")[0] + "static/icons/chatgpt.svg")
    icon = await response.text()
    assert "<text" not in icon and ">G<" not in icon


async def test_a_failed_web_import_shows_only_the_error_in_the_users_words(
    service: Any, page: Any, tmp_path: Any
) -> None:
    bad = tmp_path / "conversations.json"
    bad.write_text('{"not": "an export"}')
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/transfer")
    await page.set_input_files("#import-file", str(bad))
    await page.get_by_role("button", name="Import", exact=True).click()
    error = page.locator("#import-status .error-box")
    await error.wait_for(timeout=20_000)
    message = await error.text_content()
    assert "conversations.json" in message
    assert (
        "imports" not in message
        and str(service.url) not in message
        and "/" not in message.split("export")[-1]
    )
    await page.wait_for_timeout(500)  # a toast would have arrived with the answer
    assert await page.locator("#toasts .toast").count() == 0
    assert "Import finished" not in await page.locator("body").text_content()


async def test_a_re_import_through_the_page_says_nothing_new_in_words(
    service: Any, page: Any, tmp_path: Any
) -> None:
    import json

    from .test_api import CHATGPT_EXPORT

    export = tmp_path / "conversations.json"
    export.write_text(json.dumps(CHATGPT_EXPORT))
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/transfer")
    await page.set_input_files("#import-file", str(export))
    await page.get_by_role("button", name="Import", exact=True).click()
    await page.get_by_text("Imported conversations.json").wait_for(timeout=20_000)
    assert "1 conversation (1 new)" in await page.locator("#import-status").text_content()
    await page.set_input_files("#import-file", str(export))
    await page.get_by_role("button", name="Import", exact=True).click()
    await page.get_by_text("Nothing new: the conversation").wait_for(timeout=20_000)
    text = await page.locator("#import-status").text_content()
    assert "Imported conversations.json" in text
    assert "conversations_created" not in text and "unchanged:" not in text
    assert await page.locator("#toasts .toast").count() == 0


async def test_nothing_is_waiting_to_sync_when_there_is_no_other_device(
    service: Any, page: Any, runtime: Any, seeded: dict[str, int]
) -> None:
    def write(conn: Any) -> None:
        conn.execute(
            "INSERT INTO sync_devices (peer_id, sign_pub, box_pub, name, blind, status, added_at)"
            " VALUES (?, x'00', x'00', 'vm', 0, 'self', 1)",
            (SELF_PEER,),
        )
        conn.execute("INSERT OR IGNORE INTO sync_dirty (conversation_id) SELECT id FROM conversations")

    await runtime.store.write(write)
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/devices")
    await page.get_by_role("heading", name="Your other devices").wait_for()
    text = await page.locator("main").inner_text()
    assert "No other devices yet" in text
    assert "waiting to sync" not in text.lower()


async def test_chart_labels_stay_readable_on_a_phone(service: Any, page: Any) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(service.url)
    await page.goto(service.url.split("?")[0] + "#/stats?days=3650")
    await page.wait_for_selector("svg.chart text")
    heights = await page.locator("svg.chart text").evaluate_all(
        "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 9, heights  # a 900-wide chart squeezed to 360 px drew 4 px labels


async def test_on_a_phone_the_list_scrolls_with_the_page_and_hides_the_keyboard_hint(
    service: Any, page: Any
) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(service.url)
    await page.wait_for_selector("#conversation-list .conv-link")
    box = page.locator("#conversation-list")
    assert await box.evaluate("el => getComputedStyle(el).maxHeight") == "none"
    assert await box.evaluate(
        "el => el.scrollHeight <= el.clientHeight + 1"
    )  # no box scrolling inside the page
    assert not await page.locator(".kbd-hint").is_visible()
    await page.set_viewport_size(DESKTOP)
    assert await page.locator(".kbd-hint").is_visible()
