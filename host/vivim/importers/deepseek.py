"""DeepSeek's data export (Settings -> Data -> Export data): `conversations.json` in a ZIP.

The file is one JSON array of conversations, each `{"id", "title", "inserted_at", "updated_at",
"mapping"}` (ISO 8601 times with an offset, e.g. `2025-04-29T11:59:11.635000+08:00`). `mapping` is
a tree: node id -> `{"id", "parent", "children", "message"}`, with a message-less `"root"` node. A
node id is the message's number in the conversation ("1", "2"...), the same `message_id` the web
app's own conversation payload carries (`deepseek_history`), so an export and a network capture
land on the same keys. A message is `{"files", "model", "inserted_at", "fragments"}`; its
fragments are typed: `REQUEST` (the prompt), `THINK` (DeepThink reasoning), `RESPONSE` (the answer),
`SEARCH` (web search results, `results[]` of url/title), and others as the site adds tools.
Older exports and payloads carry `role`, `content` and `thinking_content` instead of fragments.
The export names no current branch: the newest answer of each step (the last child) is the one
the page shows after a regeneration, so that path is marked current.

A message becomes several turns, as Claude's do: its attachments, reasoning and tool results first,
each with its `kind`, then its visible text under the message's own id. The reasoning is always its
own `thinking` turn, never the answer (a tool in this field stored DeepSeek's reasoning in place of
the answer). DeepSeek writes math with `\\( \\)` and `\\[ \\]`; it is stored with `$`/`$$`, as the
page's KaTeX is captured, so an exported turn and its live capture hash alike and merge.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from .common import Malformed, SkipLog, each_conversation, iso_to_unix, message_turns

CONVERSATION_URL = "https://chat.deepseek.com/a/chat/s/{id}"
# The keys of DeepSeek's conversation items: `inserted_at` is theirs alone, `mapping` ChatGPT's items
# have too; an item with both is DeepSeek's, whichever comes first (see reader._detect_json).
ITEM_KEYS = ("inserted_at", "mapping")
ROLES: dict[str, Role] = {"USER": "user", "ASSISTANT": "assistant", "user": "user", "assistant": "assistant"}
# Fragment type -> the turn kind it becomes (None: the message's visible text).
FRAGMENT_KINDS: dict[str, str | None] = {
    "REQUEST": None,
    "RESPONSE": None,
    "TEMPLATE_RESPONSE": None,
    "THINK": "thinking",
    "SEARCH": "tool_result",
    "TOOL_SEARCH": "tool_result",
    "TOOL_OPEN": "tool_result",
    "READ_LINK": "tool_result",
}
PARSE_ERRORS = (Malformed, KeyError, TypeError, ValueError, AttributeError)


@dataclass
class Message:
    """One DeepSeek message, from either format, before it becomes turns."""

    id: str
    parent: str | None
    role: Role
    model: str | None
    created_at: float | None
    blocks: list[tuple[str | None, str]]  # (kind, markdown): auxiliary blocks first, visible text last
    streaming: bool = False
    children: list[str] = field(default_factory=list)


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    return each_conversation(items, skips, conversation, _name, PARSE_ERRORS)


def _name(item: Any) -> object:
    return (item.get("id") or item.get("title")) if isinstance(item, dict) else type(item).__name__


def conversation(item: dict[str, Any], skips: SkipLog) -> CaptureUpsert:
    if not isinstance(item, dict):
        raise Malformed("a conversation must be an object")
    conv_id = item.get("id")
    mapping = item.get("mapping")
    if not conv_id or not isinstance(mapping, dict):
        raise Malformed("no id or no mapping")
    messages: dict[str, Message] = {}
    parents: dict[str, str | None] = {}
    for node_id, node in mapping.items():
        if not isinstance(node, dict):
            raise Malformed(f"node {node_id!r} is not an object")
        parents[str(node_id)] = _id(node.get("parent"))
        message = node.get("message")
        if message is None:
            continue  # the root
        found = message_of(str(node_id), None, message, skips)
        if found is not None:
            messages[found.id] = found
    for mid, msg in messages.items():
        msg.parent = _kept_ancestor(parents.get(mid), parents, messages)
    created = _time(item.get("inserted_at"))
    return build(
        "deepseek",
        str(conv_id),
        messages,
        current_leaf=None,
        title=item.get("title") or None,
        created=created,
        updated=_time(item.get("updated_at")),
        source="import",
    )


def message_of(mid: str, parent: str | None, message: Any, skips: SkipLog) -> Message | None:
    """A message of either format, or None (counted) when it holds nothing to store."""
    if not isinstance(message, dict):
        raise Malformed(f"message {mid} is not an object")
    fragments = message.get("fragments")
    role: Role | None = ROLES.get(str(message.get("role") or ""))
    blocks: list[tuple[str | None, str]] = _files(message.get("files"))
    visible: list[str] = []
    cited: list[Any] = []  # the search results "[citation:N]" refers to, in order
    if isinstance(fragments, list) and fragments:
        for fragment in fragments:
            if isinstance(fragment, dict) and isinstance(fragment.get("results"), list):
                cited.extend(fragment["results"])
            if not isinstance(fragment, dict):
                continue
            kind_of = str(fragment.get("type") or "").upper()
            if role is None and kind_of in ("REQUEST", "RESPONSE", "THINK"):
                role = "user" if kind_of == "REQUEST" else "assistant"
            text = _fragment_markdown(fragment)
            if not text:
                continue
            kind = FRAGMENT_KINDS.get(kind_of, kind_of.lower() or "unknown")
            if kind is None:
                visible.append(text)
            else:
                blocks.append((kind, text))
    else:
        thinking = message.get("thinking_content") or message.get("reasoning_content")
        if isinstance(thinking, str) and thinking.strip():
            blocks.append(("thinking", dollar_math(thinking.strip())))
        sources = _sources(message.get("search_results"))
        if isinstance(message.get("search_results"), list):
            cited.extend(message["search_results"])
        if sources:
            blocks.append(("tool_result", sources))
        if isinstance(message.get("content"), str) and message["content"].strip():
            visible.append(dollar_math(message["content"].strip()))
    if role is None:
        skips.skip("deepseek message without a role")
        return None
    text = _citations("\n\n".join(visible), cited)
    if text:
        blocks.append((None, text))
    if not blocks:
        skips.skip("deepseek empty message")
        return None
    return Message(
        id=mid,
        parent=parent,
        role=role,
        model=(str(message["model"]) if message.get("model") else None) if role == "assistant" else None,
        created_at=_time(message.get("inserted_at")),
        blocks=blocks,
        streaming=str(message.get("status") or "FINISHED").upper() in ("WIP", "PENDING", "STREAMING"),
    )


def build(
    provider: str,
    conv_id: str,
    messages: dict[str, Message],
    *,
    current_leaf: str | None,
    title: str | None,
    created: float | None,
    updated: float | None,
    source: str,
) -> CaptureUpsert:
    """Turns of the message tree: every branch, parents linked, the shown path marked current."""
    for msg in messages.values():
        msg.children = []
    roots: list[str] = []
    for mid, msg in messages.items():
        if msg.parent in messages and msg.parent != mid:
            messages[msg.parent].children.append(mid)
        else:
            msg.parent = None
            roots.append(mid)
    order = sorted(messages, key=_numeric)
    rank = {mid: i for i, mid in enumerate(order)}
    for msg in messages.values():
        msg.children.sort(key=rank.__getitem__)
    roots.sort(key=rank.__getitem__)
    current = _current_path(messages, roots, current_leaf)
    turns: list[TurnIn] = []
    model = None
    # Iterative walk: a 2,000-message chat must not hit the recursion limit.
    stack: list[tuple[str, str | None, int]] = [(r, None, 0) for r in reversed(roots)]
    seen: set[str] = set()
    while stack:
        mid, parent_key, position = stack.pop()
        if mid in seen:
            continue
        seen.add(mid)
        msg = messages[mid]
        model = model or msg.model
        chain = message_turns(
            mid,
            msg.blocks,
            role=msg.role,
            parent_key=parent_key,
            position=position,
            created_at=msg.created_at or created,
            current=mid in current,
            model=msg.model,
            streaming=msg.streaming,
        )
        turns += chain
        parent_key = chain[-1].key if chain else parent_key
        stack.extend((child, parent_key, position + len(msg.blocks)) for child in reversed(msg.children))
    return CaptureUpsert(
        conversation=ConversationIn(
            provider=provider,
            external_id=conv_id,
            title=title,
            url=CONVERSATION_URL.format(id=conv_id),
            model=model,
            created_at=created,
            updated_at=updated,  # last activity: kept as the conversation's date
        ),
        turns=turns,
        source=source,  # type: ignore[arg-type]
    )


def _current_path(messages: dict[str, Message], roots: list[str], leaf: str | None) -> set[str]:
    if leaf not in messages:
        # No leaf named: follow the newest child at each step (what the page shows after a retry).
        node = roots[-1] if roots else None
        while node is not None and messages[node].children:
            node = messages[node].children[-1]
        leaf = node
    path: set[str] = set()
    while leaf is not None and leaf not in path:
        path.add(leaf)
        leaf = messages[leaf].parent
    return path


def _kept_ancestor(
    parent: str | None, parents: dict[str, str | None], kept: dict[str, Message]
) -> str | None:
    """The nearest ancestor that became a message (the root and empty messages are skipped)."""
    seen: set[str] = set()
    while parent is not None and parent not in kept and parent not in seen:
        seen.add(parent)
        parent = parents.get(parent)
    return parent if parent in kept else None


def _fragment_markdown(fragment: dict[str, Any]) -> str:
    content = fragment.get("content")
    text = dollar_math(content.strip()) if isinstance(content, str) else ""
    sources = _sources(fragment.get("results") or fragment.get("references"))
    if sources:
        return f"{text}\n\n{sources}" if text else sources
    return text


_CITATION = re.compile(r"\[citation:(\d+)\]")


def _citations(text: str, results: list[Any]) -> str:
    """`[citation:2]` -> `[2](url of result 2)`, as the page links it; unknown numbers stay as they are."""
    if "[citation:" not in text:
        return text
    urls: dict[int, str] = {}
    for position, result in enumerate(results, 1):
        if (
            isinstance(result, dict)
            and isinstance(result.get("url"), str)
            and result["url"].startswith("http")
        ):
            index = result.get("cite_index")
            urls.setdefault(index if isinstance(index, int) else position, result["url"])

    def link(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        return f"[{match.group(1)}]({url})" if url else match.group(0)

    return _CITATION.sub(link, text)


def _sources(results: Any) -> str:
    """Web search results as a list of links (what a research answer rests on)."""
    if not isinstance(results, list):
        return ""
    lines = []
    for result in results:
        if (
            isinstance(result, dict)
            and isinstance(result.get("url"), str)
            and result["url"].startswith("http")
        ):
            title = str(result.get("title") or result.get("site_name") or result["url"]).replace("]", ")")
            lines.append(f"- [{title}]({result['url']})")
    return "**Sources**\n\n" + "\n".join(lines) if lines else ""


def _files(files: Any) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for file in files if isinstance(files, list) else []:
        if not isinstance(file, dict):
            continue
        name = str(file.get("file_name") or file.get("name") or "attachment")
        content = file.get("content")
        if isinstance(content, str) and content.strip():
            out.append(("attachment", f"**{name}**\n\n```\n{content.strip()}\n```"))
        else:
            out.append(("attachment", f"[{name}]"))
    return out


# \( x \) and \[ x \] outside code -> $x$ and $$x$$ (how the page's KaTeX reads back).
_CODE = re.compile(r"(^[ \t]*(?:```|~~~)[^\n]*\n.*?^[ \t]*(?:```|~~~)[ \t]*$|`[^`\n]+`)", re.M | re.S)
_DISPLAY = re.compile(r"\\\[\s*(.+?)\s*\\\]", re.S)
_INLINE_MATH = re.compile(r"\\\(\s*(.+?)\s*\\\)", re.S)


def dollar_math(markdown: str) -> str:
    if "\\(" not in markdown and "\\[" not in markdown:
        return markdown
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are prose, odd ones code
        prose = _DISPLAY.sub(lambda m: f"$${m.group(1)}$$", parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: f"${m.group(1)}$", prose)
    return "".join(parts)


def _id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _numeric(mid: str) -> tuple[int, str]:
    return (int(mid), "") if mid.isdigit() else (1 << 62, mid)


def _time(value: Any) -> float | None:
    """ISO 8601 (the export) or unix seconds (the web app's payload); a malformed one only loses the date."""
    try:
        return iso_to_unix(value) if not isinstance(value, bool) else None
    except Malformed:
        return None
