"""Codex CLI's rollout logs: `<CODEX_HOME or ~/.codex>/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`
(and `archived_sessions/`).

Each line is `{"timestamp", "type", "payload"}`:
- `session_meta`: the session's `id`, `cwd`, `timestamp`, `cli_version`, `originator`;
- `turn_context`: per turn, `cwd` and `model`;
- `event_msg`: the UI's view; `payload.type` "user_message" carries exactly what the user typed
  (the response items also hold Codex's injected AGENTS.md / environment text as "user" messages,
  so user turns are taken from here);
- `response_item`: what the model saw and said; `payload.type` "message" (role assistant,
  `output_text` blocks), "function_call" / "custom_tool_call" / "local_shell_call" (tool calls,
  `call_id`), "function_call_output" / "custom_tool_call_output" (their outputs), "reasoning"
  (encrypted or summarised thinking: not kept).

The log is append-only, so a turn's key is its line's byte offset (`o<offset>`): stable forever.
"""

from __future__ import annotations

import json
import re
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

PROVIDER = "codex"
LABEL = "Codex"
_ID_IN_NAME = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$")
TOOL_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
TOOL_OUTPUTS = ("function_call_output", "custom_tool_call_output")


def roots(home: Path, env: Mapping[str, str]) -> list[Path]:
    base = Path(env["CODEX_HOME"]).expanduser() if env.get("CODEX_HOME") else home / ".codex"
    return [p for p in (base / "sessions", base / "archived_sessions") if p.is_dir()]


def session_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        yield from sorted(root.rglob("rollout-*.jsonl"))


def external_id(path: Path) -> str:
    match = _ID_IN_NAME.search(path.name)
    return match.group(1) if match else path.stem


def looks_like(path: Path) -> bool:
    if path.suffix != ".jsonl":
        return False
    for record in first_records(path, 4):
        if (
            isinstance(record, dict)
            and record.get("type") in ("session_meta", "response_item", "event_msg", "turn_context")
            and "payload" in record
        ):
            return True
    return False


def _output_text(payload: dict[str, Any]) -> str:
    output = payload.get("output")
    if isinstance(output, str):
        try:  # function_call_output wraps {"output": "...", "metadata": {"exit_code": 0}} as a string
            decoded = json.loads(output)
        except ValueError:
            return output
        if isinstance(decoded, dict) and "output" in decoded:
            code = (decoded.get("metadata") or {}).get("exit_code")
            text = str(decoded.get("output") or "")
            return f"[exit {code}] {text}" if code not in (None, 0) else text
        return output
    if isinstance(output, dict):
        return str(output.get("content") or output.get("output") or compact_json(output))
    if isinstance(output, list):
        return "\n".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in output)
    return compact_json(output) if output is not None else ""


def _call_text(payload: dict[str, Any]) -> str:
    name = payload.get("name") or payload.get("type") or "tool"
    if payload.get("type") == "local_shell_call":
        command = (payload.get("action") or {}).get("command")
        return f"shell: {' '.join(command) if isinstance(command, list) else compact_json(command)}"
    arguments = payload.get("arguments", payload.get("input"))
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments)
            command = decoded.get("command") if isinstance(decoded, dict) else None
            if isinstance(command, list):  # shell calls: show the command line, not a JSON array
                return f"{name}: {' '.join(str(c) for c in command)}"
            arguments = decoded
        except ValueError:
            pass
    return f"{name}: {compact_json(arguments)}"


def parse_record(record: Any, offset: int, session: Session) -> list[TurnIn | None]:
    if not isinstance(record, dict) or not isinstance(record.get("payload"), dict):
        return []
    kind, payload = record.get("type"), record["payload"]
    created = iso_to_unix(record.get("timestamp"))
    key = f"o{offset}"
    if kind == "session_meta":
        session.external_id = str(payload.get("id") or session.external_id)
        session.cwd = payload.get("cwd") or session.cwd
        session.created_at = iso_to_unix(payload.get("timestamp")) or created
        return []
    if kind == "turn_context":
        session.cwd = session.cwd or payload.get("cwd")
        session.model = payload.get("model") or session.model
        return []
    if session.created_at is None:
        session.created_at = created
    inner = payload.get("type")
    if kind == "event_msg":
        if inner != "user_message":
            return []
        text = clean_text(str(payload.get("message") or ""))
        if text and not session.title:
            session.title = title_from(text)
        return [turn(key, "user", text, created_at=created)]
    if kind != "response_item":
        return []
    if inner == "message" and payload.get("role") == "assistant":
        parts = payload.get("content") or []
        text = "\n".join(
            str(p.get("text") or "")
            for p in parts
            if isinstance(p, dict) and p.get("type") in ("output_text", "text")
        )
        return [turn(key, "assistant", clean_text(text), created_at=created, model=session.model)]
    if inner in TOOL_CALLS:
        call_id = payload.get("call_id") or payload.get("id")
        return [
            turn(
                key,
                "assistant",
                tool_text(_call_text(payload)),
                kind=TOOL_USE,
                created_at=created,
                model=session.model,
                message_id=str(call_id) if call_id else None,
            )
        ]
    if inner in TOOL_OUTPUTS:
        return [turn(key, "tool", tool_text(_output_text(payload)), kind=TOOL_RESULT, created_at=created)]
    return []
