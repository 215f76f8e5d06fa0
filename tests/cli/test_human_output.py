"""What a person sees from the command line: whole help sentences, `vivim serve`'s banner and
nothing else on the terminal, a taken port as one sentence. Real processes throughout."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import click

from vivim.cli import main

VIVIM = [sys.executable, "-m", "vivim"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_port(home: Path, port: int) -> None:
    from vivim.store import Store, settings

    async def go() -> None:
        store = await Store.open(home / "vivim.sqlite3")
        try:
            await store.write(settings.set_settings, {"web.port": port})
        finally:
            await store.close()

    asyncio.run(go())


def groups(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += groups(command, (*path, name))
    return found


def test_no_command_listing_cuts_a_sentence_short_at_80_columns(vivim_home: Path) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    for path in groups(main):
        out = subprocess.run(
            [*VIVIM, *path, "--help"], env=env, capture_output=True, text=True, timeout=60, check=True
        ).stdout
        listing = out.split("Commands:", 1)[1] if "Commands:" in out else ""
        for line in listing.splitlines():
            assert not line.rstrip().endswith(("...", "e.g.")), f"`vivim {' '.join(path)} --help`: {line!r}"
    peers = subprocess.run(
        [*VIVIM, "peers", "--help"], env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "add  Add a paired device's address." in peers


def serve_env(home: Path, services: str) -> dict[str, str]:
    return {
        **os.environ,
        "VIVIM_HOME": str(home),
        "VIVIM_SERVICES": services,
        "VIVIM_SYNC_LISTEN": "/ip4/127.0.0.1/tcp/0",
        "VIVIM_SYNC_MDNS": "0",
        "VIVIM_DEVICE_NAME": "home-server",
    }


def read_banner(proc: subprocess.Popen[str]) -> list[str]:
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Press Ctrl+C"):
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, "serve stopped before its banner: " + "".join(lines) + proc.stderr.read()  # type: ignore
        lines.append(line.rstrip("\n"))
    return lines


def test_serve_says_where_the_web_app_is_what_runs_and_nothing_else(vivim_home: Path) -> None:
    port = free_port()
    set_port(vivim_home, port)
    proc = subprocess.Popen(
        [*VIVIM, "serve"],
        env=serve_env(vivim_home, "web,sync"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = read_banner(proc)
        text = "\n".join(banner)
        token = (vivim_home / "web.token").read_text().strip()
        url = f"http://127.0.0.1:{port}/?token={token}"
        assert f"  {url}" in banner
        assert "`vivim open` opens it" in text
        assert f"Data:     {vivim_home}" in banner
        assert "Running:  sync, web app" in banner
        assert re.search(r"Sync:     this device is 12D3Koo\w+ \(home-server\)", text)
        assert f"Log:      {vivim_home / 'vivim.log'}" in banner
        import http.cookiejar

        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(url, timeout=10) as page:  # token -> cookie -> redirect to the app
            assert page.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert err == ""  # libp2p, asyncio and aiohttp chatter went to vivim.log
    assert "sync node" in (vivim_home / "vivim.log").read_text()


def test_serve_quiet_prints_nothing_while_it_runs(vivim_home: Path) -> None:
    port = free_port()
    set_port(vivim_home, port)
    proc = subprocess.Popen(
        [*VIVIM, "serve", "--quiet"],
        env=serve_env(vivim_home, "web"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                import time

                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert (out, err) == ("", "")


def test_serve_with_its_port_taken_moves_to_its_own_port_and_says_so_in_one_line(vivim_home: Path) -> None:
    """The issue allows either a clear stop or another port, said plainly: VIVIM takes its data
    directory's own port (stable across restarts), and the banner shows the address it really has."""
    from vivim.web.service import vault_port

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        set_port(vivim_home, port)
        proc = subprocess.Popen(
            [*VIVIM, "serve"],
            env=serve_env(vivim_home, "web"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            banner = "\n".join(read_banner(proc))
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    own = vault_port(vivim_home)
    assert f"http://127.0.0.1:{own}/?token=" in banner and f":{port}/" not in banner
    [line] = err.strip().splitlines()
    assert f"Port {port} is taken" in line and "own port" in line
    assert "Traceback" not in err


def test_a_vivim_error_is_a_sentence_on_stderr_without_its_code_tag(vivim_home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "not-a-backup.vivim"
    backup.write_bytes(b"garbage" * 10)
    done = subprocess.run(
        [*VIVIM, "restore", str(backup)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "VIVIM_HOME": str(vivim_home)},
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and "[" not in done.stderr and "Traceback" not in done.stderr


def test_an_error_that_starts_with_a_file_name_keeps_the_name_as_the_user_typed_it(
    vivim_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    env = {**os.environ, "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "none"}
    done = subprocess.run(
        [*VIVIM, "import", "empty.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("Error: empty.json is empty (0 bytes)")  # not "Empty.json"


def test_counts_in_sentences_agree_with_their_number() -> None:
    from vivim.cli._common import counted, sentence

    assert counted(1, "conversation") == "1 conversation"
    assert counted(4, "conversation") == "4 conversations"
    assert counted(0, "session log") == "0 session logs"
    assert sentence("the ZIP is damaged") == "The ZIP is damaged."
    assert sentence("notes.json is not an export") == "notes.json is not an export."


def test_vivim_mcp_typed_in_a_terminal_says_what_it_is_on_stderr_only(vivim_home: Path) -> None:
    import pty

    leader, follower = pty.openpty()  # stdin is a terminal, as when a person types `vivim mcp`
    env = {**os.environ, "VIVIM_HOME": str(vivim_home), "VIVIM_SERVICES": "none"}
    server = subprocess.Popen(
        [*VIVIM, "mcp"], stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert server.stderr is not None
        import select

        ready, _, _ = select.select([server.stderr], [], [], 60)
        assert ready, "vivim mcp said nothing on stderr within 60 s"
        first = server.stderr.readline()
        assert "VIVIM's MCP server is waiting for an AI client on stdin/stdout" in first
        assert "`vivim install --mcp CLIENT`" in first
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
        os.close(leader)
        os.close(follower)
    assert out == ""  # stdout is the protocol channel: the hint never goes there
