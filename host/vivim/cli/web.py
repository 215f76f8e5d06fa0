"""`vivim web` prints the web app's address (with its token); `vivim open` opens it in a browser.

The web app itself runs inside the singleton process (a browser's host or `vivim serve`).
"""

from __future__ import annotations

import socket

import click

from ._common import run

PROBE_TIMEOUT = 0.5


async def web_url(port: int | None = None) -> tuple[str, bool]:
    """The tokenised address of the web app, and whether something answers on its port.

    Passing a port saves it as the `web.port` setting (used from the next start of the service).
    """
    from ..config import Paths
    from ..store import Store, settings
    from ..web.token import LOOPBACK, load_or_create_token
    from ..web.token import web_url as tokenised_url

    paths = Paths.default()
    store = await Store.open(paths.db)
    try:
        if port is not None:
            await store.write(settings.set_settings, {"web.port": port})
        values = await store.read(settings.get_settings, ["web.port"])
    finally:
        await store.close()
    port = int(values["web.port"])
    token = load_or_create_token(paths.web_token)
    return tokenised_url(port, token), _listening(LOOPBACK, port)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def _warn_if_down(up: bool) -> None:
    if not up:
        click.echo("The web app is not running: start it with `vivim serve`, or open your browser "
                   "(the VIVIM extension starts it).", err=True)


@click.command("web")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Save this port as the web app's port (takes effect when the service restarts).")
def web_command(port: int | None) -> None:
    """Print the web app's address, with the access token (keep it private)."""
    url, up = run(web_url(port))
    click.echo(url)
    _warn_if_down(up)


@click.command("open")
def open_command() -> None:
    """Open the web app in your default browser."""
    import webbrowser

    url, up = run(web_url())
    _warn_if_down(up)
    if not webbrowser.open(url):
        click.echo(url)
