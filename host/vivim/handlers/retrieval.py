"""search, context.build, embed.status: retrieval over the protocol.

A request waits for the embedding model only as long as it asks (`wait_for_model`, bounded by
MAX_MODEL_WAIT): until the model is loaded, searches answer from full text (mode "fulltext") and the
load starts on a background thread. The popup warms the model when it opens (embed.status with
warm) and lets its first query wait, so the first answer is not a words-only one that changes a
second later. Every search reply says what answered (`modes`) and how much of the archive meaning
search covers (`index`, see vivim.retrieval.index_status), so no client presents a partial answer
as complete.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..protocol import ContextBuild, EmbedStatus, Search
from ..retrieval.filters import Filters
from ..runtime import Runtime

MAX_DRAFT_CHARS = 20_000
MAX_TOKEN_BUDGET = 8_000
MAX_MODEL_WAIT = 10.0  # seconds a request may ask to wait for the model to load


async def wait_for_model(seconds: float) -> bool:
    """Start loading the model if needed and wait up to `seconds` for it; True once it is loaded."""
    from ..retrieval.embedding import get_embedder, load_in_background, wait_loaded

    if get_embedder().loaded:
        return True
    load_in_background()
    wait = max(0.0, min(seconds, MAX_MODEL_WAIT))
    if wait <= 0:
        return False
    return await asyncio.to_thread(wait_loaded, wait)


async def query_vector(text: str, wait: float = 0.0) -> Any:
    """The text's vector if the model is ready (after waiting up to `wait` s); else None (and the
    model starts loading)."""
    from ..retrieval.embedding import get_embedder

    if not await wait_for_model(wait):
        return None
    if not text.strip():
        return None
    return await asyncio.to_thread(get_embedder().embed_query, text)


async def index_state(runtime: Runtime) -> dict[str, Any]:
    """The `index` block of replies: chunks embedded, the model's state, rate and ETA."""
    from ..retrieval import index_status
    from ..retrieval.backfill import read_progress

    found = await runtime.store.read(index_status.counts)
    worker = runtime.services.get("embed")
    rate = getattr(worker, "rate", None) if worker is not None else None
    rate = rate() if callable(rate) else rate
    if not rate:
        # Another process at work (`vivim reindex`, the browser's host) says how fast in the shared
        # progress row: counting from here, over a second, often saw no window land in between.
        progress = await runtime.store.read(read_progress, max(0, found["chunks"] - found["embedded"]))
        rate = progress["rate"] if progress else None
    return index_status.status(found, index_status.model_state(), rate)


async def search(runtime: Runtime, payload: Search) -> dict[str, Any]:
    from ..retrieval.search import search as run_search

    filters = Filters(
        provider=payload.provider,
        conversation_id=payload.conversation_id,
        role=payload.role,
        since=payload.since,
        until=payload.until,
    )
    limit = max(1, min(payload.limit, 100))
    vector = None if payload.mode == "fulltext" else await query_vector(payload.query, payload.wait_for_model)
    result = await runtime.store.read(run_search, payload.query, filters, limit, vector, payload.mode)
    index = await index_state(runtime)
    result["index"] = index
    # Complete: meaning search answered over an archive it fully covers (or words were all that was
    # asked, or there is nothing to search yet).
    result["complete"] = (
        payload.mode == "fulltext"
        or index["chunks"] == 0
        or ("vector" in result["modes"] and index["complete"])
    )
    return result


async def context_build(runtime: Runtime, payload: ContextBuild) -> dict[str, Any]:
    from ..retrieval.prompt_context import build_context

    draft = payload.draft[:MAX_DRAFT_CHARS]
    vector = await query_vector(draft)
    budget = max(0, min(payload.token_budget, MAX_TOKEN_BUDGET))
    return await runtime.store.read(
        lambda conn: build_context(
            conn,
            draft,
            vector,
            conversation_id=payload.conversation_id,
            provider=payload.provider,
            external_id=payload.external_id,
            token_budget=budget,
            max_items=max(0, min(payload.max_items, 20)),
        )
    )


async def embed_status(runtime: Runtime, payload: EmbedStatus) -> dict[str, Any]:
    from ..retrieval.backfill import backfill_status
    from ..retrieval.embedding import get_embedder

    if payload.warm:
        from ..retrieval import multilingual, multilingual_model
        from ..retrieval.embedding import load_in_background

        load_in_background()
        if await runtime.store.read(multilingual.has_any):  # an archive with other languages
            multilingual_model.load_in_background()
    worker = runtime.services.get("embed")
    if worker is not None:
        status = await worker.status()
    else:
        embedder = get_embedder()
        counts = await runtime.store.read(backfill_status)  # a worker or reindex elsewhere writes progress
        status = {
            **counts,
            "model_loaded": embedder.loaded,
            "model_error": embedder.error,
            "load_seconds": embedder.load_seconds,
            "worker": False,
        }
    return {**status, "index": await index_state(runtime)}
