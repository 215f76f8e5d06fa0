"""`vivim conversation rename|tag|pin|delete`: edit the archive as the web app does (and sync carries)."""

from __future__ import annotations

from typing import Any

import click

from ._common import echo_json, run


def _call(message_type: str, payload: dict[str, Any]) -> Any:
    """The protocol message's handler, on this data directory's store."""

    async def go() -> Any:
        import msgspec

        from ..config import Paths
        from ..handlers import ROUTES
        from ..runtime import Runtime

        route = ROUTES[message_type]
        runtime = await Runtime.open(Paths.default())
        try:
            return await route.handler(runtime, msgspec.convert(payload, route.payload))
        finally:
            await runtime.close()

    return run(go())


@click.group("conversation")
def conversation_group() -> None:
    """Rename, tag, pin or delete a conversation (by the id `vivim search --json` shows)."""


@conversation_group.command("rename")
@click.argument("conversation_id", type=click.IntRange(min=1))
@click.argument("title")
def rename_command(conversation_id: int, title: str) -> None:
    """Give a conversation a title of your own ("" clears it)."""
    result = _call("conversation.rename", {"id": conversation_id, "title": title})
    click.echo(f"{conversation_id}: {result['title'] or '(no title)'}")


@conversation_group.command("tag")
@click.argument("conversation_id", type=click.IntRange(min=1))
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead of adding them.")
@click.option("--json", "as_json", is_flag=True)
def tag_command(conversation_id: int, tags: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add tags to a conversation (or remove them)."""
    change = {"remove": list(tags)} if remove else {"add": list(tags)}
    result = _call("conversation.tag", {"id": conversation_id, **change})
    if as_json:
        echo_json(result)
    else:
        click.echo(f"{conversation_id}: {', '.join(result['tags']) or '(no tags)'}")


@conversation_group.command("pin")
@click.argument("conversation_id", type=click.IntRange(min=1))
@click.option("--off", is_flag=True, help="Unpin it.")
def pin_command(conversation_id: int, off: bool) -> None:
    """Pin a conversation (or unpin it with --off)."""
    result = _call("conversation.pin", {"id": conversation_id, "pinned": not off})
    click.echo(f"{conversation_id}: {'pinned' if result['pinned'] else 'not pinned'}")


@conversation_group.command("delete")
@click.argument("conversation_id", type=click.IntRange(min=1))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_command(conversation_id: int, yes: bool) -> None:
    """Delete a conversation's messages, here and on your paired devices."""
    if not yes:
        click.confirm(f"Delete conversation {conversation_id} on every paired device?", abort=True)
    _call("conversation.delete", {"id": conversation_id})
    click.echo(f"{conversation_id}: deleted")
