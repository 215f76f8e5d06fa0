"""Read-only queries the web app needs beyond the protocol's: charts, threads, devices.

Plain synchronous functions over a sqlite3 connection, run with `store.read`.
"""

from __future__ import annotations

import time
from typing import Any

from ..store.connection import Connection

DAY = 86400
MAX_CHART_DAYS = 3660
TOP_MODELS = 20
ROOT = ""  # thread parent of a conversation's first turn(s)


def chart_stats(
    conn: Connection, *, days: int = 90, tz_offset_minutes: int = 0, now: float | None = None
) -> dict[str, Any]:
    """Messages per day and provider, and assistant turns per model, over the last `days` days
    (days counted in the browser's time zone)."""
    now = time.time() if now is None else now
    days = max(1, min(int(days), MAX_CHART_DAYS))
    shift = int(tz_offset_minutes) * 60
    since = now - days * DAY
    per_day = conn.execute(
        "SELECT date(m.created_at + ?, 'unixepoch') AS day, c.provider, COUNT(*) AS n"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.created_at >= ? AND c.deleted_at IS NULL GROUP BY day, c.provider ORDER BY day",
        (shift, since),
    ).fetchall()
    per_model = conn.execute(
        "SELECT COALESCE(m.model, c.model, 'unknown') AS model, c.provider, COUNT(*) AS n"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.created_at >= ? AND m.role = 'assistant' AND c.deleted_at IS NULL"
        " GROUP BY 1, 2 ORDER BY n DESC LIMIT ?",
        (since, TOP_MODELS),
    ).fetchall()
    return {
        "days": days,
        "by_day": [{"day": r["day"], "provider": r["provider"], "messages": r["n"]} for r in per_day],
        "by_model": [{"model": r["model"], "provider": r["provider"], "messages": r["n"]} for r in per_model],
    }


def annotate_threads(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Give each message `thread_parent` and `thread_node`, and list the conversation's branch points.

    Captured and imported turns name their parent (`parent_key`); siblings under one parent are
    branches (regenerations, edits). A turn whose parent is unknown hangs from the root ("").
    When no turn names a parent (older captures), the thread is linear by position and turns
    sharing a position are the branches. A message's children are those whose `thread_parent`
    equals its `thread_node`. The default path follows `is_current`, else the newest sibling.
    """
    keys = {m["key"] for m in messages}
    linked = any(m.get("parent_key") for m in messages)
    previous_position: dict[int, int] = {}
    if not linked:
        positions = sorted({m["position"] for m in messages})
        previous_position = dict(zip(positions[1:], positions))
    children: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        if linked:
            m["thread_node"] = m["key"]
            m["thread_parent"] = m["parent_key"] if m.get("parent_key") in keys else ROOT
        else:
            m["thread_node"] = f"@{m['position']}"
            before = previous_position.get(m["position"])
            m["thread_parent"] = ROOT if before is None else f"@{before}"
        children.setdefault(m["thread_parent"], []).append(m)
    _rehang_unreachable(messages, children)
    branches = [
        {"parent": parent, "keys": [k["key"] for k in kids], "default": _default_child(kids)["key"]}
        for parent, kids in children.items()
        if len(kids) > 1
    ]
    path: list[str] = []
    seen: set[str] = set()
    node = ROOT
    while node in children and node not in seen:
        seen.add(node)
        chosen = _default_child(children[node])
        path.append(chosen["key"])
        node = chosen["thread_node"]
    return {"branches": branches, "default_path": path}


def _rehang_unreachable(messages: list[dict[str, Any]], children: dict[str, list[dict[str, Any]]]) -> None:
    """Turns caught in a parent cycle (a corrupt or hostile import) hang from the root: never hidden."""
    reached: set[str] = set()

    def reach(node: str) -> None:
        frontier = [node]
        while frontier:
            for kid in children.get(frontier.pop(), []):
                if kid["thread_node"] not in reached:
                    reached.add(kid["thread_node"])
                    frontier.append(kid["thread_node"])

    reach(ROOT)
    for m in messages:
        if m["thread_node"] in reached:
            continue
        children[m["thread_parent"]].remove(m)
        if not children[m["thread_parent"]]:
            del children[m["thread_parent"]]
        m["thread_parent"] = ROOT
        children.setdefault(ROOT, []).append(m)
        reached.add(m["thread_node"])
        reach(m["thread_node"])


def _default_child(kids: list[dict[str, Any]]) -> dict[str, Any]:
    current = [k for k in kids if k.get("is_current")]
    if current:
        return current[-1]
    return max(kids, key=lambda k: (k.get("created_at") or 0, k["id"]))


def peer_addresses(conn: Connection) -> list[dict[str, Any]]:
    """The addresses sync dials to reach paired devices (sync/schema.py's sync_addresses)."""
    rows = conn.execute(
        "SELECT addr, peer_id, source, added_at, last_ok FROM sync_addresses ORDER BY added_at LIMIT 500"
    ).fetchall()
    return [dict(r) for r in rows]


def store_generation(conn: Connection) -> tuple[int, int]:
    """Changes whenever anyone commits: other connections (data_version) or this one (total_changes)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0]), int(conn.total_changes)


def data_version(conn: Connection) -> tuple[int, int]:
    """Changes when another connection commits; plus the embedding backlog, for live updates."""
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    backlog = conn.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]
    return int(version), int(backlog)
