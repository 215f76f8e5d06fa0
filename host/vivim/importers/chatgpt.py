"""ChatGPT's `conversations.json` (and sharded `conversations-NNN.json`).

Each conversation is a tree in `mapping` (node id -> {message, parent, children}); the node
id is the message id, the same `data-message-id` the page shows, so a conversation captured
live and then imported lands on the same keys. `current_node` is the leaf of the branch the
user last looked at. Every branch is kept; hidden and system nodes are dropped and their
children re-attached to the nearest kept ancestor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from . import documents
from .common import Malformed, SkipLog, each_conversation, iso_to_unix, markdown_to_text

CONVERSATION_URL = "https://chatgpt.com/c/{id}"
ITEM_KEYS = ("mapping",)  # a key only ChatGPT's conversations.json items have
ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant", "tool": "tool"}
# Content that is not part of the visible conversation (custom instructions, memory).
CONTEXT_TYPES = frozenset({"user_editable_context", "model_editable_context"})
KIND_OF_TYPE = {
    "code": "code",
    "execution_output": "execution_output",
    "thoughts": "thinking",
    "reasoning_recap": "thinking",
    "tether_quote": "quote",
    "tether_browsing_display": "tool_result",
    "system_error": "error",
}
# Where an assistant message is sent when it is not for the reader: the chat itself ("all") or no one.
TO_READER = (None, "", "all")
# Searching answers (2025-) mark citations and named entities inline with private-use characters,
# `\ue200cite\ue202turn0search3\ue201` or `\ue200entity\ue202["city","Kyoto",{}]\ue201`, and
# `\ue203`/`\ue204` around a cited span; the page draws pills there. Left in, they are noise in the
# stored answer and its search index: each is replaced by its `content_references` entry's `alt`
# (the Markdown ChatGPT's copy button writes, e.g. "([Site](url))"), an entity by its name, the rest removed.
_MARKER = re.compile("\ue200([^\ue200-\ue201]*)\ue201")
# Drafts written in the answer (2026: an email, a post) are CommonMark directives the page draws as a
# card: `:::writing{variant="email" id="58142" subject="Offer"}` … `:::`. Stored as they are, the
# directive lines are noise in the answer and its search; each becomes a bold label and its body.
_WRITING_OPEN = re.compile(r"^[ \t]*:::writing\{([^}\n]*)\}[ \t]*$")
_DIRECTIVE_CLOSE = re.compile(r"^[ \t]*:::[ \t]*$")
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)")
_ATTRIBUTE = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"')
_MARKER_CHARS = re.compile("[\ue200-\ue206]")


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    return each_conversation(items, skips, conversation, _name)


def _name(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("conversation_id") or item.get("id") or item.get("title") or "?")
    return type(item).__name__


def conversation(item: dict[str, Any], skips: SkipLog) -> CaptureUpsert:
    if not isinstance(item, dict):
        raise Malformed("a conversation must be an object")
    conv_id = item.get("conversation_id") or item.get("id")
    mapping = item.get("mapping")
    if not conv_id or not isinstance(mapping, dict):
        raise Malformed("no conversation id or no mapping")
    created = _number(item.get("create_time"))
    current = _current_path(mapping, item.get("current_node"))
    turns: list[TurnIn] = []
    roots = [nid for nid, node in mapping.items() if not node.get("parent") or node["parent"] not in mapping]
    # (node id, key of nearest kept ancestor, depth in kept turns, inherited timestamp)
    stack: list[tuple[str, str | None, int, float | None]] = [(r, None, 0, created) for r in reversed(roots)]
    seen: set[str] = set()
    docs = documents.Documents()  # canvas textdocs, versioned in the order the tree is walked
    while stack:
        node_id, parent_key, depth, inherited = stack.pop()
        if node_id in seen or node_id not in mapping:
            continue
        seen.add(node_id)
        node = mapping[node_id]
        message = node.get("message")
        child_parent, child_depth, child_time = parent_key, depth, inherited
        if message:
            turn = _turn(message, node_id, parent_key, depth, inherited, node_id in current, skips, docs)
            if turn is not None:
                turns.append(turn)
                child_parent, child_depth, child_time = turn.key, depth + 1, turn.created_at
        for child in reversed(node.get("children") or []):
            stack.append((child, child_parent, child_depth, child_time))
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="chatgpt",
            external_id=str(conv_id),
            title=item.get("title") or None,
            url=CONVERSATION_URL.format(id=conv_id),
            model=item.get("default_model_slug") or None,
            created_at=created,
            updated_at=_time(item.get("update_time")),  # last activity: kept as the conversation's date
        ),
        turns=turns,
        source="import",
    )


def _current_path(mapping: dict[str, Any], leaf: str | None) -> set[str]:
    if not isinstance(leaf, str) or leaf not in mapping:
        # No (known) current_node (a third-party or cut-down copy): the newest leaf, as Claude's does.
        leaves = [nid for nid, node in mapping.items() if isinstance(node, dict) and not node.get("children")]
        leaf = max(leaves, key=lambda nid: _message_time(mapping[nid]), default=None)
    path: set[str] = set()
    while leaf and leaf in mapping and leaf not in path:
        path.add(leaf)
        leaf = mapping[leaf].get("parent")
    return path


def _message_time(node: dict[str, Any]) -> float:
    message = node.get("message")
    return (_number(message.get("create_time")) if isinstance(message, dict) else None) or 0.0


def _time(value: Any) -> float | None:
    """Unix seconds (what exports carry), or an ISO string should a variant carry one; else None."""
    if isinstance(value, str):
        try:
            return iso_to_unix(value)
        except Malformed:
            return None
    return _number(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _turn(
    message: dict[str, Any],
    node_id: str,
    parent_key: str | None,
    depth: int,
    inherited: float | None,
    current: bool,
    skips: SkipLog,
    docs: documents.Documents | None = None,
) -> TurnIn | None:
    author = message.get("author") or {}
    role = ROLES.get(str(author.get("role")))
    metadata = message.get("metadata") or {}
    content = message.get("content") or {}
    content_type = content.get("content_type")
    if role is None:
        skips.skip(f"chatgpt {author.get('role') or 'unknown'} message")
        return None
    if metadata.get("is_visually_hidden_from_conversation"):
        skips.skip("chatgpt hidden message")
        return None
    if content_type in CONTEXT_TYPES:
        skips.skip("chatgpt editable context")
        return None
    kind = KIND_OF_TYPE.get(content_type) if isinstance(content_type, str) else None
    markdown = None
    if documents.is_canvas(message) and docs is not None:
        markdown = documents.canvas(message, str(content.get("text") or _parts(content.get("parts"))), docs)
        kind = "canvas" if markdown else kind
    if markdown is None:
        body = _writing_blocks(_resolve_markers(render(content), metadata))
        markdown = body + _sources(metadata) + _attachments(metadata)
    if not markdown.strip():
        skips.skip("chatgpt empty message")
        return None
    if kind is None and role == "tool":
        kind = "tool_result"
    if kind is None and role == "assistant" and message.get("channel") == "analysis":
        # The reasoning channel of OpenAI's message format (beside "commentary" and "final"): the
        # model's thinking, never the answer, whatever its content type.
        kind = "thinking"
    if kind is None and role == "assistant" and message.get("recipient") not in TO_READER:
        # A call to a tool (a memory note "to=bio", a search, a plugin), not the answer the reader saw.
        kind = "tool_use"
    created = _number(message.get("create_time")) or inherited
    return TurnIn(
        key=str(message.get("id") or node_id),
        parent_key=parent_key,
        message_id=str(message.get("id") or node_id),
        position=depth,
        role=role,
        model=metadata.get("model_slug") or None,
        markdown=markdown,
        text=markdown_to_text(markdown),
        created_at=created,
        kind=kind,
        current=current,
    )


def _resolve_markers(markdown: str, metadata: dict[str, Any]) -> str:
    """The text with its inline citation and entity markers as readable Markdown (see _MARKER)."""
    if "\ue200" not in markdown and "\ue203" not in markdown:
        return markdown
    for ref in metadata.get("content_references") or []:
        matched = ref.get("matched_text") if isinstance(ref, dict) else None
        if isinstance(matched, str) and matched.strip() and matched in markdown:
            markdown = markdown.replace(matched, _reference_text(ref))
    markdown = _MARKER.sub(_marker_text, markdown)
    return _MARKER_CHARS.sub("", markdown)


def _writing_blocks(markdown: str) -> str:
    """`:::writing{…}` … `:::` blocks (outside code) as a label line and their body (see _WRITING_OPEN)."""
    if ":::writing{" not in markdown:
        return markdown
    out: list[str] = []
    in_code = in_writing = False
    for line in markdown.split("\n"):
        if _FENCE_LINE.match(line):
            in_code = not in_code
        elif not in_code and not in_writing and (opened := _WRITING_OPEN.match(line)):
            attributes = dict(_ATTRIBUTE.findall(opened.group(1)))
            label = (attributes.get("variant") or "draft").replace("_", " ").capitalize()
            subject = attributes.get("subject") or attributes.get("title")
            out += [f"**{label}: {subject}**" if subject else f"**{label}**", ""]
            in_writing = True
            continue
        elif not in_code and in_writing and _DIRECTIVE_CLOSE.match(line):
            in_writing = False
            continue
        out.append(line)
    return "\n".join(out)


def _reference_text(ref: dict[str, Any]) -> str:
    if isinstance(ref.get("alt"), str):
        return str(ref["alt"])
    if isinstance(ref.get("name"), str):
        return str(ref["name"])
    links = [
        f"[{item.get('attribution') or item.get('title') or item['url']}]({item['url']})"
        for item in ref.get("items") or []
        if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"].startswith("http")
    ]
    return f"({', '.join(links)})" if links else ""


def _marker_text(match: re.Match[str]) -> str:
    """A marker no content reference explains: an entity keeps its name, a product carousel
    (`products` {"selections": [[cite, name], …]}) its products' names, anything else goes."""
    kind, _, body = match.group(1).partition("\ue202")
    if kind not in ("entity", "products"):
        return ""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    if kind == "entity" and isinstance(value, list) and len(value) > 1 and isinstance(value[1], str):
        return value[1]
    selections = value.get("selections") if kind == "products" and isinstance(value, dict) else None
    names = [s[1] for s in selections or [] if isinstance(s, list) and len(s) > 1 and isinstance(s[1], str)]
    return "\n".join(f"- {name}" for name in names)


