"""Claude Code's session logs: `<config>/projects/<munged project path>/<session id>.jsonl`.

<config> is $CLAUDE_CONFIG_DIR, else ~/.claude (newer releases may use ~/.config/claude; both are
read). One JSON object per line, appended as the session goes:
- `type` "user": `message.content` is the prompt (a string, or text/image blocks) or `tool_result`
  blocks answering the assistant's `tool_use` (by `tool_use_id`); `isMeta` lines are Claude Code's
  own notes (slash-command caveats), not the user's words;
- `type` "assistant": `message` is the API message (model, content blocks text / tool_use /
  thinking); one API message may be spread over several lines sharing `message.id`;
- `type` "summary": `summary` is a title Claude Code wrote for the conversation ending at `leafUuid`; a
  resumed session's file starts with summaries of OTHER sessions, so one is used as this session's
  title only once its leaf is a line of this file;
- other types (system, file-history-snapshot, progress, permission-mode...) carry no conversation.
Every conversation line has `uuid`, `parentUuid`, `sessionId`, `timestamp` and `cwd`.

Turn keys are `<uuid>:<block index>`, so reading a file twice stores nothing twice. Thinking
blocks are not kept (often signed or redacted, and they drown the search in half-thoughts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..protocol import TurnIn
from .agent_format import (
    TOOL_RESULT,
    TOOL_USE,
    Session,
    clean_text,
    compact_json,
    first_records,
    title_from,
    tool_text,
    turn,
)
from .common import iso_to_unix

PROVIDER = "claude-code"
LABEL = "Claude Code"
CONVERSATION_TYPES = ("user", "assistant")
RECENT_UUIDS = 64  # line ids remembered to match a summary written after its leaf


def roots(home: Path, env: Mapping[str, str]) -> list[Path]:
    configured = env.get("CLAUDE_CONFIG_DIR")
    candidates = [Path(p) for p in configured.split(",")] if configured else []
    candidates += [home / ".claude", home / ".config" / "claude"]
    seen: list[Path] = []
    for c in candidates:
        projects = c.expanduser() / "projects"
        if projects.is_dir() and projects not in seen:
            seen.append(projects)
    return seen


def session_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(root.glob("*/*.jsonl"))
        if root.name != "projects":
            yield from sorted(p for p in root.glob("*.jsonl"))


def external_id(path: Path) -> str:
    return path.stem


def looks_like(path: Path) -> bool:
    if path.suffix != ".jsonl":
        return False
    for record in first_records(path, 8):
        if (
            isinstance(record, dict)
            and ("sessionId" in record or record.get("type") == "summary")
            and ("uuid" in record or "leafUuid" in record or "sessionId" in record)
            and "payload" not in record
        ):
            return True
    return False


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                if block.get("type") == "text":
                    parts.append(str(block.get("text") or ""))
                elif block.get("type") == "image":
                    parts.append("[image]")
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(p for p in parts if p)
    return ""


def parse_record(record: Any, offset: int, session: Session) -> list[TurnIn | None]:
    if not isinstance(record, dict):
        return []
    kind = record.get("type")
    if kind == "summary":
        leaf, summary = record.get("leafUuid"), record.get("summary")
        if summary and leaf in session.extra.get("recent", []):
            session.title = title_from(str(summary))
            session.extra["titled"] = True
        elif summary and leaf:
            pending = session.extra.setdefault("summaries", {})
            if len(pending) < RECENT_UUIDS:
                pending[str(leaf)] = str(summary)
        return []
    if kind not in CONVERSATION_TYPES or not isinstance(record.get("message"), dict):
        return []
    if record.get("cwd") and not session.cwd:
        session.cwd = str(record["cwd"])
    created = iso_to_unix(record.get("timestamp"))
    if session.created_at is None:
        session.created_at = created
    uuid = str(record.get("uuid") or f"o{offset}")
    recent = session.extra.setdefault("recent", [])
    recent.append(uuid)
    del recent[:-RECENT_UUIDS]
    summary = session.extra.get("summaries", {}).pop(uuid, None)
    if summary:
        session.title = title_from(summary)
        session.extra["titled"] = True
    message = record["message"]
    content = message.get("content")
    if kind == "user":
        return _user_turns(record, uuid, content, created, session)
    if message.get("model") == "<synthetic>" or record.get("isApiErrorMessage"):
        return []  # Claude Code's own stand-ins ("No response requested.", API errors), not the model's words
    model = message.get("model")
    if model:
        session.model = model
    blocks = content if isinstance(content, list) else [{"type": "text", "text": str(content or "")}]
    turns: list[TurnIn | None] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        key = f"{uuid}:{index}"
        if block.get("type") == "text":
            turns.append(
                turn(
                    key,
                    "assistant",
                    clean_text(str(block.get("text") or "")),
                    created_at=created,
                    model=model,
                )
            )
        elif block.get("type") in ("tool_use", "server_tool_use"):
            name = block.get("name") or "tool"
            turns.append(
                turn(
                    key,
                    "assistant",
                    tool_text(f"{name}: {compact_json(block.get('input'))}"),
                    kind=TOOL_USE,
                    created_at=created,
                    model=model,
                    message_id=str(block.get("id") or "") or None,
                )
            )
    return turns


def _user_turns(
    record: dict[str, Any], uuid: str, content: Any, created: float | None, session: Session
) -> list[TurnIn | None]:
    if record.get("isMeta"):
        return []
    if isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    ):
        turns: list[TurnIn | None] = []
        for index, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                output = _text_of(block.get("content"))
                if block.get("is_error"):
                    output = f"[error] {output}"
                turns.append(
                    turn(f"{uuid}:{index}", "tool", tool_text(output), kind=TOOL_RESULT, created_at=created)
                )
        return turns
    text = _text_of(content)
    if not text.strip():
        return []
    cleaned = clean_text(text)
    if not session.extra.get("titled") and not session.title and not text.lstrip().startswith("<"):
        session.title = title_from(cleaned)
    return [turn(f"{uuid}:0", "user", cleaned, created_at=created)]
