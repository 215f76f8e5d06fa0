"""Fixtures for the web app: a seeded store, the app on a loopback port, and its token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from vivim.config import Paths
from vivim.protocol import CaptureUpsert
from vivim.runtime import Runtime
from vivim.store import Store
from vivim.store.capture import upsert_capture

HOSTILE_MARKDOWN = (
    "Here is a trap <script>window.__pwned = 1; alert('script')</script>\n\n"
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">\n\n"
    "[click me](javascript:alert('link')) and <a href=\"javascript:alert('a')\">raw link</a>\n\n"
    '<iframe src="https://evil.example/"></iframe>'
    "<svg><script>alert('svg')</script><a xlink:href=\"javascript:alert(2)\"><text>x</text></a></svg>\n\n"
    "![tracker](https://evil.example/pixel.png)\n\n"
    '<div onmouseover="alert(\'hover\')" style="position:fixed;inset:0">hover trap</div>\n\n'
    "<a href=\" jav&#x09;ascript:alert('entity')\">entity link</a> "
    "[data link](data:text/html,<script>alert('data')</script>)\n\n"
    "<form action=\"javascript:alert('form')\"><button>submit trap</button></form>"
    '<object data="https://evil.example/o"></object><embed src="https://evil.example/e">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    '<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css">'
    "<style>@import url(https://evil.example/y.css); body { background: url(https://evil.example/z.png) }</style>"
    '<video poster="https://evil.example/p.png" src="https://evil.example/v.mp4"></video>'
    '<img srcset="https://evil.example/s.png 2x" alt="srcset">\n\n'
    "Math trap: $\\href{javascript:alert('tex')}{x}$ and $$\\url{javascript:alert('tex2')}$$"
)


def capture(
    provider: str, external_id: str, title: str, turns: list[dict[str, Any]], source: str = "capture"
) -> CaptureUpsert:
    import msgspec

    return msgspec.convert(
        {
            "conversation": {
                "provider": provider,
                "external_id": external_id,
                "title": title,
                "url": f"https://example.invalid/{external_id}",
                "model": "model-x",
                "created_at": 1_760_000_000.0,
            },
            "turns": turns,
            "source": source,
        },
        CaptureUpsert,
    )


SEED = [
    capture(
        "chatgpt",
        "c-python",
        "Python decorators explained",
        [
            {
                "key": "u1",
                "role": "user",
                "position": 0,
                "markdown": "How do **decorators** work in Python?",
                "text": "How do decorators work in Python?",
                "created_at": 1_760_000_000.0,
            },
            {
                "key": "a1",
                "role": "assistant",
                "position": 1,
                "parent_key": "u1",
                "model": "gpt-5",
                "created_at": 1_760_000_060.0,
                "markdown": (
                    "A decorator wraps a function.\n\n```python\ndef shout(fn):\n    return lambda: fn().upper()\n```\n\n"
                    "| name | kind |\n|---|---|\n| shout | decorator |\n\nEuler: $e^{i\\pi} + 1 = 0$"
                ),
                "text": "A decorator wraps a function. def shout(fn): return lambda: fn().upper()",
            },
        ],
    ),
    capture(
        "claude",
        "c-branches",
        "Rust lifetimes with branches",
        [
            {
                "key": "u1",
                "role": "user",
                "position": 0,
                "markdown": "Explain lifetimes in Rust",
                "text": "Explain lifetimes in Rust",
                "created_at": 1_760_100_000.0,
            },
            {
                "key": "a1",
                "role": "assistant",
                "position": 1,
                "parent_key": "u1",
                "current": False,
                "markdown": "First answer: lifetimes name how long borrowed references stay valid.",
                "text": "First answer: lifetimes name how long borrowed references stay valid.",
                "created_at": 1_760_100_010.0,
            },
            {
                "key": "a2",
                "role": "assistant",
                "position": 1,
                "parent_key": "u1",
                "current": True,
                "markdown": "Second answer: the borrow checker compares lifetime regions.",
                "text": "Second answer: the borrow checker compares lifetime regions.",
                "created_at": 1_760_100_020.0,
            },
        ],
    ),
    capture(
        "gemini",
        "c-hostile",
        "Hostile captured turn",
        [
            {
                "key": "u1",
                "role": "user",
                "position": 0,
                "markdown": "Show me something hostile",
                "text": "Show me something hostile",
                "created_at": 1_760_200_000.0,
            },
            {
                "key": "a1",
                "role": "assistant",
                "position": 1,
                "parent_key": "u1",
                "markdown": HOSTILE_MARKDOWN,
                "text": "Here is a trap hostile",
                "created_at": 1_760_200_030.0,
            },
        ],
    ),
]


async def seed(store: Store, captures: list[CaptureUpsert] = SEED) -> list[int]:
    ids = []
    for item in captures:
        result = await store.write(upsert_capture, item)
        ids.append(result.conversation_id)
    return ids


@pytest.fixture
async def runtime(vivim_home: Path, store: Store) -> AsyncIterator[Runtime]:
    yield Runtime(paths=Paths(vivim_home), store=store, is_singleton=True)


@pytest.fixture
async def seeded(runtime: Runtime) -> dict[str, int]:
    ids = await seed(runtime.store)
    return {"python": ids[0], "branches": ids[1], "hostile": ids[2]}


@pytest.fixture
def token(runtime: Runtime) -> str:
    from vivim.web.security import load_or_create_token

    return load_or_create_token(runtime.paths.web_token)


@pytest.fixture
async def client(aiohttp_client: Any, runtime: Runtime, token: str) -> Any:
    from vivim.web.app import create_app

    return await aiohttp_client(create_app(runtime, token))


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# The real-browser tests' server and page (tests/web/browser.py says where Chromium is).
@pytest.fixture
async def service(runtime: Any, seeded: dict[str, int]) -> AsyncIterator[Any]:
    from vivim.web.service import start

    svc = await start(runtime, port=0)
    yield svc
    await svc.stop()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    import os

    from .browser import CHROMIUM, CHROMIUM_FLAGS

    playwright_api = pytest.importorskip(
        "playwright.async_api", reason="the playwright package is not installed"
    )
    home = tmp_path / "browser-home"
    home.mkdir()
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            env={**os.environ, "HOME": str(home)},
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 860})
        page = await context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.requests = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]

        async def on_dialog(dialog: Any) -> None:
            page.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.dismiss_dialogs = on_dialog  # type: ignore[attr-defined]  # a test answering dialogs removes it
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        yield page
        await browser.close()