def _sources(metadata: dict[str, Any]) -> str:
    """The web sources an answer (a Deep Research report above all) cites, listed once under it."""
    seen: dict[str, str] = {}
    for ref in metadata.get("content_references") or []:
        if not isinstance(ref, dict):
            continue
        for item in [ref, *(ref.get("items") or []), *(ref.get("sources") or [])]:
            if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"].startswith("http"):
                seen.setdefault(item["url"], str(item.get("title") or item["url"]))
    for citation in metadata.get("citations") or []:
        meta = citation.get("metadata") if isinstance(citation, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("url"), str) and meta["url"].startswith("http"):
            seen.setdefault(meta["url"], str(meta.get("title") or meta["url"]))
    if not seen:
        return ""
    return "\n\n**Sources**\n\n" + "\n".join(f"- [{title}]({url})" for url, title in seen.items())


def _attachments(metadata: dict[str, Any]) -> str:
    """Files the user attached, by name with the provider's reference (their bytes are not in the JSON)."""
    names = [
        f"- {a.get('name') or 'attachment'} (`{a.get('id')}`)"
        for a in metadata.get("attachments") or []
        if isinstance(a, dict) and (a.get("name") or a.get("id"))
    ]
    return "\n\n**Attachments**\n\n" + "\n".join(names) if names else ""


