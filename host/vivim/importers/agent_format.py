"""What the coding agents' log readers share: text shaping, turns, the per-session state, detection.

The agent modules (claude_code, codex_cli, gemini_cli) know their own record formats and build on
these; importers/agent_logs.py knows files, offsets and the store, and dispatches to the agent
modules. Kept apart from agent_logs so that the agent modules do not import their dispatcher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..protocol import TurnIn
from .secrets import mask_secrets

MAX_TURN_CHARS = 20_000  # a prose turn longer than this is clipped (a pasted log, a dumped file)
MAX_TOOL_CHARS = 2_000  # tool calls and outputs: the gist (head and tail), not the whole dump
MAX_TITLE_CHARS = 80
TOOL_USE, TOOL_RESULT = "tool_use", "tool_result"


# ---- text shaping shared by the agent modules -----------------------------------------------


def clip(text: str, limit: int) -> str:
    """Head and tail of a long text with the cut said in the middle: errors sit at the end."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    tail = limit - head
    return f"{text[:head]}\n… [{len(text) - limit:,} characters cut] …\n{text[-tail:]}"


def clean_text(text: str, limit: int = MAX_TURN_CHARS) -> str:
    return clip(mask_secrets(text.strip()), limit)


def tool_text(text: str) -> str:
    return clean_text(text, MAX_TOOL_CHARS)


def compact_json(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return str(value)


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def project_tag(cwd: str | None) -> str | None:
    """The project folder's name (what a user calls the project), e.g. /home/me/code/vivim -> vivim."""
    if not cwd:
        return None
    name = cwd.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or None


def turn(
    key: str,
    role: str,
    text: str,
    *,
    kind: str | None = None,
    created_at: float | None = None,
    model: str | None = None,
    message_id: str | None = None,
) -> TurnIn | None:
    """A TurnIn from shaped text, or None when nothing is left to store."""
    if not text.strip():
        return None
    return TurnIn(
        key=key,
        role=role,  # type: ignore[arg-type]
        text=text,
        markdown=text,
        kind=kind,
        created_at=created_at,
        model=model,
        message_id=message_id,
    )


@dataclass
class Session:
    """What a parser learns about one session as it reads; kept (as JSON) between reads."""

    external_id: str
    title: str | None = None
    cwd: str | None = None
    model: str | None = None
    created_at: float | None = None
    position: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None, external_id: str) -> Session:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict) or not data.get("external_id"):
            return cls(external_id)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def place(self, turns: list[TurnIn]) -> None:
        for t in turns:
            t.position = self.position
            self.position += 1


def first_records(path: Path, count: int = 5, limit: int = 256 * 1024) -> list[Any]:
    """Up to `count` parsed lines from the start of a JSONL file (for detection)."""
    with open(path, "rb") as handle:
        data = handle.read(limit)
    records: list[Any] = []
    for line in data.split(b"\n"):
        if len(records) >= count:
            break
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records
