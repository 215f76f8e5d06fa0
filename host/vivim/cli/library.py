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


def resolve(reference: str) -> int:
    """VIVIM's id of the conversation `reference` names: VIVIM's own id (`vivim search --json`, the web
    app's address) or the provider's id (as in the conversation's URL), as `vivim export --conversation`
    reads it. A reference that names none is an error that says where ids come from."""
    from ..export import ExportFilter, conversation_ids
    from ._common import with_store

    if not reference.strip():  # an empty filter would select every conversation
        raise click.UsageError("name a conversation: VIVIM's id or the provider's id (as in its URL)")
    found = run(with_store(conversation_ids, ExportFilter(conversation=reference.strip())))
    if not found:
        raise click.ClickException(
            f"No such conversation: {reference}. Give VIVIM's id (the `id` of `vivim search --json`, or the "
            "number in the web app's address) or the provider's id (as in the conversation's URL)."
        )
    if len(found) > 1:
        raise click.ClickException(
            f"{reference} names {len(found)} conversations (of different providers): give VIVIM's id instead."
        )
    return int(found[0])


ID_HELP = "CONVERSATION is VIVIM's id (`vivim search --json`) or the provider's id (as in its URL)."


@click.group("conversation", epilog=ID_HELP)
def conversation_group() -> None:
    """Rename, tag, pin or delete a conversation (by the id `vivim search --json` shows, or the provider's)."""


@conversation_group.command("rename", epilog=ID_HELP)
@click.argument("conversation", metavar="CONVERSATION")
@click.argument("title")
def rename_command(conversation: str, title: str) -> None:
    """Give a conversation a title of your own ("" clears it)."""
    conversation_id = resolve(conversation)
    result = _call("conversation.rename", {"id": conversation_id, "title": title})
    click.echo(f"{conversation_id}: {result['title'] or '(no title)'}")


@conversation_group.command("tag", epilog=ID_HELP)
@click.argument("conversation", metavar="CONVERSATION")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead of adding them.")
@click.option("--json", "as_json", is_flag=True)
def tag_command(conversation: str, tags: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add tags to a conversation (or remove them)."""
    conversation_id = resolve(conversation)
    change = {"remove": list(tags)} if remove else {"add": list(tags)}
    result = _call("conversation.tag", {"id": conversation_id, **change})
    if as_json:
        echo_json(result)
    else:
        click.echo(f"{conversation_id}: {', '.join(result['tags']) or '(no tags)'}")


@conversation_group.command("pin", epilog=ID_HELP)
@click.argument("conversation", metavar="CONVERSATION")
@click.option("--off", is_flag=True, help="Unpin it.")
def pin_command(conversation: str, off: bool) -> None:
    """Pin a conversation (or unpin it with --off)."""
    conversation_id = resolve(conversation)
    result = _call("conversation.pin", {"id": conversation_id, "pinned": not off})
    click.echo(f"{conversation_id}: {'pinned' if result['pinned'] else 'not pinned'}")


@conversation_group.command("delete", epilog=ID_HELP)
@click.argument("conversation", metavar="CONVERSATION")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_command(conversation: str, yes: bool) -> None:
    """Delete a conversation's messages, here and on your paired devices."""
    conversation_id = resolve(conversation)
    if not yes:
        click.confirm(f"Delete conversation {conversation_id} on every paired device?", abort=True)
    _call("conversation.delete", {"id": conversation_id})
    click.echo(f"{conversation_id}: deleted")
