"""Reading conversations back: lists for the popup and web app, whole threads for export."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from .connection import Connection, contains

CONVERSATION_COLUMNS = (
    "c.id, c.provider, c.external_id, c.title, c.url, c.model, c.source, c.created_at, c.updated_at,"
    " c.completeness, c.turns_stored, c.turns_expected"
)


def conversation_dict(row: Any) -> dict[str, Any]:
    from .completeness import describe

    return (
        {
            name: row[name]
            for name in (
                "id",
                "provider",
                "external_id",
                "title",
                "url",
                "model",
                "source",
                "created_at",
                "updated_at",
            )
        }
        | {
            # complete / partial (n of m) / unknown: a partial capture is never presented as complete.
            "completeness": {
                "status": row["completeness"],
                "stored": row["turns_stored"],
                "expected": row["turns_expected"],
                "label": describe(row["completeness"], row["turns_stored"], row["turns_expected"]),
            },
        }
        | ({"message_count": row["message_count"]} if "message_count" in row.keys() else {})
    )


def list_conversations(
    conn: Connection,
    *,
    provider: str | None = None,
    limit: int = 50,
    offset: int = 0,
    query: str | None = None,
    since: float | None = None,
    completeness: str | None = None,
) -> dict[str, Any]:
    where = ["c.deleted_at IS NULL"]
    params: list[Any] = []
    if completeness:
        where.append("c.completeness = ?")
        params.append(completeness)
    if provider:
        where.append("c.provider = ?")
        params.append(provider)
    if query:
        where.append(contains("c.title"))
        params.append(query)
    if since is not None:
        where.append("c.updated_at >= ?")
        params.append(since)
    clause = " AND ".join(where)
    limit = max(1, min(int(limit), 500))
    rows = conn.execute(
        f"SELECT {CONVERSATION_COLUMNS},"
        " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count"
        f" FROM conversations c WHERE {clause} ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
        (*params, limit, max(0, int(offset))),
    ).fetchall()
    total = conn.execute(f"SELECT COUNT(*) FROM conversations c WHERE {clause}", params).fetchone()[0]
    return {"items": [conversation_dict(r) for r in rows], "total": total, "offset": offset, "limit": limit}


def find_conversation_id(
    conn: Connection, *, id: int | None = None, provider: str | None = None, external_id: str | None = None
) -> int:
    if id is not None:
        row = conn.execute("SELECT id FROM conversations WHERE id = ?", (id,)).fetchone()
    elif provider and external_id:
        row = conn.execute(
            "SELECT id FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
        ).fetchone()
    else:
        raise NotFound("name a conversation by id, or by provider and external_id")
    if row is None:
        raise NotFound(
            "no such conversation", details={"id": id, "provider": provider, "external_id": external_id}
        )
    return row[0]


MESSAGE_COLUMNS = (
    "id, key, parent_key, provider_message_id, position, role, model, kind, markdown, text, status,"
    " is_current, source, created_at, updated_at"
)


def message_dict(row: Any) -> dict[str, Any]:
    data = {name: row[name] for name in row.keys()}
    if "is_current" in data and data["is_current"] is not None:
        data["is_current"] = bool(data["is_current"])
    return data


def get_conversation(conn: Connection, conversation_id: int, *, include_html: bool = False) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        raise NotFound("no such conversation", details={"id": conversation_id})
    columns = MESSAGE_COLUMNS + (", html" if include_html else "")
    messages = conn.execute(
        f"SELECT {columns} FROM messages WHERE conversation_id = ? ORDER BY position, id",
        (conversation_id,),
    ).fetchall()
    return {"conversation": conversation_dict(row), "messages": [message_dict(m) for m in messages]}
