"""`vivim host` (what the native-messaging launcher runs) and `vivim serve` (the same services, headless)."""

from __future__ import annotations

import sys

import click

from ._common import run


@click.command("host", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def host_command(ctx: click.Context) -> None:
    """Speak Native Messaging on stdin/stdout (started by the browser)."""
    from ..host import main as host_main

    sys.exit(host_main([sys.argv[0], *ctx.args]))


@click.command("serve")
def serve_command() -> None:
    """Run the singletons headless (embedding, sync, web app) for an always-on machine."""
    from ..serve import serve_forever

    run(serve_forever())
