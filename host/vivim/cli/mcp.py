"""`vivim mcp`: the MCP server AI clients start; `vivim mcp remember on|off`: allow notes from them."""

from __future__ import annotations

import sys

import click

from ._common import WholeSentenceGroup, run


@click.group(
    "mcp",
    cls=WholeSentenceGroup,
    invoke_without_command=True,
    short_help="The MCP server AI clients start (Claude Desktop, Cursor, ...).",
)
@click.pass_context
def mcp_command(ctx: click.Context) -> None:
    """Serve VIVIM's memory to an AI client over MCP (stdio). `vivim install --mcp CLIENT` sets a client up."""
    if ctx.invoked_subcommand is None:
        from ..mcp.server import main as serve

        sys.exit(serve())


@mcp_command.command("remember", short_help="Allow AI clients to store notes (off by default).")
@click.argument("state", type=click.Choice(["on", "off"]), required=False)
def remember_command(state: str | None) -> None:
    """Let AI clients store notes with the `remember` tool (off by default), or show whether they may."""
    from ..mcp.memory import WRITES_SETTING
    from ..store import settings

    async def apply() -> bool:
        from ..config import Paths
        from ..store import Store

        store = await Store.open(Paths.default().db)
        try:
            if state is not None:
                await store.write(settings.set_settings, {WRITES_SETTING: state == "on"})
            return bool((await store.read(settings.get_settings, [WRITES_SETTING]))[WRITES_SETTING])
        finally:
            await store.close()

    allowed = run(apply())
    click.echo(
        "AI clients may store notes (remember is on)."
        if allowed
        else "AI clients may not store notes (remember is off)."
    )
