"""Counts for the popup, `vivim stats` and the web app's dashboard."""

from __future__ import annotations

from typing import Any

from . import completeness, raw
from .connection import Connection


def get_stats(conn: Connection) -> dict[str, Any]:
    def one(sql: str) -> Any:
        return conn.execute(sql).fetchone()[0]

    by_provider = {
        row[0]: {"conversations": row[1], "messages": row[2]}
        for row in conn.execute(
            "SELECT c.provider, COUNT(DISTINCT c.id), COUNT(m.id) FROM conversations c"
            " LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.deleted_at IS NULL GROUP BY c.provider"
        ).fetchall()
    }
    health = {
        row["provider"]: {
            "ok": bool(row["ok"]),
            "problem": row["problem"],
            "url": row["url"],
            "checked_at": row["checked_at"],
            "warning": row["warning"],
            "warning_at": row["warning_at"],
        }
        for row in conn.execute("SELECT * FROM adapter_health").fetchall()
    }
    return {
        "conversations": one("SELECT COUNT(*) FROM conversations WHERE deleted_at IS NULL"),
        # What the user can see (no tombstone's rows): the per-provider rows add up to it by construction,
        # and it costs no second pass over every message.
        "messages": sum(row["messages"] for row in by_provider.values()),
        "chunks": one("SELECT COUNT(*) FROM chunks"),
        "embedded_chunks": one("SELECT COUNT(*) FROM chunks WHERE embedded = 1"),
        "by_provider": by_provider,
        "last_capture_at": one("SELECT MAX(updated_at) FROM messages WHERE source IN ('capture', 'network')"),
        "adapter_health": health,
        "completeness": completeness.counts(conn),
        "raw_payloads": raw.totals(conn),
    }


def record_adapter_health(
    conn: Connection, provider: str, ok: bool, problem: str | None, url: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO adapter_health (provider, ok, problem, url, checked_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (provider) DO UPDATE SET ok = excluded.ok, problem = excluded.problem,"
        " url = excluded.url, checked_at = excluded.checked_at",
        (provider, int(ok), problem, url, now),
    )


def record_warning(conn: Any, provider: str, warning: str, url: str | None, now: float) -> None:
    """A network-capture warning, kept beside (not instead of) the DOM adapter's ok/problem."""
    conn.execute(
        "INSERT INTO adapter_health (provider, ok, problem, url, checked_at, warning, warning_at)"
        " VALUES (?, 1, NULL, ?, ?, ?, ?)"
        " ON CONFLICT (provider) DO UPDATE SET warning = excluded.warning, warning_at = excluded.warning_at",
        (provider, url, now, warning[:500], now),
    )


def clear_warning(conn: Any, provider: str) -> None:
    """A payload read and stored: the network path works again, its last warning is history."""
    conn.execute(
        "UPDATE adapter_health SET warning = NULL, warning_at = NULL WHERE provider = ? AND warning IS NOT NULL",
        (provider,),
    )
