"""The token only ever goes to THIS vault's web app: the popup (`web.url`, from a real host
process), `vivim web` and `vivim open` verify the listener with a challenge first. Two data
directories on one machine each reach their own server. Plus the redirect and Server-header rules.

Real aiohttp servers on 127.0.0.1, real impostor HTTP servers, a real host process over pipes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import secrets
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.hostproc import HostProcess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebApp:
    """One data directory's web app, served as the singleton would serve it, on a loop in a thread."""

    def __init__(self, home: Path, port: int | None = None) -> None:
        self.home, self.requested = home, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> WebApp:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        from vivim.config import Paths
        from vivim.runtime import Runtime
        from vivim.web.service import start

        self.home.mkdir(parents=True, exist_ok=True)
        self.runtime = await Runtime.open(Paths(self.home))
        self.service = await start(self.runtime, self.requested)
        self.port, self.token = self.service.port, self.service.token

    async def _stop(self) -> None:
        await self.service.stop()
        await self.runtime.close()

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Impostor:
    """Something else on a port: it records every request it gets and answers like VIVIM would
    guess (or, as a relay, passes the challenge on to a real VIVIM web app on another port)."""

    def __init__(self, port: int = 0, relay_to: int | None = None) -> None:
        received: list[str] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received.append(self.requestline + "\n" + str(self.headers))
                if relay_to is not None:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{relay_to}{self.path}", timeout=5
                    ) as upstream:
                        body = upstream.read()
                else:
                    body = json.dumps({"app": "vivim", "proof": "0" * 64}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Impostor:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def set_port(home: Path, port: int) -> None:
    from vivim.store import Store, settings

    async def write() -> None:
        store = await Store.open(home / "vivim.sqlite3")
        try:
            await store.write(settings.set_settings, {"web.port": port})
        finally:
            await store.close()

    asyncio.run(write())


def token_of(home: Path) -> str:
    from vivim.web.token import load_or_create_token

    return load_or_create_token(home / "web.token")


@pytest.fixture
def host(vivim_home: Path) -> Iterator[HostProcess]:
    proc = HostProcess(vivim_home)
    yield proc
    if proc.proc.poll() is None:
        proc.close()


# ---- the challenge itself -------------------------------------------------------------------


def test_the_web_app_proves_it_holds_the_token_without_revealing_it(vivim_home: Path) -> None:
    with WebApp(vivim_home, 0) as app:
        nonce = secrets.token_hex(16)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{app.port}/api/identity?nonce={nonce}", timeout=5
        ) as reply:
            answer = json.loads(reply.read())
            assert reply.headers["Server"] == "VIVIM"
        expected = hmac.new(
            app.token.encode(), f"vivim-web-identity\n{app.port}\n{nonce}".encode(), hashlib.sha256
        )
        assert answer == {"app": "vivim", "proof": expected.hexdigest()}
        assert app.token not in json.dumps(answer)
        for bad in ("", "xyz", "A" * 32, "0" * 31, "0" * 129):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{app.port}/api/identity?nonce={bad}", timeout=5)
            assert refused.value.code == 400


def test_the_probe_tells_this_vault_from_another_and_from_an_impostor(tmp_path: Path) -> None:
    from vivim.web.identity import probe

    with WebApp(tmp_path / "a", 0) as a, WebApp(tmp_path / "b", 0) as b, Impostor() as fake:
        assert probe(a.port, a.token) == "vivim"
        assert probe(b.port, a.token) == "other"  # another vault's app: its answer does not match our token
        assert probe(fake.port, a.token) == "other"
        assert a.token not in "".join(fake.received)
        with Impostor(relay_to=a.port) as relay:  # passes our challenge on to the real app
            assert probe(relay.port, a.token) == "other"
    assert probe(free_port(), "t") == "none"


# ---- the popup's web.url, from a real host process -----------------------------------------


def test_web_url_gives_no_token_when_nothing_listens(host: HostProcess, vivim_home: Path) -> None:
    port = free_port()
    host.call("settings.set", {"values": {"web.port": port}})
    result = host.call("web.url")
    assert result == {"url": f"http://127.0.0.1:{port}/", "running": False, "listener": "none", "port": port}


def test_web_url_never_hands_the_token_to_an_impostor_on_the_port(
    host: HostProcess, vivim_home: Path
) -> None:
    token = token_of(vivim_home)
    with Impostor() as fake:
        host.call("settings.set", {"values": {"web.port": fake.port}})
        result = host.call("web.url")
        assert result["running"] is False and result["listener"] == "other" and token not in result["url"]
        assert fake.received and token not in "".join(fake.received)


def test_web_url_never_hands_the_token_to_a_relay_of_the_real_app(
    host: HostProcess, vivim_home: Path
) -> None:
    token = token_of(vivim_home)
    with WebApp(vivim_home, 0) as real, Impostor(relay_to=real.port) as relay:
        (
            vivim_home / "web.address"
        ).unlink()  # the relay sits on the configured port; no record points to the app
        host.call("settings.set", {"values": {"web.port": relay.port}})
        result = host.call("web.url")
        assert result["listener"] == "other" and token not in result["url"]


def test_web_url_finds_this_vaults_app_where_it_really_listens(host: HostProcess, vivim_home: Path) -> None:
    with WebApp(vivim_home, 0) as app:  # a port of its own, recorded in the data directory
        result = host.call("web.url")
        assert result == {
            "url": f"http://127.0.0.1:{app.port}/?token={app.token}",
            "running": True,
            "listener": "vivim",
            "port": app.port,
        }