def render(content: dict[str, Any]) -> str:
    """One message's content as Markdown; images become placeholders carrying their pointer."""
    content_type = content.get("content_type")
    if content_type == "code":
        language = content.get("language") or ""
        language = "" if language == "unknown" else language
        return f"```{language}\n{content.get('text') or ''}\n```"
    if content_type == "execution_output":
        return f"```\n{content.get('text') or ''}\n```"
    if content_type == "thoughts":
        pieces = []
        for thought in content.get("thoughts") or []:
            summary, body = thought.get("summary"), thought.get("content")
            pieces.append("\n\n".join(p for p in (f"**{summary}**" if summary else None, body) if p))
        return "\n\n".join(pieces)
    if content_type == "reasoning_recap":
        return str(content.get("content") or "") or _parts(content.get("parts"))
    if content_type == "tether_quote":
        title, url, text = content.get("title"), content.get("url"), content.get("text") or ""
        quote = "\n".join(f"> {line}" for line in text.splitlines())
        source = f"[{title or url}]({url})" if url else (title or "")
        return f"{quote}\n\n— {source}" if source else quote
    if content_type == "tether_browsing_display":
        return str(content.get("result") or content.get("summary") or "")
    if "parts" in content:
        return _parts(content.get("parts"))
    return str(content.get("text") or "")


def _parts(parts: Any) -> str:
    pieces: list[str] = []
    parts = parts if isinstance(parts, list) else []
    # A voice message is its transcript and its recording; the page shows the transcript, so the
    # recording is named only when there is no transcript (else the stored text, with its pointer's
    # label, would not match the page's and a live capture of the turn would not merge with it).
    spoken = any(
        isinstance(p, dict) and p.get("content_type") == "audio_transcription" and p.get("text")
        for p in parts
    )
    for part in parts:
        if isinstance(part, str):
            if part:
                pieces.append(part)
        elif isinstance(part, dict):
            if spoken and "audio" in str(part.get("content_type") or "") and not part.get("text"):
                continue
            piece = _part(part)
            if piece:
                pieces.append(piece)
    return "\n\n".join(pieces)


def _part(part: dict[str, Any]) -> str:
    part_type = part.get("content_type") or ""
    if part_type == "image_asset_pointer" or ("asset_pointer" in part and "audio" not in part_type):
        return f"![image]({part.get('asset_pointer') or ''})"
    if part.get("text"):
        return str(part["text"])
    if part.get("asset_pointer"):
        label = "audio" if "audio" in part_type else (part_type or "attachment")
        return f"[{label}]({part['asset_pointer']})"
    return ""
