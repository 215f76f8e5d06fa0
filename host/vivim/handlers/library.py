"""conversation.list, conversation.get, stats: reading the archive."""

from __future__ import annotations

from typing import Any

from ..protocol import ConversationGet, ConversationList, Stats
from ..runtime import Runtime
from ..store import conversations, stats


async def conversation_list(runtime: Runtime, payload: ConversationList) -> dict[str, Any]:
    return await runtime.store.read(
        lambda c: conversations.list_conversations(
            c, provider=payload.provider, limit=payload.limit, offset=payload.offset, query=payload.query
        )
    )


async def conversation_get(runtime: Runtime, payload: ConversationGet) -> dict[str, Any]:
    def read(c: Any) -> dict[str, Any]:
        cid = conversations.find_conversation_id(
            c, id=payload.id, provider=payload.provider, external_id=payload.external_id
        )
        return conversations.get_conversation(c, cid, include_html=payload.include_html)

    return await runtime.store.read(read)


async def get_stats(runtime: Runtime, payload: Stats) -> dict[str, Any]:
    return await runtime.store.read(stats.get_stats)
