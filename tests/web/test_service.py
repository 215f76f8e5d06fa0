"""The web app as a running service: live events, the port setting, `vivim web`."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from vivim.store.capture import upsert_capture

from .conftest import capture


async def test_the_events_socket_pushes_a_capture_from_this_process(
    client: Any, auth: dict[str, str], runtime: Any
) -> None:
    async with client.ws_connect("/api/events", headers=auth) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello"
        runtime.events.publish("capture", conversation_id=1, message_ids=[1], provider="claude")
        event = await ws.receive_json(timeout=5)
        assert event == {"type": "capture", "conversation_id": 1, "message_ids": [1], "provider": "claude"}


async def test_the_events_socket_notices_another_process_writing(
    client: Any, auth: dict[str, str], runtime: Any
) -> None:
    from vivim.store import Store

    async with client.ws_connect("/api/events", headers=auth) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        await asyncio.sleep(2.5)  # let the watcher take its first look
        other = await Store.open(runtime.paths.db)  # another connection: as another host would
        try:
            await other.write(
                upsert_capture,
                capture(
                    "claude",
                    "elsewhere",
                    "From another host",
                    [
                        {
                            "key": "u1",
                            "role": "user",
                            "markdown": "hello from elsewhere",
                            "text": "hello from elsewhere",
                        }
                    ],
                ),
            )
        finally:
            await other.close()
        kinds = set()
        while "store.changed" not in kinds:
            kinds.add((await ws.receive_json(timeout=10))["type"])
        assert "store.changed" in kinds


async def test_the_events_socket_refuses_a_foreign_origin(client: Any, auth: dict[str, str]) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/api/events", headers={**auth, "Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_the_service_listens_on_loopback_and_stops(runtime: Any) -> None:
    from vivim.web.service import start

    service = await start(runtime, port=0)
    try:
        assert service.url.startswith(f"http://127.0.0.1:{service.port}/?token=")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # IP host
            async with session.get(service.url, allow_redirects=True) as response:
                assert response.status == 200
                assert "VIVIM" in await response.text()
    finally:
        await service.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", service.port), timeout=1).close()


async def test_a_taken_port_is_a_clear_error(runtime: Any) -> None:
    from vivim.errors import ConfigError
    from vivim.web.service import start

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        port = blocker.getsockname()[1]
        with pytest.raises(ConfigError) as taken:
            await start(runtime, port=port)
        assert str(port) in taken.value.message and "web.port" in taken.value.message
    finally:
        blocker.close()


async def test_the_service_uses_the_port_setting(runtime: Any) -> None:
    from vivim.store import settings
    from vivim.web.service import start

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    free = probe.getsockname()[1]
    probe.close()
    await runtime.store.write(settings.set_settings, {"web.port": free})
    service = await start(runtime)
    try:
        assert service.port == free
    finally:
        await service.stop()


def test_vivim_web_saves_a_port_and_shows_no_token_while_nothing_runs(vivim_home: Any) -> None:
    from vivim.cli import main

    result = CliRunner().invoke(main, ["web", "--port", "9123"])
    assert result.exit_code == 0, result.output
    token = (vivim_home / "web.token").read_text().strip()
    assert "http://127.0.0.1:9123/" in result.output and token not in result.output
    assert "not running" in result.output  # nothing listens on 9123 in this test
    again = CliRunner().invoke(main, ["web"])
    assert "http://127.0.0.1:9123/" in again.output and token not in again.output
    assert again.exit_code == 1  # an address without its token is no answer: a script can tell
    assert "then run this again. The address above carries its token only once it runs" in again.stderr


def test_vivim_open_while_the_web_app_is_down_says_where_it_will_be(vivim_home: Any) -> None:
    from vivim.cli import main

    CliRunner().invoke(main, ["web", "--port", "9124"])  # nothing listens there in this test
    result = CliRunner().invoke(main, ["open"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "The web app is not running: start it with `vivim serve`" in result.stderr
    assert "Its address, http://127.0.0.1:9124/, carries its token only once it runs" in result.stderr
    assert "above" not in result.stderr


def test_the_host_hands_the_popup_no_token_while_the_web_app_is_down(host: Any, vivim_home: Any) -> None:
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    host.call("settings.set", {"values": {"web.port": free}})
    result = host.call("web.url")
    assert result == {"url": f"http://127.0.0.1:{free}/", "running": False, "listener": "none", "port": free}


async def test_web_url_names_the_running_service(runtime: Any) -> None:
    from vivim.handlers import ROUTES
    from vivim.protocol import WebUrl
    from vivim.web.service import start

    service = await start(runtime, port=0)
    runtime.services["web"] = service
    try:
        result = await ROUTES["web.url"].handler(runtime, WebUrl())
        assert result == {"url": service.url, "running": True, "listener": "vivim", "port": service.port}
    finally:
        runtime.services.pop("web")
        await service.stop()


def test_vivim_open_hands_the_verified_address_to_the_browser(
    vivim_home: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import webbrowser

    from tests.web.test_identity import WebApp
    from vivim.cli import main

    opened = tmp_path / "opened.txt"
    fake_browser = tmp_path / "fake-browser"
    fake_browser.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n"
    )
    fake_browser.chmod(0o700)
    monkeypatch.setenv("BROWSER", str(fake_browser))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # re-read BROWSER
    with WebApp(vivim_home, 0) as app:
        result = CliRunner().invoke(main, ["open"])
    assert result.exit_code == 0, result.output
    token = (vivim_home / "web.token").read_text().strip()
    for _ in range(50):
        if opened.exists():
            break
        time.sleep(0.1)  # GenericBrowser starts the command without waiting for it
    assert opened.read_text() == f"http://127.0.0.1:{app.port}/?token={token}"


async def test_the_web_app_restarts_on_its_port_right_after_stopping(runtime: Any) -> None:
    """The stopped server closed its connections first, so they sit in TIME_WAIT for up to 60 s:
    a restart must still bind (it failed with "another program uses that port")."""
    from vivim.web.service import start

    service = await start(runtime, port=0)
    port = service.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /favicon.svg HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await service.stop()  # closes the kept-alive connection from the server's side
    assert await reader.read() is not None
    writer.close()
    again = await start(runtime, port=port)
    try:
        assert again.port == port
    finally:
        await again.stop()