def test_two_vaults_on_one_machine_each_reach_their_own_web_app(tmp_path: Path) -> None:
    shared = free_port()
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    for home in (home_a, home_b):
        home.mkdir()
        set_port(home, shared)  # both configured for the same port
    with WebApp(home_a) as a, WebApp(home_b) as b:
        from vivim.web.service import vault_port

        assert a.port == shared and b.port == vault_port(home_b)  # B found the port taken: its own one
        assert json.loads((home_b / "web.address").read_text())["port"] == b.port
        for home, app in ((home_a, a), (home_b, b)):
            host = HostProcess(home)
            try:
                result = host.call("web.url")
            finally:
                host.close()
            assert result["url"] == f"http://127.0.0.1:{app.port}/?token={app.token}", home
        assert a.token != b.token
    assert not (home_b / "web.address").exists()  # removed when the app stopped


async def test_two_vaults_web_apps_in_one_browser_keep_their_own_cookies(tmp_path: Path) -> None:
    import aiohttp

    with WebApp(tmp_path / "a", 0) as a, WebApp(tmp_path / "b", 0) as b:
        # One cookie jar, as one browser: 127.0.0.1's cookies go to every port.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            for app in (a, b):  # open A, then B
                async with browser.get(app.service.url) as opened:
                    assert opened.status == 200
            names = {cookie.key: cookie.value for cookie in browser.cookie_jar}
            assert len(names) == 2 and set(names.values()) == {a.token, b.token}
            for app in (a, b):  # opening B did not log A out; each app reads only its own cookie
                async with browser.get(f"http://127.0.0.1:{app.port}/api/status") as status:
                    assert status.status == 200
        async with aiohttp.ClientSession() as stranger:  # B's cookie, under A's name, does not open A
            from vivim.web.security import cookie_name

            async with stranger.get(
                f"http://127.0.0.1:{a.port}/api/status",
                headers={"Cookie": f"{cookie_name(a.token)}={b.token}"},
            ) as refused:
                assert refused.status == 401


# ---- vivim web / vivim open -----------------------------------------------------------------


def test_vivim_web_prints_the_token_only_for_this_vaults_app(vivim_home: Path) -> None:
    from vivim.cli import main

    token = token_of(vivim_home)
    with Impostor() as fake:
        result = CliRunner().invoke(main, ["web", "--port", str(fake.port)])
        assert result.exit_code == 0 and token not in result.output
        assert "not this VIVIM" in result.output and token not in "".join(fake.received)
    with WebApp(vivim_home) as app:  # on the port just saved, or a free one if it is still held
        result = CliRunner().invoke(main, ["web"])
        assert f"http://127.0.0.1:{app.port}/?token={token}" in result.output


def test_vivim_open_opens_nothing_for_an_impostor(
    vivim_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    from vivim.cli import main

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    with Impostor() as fake:
        set_port(vivim_home, fake.port)
        result = CliRunner().invoke(main, ["open"])
    assert result.exit_code == 1 and opened == []
    with WebApp(vivim_home, 0) as app:
        assert CliRunner().invoke(main, ["open"]).exit_code == 0
        assert opened == [f"http://127.0.0.1:{app.port}/?token={app.token}"]


# ---- redirects after the token is moved into the cookie; the Server header ------------------


def raw_get(port: int, target: str) -> tuple[str, dict[str, str]]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head[0], headers


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/?token={t}",
        "/%5Cevil.example?token={t}",
        "/%5cevil.example/x?token={t}",
        "/\\evil.example?token={t}",
        "///evil.example?token={t}",
        "/%2F%2Fevil.example?token={t}",
        "http://evil.example/?token={t}",
        "/\\/evil.example?token={t}",
        "/%09/evil.example?token={t}",
    ],
)
def test_the_cookie_redirect_never_leaves_this_server(vivim_home: Path, target: str) -> None:
    with WebApp(vivim_home, 0) as app:
        status, headers = raw_get(app.port, target.format(t=app.token))
    assert status.split()[1] in ("303", "400", "404"), status
    if status.split()[1] == "303":
        location = headers["location"]
        assert location == "/" or (location.startswith("/") and location[1:2] not in ("/", "\\")), location
        assert "evil.example" not in location.split("?")[0] or location.startswith("/%2F"), location


def test_a_same_site_path_keeps_its_place_and_query_after_the_cookie(vivim_home: Path) -> None:
    with WebApp(vivim_home, 0) as app:
        status, headers = raw_get(app.port, f"/conversations/3?token={app.token}&q=roux")
    assert status.split()[1] == "303" and headers["location"] == "/conversations/3?q=roux"
    assert "set-cookie" in headers


def test_no_response_names_aiohttp_or_its_version(vivim_home: Path) -> None:
    with WebApp(vivim_home, 0) as app:
        for target in ("/", "/api/status", "/nope", f"/?token={app.token}", "/static/app.css"):
            _, headers = raw_get(app.port, target)
            assert headers.get("server") == "VIVIM", (target, headers.get("server"))
        with socket.create_connection(("127.0.0.1", app.port), timeout=5) as conn:  # not even HTTP
            conn.sendall(b"BLAH \x00\x01 nonsense\r\n\r\n")
            reply = conn.recv(65536).decode("latin-1")
        assert "aiohttp" not in reply.lower() and "python/" not in reply.lower()
