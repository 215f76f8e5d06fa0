"""VIVIM's own full-fidelity archive (`vivim export --format json`), read back.

The file is `{"vivim_export": 1, "exported_at": ..., "conversations": [...]}`; each conversation
carries every stored message (all branches, keys, parent keys, kinds, html, timestamps). It is
streamed from `conversations.item`, so an archive of any size imports in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from .common import Malformed, SkipLog

ARCHIVE_VERSION = 1
ITEMS_PREFIX = "conversations.item"


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
    return CaptureUpsert(conversation=conv, turns=turns, source="import")
