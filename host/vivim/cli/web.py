"""`vivim web` prints the web app's address (with its token); `vivim open` opens it in a browser.

The web app itself runs inside the singleton process (a browser's host or `vivim serve`).
"""

from __future__ import annotations

import click

from ._common import run


async def web_url(port: int | None = None) -> tuple[str, str]:
    """The web app's address and what listens there ("vivim", "other" or "none").

    The address carries the token only when this vault's web app proved it is the listener.
    Passing a port saves it as the `web.port` setting (used from the next start of the service).
    """
    import asyncio

    from ..config import Paths
    from ..store import Store, settings
    from ..web.identity import find_web_app
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
    token = load_or_create_token(paths.web_token)
    found, listener = await asyncio.to_thread(find_web_app, paths.web_address, int(values["web.port"]), token)
    if listener == "vivim":
        return tokenised_url(found, token), listener
    return f"http://{LOOPBACK}:{found}/", listener


def _explain(listener: str, url: str, *, shown: bool) -> None:
    """Why there is no usable address; `shown`: whether the tokenless address was printed above."""
    if listener == "none":
        where = "The address above" if shown else f"Its address, {url},"
        click.echo(
            "The web app is not running: start it with `vivim serve`, or open your browser (the VIVIM "
            f"extension starts it), then run this again. {where} carries its token only once it runs.",
            err=True,
        )
    elif listener == "other":
        click.echo(
            f"Something that is not this VIVIM's web app listens at {url} (another program, or the "
            "web app of another VIVIM data directory), so the token is not shown. Choose a free port "
            "with `vivim web --port N` and restart VIVIM.",
            err=True,
        )


@click.command("web", short_help="Print the web app's address.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Save this port as the web app's port (takes effect when the service restarts).",
)
def web_command(port: int | None) -> None:
    """Print the web app's address, with the access token (keep it private). Exits with status 1 while
    the web app is not running (the address has no token then), unless --port was saved."""
    url, listener = run(web_url(port))
    click.echo(url)
    if port is not None:
        click.echo(f"Saved port {port}: the web app listens there from its next start.", err=True)
    _explain(listener, url, shown=True)
    if listener != "vivim" and port is None:
        raise SystemExit(1)


@click.command("open", short_help="Open the web app in your browser.")
def open_command() -> None:
    """Open the web app in your default browser (status 1, and why, while it is not running)."""
    import webbrowser

    url, listener = run(web_url())
    if listener != "vivim":
        _explain(listener, url, shown=False)
        raise SystemExit(1)
    if not webbrowser.open(url):
        click.echo(url)
