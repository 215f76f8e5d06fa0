"""VIVIM's own full-fidelity archive (`vivim export --format json`), read back.

The file is `{"vivim_export": 1, "exported_at": ..., "conversations": [...]}`; each conversation
carries every stored message (all branches, keys, parent keys, kinds, html, timestamps) and what
the user did to it: `tags`, `pinned` and `title_by_user` (their own title). It is streamed from
`conversations.item`, so an archive of any size imports in constant memory. Archives written
before those three fields existed import as before (no tags, not pinned, the page's title).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from ..store.connection import Connection
from .common import Malformed, SkipLog

ARCHIVE_VERSION = 1
ITEMS_PREFIX = "conversations.item"
MAX_TAG_CHARS = 100  # as the web app and `conversation.tag` accept


class ArchivedConversation(CaptureUpsert, kw_only=True):
    """A conversation from the archive plus the user's own marks on it, restored after its turns.

    Kept out of `CaptureUpsert` itself: a page never sends tags or pins, only this file does.
    """

    tags: list[str] = msgspec.field(default_factory=list)
    pinned: bool = False
    title_by_user: bool = False


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    for index, item in enumerate(items):
        try:
            yield conversation(item)
        except (Malformed, KeyError, TypeError, ValueError, AttributeError, msgspec.ValidationError) as exc:
            skips.skip("malformed conversation", f"#{index}: {exc!r}")


def conversation(item: dict[str, Any]) -> CaptureUpsert:
    if not isinstance(item, dict) or not item.get("provider") or not item.get("external_id"):
        raise Malformed("a conversation needs provider and external_id")
    conv = msgspec.convert(
        {
            k: item.get(k)
            for k in ("provider", "external_id", "title", "url", "model", "created_at", "updated_at")
        },
        ConversationIn,
    )
    turns = []
    for message in item.get("messages") or []:
        turns.append(
            msgspec.convert(
                {
                    "key": message["key"],
                    "parent_key": message.get("parent_key"),
                    "message_id": message.get("provider_message_id"),
                    "position": message.get("position") or 0,
                    "role": message["role"],
                    "model": message.get("model"),
                    "kind": message.get("kind"),
                    "markdown": message.get("markdown") or "",
                    "text": message.get("text") or "",
                    "html": message.get("html"),
                    "status": message.get("status") or "complete",
                    "created_at": message.get("created_at"),
                    "current": message.get("is_current"),
                },
                TurnIn,
            )
        )
    tags = item.get("tags") or []
    if not isinstance(tags, list):
        raise Malformed("tags must be a list of strings")
    return ArchivedConversation(
        conversation=conv,
        turns=turns,
        source="import",
        # untrusted text: a lone surrogate (which SQLite refuses) becomes "?"
        tags=[
            t.strip()[:MAX_TAG_CHARS].encode("utf-8", "replace").decode("utf-8")
            for t in tags
            if isinstance(t, str) and t.strip()
        ],
        pinned=item.get("pinned") is True,
        title_by_user=bool(item.get("title_by_user")) and bool(conv.title),
    )


def restore_library(conn: Connection, payload: CaptureUpsert, conversation_id: int) -> None:
    """Give an archived conversation back its tags, pin and user title, through the same functions
    the web app's edits use (so sync carries them on like any edit).

    Adds, never removes: a tag or pin the user set here since stays. The archive's title is the user's
    only when they have not renamed the conversation here: an edit made here is the newer decision.
    """
    if not isinstance(payload, ArchivedConversation):
        return
    from ..sync import library

    for tag in payload.tags:
        library.add_tag(conn, conversation_id, tag)
    if payload.pinned and not library.is_pinned(conn, conversation_id):
        library.set_pinned(conn, conversation_id, True)
    if payload.title_by_user:
        row = conn.execute(
            "SELECT title_by_user FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is not None and not row[0]:
            library.rename_conversation(conn, conversation_id, payload.conversation.title)
