"""search, context.build, embed.status: retrieval over the protocol.

A request never waits for the embedding model to load: until it is loaded, searches answer from
full text (mode "fulltext") and the load starts on a background thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from ..protocol import Provider, Search
from ..runtime import Runtime
from ..search import Filters
from . import handles

MAX_DRAFT_CHARS = 20_000
MAX_TOKEN_BUDGET = 8_000


class ContextBuild(msgspec.Struct, forbid_unknown_fields=False):
    draft: str
    conversation_id: int | None = None
    provider: Provider | None = None
    external_id: str | None = None
    token_budget: int = 800
    max_items: int = 6


class EmbedStatus(msgspec.Struct, forbid_unknown_fields=False):
    pass


async def query_vector(text: str) -> Any:
    """The text's vector if the model is ready; else None (and the model starts loading)."""
    from ..embed import get_embedder, load_in_background

    embedder = get_embedder()
    if not embedder.loaded:
        load_in_background()
        return None
    if not text.strip():
        return None
    return await asyncio.to_thread(embedder.embed_query, text)


@handles("search", Search)
async def search(runtime: Runtime, payload: Search) -> dict[str, Any]:
    from ..search import search as run_search

    filters = Filters(provider=payload.provider, conversation_id=payload.conversation_id, role=payload.role,
                      since=payload.since, until=payload.until)
    limit = max(1, min(payload.limit, 100))
    vector = None if payload.mode == "fulltext" else await query_vector(payload.query)
    return await runtime.store.read(run_search, payload.query, filters, limit, vector, payload.mode)


@handles("context.build", ContextBuild)
async def context_build(runtime: Runtime, payload: ContextBuild) -> dict[str, Any]:
    from ..context import build_context

    draft = payload.draft[:MAX_DRAFT_CHARS]
    vector = await query_vector(draft)
    budget = max(0, min(payload.token_budget, MAX_TOKEN_BUDGET))
    return await runtime.store.read(
        lambda conn: build_context(
            conn, draft, vector, conversation_id=payload.conversation_id, provider=payload.provider,
            external_id=payload.external_id, token_budget=budget, max_items=max(0, min(payload.max_items, 20)),
        )
    )


@handles("embed.status", EmbedStatus)
async def embed_status(runtime: Runtime, payload: EmbedStatus) -> dict[str, Any]:
    from ..backfill import backfill_status
    from ..embed import get_embedder

    worker = runtime.services.get("embed")
    if worker is not None:
        return await worker.status()
    embedder = get_embedder()
    counts = await runtime.store.read(backfill_status)  # a worker or reindex elsewhere writes progress
    return {**counts, "model_loaded": embedder.loaded, "model_error": embedder.error,
            "load_seconds": embedder.load_seconds, "worker": False}
