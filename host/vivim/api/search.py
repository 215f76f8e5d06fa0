"""search: full-text now; the retrieval work fuses vectors in (see vivim.search)."""

from __future__ import annotations

from typing import Any

from ..protocol import Search
from ..runtime import Runtime
from ..search import Filters, search_fulltext
from . import handles


@handles("search", Search)
async def search(runtime: Runtime, payload: Search) -> dict[str, Any]:
    filters = Filters(provider=payload.provider, conversation_id=payload.conversation_id, role=payload.role,
                      since=payload.since, until=payload.until)
    limit = max(1, min(payload.limit, 100))
    return await runtime.store.read(search_fulltext, payload.query, filters, limit)
