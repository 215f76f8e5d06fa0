"""Le Chat's data export (Mistral AI: Settings -> Data -> Export): one `chat-<uuid>.json` per conversation.

Each file is a JSON array of the conversation's messages, in no particular order, with no wrapper:
`{"id", "version", "chatId", "content", "contentChunks", "role" (user/assistant), "createdAt"
(ISO 8601), "files" [{"type", "name"}], "reaction", "preference", "canvas", "quotes", ...}`.
`content` is the message's text; `contentChunks`, when present, is the same text in typed pieces
(`text`, `tool_call` with `name`/`publicArguments`/`publicResult`, `reference` with
`referenceIds`, `custom_element`, and reasoning pieces in Magistral's "Think" mode). The message
ids are the ones the page puts in `data-message-id`, so a live capture and an export land on the
same keys. There is no title (the page's title comes from live capture; the first prompt stands
in) and no parent links: the thread is the messages in time order, all current.

A message becomes several turns, as Claude's do: attachments, reasoning and tool calls first, each
with its `kind`, then the visible text under the message's own id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from . import documents
from .common import Malformed, SkipLog, iso_to_unix, message_turns

CONVERSATION_URL = "https://chat.mistral.ai/chat/{id}"
ITEM_KEYS = ("chatId", "contentChunks")  # keys only Le Chat's message items have
ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant"}
TITLE_CHARS = 80
PARSE_ERRORS = (Malformed, KeyError, TypeError, ValueError, AttributeError)


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    """A file's messages, grouped by chatId (one conversation per file, in practice)."""
    chats: dict[str, list[dict[str, Any]]] = {}
    broken: Exception | None = None
    try:
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("chatId") or not item.get("id"):
                skips.skip("malformed le chat message", f"#{index}: {type(item).__name__} without id/chatId")
                continue
            chats.setdefault(str(item["chatId"]), []).append(item)
    except Exception as exc:  # noqa: BLE001 - a file that breaks off: keep the messages read before it
        broken = exc
    for chat_id, messages in chats.items():
        try:
            yield conversation(chat_id, messages, skips)
        except PARSE_ERRORS as exc:
            skips.skip("malformed conversation", f"{chat_id}: {exc!r}")
    if broken is not None:
        raise broken  # the import names the file and what it kept


def conversation(chat_id: str, messages: list[dict[str, Any]], skips: SkipLog) -> CaptureUpsert:
    timed = []
    for message in messages:
        role = ROLES.get(str(message.get("role") or ""))
        if role is None:
            skips.skip(f"le chat {message.get('role') or 'unknown'} message")
            continue
        timed.append((_time(message.get("createdAt")), role, message))
    timed.sort(key=lambda t: (t[0] is None, t[0] or 0.0))
    turns: list[TurnIn] = []
    title = None
    docs = documents.Documents()  # canvases, versioned in time order
    for when, role, message in timed:
        blocks = _blocks(message, docs)
        if not blocks:
            skips.skip("le chat empty message")
            continue
        turns += message_turns(
            str(message["id"]),
            blocks,
            role=role,
            parent_key=turns[-1].key if turns else None,
            position=len(turns),
            created_at=when,
        )
        if title is None and role == "user":
            first_line = blocks[-1][1].strip().splitlines()[0] if blocks[-1][1].strip() else ""
            title = first_line[:TITLE_CHARS] or None
    times = [t.created_at for t in turns if t.created_at is not None]
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="mistral",
            external_id=chat_id,
            title=title,
            url=CONVERSATION_URL.format(id=chat_id),
            created_at=min(times) if times else None,
            updated_at=max(times) if times else None,  # last activity: kept as the conversation's date
        ),
        turns=turns,
        source="import",
    )


def _blocks(message: dict[str, Any], docs: documents.Documents | None = None) -> list[tuple[str | None, str]]:
    """(kind, markdown) per turn of one message: auxiliary pieces first, visible text last."""
    aux: list[tuple[str | None, str]] = []
    for file in message.get("files") or []:
        if isinstance(file, dict) and file.get("name"):
            aux.append(("attachment", f"[{file['name']}]"))
    for canvas in message.get("canvas") or []:
        # A document written beside the answer ({"id", "title", "type": "text/markdown"|"slides"|…,
        # "content"}); the text only marks its place with a `canva` chunk.
        if isinstance(canvas, dict) and isinstance(canvas.get("content"), str) and canvas["content"].strip():
            title = str(canvas.get("title") or "Canvas")
            doc = documents.Doc(
                title, str(canvas.get("type") or "document"), canvas["content"][: documents.MAX_DOC_CHARS]
            )
            if docs is not None:
                doc = docs.put(str(canvas.get("id") or title), doc)
            aux.append(("canvas", documents.render(doc, "Canvas")))
    produced: list[str] = []  # images and files the answer made, shown under its text
    texts: list[str] = []
    chunks = message.get("contentChunks")
    if isinstance(chunks, list) and chunks:
        for chunk in chunks:
            if not isinstance(chunk, dict):
                continue
            kind = str(chunk.get("type") or "")
            if kind == "text" and isinstance(chunk.get("text"), str):
                texts.append(chunk["text"])
            elif "think" in kind or "reason" in kind:
                thought = _chunk_text(chunk)
                if thought:
                    aux.append(("thinking", thought))
            elif kind == "tool_call":
                aux.append(("tool_use", _tool_call(chunk)))
            elif kind == "reference" and isinstance(chunk.get("referenceIds"), list):
                texts.append("".join(f"[{r}]" for r in chunk["referenceIds"] if isinstance(r, (int, str))))
            elif kind == "image_url" and (url := _url(chunk.get("imageUrl"))):
                produced.append(f"![generated image]({url})")
            elif kind == "file_reference" and chunk.get("fileReference"):
                name = str(chunk.get("fileAlt") or chunk["fileReference"]).replace("]", ")")
                url = _url(chunk.get("fileUrl"))
                produced.append(f"[{name}]({url})" if url else f"[{name}]")
    if not "".join(texts).strip() and isinstance(message.get("content"), str):
        texts = [message["content"]]
    visible = "\n\n".join(p for p in ("".join(texts).strip(), *produced) if p)
    return [*aux, (None, visible)] if visible else aux


def _url(value: Any) -> str | None:
    """An http(s) URL given as a string or as {"url": …}."""
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _chunk_text(chunk: dict[str, Any]) -> str:
    for field in ("text", "thinking", "content"):
        value = chunk.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list):  # a list of text pieces
            joined = "".join(str(v.get("text") or "") for v in value if isinstance(v, dict)).strip()
            if joined:
                return joined
    return ""


def _tool_call(chunk: dict[str, Any]) -> str:
    name = str(chunk.get("name") or chunk.get("toolType") or "tool")
    arguments = chunk.get("publicArguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    body = json.dumps(arguments, ensure_ascii=False, indent=2) if arguments not in (None, "") else ""
    return f"**{name}**\n\n```json\n{body}\n```" if body else f"**{name}**"


def _time(value: Any) -> float | None:
    try:
        return iso_to_unix(value)
    except Malformed:
        return None
