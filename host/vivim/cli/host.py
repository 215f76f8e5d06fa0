"""`vivim host` (what the native-messaging launcher runs) and `vivim serve` (the same services, headless)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ._common import run


@click.command(
    "host",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    short_help="What the browser starts (Native Messaging).",
)
@click.pass_context
def host_command(ctx: click.Context) -> None:
    """Speak Native Messaging on stdin/stdout (started by the browser)."""
    from ..host import main as host_main

    sys.exit(host_main([sys.argv[0], *ctx.args]))


@click.command("serve", short_help="Run the web app and sync (no browser).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for a system service).")
def serve_command(quiet: bool) -> None:
    """Run the web app, sync and semantic search without a browser, for an always-on machine.

    Prints the web app's address (with its token), the data directory, this device's sync peer id and
    what runs. Details go to vivim.log in the data directory. Ctrl+C stops it.
    """
    import logging

    from ..logs import HumanConsole
    from ..serve import serve_forever

    console = HumanConsole(sys.stderr, level=logging.ERROR if quiet else logging.WARNING)
    run(serve_forever(announce=None if quiet else _banner, console=console))


SERVICE_WORDS = {
    "web": "web app",
    "sync": "sync",
    "embed": "semantic search",
    "agents": "coding agents' logs",
}


def _banner(info: dict[str, Any]) -> None:
    """What Datasette-like servers print: where to go, where the data is, what runs."""
    url = info.get("web_url")
    if url:
        click.echo("VIVIM is running. Open your library at:")
        click.echo("")
        click.secho(f"  {url}", bold=True)
        click.echo("")
        click.echo("  (the link carries your access token: keep it private; `vivim open` opens it)")
        if info.get("web_port_taken"):
            click.echo(
                f"  Port {info['web_port_taken']} is taken (another program or another VIVIM data directory), "
                "so the web app uses this data directory's own port.",
                err=True,
            )
    else:
        click.echo("VIVIM is running (the web app is switched off).")
    click.echo(f"Data:     {info['data_dir']}")
    running = ", ".join(SERVICE_WORDS.get(name, name) for name in info["running"]) or "nothing"
    click.echo(f"Running:  {running}")
    if info.get("peer_id"):
        name = f" ({info['device_name']})" if info.get("device_name") else ""
        click.echo(f"Sync:     this device is {info['peer_id']}{name}; pair another with `vivim pair`")
    for name, reason in info.get("not_started", {}).items():
        click.echo(f"Not running: {SERVICE_WORDS.get(name, name)}: {reason}")
    click.echo(f"Log:      {info['log']}")
    click.echo("Press Ctrl+C to stop.")
