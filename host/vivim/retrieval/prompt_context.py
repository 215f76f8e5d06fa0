"""The context engine: from a draft prompt, the past knowledge worth pasting into it, within a budget.

Steps (all deterministic for the same database and inputs; ties break on chunk id, and "recent"
is measured against the newest candidate, not the wall clock):
0. what search ranks first comes first: the best chunk of the conversation that `search` would put
   at the top for the draft (it has cleared search's relevance floor) opens the context, so the
   prompt gets what the user would have found by searching (hit rate in bench/search_quality.py).
   When search, with vectors to judge meaning by, has nothing that clears its floor (outside the
   current conversation), the context is empty: a made-up or unrelated draft gets "no close
   matches" here as in every other surface, not the nearest noise the looser steps below would let
   in. Without vectors (model loading, nothing embedded yet) search's word floor alone would turn
   away a natural draft whose words differ in form from the text ("blossom" / "blossoms"), so the
   any-word retrieval below still answers;
1. retrieve: any informative word of the draft (BM25) and the draft's vector (KNN), each list
   cut at a relevance floor, fused by reciprocal rank;
2. drop what is already in the current conversation, and chunks the draft already contains;
3. prefer recent: relevance x (1 - RECENCY_WEIGHT + RECENCY_WEIGHT x 2^(-age / half-life));
4. diversify with MMR (cosine of the stored vectors; word overlap when a chunk has none yet), and
   leave out near-duplicates of a chosen chunk (the same answer captured twice);
5. fit the token budget, counted with the embedding model's WordPiece tokenizer. That is not the
   assistant's tokenizer: for English prose it counts within ~10-15% of GPT/Claude tokenizers, so
   the default budget leaves room. The whole returned `text` never exceeds `token_budget` tokens.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from ..providers import display_name
from ..store.connection import Connection
from .filters import Filters
from .search import chunk_details, hybrid_hits, keyword_ranking, reciprocal_rank_fusion
from .words import informative_words

DEFAULT_TOKEN_BUDGET = 800
DEFAULT_MAX_ITEMS = 6
CANDIDATES = 40
MIN_COSINE = 0.30  # MiniLM cosine below this is rarely related
MIN_WORD_OVERLAP = 2  # keyword candidates must share this many informative words with the draft
MMR_LAMBDA = 0.6
DUPLICATE_SIMILARITY = 0.95  # a chunk this close to one already chosen adds nothing: left out
RECENCY_WEIGHT = 0.3
RECENCY_HALF_LIFE_DAYS = 90.0
MIN_ITEM_TOKENS = 24  # a source cut shorter than this is not worth its header
HEADER = "Relevant context from my earlier AI conversations (via VIVIM):"


@dataclass
class Candidate:
    chunk_id: int
    relevance: float
    detail: dict[str, Any]
    words: frozenset[str]
    vector: Any = None


def current_conversation(
    conn: Connection, conversation_id: int | None, provider: str | None, external_id: str | None
) -> int | None:
    if conversation_id is not None:
        return conversation_id
    if provider and external_id:
        row = conn.execute(
            "SELECT id FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
        ).fetchone()
        return row[0] if row else None
    return None


def retrieve(
    conn: Connection,
    draft: str,
    query_vector: Any,
    exclude_conversation: int | None,
    nearest: list[tuple[int, float]] | None = None,
) -> list[Candidate]:
    from .vectors import knn, load_embeddings

    draft_words = informative_words(draft)
    need = min(MIN_WORD_OVERLAP, len(draft_words))
    # The current conversation is often the closest match: fetch twice as many when it is left out.
    fetch = CANDIDATES * 2 if exclude_conversation is not None else CANDIDATES
    keyword_ids = keyword_ranking(conn, draft, Filters(), fetch, any_words=True)
    rankings = [keyword_ids]
    if query_vector is not None:
        scanned = (
            knn(conn, query_vector, fetch) if nearest is None or len(nearest) < fetch else nearest[:fetch]
        )
        rankings.append([cid for cid, cos in scanned if cos >= MIN_COSINE])
    fused = reciprocal_rank_fusion(rankings)
    details = chunk_details(conn, [cid for cid, _ in fused])
    vectors = load_embeddings(conn, list(details)) if query_vector is not None else {}
    vector_hits = set(rankings[1]) if len(rankings) > 1 else set()
    normalized_draft = " ".join(draft.split())
    candidates = []
    for chunk_id, score in fused:
        detail = details.get(chunk_id)
        if detail is None or detail["conversation_id"] == exclude_conversation:
            continue
        words = informative_words(detail["text"])
        if chunk_id not in vector_hits and len(words & draft_words) < need:
            continue  # a keyword hit on one common word only
        if " ".join(detail["text"].split()) in normalized_draft:
            continue  # already pasted into the draft
        candidates.append(Candidate(chunk_id, score, detail, words, vectors.get(chunk_id)))
    return candidates


SEARCH_PINS = 1  # conversations, in search's order, whose best chunk opens the context


def search_pins(
    conn: Connection,
    draft: str,
    query_vector: Any,
    exclude_conversation: int | None,
    nearest: list[tuple[int, float]] | None = None,
    first_pass_vector: Any = None,
    multilingual_vector: Any = None,
) -> list[Candidate]:
    """The best chunk of each of search's first SEARCH_PINS conversations (the current one left out)."""
    from .vectors import load_embeddings

    if SEARCH_PINS <= 0:
        return []
    hits = hybrid_hits(
        conn,
        draft,
        query_vector,
        Filters(),
        limit=20,
        snippets=False,
        nearest=nearest,
        first_pass_vector=first_pass_vector,  # as search ranks while backfilling
        multilingual_vector=multilingual_vector,  # and in other languages
    )
    normalized_draft = " ".join(draft.split())
    pins: list[dict[str, Any]] = []
    seen: set[int] = set()
    for hit in hits:
        if len(pins) >= SEARCH_PINS:
            break
        if hit["conversation_id"] == exclude_conversation or hit["conversation_id"] in seen:
            continue
        if " ".join(hit["text"].split()) in normalized_draft:
            continue  # already pasted into the draft
        seen.add(hit["conversation_id"])
        pins.append(hit)
    vectors = load_embeddings(conn, [h["chunk_id"] for h in pins]) if query_vector is not None else {}
    detail_keys = ("chunk_id", "text", "message_id", "role", "created_at", "conversation_id", "key")
    return [
        Candidate(
            h["chunk_id"],
            1.0,
            {k: h[k] for k in detail_keys},
            informative_words(h["text"]),
            vectors.get(h["chunk_id"]),
        )
        for h in pins
    ]


