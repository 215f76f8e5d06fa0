"""The conversation DeepSeek's web app loads: GET /api/v0/chat/history_messages?chat_session_id=<id>.

The response is `{"code": 0, "data": {"biz_code": 0, "biz_data": {"chat_session": {...},
"chat_messages": [...]}}}`. `chat_session` has `id`, `title`, `current_message_id` (the leaf of the
branch on screen), `inserted_at`/`updated_at` (unix seconds). Each of `chat_messages` has an integer
`message_id` (the export's node id), `parent_id`, `role` (USER/ASSISTANT), `model`, `status`
(FINISHED, WIP while streaming), `inserted_at`, `files`, and either typed `fragments` (REQUEST,
THINK, RESPONSE, SEARCH...: see `deepseek`) or, in older payloads, `content`, `thinking_content` and
`search_results`. Every branch (edits, regenerations) is in the list. A failed call answers with a
non-zero `code`/`biz_code` and no `biz_data`: refused whole, never half-stored.
"""

from __future__ import annotations

from typing import Any

from ..protocol import CaptureUpsert
from .common import Malformed, SkipLog
from .deepseek import Message, build, message_of


def session_data(doc: Any) -> dict[str, Any]:
    """The `biz_data` of a history_messages response (or the object itself if it is one)."""
    if not isinstance(doc, dict):
        raise Malformed("not an object")
    if doc.get("code") not in (None, 0):
        raise Malformed(f"DeepSeek answered with an error (code {doc.get('code')})")
    data = doc.get("data") if "data" in doc else doc
    if isinstance(data, dict) and "biz_data" in data:
        if data.get("biz_code") not in (None, 0):
            raise Malformed(f"DeepSeek answered with an error (biz_code {data.get('biz_code')})")
        data = data["biz_data"]
    if not isinstance(data, dict) or not isinstance(data.get("chat_messages"), list):
        raise Malformed("no chat_messages list")
    return data


def conversation(doc: Any, external_id: str, skips: SkipLog) -> tuple[CaptureUpsert, bool]:
    """The conversation a payload describes, and whether its message tree is whole."""
    data = session_data(doc)
    found = data.get("chat_session")
    session: dict[str, Any] = found if isinstance(found, dict) else {}
    if session.get("id") and str(session["id"]).lower() != external_id.lower():
        raise Malformed("the payload is another conversation than the page's")
    messages: dict[str, Message] = {}
    raw_parent: dict[str, str | None] = {}
    for raw in data["chat_messages"]:
        if not isinstance(raw, dict) or raw.get("message_id") is None:
            skips.skip("deepseek message without message_id")
            continue
        mid = str(raw["message_id"])
        parent = None if raw.get("parent_id") is None else str(raw["parent_id"])
        raw_parent[mid] = parent
        found = message_of(mid, parent, raw, skips)
        if found is not None:
            messages[mid] = found
    whole = all(p is None or p in raw_parent for p in raw_parent.values())
    for msg in messages.values():  # children of an empty message attach to its parent
        parent, seen = msg.parent, set()
        while parent is not None and parent not in messages and parent not in seen:
            seen.add(parent)
            parent = raw_parent.get(parent)
        msg.parent = parent
    leaf = session.get("current_message_id")
    capture = build(
        "deepseek",
        external_id,
        messages,
        current_leaf=None if leaf is None else str(leaf),
        title=session.get("title") or None,
        created=_seconds(session.get("inserted_at")),
        updated=_seconds(session.get("updated_at")),
        source="network",
    )
    return capture, whole


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
