"""Claude's `conversations.json` (the export ZIP also holds users.json and projects.json).

Each conversation has `chat_messages`; a message has `sender` (human/assistant), a `text`
and, in newer exports, `content` blocks (text, thinking, tool_use, tool_result), plus
attachments whose `extracted_content` is the text Claude read from them. Newer exports link
messages with `parent_message_uuid` (edits and retries are branches) and name the branch on
screen with `current_leaf_message_uuid`; older ones have no parent fields and are linear.

A message becomes several turns: its thinking, tool and attachment blocks first, each with
its `kind`, in block order and chained by parent links, then its visible text under the
message's own uuid, so children still attach to the uuid and the text matches what the page
showed (and what live capture stored). Text blocks interleaved with tool calls are joined.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from . import documents
from .common import Malformed, SkipLog, each_conversation, iso_to_unix, message_turns

CONVERSATION_URL = "https://claude.ai/chat/{id}"
ITEM_KEYS = ("chat_messages",)  # a key only Claude's conversations.json items have
# Claude's parent of a conversation's first message.
ROOT_PARENT = "00000000-0000-4000-8000-000000000000"
ROLES: dict[str, Role] = {"human": "user", "user": "user", "assistant": "assistant"}


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    return each_conversation(items, skips, conversation, _name)


def _name(item: Any) -> object:
    return item.get("uuid") or item.get("name") if isinstance(item, dict) else type(item).__name__


def conversation(item: dict[str, Any], skips: SkipLog) -> CaptureUpsert:
    if not isinstance(item, dict):
        raise Malformed("a conversation must be an object")
    conv_id = item.get("uuid")
    messages = item.get("chat_messages")
    if not conv_id or not isinstance(messages, list):
        raise Malformed("no uuid or no chat_messages")
    created = iso_to_unix(item.get("created_at"))
    kept = []
    for message in messages:
        if not isinstance(message, dict) or not message.get("uuid"):
            skips.skip("claude message without uuid")
        elif message.get("sender") not in ROLES:
            skips.skip(f"claude {message.get('sender') or 'unknown'} message")
        else:
            kept.append(message)
    linked = any("parent_message_uuid" in m for m in kept)
    raw_parent = {m["uuid"]: m.get("parent_message_uuid") for m in kept}
    docs = documents.Documents()  # artifacts, versioned in message order
    blocks = {m["uuid"]: _blocks(m, docs) for m in kept}
    empty = {uuid for uuid, b in blocks.items() if not b}
    skips.reasons["claude empty message"] += len(empty)
    kept = [m for m in kept if m["uuid"] not in empty]
    parents: dict[str, str | None] = {}
    for i, message in enumerate(kept):
        if linked:
            parent = raw_parent[message["uuid"]]
            seen: set[str | None] = set()
            while parent in empty and parent not in seen:  # re-attach children of dropped messages
                seen.add(parent)
                parent = raw_parent.get(parent)
            parents[message["uuid"]] = parent if parent in blocks and parent not in empty else None
        else:
            parents[message["uuid"]] = kept[i - 1]["uuid"] if i else None
    current = _current_path(item, kept, parents, linked)
    depth: dict[str, int] = {}

    def turn_depth(uuid: str) -> int:
        # Iterative: a long linear chat must not hit the recursion limit.
        chain = []
        node: str | None = uuid
        while node is not None and node not in depth and node not in chain:
            chain.append(node)
            node = parents.get(node)
        base = depth.get(node, 0) if node is not None else 0
        for member in reversed(chain):
            parent = parents.get(member)
            depth[member] = (depth[parent] + max(1, len(blocks[parent]))) if parent in depth else base
        return depth[uuid]

    turns: list[TurnIn] = []
    for message in kept:
        uuid = message["uuid"]
        role = ROLES[message["sender"]]
        when = iso_to_unix(message.get("created_at")) or created
        turns += message_turns(
            uuid,
            blocks[uuid],
            role=role,
            parent_key=parents[uuid],
            position=turn_depth(uuid),
            created_at=when,
            current=uuid in current,
            model=item.get("model") if role == "assistant" else None,
            kind_roles={"tool_result": "tool"},
        )
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="claude",
            external_id=str(conv_id),
            title=item.get("name") or None,
            url=CONVERSATION_URL.format(id=conv_id),
            model=item.get("model") or None,
            created_at=created,
            updated_at=_updated(item),  # last activity: kept as the conversation's date
        ),
        turns=turns,
        source="import",
    )


def _updated(item: dict[str, Any]) -> float | None:
    """The conversation's updated_at; a malformed one only loses the date (message times still count)."""
    try:
        return iso_to_unix(item.get("updated_at"))
    except Malformed:
        return None


def _current_path(
    item: dict[str, Any], kept: list[dict[str, Any]], parents: dict[str, str | None], linked: bool
) -> set[str]:
    if not linked:
        return {m["uuid"] for m in kept}
    leaf = item.get("current_leaf_message_uuid")
    if leaf not in parents and kept:
        leaf = max(kept, key=lambda m: (m.get("created_at") or "", m.get("index") or 0))["uuid"]
    path: set[str] = set()
    while leaf is not None and leaf not in path:
        path.add(leaf)
        leaf = parents.get(leaf)
    return path