def prefer_recent(candidates: list[Candidate]) -> None:
    if not candidates:
        return
    top = max(c.relevance for c in candidates)
    newest = max(c.detail["created_at"] for c in candidates)
    for c in candidates:
        age_days = max(0.0, newest - c.detail["created_at"]) / 86400.0
        freshness = 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
        c.relevance = (c.relevance / top) * (1 - RECENCY_WEIGHT + RECENCY_WEIGHT * freshness)


def similarity(a: Candidate, b: Candidate) -> float:
    if a.vector is not None and b.vector is not None:
        return float(a.vector @ b.vector)
    if not a.words or not b.words:
        return 0.0
    return len(a.words & b.words) / len(a.words | b.words)


def similarity_matrix(candidates: list[Candidate]) -> Any:
    """Pairwise similarity: cosine where both chunks have vectors, word overlap (Jaccard) otherwise."""
    import numpy as np

    n = len(candidates)
    sims = np.zeros((n, n), dtype=np.float32)
    with_vectors = [i for i, c in enumerate(candidates) if c.vector is not None]
    if with_vectors:
        matrix = np.stack([candidates[i].vector for i in with_vectors])
        sims[np.ix_(with_vectors, with_vectors)] = matrix @ matrix.T
    has_vector = set(with_vectors)
    if len(has_vector) == n:
        return sims
    for i in range(n):
        for j in range(i + 1, n):
            if i not in has_vector or j not in has_vector:
                sims[i, j] = sims[j, i] = similarity(candidates[i], candidates[j])
    return sims


def mmr_order(candidates: list[Candidate], lambda_: float = MMR_LAMBDA) -> list[Candidate]:
    """Candidates in maximal-marginal-relevance order (relevant, but unlike those chosen before);
    near-duplicates of a chosen one are dropped."""
    remaining = sorted(candidates, key=lambda c: (-c.relevance, c.chunk_id))
    if not remaining:
        return []
    sims = similarity_matrix(remaining)
    index = {c.chunk_id: i for i, c in enumerate(remaining)}
    redundancy = {c.chunk_id: 0.0 for c in remaining}
    chosen: list[Candidate] = []
    while remaining:
        best = min(
            remaining,
            key=lambda c: (-(lambda_ * c.relevance - (1 - lambda_) * redundancy[c.chunk_id]), c.chunk_id),
        )
        remaining.remove(best)
        chosen.append(best)
        row = sims[index[best.chunk_id]]
        for c in remaining:
            redundancy[c.chunk_id] = max(redundancy[c.chunk_id], float(row[index[c.chunk_id]]))
        remaining = [c for c in remaining if redundancy[c.chunk_id] < DUPLICATE_SIMILARITY]
    return chosen


