"""conversation.list/get and stats (reading the archive); conversation.rename/tag/pin/delete (editing it).

Edits go through vivim.sync.library, the same functions sync applies received edits with, so
they reach the user's other devices like a capture does (the change triggers mark them dirty).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidPayload
from ..protocol import (
    ConversationDelete,
    ConversationGet,
    ConversationList,
    ConversationPin,
    ConversationRename,
    ConversationTag,
    Stats,
)
from ..runtime import Runtime
from ..store import conversations, stats
from ..store.connection import Connection
from ..sync import library


async def conversation_list(runtime: Runtime, payload: ConversationList) -> dict[str, Any]:
    return await runtime.store.read(
        lambda c: conversations.list_conversations(
            c,
            provider=payload.provider,
            limit=payload.limit,
            offset=payload.offset,
            query=payload.query,
            completeness=payload.completeness,
        )
    )


async def conversation_get(runtime: Runtime, payload: ConversationGet) -> dict[str, Any]:
    def read(c: Connection) -> dict[str, Any]:
        cid = conversations.find_conversation_id(
            c, id=payload.id, provider=payload.provider, external_id=payload.external_id
        )
        result = conversations.get_conversation(c, cid, include_html=payload.include_html)
        result["conversation"]["tags"] = library.tags_of(c, cid)
        result["conversation"]["pinned"] = library.is_pinned(c, cid)
        return result

    return await runtime.store.read(read)


async def get_stats(runtime: Runtime, payload: Stats) -> dict[str, Any]:
    return await runtime.store.read(stats.get_stats)


MAX_TITLE = 500
MAX_TAG = 100


async def conversation_rename(runtime: Runtime, payload: ConversationRename) -> dict[str, Any]:
    title = payload.title.strip() if payload.title is not None else None
    if title is not None and len(title) > MAX_TITLE:
        raise InvalidPayload(f"a title is at most {MAX_TITLE} characters")
    await runtime.store.write(library.rename_conversation, payload.id, title or None)
    runtime.events.publish("conversation", conversation_id=payload.id, change="rename")
    return {"id": payload.id, "title": title or None}


async def conversation_tag(runtime: Runtime, payload: ConversationTag) -> dict[str, Any]:
    add = [t.strip() for t in payload.add if t.strip()]
    if any(len(t) > MAX_TAG for t in add):
        raise InvalidPayload(f"a tag is at most {MAX_TAG} characters")

    def edit(conn: Connection) -> list[str]:
        for tag in add:
            library.add_tag(conn, payload.id, tag)
        for tag in payload.remove:
            library.remove_tag(conn, payload.id, tag.strip())
        return library.tags_of(conn, payload.id)

    tags = await runtime.store.write(edit)
    runtime.events.publish("conversation", conversation_id=payload.id, change="tags")
    return {"id": payload.id, "tags": tags}


async def conversation_pin(runtime: Runtime, payload: ConversationPin) -> dict[str, Any]:
    await runtime.store.write(library.set_pinned, payload.id, payload.pinned)
    runtime.events.publish("conversation", conversation_id=payload.id, change="pin")
    return {"id": payload.id, "pinned": payload.pinned}


async def conversation_delete(runtime: Runtime, payload: ConversationDelete) -> dict[str, Any]:
    await runtime.store.write(library.delete_conversation, payload.id)
    runtime.events.publish("conversation", conversation_id=payload.id, change="delete")
    return {"id": payload.id, "deleted": True}
