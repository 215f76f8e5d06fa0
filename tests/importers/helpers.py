"""Helpers for import/export tests: fixture paths and a comparable picture of a store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
CHATGPT = FIXTURES / "chatgpt"
CHATGPT_SHARDED = FIXTURES / "chatgpt-sharded"
CHATGPT_2026 = FIXTURES / "chatgpt-2026"
CLAUDE = FIXTURES / "claude"
CLAUDE_2026 = FIXTURES / "claude-2026"
GEMINI = FIXTURES / "gemini"
GEMINI_JSON = GEMINI / "Takeout" / "My Activity" / "Gemini Apps" / "My Activity.json"
GEMINI_HTML = FIXTURES / "gemini-html" / "MyActivity.html"
MALFORMED = FIXTURES / "malformed"
GROK = FIXTURES / "grok"
COPILOT = FIXTURES / "copilot"
COPILOT_CHAT = FIXTURES / "copilot-chat-activity"
GROK_JSON = next(GROK.rglob("prod-grok-backend.json"))
GROK_CARDS = FIXTURES / "grok-cards"

# What a store holds, minus what depends on when or in which order it was written.
MESSAGE_COLUMNS = (
    "key",
    "parent_key",
    "provider_message_id",
    "position",
    "role",
    "model",
    "kind",
    "markdown",
    "text",
    "content_hash",
    "status",
    "is_current",
    "created_at",
)


def snapshot(conn: Any) -> dict[str, Any]:
    conversations = {
        (r["provider"], r["external_id"]): (r["title"], r["url"], r["model"], r["created_at"])
        for r in conn.execute("SELECT * FROM conversations")
    }
    messages = sorted(
        (r["provider"], r["external_id"], *(r[c] for c in MESSAGE_COLUMNS))
        for r in conn.execute(
            f"SELECT c.provider, c.external_id, {', '.join('m.' + c for c in MESSAGE_COLUMNS)}"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        )
    )
    chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    return {"conversations": conversations, "messages": messages, "chunks": chunks}


def messages_of(conn: Any, provider: str, external_id: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.provider = ? AND c.external_id = ? ORDER BY m.position, m.id",
        (provider, external_id),
    ).fetchall()
    return {r["key"]: dict(r) for r in rows}


def conversation_row(conn: Any, provider: str, external_id: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT * FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
    ).fetchone()
    assert row is not None, f"no {provider} conversation {external_id}"
    return dict(row)
