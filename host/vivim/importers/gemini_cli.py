"""Gemini CLI's chat recordings: `<GEMINI_CLI_HOME or ~>/.gemini/tmp/<project>/chats/session-*.jsonl`.

Since 2026 each session is JSONL: a first record with `sessionId`, `projectHash`, `startTime`;
then message records (`id`, `timestamp`, `type` "user" | "gemini" | "info" | "error" | "warning",
`content` as a string or `[{"text": ...}]`, and on Gemini's turns `model`, `thoughts`,
`toolCalls` [{id, name, args, result: [{functionResponse: {response: {output}}}], status}]);
`{"$set": {...}}` records update the session's metadata. A message may be written again as it
completes (tool results arrive); its `id` makes the later record replace the earlier one.
Older releases wrote one JSON object per session (`session-*.json`, same fields, `messages`
array), rewritten in place: those are read whole each time they change.

The project folder is `<project>/.project_root` when the CLI wrote one (newer releases name the
folder after the project), else the folder's name (older releases: a hash of the path).
Only user and gemini messages are kept; thoughts are not.
"""

from __future__ import annotations

import json
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

PROVIDER = "gemini-cli"
LABEL = "Gemini CLI"
MAX_WHOLE_FILE = 64 * 1024 * 1024


def roots(home: Path, env: Mapping[str, str]) -> list[Path]:
    base = Path(env["GEMINI_CLI_HOME"]).expanduser() if env.get("GEMINI_CLI_HOME") else home
    tmp = base / ".gemini" / "tmp"
    return [tmp] if tmp.is_dir() else []


def session_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        found = set(root.glob("*/chats/session-*.jsonl")) | set(root.glob("*/chats/session-*.json"))
        found |= set(root.glob("chats/session-*.json*")) | set(root.glob("session-*.json*"))
        yield from sorted(p for p in found if p.suffix in (".json", ".jsonl"))


def external_id(path: Path) -> str:
    return path.stem.removeprefix("session-")


def WHOLE_FILE(path: Path) -> bool:
    return path.suffix == ".json"


def looks_like(path: Path) -> bool:
    if path.suffix == ".json":
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
        return '"sessionId"' in head and '"messages"' in head
    for record in first_records(path, 3):
        if (
            isinstance(record, dict)
            and "sessionId" in record
            and ("projectHash" in record or "startTime" in record)
        ):
            return True
    return False


def read_whole(path: Path) -> tuple[list[tuple[int, Any]], int, int, int]:
    """The legacy one-object file as records: its metadata, then each message."""
    size = path.stat().st_size
    if size > MAX_WHOLE_FILE:
        raise OSError(f"{path.name} is larger than {MAX_WHOLE_FILE // 1024 // 1024} MB")
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return [], 0, 0, size  # being rewritten right now: read it again when it changes
    if not isinstance(data, dict):
        return [], size, 1, 0
    meta = {k: v for k, v in data.items() if k != "messages"}
    found = data.get("messages")
    messages: list[Any] = found if isinstance(found, list) else []
    return [(0, meta)] + [(i + 1, m) for i, m in enumerate(messages)], size, 0, 0


def project_of(path: Path) -> str | None:
    folder = path.parent.parent if path.parent.name == "chats" else path.parent
    marker = folder / ".project_root"
    try:
        return marker.read_text(encoding="utf-8").strip() or folder.name
    except OSError:
        return folder.name


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text") or "") if isinstance(p, dict) else str(p) for p in content)
    return ""


def _tool_output(call: dict[str, Any]) -> str:
    pieces = []
    for item in call.get("result") or []:
        response = (
            ((item or {}).get("functionResponse") or {}).get("response") if isinstance(item, dict) else None
        )
        if isinstance(response, dict):
            value = response.get("output", response.get("error", response))
            pieces.append(value if isinstance(value, str) else compact_json(value))
    if not pieces and call.get("resultDisplay"):
        display = call["resultDisplay"]
        pieces.append(display if isinstance(display, str) else compact_json(display))
    return "\n".join(pieces)


def parse_record(record: Any, offset: int, session: Session) -> list[TurnIn | None]:
    if not isinstance(record, dict):
        return []
    if "$set" in record:
        record = record["$set"] if isinstance(record["$set"], dict) else {}
    if "sessionId" in record and "type" not in record:  # session metadata
        session.external_id = str(record.get("sessionId") or session.external_id)
        session.created_at = session.created_at or iso_to_unix(record.get("startTime"))
        if record.get("summary"):
            session.title = title_from(str(record["summary"]))
        return []
    kind = record.get("type")
    if kind not in ("user", "gemini") or not record.get("id"):
        return []
    created = iso_to_unix(record.get("timestamp"))
    if session.created_at is None:
        session.created_at = created
    key = str(record["id"])
    if kind == "user":
        text = clean_text(_text(record.get("content")))
        if text and not session.title:
            session.title = title_from(text)
        return [turn(key, "user", text, created_at=created, message_id=key)]
    model = record.get("model")
    if model:
        session.model = model
    turns: list[TurnIn | None] = [
        turn(
            key,
            "assistant",
            clean_text(_text(record.get("content"))),
            created_at=created,
            model=model,
            message_id=key,
        )
    ]
    for index, call in enumerate(record.get("toolCalls") or []):
        if not isinstance(call, dict):
            continue
        call_id = str(call.get("id") or index)
        name = call.get("name") or "tool"
        turns.append(
            turn(
                f"{key}:call:{call_id}",
                "assistant",
                tool_text(f"{name}: {compact_json(call.get('args'))}"),
                kind=TOOL_USE,
                created_at=iso_to_unix(call.get("timestamp")) or created,
                model=model,
                message_id=f"{key}:call:{call_id}",
            )
        )
        output = _tool_output(call)
        if call.get("status") == "error":
            output = f"[error] {output}"
        turns.append(
            turn(
                f"{key}:result:{call_id}",
                "tool",
                tool_text(output),
                kind=TOOL_RESULT,
                created_at=created,
                message_id=f"{key}:result:{call_id}",
            )
        )
    return turns
