"""Search over everything captured: full-text (FTS5 BM25) now, fused with vectors when present.

User text never reaches MATCH raw: every word is quoted, so `"`, `*`, `NEAR`, `-` and
parentheses are searched for, not obeyed. The last word is a prefix, for search as you type.
Snippets mark hits with U+0002 ... U+0003 so clients can highlight without parsing HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MARK_START = "\u0002"
MARK_END = "\u0003"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 24


@dataclass(frozen=True)
class Filters:
    provider: str | None = None
    conversation_id: int | None = None
    role: str | None = None
    since: float | None = None
    until: float | None = None

    def sql(self) -> tuple[str, list[Any]]:
        clauses, params = ["c.deleted_at IS NULL"], []
        for column, value in (("c.provider", self.provider), ("m.conversation_id", self.conversation_id),
                              ("m.role", self.role)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append("m.created_at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("m.created_at < ?")
            params.append(self.until)
        return " AND ".join(clauses), params


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """A safe FTS5 query: every word quoted, all required, the last one as a prefix."""
    words = _WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix_last and len(words[-1]) >= 2:
        quoted[-1] += "*"
    return " ".join(quoted)


def fulltext_hits(conn: Any, query: str, filters: Filters = Filters(), limit: int = 50) -> list[dict[str, Any]]:
    match = fts_query(query)
    if match is None:
        return []
    where, params = filters.sql()
    rows = conn.execute(
        "SELECT f.rowid AS chunk_id, bm25(chunks_fts) AS score,"
        f" snippet(chunks_fts, 0, '{MARK_START}', '{MARK_END}', '…', 16) AS snippet,"
        " m.id AS message_id, m.role, m.created_at, m.conversation_id, m.key"
        " FROM chunks_fts f JOIN chunks ch ON ch.id = f.rowid JOIN messages m ON m.id = ch.message_id"
        " JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts) LIMIT ?",
        (match, *params, limit),
    ).fetchall()
    return [dict(r) for r in rows]


def group_by_conversation(conn: Any, hits: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Hits in rank order, grouped under their conversation (first hit decides its place)."""
    groups: dict[int, dict[str, Any]] = {}
    for hit in hits:
        group = groups.get(hit["conversation_id"])
        if group is None:
            if len(groups) >= limit:
                continue
            row = conn.execute(
                "SELECT id, provider, external_id, title, url, updated_at FROM conversations WHERE id = ?",
                (hit["conversation_id"],),
            ).fetchone()
            group = groups[hit["conversation_id"]] = {"conversation": dict(row), "hits": []}
        if len(group["hits"]) < 3:
            group["hits"].append({k: hit[k] for k in (
                "message_id", "chunk_id", "role", "snippet", "score", "created_at", "key"
            ) if k in hit})
    return list(groups.values())


def search_fulltext(conn: Any, query: str, filters: Filters = Filters(), limit: int = 20) -> dict[str, Any]:
    hits = fulltext_hits(conn, query, filters, limit=limit * 5)
    return {"query": query, "mode": "fulltext", "results": group_by_conversation(conn, hits, limit)}
