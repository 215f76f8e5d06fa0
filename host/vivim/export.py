"""Exporting the store: JSON Lines, a Markdown folder, or a full-fidelity JSON archive.

- jsonl: one object per message (provider, conversation_id = the provider's id,
  conversation_title, message_id, parent_id, role, model, created_at, markdown, text, plus
  kind and current, and the conversation's tags and pin), conversations oldest first, messages in
  thread order.
- markdown: one file per conversation with YAML front matter (provider, ids, dates, url, the
  user's tags after `vivim` and the provider, `pinned: true` when pinned),
  named "<date> <title> (<provider> <id prefix>).md" so it sorts and reads well in Obsidian (the
  date is the conversation's start, in UTC like every time in the file; headings say "UTC").
  The current branch is the body; other branches follow under "Other branches", each heading
  quoting the start of the turn it is another reply to.
- json: `{"vivim_export": 1, ...,"conversations": [...]}` with every stored field of every
  message on every branch, and each conversation's tags, pin and whether its title is the user's;
  `vivim import` reads it all back (see importers/vivim_json.py).

Filters: provider, since (a conversation with a message at or after it; for jsonl, the
messages at or after it), and one conversation by its provider id or VIVIM id.
Conversations are read one at a time, so memory stays flat for any store size.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .importers.common import unix_to_iso
from .importers.vivim_json import ARCHIVE_VERSION
from .store.connection import Connection

FORMATS = ("jsonl", "markdown", "json")
CONVERSATION_FIELDS = (
    "id",
    "provider",
    "external_id",
    "title",
    "url",
    "model",
    "source",
    "created_at",
    "updated_at",
    "completeness",
    "turns_stored",
    "turns_expected",
    "title_by_user",
)
BRANCH_QUOTE_CHARS = 60  # how much of the turn an other branch replies to is quoted in its heading
MESSAGE_FIELDS = (
    "key",
    "parent_key",
    "provider_message_id",
    "position",
    "role",
    "model",
    "kind",
    "markdown",
    "text",
    "html",
    "content_hash",
    "status",
    "is_current",
    "source",
    "created_at",
    "updated_at",
)
FILENAME_TITLE_CHARS = 80
# Characters Obsidian or common file systems refuse in a file name or a link.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]+')
# A tag written without quotes in a YAML flow list: letters, digits, and Obsidian's / _ - inside,
# unless YAML would read it as something other than a string (a number, true, null...).
_BARE_TAG = re.compile(r"[^\W_][\w/-]*")
_YAML_NOT_STRING = re.compile(r"[\d_]+|true|false|yes|no|on|off|null|y|n", re.IGNORECASE)
ROLE_HEADINGS = {"user": "User", "assistant": "Assistant", "tool": "Tool", "system": "System"}


@dataclass(frozen=True)
class ExportFilter:
    provider: str | None = None
    since: float | None = None
    conversation: str | None = None  # the provider's conversation id, or VIVIM's numeric id


@dataclass
class ExportSummary:
    conversations: int = 0
    messages: int = 0
    files: int = 0


def conversation_ids(conn: Connection, selection: ExportFilter) -> list[int]:
    where: list[str] = ["c.deleted_at IS NULL"]
    params: list[Any] = []
    if selection.provider:
        where.append("c.provider = ?")
        params.append(selection.provider)
    if selection.conversation:
        where.append("(c.external_id = ? OR CAST(c.id AS TEXT) = ?)")
        params.extend([selection.conversation, selection.conversation])
    if selection.since is not None:
        where.append(
            "(c.created_at >= ? OR EXISTS (SELECT 1 FROM messages m"
            " WHERE m.conversation_id = c.id AND m.created_at >= ?))"
        )
        params.extend([selection.since, selection.since])
    rows = conn.execute(
        f"SELECT c.id FROM conversations c WHERE {' AND '.join(where)} ORDER BY c.created_at, c.id", params
    ).fetchall()
    return [row[0] for row in rows]


def load_conversation(conn: Connection, conversation_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {', '.join(CONVERSATION_FIELDS)} FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    messages = conn.execute(
        f"SELECT {', '.join(MESSAGE_FIELDS)} FROM messages WHERE conversation_id = ? ORDER BY position, id",
        (conversation_id,),
    ).fetchall()
    conversation = {name: row[name] for name in CONVERSATION_FIELDS}
    conversation["title_by_user"] = bool(row["title_by_user"])
    # What the user did to it travels with it (vivim_json.restore_library reads these back).
    conversation["tags"] = [
        r[0]
        for r in conn.execute(
            "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", (conversation_id,)
        )
    ]
    conversation["pinned"] = (
        conn.execute(
            "SELECT 1 FROM conversation_pins WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        is not None
    )
    conversation["messages"] = [
        {
            name: (bool(m[name]) if name == "is_current" and m[name] is not None else m[name])
            for name in MESSAGE_FIELDS
        }
        for m in messages
    ]
    return conversation


async def iter_conversations(store: Any, selection: ExportFilter) -> AsyncIterator[dict[str, Any]]:
    for conversation_id in await store.read(conversation_ids, selection):
        yield await store.read(load_conversation, conversation_id)


# ---- jsonl --------------------------------------------------------------------------------


def jsonl_rows(conversation: dict[str, Any], since: float | None = None) -> list[dict[str, Any]]:
    rows = []
    for m in conversation["messages"]:
        if since is not None and (m["created_at"] or 0) < since:
            continue
        rows.append(
            {
                "provider": conversation["provider"],
                "conversation_id": conversation["external_id"],
                "conversation_title": conversation["title"],
                "conversation_completeness": _completeness(conversation),
                "conversation_tags": conversation["tags"],
                "conversation_pinned": conversation["pinned"],
                "message_id": m["key"],
                "parent_id": m["parent_key"],
                "role": m["role"],
                "model": m["model"],
                "created_at": unix_to_iso(m["created_at"]),
                "markdown": m["markdown"],
                "text": m["text"],
                "kind": m["kind"],
                "current": m["is_current"],
            }
        )
    return rows


async def export_jsonl(store: Any, out: TextIO, selection: ExportFilter = ExportFilter()) -> ExportSummary:
    summary = ExportSummary()
    async for conversation in iter_conversations(store, selection):
        rows = jsonl_rows(conversation, selection.since)
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        summary.conversations += 1
        summary.messages += len(rows)
    return summary


# ---- json ---------------------------------------------------------------------------------


async def export_json(store: Any, out: TextIO, selection: ExportFilter = ExportFilter()) -> ExportSummary:
    """Streams the archive: a header, then one conversation at a time."""
    summary = ExportSummary()
    header = {"vivim_export": ARCHIVE_VERSION, "exported_at": unix_to_iso(time.time())}
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "conversations": [')
    async for conversation in iter_conversations(store, selection):
        out.write(
            ("\n" if summary.conversations == 0 else ",\n") + json.dumps(conversation, ensure_ascii=False)
        )
        summary.conversations += 1
        summary.messages += len(conversation["messages"])
    out.write("\n]}\n")
    return summary


# ---- markdown -----------------------------------------------------------------------------


async def export_markdown(
    store: Any, folder: Path, selection: ExportFilter = ExportFilter()
) -> ExportSummary:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    used: set[str] = set()
    async for conversation in iter_conversations(store, selection):
        name = markdown_filename(conversation)
        if name.lower() in used:
            name = markdown_filename(conversation, full_id=True)
        used.add(name.lower())
        (folder / name).write_text(render_markdown(conversation), encoding="utf-8")
        summary.conversations += 1
        summary.messages += len(conversation["messages"])
        summary.files += 1
    return summary


def markdown_filename(conversation: dict[str, Any], *, full_id: bool = False) -> str:
    date = (unix_to_iso(conversation["created_at"]) or "")[:10]
    title = _UNSAFE_NAME.sub(" ", conversation["title"] or "Untitled")
    title = " ".join(title.split()).strip(" .") or "Untitled"
    if len(title) > FILENAME_TITLE_CHARS:
        title = title[:FILENAME_TITLE_CHARS].rstrip(" .")
    external = conversation["external_id"]
    short = external.removeprefix("takeout-")[:8]  # Gemini groups without an id share that prefix
    ident = _UNSAFE_NAME.sub("-", external if full_id else short)
    return f"{date} {title} ({conversation['provider']} {ident}).md".strip()


def _completeness(conversation: dict[str, Any]) -> str:
    from .store.completeness import describe

    return describe(
        conversation.get("completeness"), conversation.get("turns_stored"), conversation.get("turns_expected")
    )


def render_markdown(conversation: dict[str, Any]) -> str:
    messages = conversation["messages"]
    front = {
        "title": conversation["title"] or "Untitled",
        "provider": conversation["provider"],
        "conversation_id": conversation["external_id"],
        "vivim_id": conversation["id"],
        "url": conversation["url"],
        "model": conversation["model"],
        "created": unix_to_iso(conversation["created_at"]),
        "updated": unix_to_iso(conversation["updated_at"]),
        "source": conversation["source"],
        "messages": len(messages),
        # Whether this file holds every turn the provider had: complete / partial (n of m) / unknown.
        "completeness": _completeness(conversation),
        "pinned": True if conversation.get("pinned") else None,
    }
    lines = ["---"]
    for key, value in front.items():
        if value is not None:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    lines.append(f"tags: [{', '.join(_front_matter_tags(conversation))}]")
    lines += ["---", "", f"# {conversation['title'] or 'Untitled'}", ""]
    current = [m for m in messages if m["is_current"] is not False]
    others = [m for m in messages if m["is_current"] is False]
    for message in current:
        lines += _render_message(message, "##")
    if others:
        lines += ["## Other branches", ""]
        by_key = {m["key"]: m for m in messages}
        for message in others:
            lines += _render_message(message, "###", branch_of=_quoted(by_key.get(message["parent_key"])))
    return "\n".join(lines).rstrip() + "\n"


def _front_matter_tags(conversation: dict[str, Any]) -> list[str]:
    """vivim and the provider (as always), then the user's own tags, each once, YAML-safe.

    A plain word stays bare, as Obsidian writes tags; anything else (spaces, commas, quotes, a
    leading #) is a quoted scalar, so the front matter always parses and the tag comes back as typed.
    """
    tags: list[str] = []
    for tag in ["vivim", conversation["provider"], *conversation.get("tags", ())]:
        if tag not in tags:
            tags.append(tag)
    return [
        tag if _BARE_TAG.fullmatch(tag) and not _YAML_NOT_STRING.fullmatch(tag) else _yaml_scalar(tag)
        for tag in tags
    ]


def _render_message(message: dict[str, Any], level: str, branch_of: str | None = None) -> list[str]:
    heading = ROLE_HEADINGS.get(message["role"], message["role"].title())
    when = (unix_to_iso(message["created_at"]) or "")[:16].replace("T", " ")
    details = [d for d in (message["model"], f"{when} UTC" if when else "") if d]
    suffix = f" · {' · '.join(details)}" if details else ""
    if branch_of:
        suffix += f" (another reply to {branch_of})"
    body = message["markdown"] or message["text"] or ""
    if message["kind"]:
        # An Obsidian callout, folded: thinking and tool traffic stay out of the way.
        callout = [f"> [!note]- {message['kind'].replace('_', ' ').capitalize()}"]
        callout += [f"> {line}" if line else ">" for line in body.splitlines()]
        return [f"{level} {heading}{suffix}", "", *callout, ""]
    return [f"{level} {heading}{suffix}", "", body, ""]


def _quoted(parent: dict[str, Any] | None) -> str | None:
    """What an other branch answers, as people recognise it: the start of that turn's text ("Why
    does…"), not its internal key; None for a branch that starts the conversation."""
    if parent is None:
        return None
    text = " ".join((parent["text"] or parent["markdown"] or "").split())
    if not text:
        return f"the {ROLE_HEADINGS.get(parent['role'], parent['role']).lower()} turn"
    return f"“{text[:BRANCH_QUOTE_CHARS].rstrip()}…”" if len(text) > BRANCH_QUOTE_CHARS else f"“{text}”"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(str(value), ensure_ascii=False)