def _conversation_facts(conn: Connection, conversation_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not conversation_ids:
        return {}
    marks = ",".join("?" * len(conversation_ids))
    rows = conn.execute(
        f"SELECT id, provider, external_id, title, url FROM conversations WHERE id IN ({marks})",
        sorted(conversation_ids),
    ).fetchall()
    return {r["id"]: dict(r) for r in rows}


def source_line(index: int, conversation: dict[str, Any], created_at: float) -> str:
    title = (conversation.get("title") or "Untitled conversation").strip()
    provider = display_name(conversation["provider"])
    date = time.strftime("%Y-%m-%d", time.gmtime(created_at))
    return f'[{index}] "{title}" ({provider}, {date})'


def _clean(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text.strip())


def build_context(
    conn: Connection,
    draft: str,
    query_vector: Any = None,
    *,
    conversation_id: int | None = None,
    provider: str | None = None,
    external_id: str | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> dict[str, Any]:
    """The `context.build` result: {text, items, tokens, budget, mode, candidates}."""
    from .embedding import token_counter

    counter = token_counter()
    mode = "hybrid" if query_vector is not None else "fulltext"
    exclude = current_conversation(conn, conversation_id, provider, external_id)
    nearest = None
    if query_vector is not None:  # one vector scan for both retrievals
        from .search import VECTOR_CANDIDATES
        from .vectors import knn

        nearest = knn(conn, query_vector, max(VECTOR_CANDIDATES, CANDIDATES * 2))
    from .multilingual import query_vector as multilingual_query_vector
    from .search import first_pass_query_vector

    first_pass_vector = first_pass_query_vector(conn, draft)
    multilingual_vector = multilingual_query_vector(conn, draft)
    pins = search_pins(conn, draft, query_vector, exclude, nearest, first_pass_vector, multilingual_vector)
    # Search, with meaning to judge by, finds nothing close (step 0): neither is anything else.
    meaning = query_vector is not None or first_pass_vector is not None or multilingual_vector is not None
    gated = SEARCH_PINS > 0 and meaning and not pins
    candidates = [] if gated else retrieve(conn, draft, query_vector, exclude, nearest)
    prefer_recent(candidates)
    pinned = {c.chunk_id for c in pins}
    ordered = pins + [
        c
        for c in mmr_order(candidates)
        if c.chunk_id not in pinned and not any(similarity(c, p) >= DUPLICATE_SIMILARITY for p in pins)
    ]
    conversations = _conversation_facts(conn, {c.detail["conversation_id"] for c in ordered})

    empty = {
        "text": "",
        "items": [],
        "tokens": 0,
        "budget": token_budget,
        "mode": mode,
        "candidates": len(candidates) + len(pins),
    }
    header_tokens = counter.count(HEADER)
    used = header_tokens
    if used + MIN_ITEM_TOKENS > token_budget:
        return empty
    blocks: list[str] = []
    items: list[dict[str, Any]] = []
    for candidate in ordered:
        if len(items) >= max_items:
            break
        detail = candidate.detail
        conversation = conversations[detail["conversation_id"]]
        line = source_line(len(items) + 1, conversation, detail["created_at"])
        body = _clean(detail["text"])
        # blank line + source line + newline + body: whitespace adds no WordPiece tokens
        line_tokens = counter.count(line)
        room = token_budget - used - line_tokens
        if room < MIN_ITEM_TOKENS:
            continue
        body_tokens = counter.count(body)
        if body_tokens > room:
            body = counter.truncate(body, room - 1).rstrip() + "…"
            body_tokens = counter.count(body)
        blocks.append(f"{line}\n{body}")
        used += line_tokens + body_tokens
        items.append(
            {
                "chunk_id": candidate.chunk_id,
                "message_id": detail["message_id"],
                "conversation_id": detail["conversation_id"],
                "role": detail["role"],
                "created_at": detail["created_at"],
                "title": conversation.get("title"),
                "provider": conversation["provider"],
                "url": conversation.get("url"),
                "external_id": conversation.get("external_id"),
                "score": round(candidate.relevance, 6),
                "text": body,
            }
        )
    if not items:
        return empty
    text = HEADER + "\n\n" + "\n\n".join(blocks)
    tokens = counter.count(text)
    while tokens > token_budget and items:  # counting pieces apart never undercounts, but be sure
        items.pop()
        blocks.pop()
        text = HEADER + "\n\n" + "\n\n".join(blocks) if blocks else ""
        tokens = counter.count(text) if blocks else 0
    if not items:
        return empty
    return {
        "text": text,
        "items": items,
        "tokens": tokens,
        "budget": token_budget,
        "mode": mode,
        "candidates": len(candidates) + len(pins),
    }