def _blocks(message: dict[str, Any], docs: documents.Documents | None = None) -> list[tuple[str | None, str]]:
    """(kind, markdown) per turn of one message: auxiliary blocks first, visible text last."""
    aux: list[tuple[str | None, str]] = []
    for attachment in message.get("attachments") or []:
        name = attachment.get("file_name") or "attachment"
        extracted = attachment.get("extracted_content")
        aux.append(("attachment", f"**{name}**\n\n```\n{extracted}\n```" if extracted else f"[{name}]"))
    for file in [*(message.get("files") or []), *(message.get("files_v2") or [])]:
        name = file.get("file_name") if isinstance(file, dict) else None
        if name and not any(text == f"[{name}]" or text.startswith(f"[{name}] ") for _, text in aux):
            ref = file.get("file_uuid")
            aux.append(("attachment", f"[{name}] (`{ref}`)" if ref else f"[{name}]"))
    texts: list[str] = []
    content = message.get("content")
    if isinstance(content, list) and content:
        # An answer citing its sources (web search, documents) is split into text blocks at each
        # cited span: "Kyoto is " + "the old capital" (with `citations`) + ", and ...". Those pieces
        # are one flowing text; text runs that other blocks (a tool call) separate are paragraphs.
        in_run = last_cited = False
        for block in content:
            if not isinstance(block, dict):
                continue
            block_type = block.get("type")
            if block_type == "text":
                cited = bool(block.get("citations"))
                if isinstance(block.get("text"), str) and block["text"]:
                    if in_run and texts and (cited or last_cited):
                        texts[-1] += block["text"]
                    else:
                        texts.append(block["text"])
                in_run, last_cited = True, cited
                continue
            in_run = last_cited = False
            if block_type == "thinking":
                thinking = block.get("thinking") or block.get("text")
                if thinking:
                    aux.append(("thinking", thinking))
            elif (
                block_type == "tool_use"
                and docs is not None
                and documents.is_artifact(block)
                and (artifact := documents.artifact(block, docs))
            ):
                aux.append(("artifact", artifact))
            elif block_type == "tool_use" and docs is not None and (written := _file_tool(block, docs)):
                aux.append(("artifact", written))
            elif block_type == "tool_use":
                aux.append(("tool_use", _tool_use(block)))
            elif block_type == "tool_result" and (result := _tool_result(block)):
                aux.append(("tool_result", result))
            elif block.get("text"):
                texts.append(str(block["text"]))
    elif message.get("text"):
        texts.append(message["text"])
    visible = "\n\n".join(t for t in texts if t.strip())
    return [*aux, (None, visible)] if visible else aux


# Since late 2025 Claude writes documents as files on its computer instead of `artifacts` calls:
# `create_file` {"path", "file_text", "description"} and `str_replace` {"path", "old_str", "new_str"}
# (then links them as computer:///mnt/user-data/outputs/<name>). Dumped as tool arguments the file's
# text would be one line of JSON escapes; it is kept as a readable document, versioned by path.
_PROSE_SUFFIXES = ("", "md", "markdown", "txt")


def _file_tool(block: dict[str, Any], docs: documents.Documents) -> str | None:
    from ..normalize.code import normalize_language  # here: normalize loads bs4, not needed before

    args = block.get("input")
    if not isinstance(args, dict):
        return None
    path = args.get("path")
    if not isinstance(path, str) or not path.strip():
        return None
    name = path.rstrip("/").rpartition("/")[2] or path
    previous = docs.docs.get(path)
    if block.get("name") == "create_file" and isinstance(args.get("file_text"), str):
        suffix = name.rpartition(".")[2].lower() if "." in name else ""
        doc_type = "document" if suffix in _PROSE_SUFFIXES else f"code/{normalize_language(suffix)}"
        doc = docs.put(path, documents.Doc(name, doc_type, args["file_text"][: documents.MAX_DOC_CHARS]))
    elif (
        block.get("name") == "str_replace"
        and previous is not None
        and isinstance(args.get("old_str"), str)
        and isinstance(args.get("new_str"), str)
    ):
        content = (
            previous.content.replace(args["old_str"], args["new_str"], 1)
            if args["old_str"]
            else previous.content
        )
        doc = docs.put(path, documents.Doc(previous.title, previous.type, content))
    else:
        return None
    return documents.render(doc, "File")


def _tool_use(block: dict[str, Any]) -> str:
    arguments = json.dumps(block.get("input") or {}, ensure_ascii=False, indent=2)
    return f"**{block.get('name') or 'tool'}**\n\n```json\n{arguments}\n```"


def _tool_result(block: dict[str, Any]) -> str:
    content = block.get("content")
    sources: list[str] = []
    if isinstance(content, list):
        body = "\n\n".join(str(c.get("text") or "") for c in content if isinstance(c, dict) and c.get("text"))
        # Web search results ("knowledge" items): the sources a research answer rests on.
        sources = [
            f"- [{c.get('title') or c['url']}]({c['url']})"
            for c in content
            if isinstance(c, dict) and isinstance(c.get("url"), str) and c["url"].startswith("http")
        ]
    else:
        body = str(content or "")
    name = block.get("name")
    header = f"**{name}**{' (error)' if block.get('is_error') else ''}\n\n" if name else ""
    listed = "\n\n**Sources**\n\n" + "\n".join(sources) if sources else ""
    return (f"{header}```\n{body}\n```" if body.strip() else header.strip()) + listed
