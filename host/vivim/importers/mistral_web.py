"""The conversation Le Chat's web app loads: a tRPC batch GET under /api/trpc/ naming `message.all`.

The page asks for several procedures at once, e.g. `chat.byId,message.all,canva.all` with
`?batch=1&input={"0": {"json": {"id": <chat>}}, "1": {"json": {"chatId": <chat>}}, ...}`. The answer
is one JSON array with a `{"result": {"data": {"json": ...}}}` per procedure or, when the page asks
for a stream (`trpc-accept: application/jsonl`), the same pieces one JSON value per line. Among them:
the chat (`id`, `title`, `createdAt`, `updatedAt`) and its messages, either a list or a page
`{"items": [...], "nextCursor": ...}` of the export's message objects (`id`, `chatId`, `role`,
`content`, `contentChunks`, `createdAt`). A page with a `nextCursor` is part of the conversation:
stored, and stated `partial`. Anything else is refused whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..protocol import CaptureUpsert
from .common import Malformed, SkipLog
from .mistral import conversation as export_conversation

MAX_DEPTH = 12


def load(data: bytes) -> list[Any]:
    """The JSON values of a batch answer: one array, or one value per line (a streamed answer)."""
    text = data.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except ValueError:
        pass
    values = []
    for line in text.splitlines():
        if line.strip():
            try:
                values.append(json.loads(line))
            except ValueError:
                raise Malformed("neither JSON nor JSON lines") from None
    return values


def conversation(values: list[Any], external_id: str, skips: SkipLog) -> tuple[CaptureUpsert, bool]:
    """The conversation the answer describes, and whether all of its messages were in it."""
    messages: list[dict[str, Any]] = []
    chat: dict[str, Any] | None = None
    more = False
    for node in _objects(values):
        items = node.get("items") if isinstance(node.get("items"), list) else None
        if items is not None and items and all(_is_message(m) for m in items):
            messages.extend(items)
            more = more or node.get("nextCursor") not in (None, "", False)
        elif chat is None and str(node.get("id") or "").lower() == external_id.lower() and "title" in node:
            chat = node
    if not messages:
        for found in _lists(values):
            if found and all(_is_message(m) for m in found):
                messages.extend(found)
    if not messages:
        raise Malformed("no Le Chat messages in the answer")
    if any(str(m["chatId"]).lower() != external_id.lower() for m in messages):
        raise Malformed("the payload holds another conversation's messages")
    capture = export_conversation(external_id, messages, skips)
    capture.source = "network"
    if chat is not None:
        capture.conversation.title = chat.get("title") or capture.conversation.title
    return capture, not more


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("id")) and bool(value.get("chatId")) and "role" in value


def _objects(values: Any) -> Iterator[dict[str, Any]]:
    """Every object in the answer, breadth first, to a bounded depth (the answer is untrusted)."""
    level: list[Any] = [values]
    for _ in range(MAX_DEPTH):
        following: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                yield value
                following.extend(v for v in value.values() if isinstance(v, (dict, list)))
            elif isinstance(value, list):
                following.extend(v for v in value if isinstance(v, (dict, list)))
        if not following:
            return
        level = following


def _lists(values: Any) -> Iterator[list[Any]]:
    for node in _objects(values):
        for value in node.values():
            if isinstance(value, list):
                yield value
