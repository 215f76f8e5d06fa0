"""`vivim host`: what the native-messaging launcher runs."""

from __future__ import annotations

import sys

import click


@click.command("host", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, short_help="What the browser starts (Native Messaging).")
@click.pass_context
def host_command(ctx: click.Context) -> None:
    """Speak Native Messaging on stdin/stdout (started by the browser)."""
    from ..host import main as host_main

    sys.exit(host_main([sys.argv[0], *ctx.args]))


def register(main: click.Group) -> None:
    main.add_command(host_command)
