"""What every importer shares: the skip log, timestamps, and the plain text used for merging.

An importer turns one provider conversation into a `CaptureUpsert` with source "import", the
same payload the extension sends, so `store.capture.upsert_capture` applies one set of rules
to both: the same key twice changes nothing, and a turn whose text already arrived through
live capture is merged instead of duplicated.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..protocol import CaptureUpsert, Role, TurnIn

# How many skipped/malformed items the summary names individually (the rest are counted).
MAX_SKIP_DETAILS = 20


class Malformed(ValueError):
    """An export item that lacks what its format promises; it is skipped, the rest imports."""


@dataclass
class SkipLog:
    reasons: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    def skip(self, reason: str, detail: str | None = None) -> None:
        self.reasons[reason] += 1
        if detail is not None and len(self.details) < MAX_SKIP_DETAILS:
            self.details.append(f"{reason}: {detail}")

    @property
    def total(self) -> int:
        return sum(self.reasons.values())


# What reading a malformed export item raises (a missing key, a wrong type or value).
ITEM_ERRORS: tuple[type[Exception], ...] = (Malformed, KeyError, TypeError, ValueError, AttributeError)


def each_conversation(
    items: Iterable[Any],
    skips: SkipLog,
    conversation: Callable[[Any, SkipLog], CaptureUpsert],
    name_of: Callable[[Any], object],
    errors: tuple[type[Exception], ...] = ITEM_ERRORS,
) -> Iterator[CaptureUpsert]:
    """Every export item's conversation, one at a time. An item that breaks is skipped and named (its
    place in the file and `name_of` it): one bad conversation never costs the rest of the file. A
    conversation with no message to store (a chat opened and never used: Claude exports list them with
    no `chat_messages`; a ChatGPT one holding only hidden nodes) is counted, not stored empty."""
    for index, item in enumerate(items):
        try:
            payload = conversation(item, skips)
        except errors as exc:
            skips.skip("malformed conversation", f"#{index} {name_of(item)}: {exc!r}")
            continue
        if payload.turns:
            yield payload
        else:
            skips.skip("empty conversation")


def iso_to_unix(value: Any) -> float | None:
    """An ISO 8601 string (with Z or an offset; naive means UTC) or a number, as unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise Malformed(f"not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Malformed(f"not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def unix_to_iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=UTC).isoformat().replace("+00:00", "Z")


# ---- plain text ---------------------------------------------------------------------------
# Live capture hashes the page's rendered text; an export carries Markdown. For a captured turn
# and its exported twin to hash alike (the store merges on a whitespace-insensitive hash of
# `text`), importers send the Markdown with its syntax removed, as a browser would render it.
# Fenced code is kept verbatim, as the page shows it.

_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)
_M = re.M
_INLINE = [
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]\n]+)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)"), r"\1"),  # links -> their text
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", _M), ""),  # headings
    (re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+", _M), ""),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?", _M), ""),  # list markers, task boxes
    (re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$", _M), ""),  # table separators
    (re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", _M), ""),  # thematic breaks
    (re.compile(r"\|"), " "),  # table cells
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong, strike
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]
_SYNTAX = re.compile(r"[*_`\[\]#>|~]|^[ \t]*(?:[-+]|\d+[.)])[ \t]", re.M)


def markdown_to_text(markdown: str) -> str:
    if not _SYNTAX.search(markdown):
        return markdown.strip()  # plain prose: nothing to remove (the common case for prompts)
    pieces: list[str] = []
    last, in_fence = 0, False
    for fence in _FENCE.finditer(markdown):
        segment = markdown[last : fence.start()]
        pieces.append(segment if in_fence else _strip(segment))
        in_fence, last = not in_fence, fence.end()
    tail = markdown[last:]
    pieces.append(tail if in_fence else _strip(tail))
    return "".join(pieces).strip()


def message_turns(
    message_id: str,
    blocks: Sequence[tuple[str | None, str]],
    *,
    role: Role,
    parent_key: str | None,
    position: int,
    created_at: float | None,
    current: bool | None = True,
    model: str | None = None,
    streaming: bool = False,
    kind_roles: Mapping[str | None, Role] | None = None,
) -> list[TurnIn]:
    """One message's (kind, Markdown) blocks as a chain of turns, its auxiliary blocks (reasoning,
    sources, attachments) first and its visible text last. The last keeps the message's own id as its
    key, so a live capture of the same message lands on it; the others are `<id>.<i>`. Each block is
    the parent of the next, positions run on from `position`, `streaming` marks the visible text only,
    and `kind_roles` gives a kind of block a role of its own (Copilot's cited sources are a tool turn)."""
    turns: list[TurnIn] = []
    last = len(blocks) - 1
    for i, (kind, markdown) in enumerate(blocks):
        key = message_id if i == last else f"{message_id}.{i}"
        turns.append(
            TurnIn(
                key=key,
                parent_key=parent_key,
                message_id=message_id,
                position=position + i,
                role=(kind_roles or {}).get(kind, role),
                model=model,
                markdown=markdown,
                text=markdown_to_text(markdown) or markdown,
                created_at=created_at,
                kind=kind,
                current=current,
                status="streaming" if streaming and i == last else "complete",
            )
        )
        parent_key = key
    return turns


def _strip(segment: str) -> str:
    for pattern, replacement in _INLINE:
        segment = pattern.sub(replacement, segment)
    return segment


def html_to_text(html: str) -> str:
    """The page's rendered text of an answer: the normalizer's innerText, as live capture uses."""
    from ..normalize import html_to_text as inner_text

    return inner_text(html).strip()


# How the import summary names each skip reason for people (the JSON summary keeps the raw reasons).
# Most skips are parts of an export that the provider's own app never shows: say so, or a count of
# "skipped" reads like lost conversations.
EXPECTED_SKIPS = {
    "chatgpt system message": "hidden system prompts (not shown in ChatGPT either)",
    "chatgpt hidden message": "hidden messages (not shown in ChatGPT either)",
    "chatgpt editable context": "custom instructions and memory attached to chats (not part of the conversation)",
    "chatgpt empty message": "empty placeholder messages",
    "empty conversation": "conversations without a message (chats opened and never used)",
    "chatgpt unknown message": "messages without an author (not shown in ChatGPT)",
    "claude unknown message": "messages without a sender (not shown in Claude)",
    "gemini activity that is not a prompt": "Gemini activity that is not a conversation (settings, feedback)",
    "gemini entry without prompt text": "Gemini activity entries without a prompt",
    "not Gemini activity": "other Google activity in the same file",
}
PROBLEM_SKIPS = {
    "malformed conversation": "conversations the file describes incompletely (named below)",
    "malformed entry": "entries the file describes incompletely (named below)",
    "claude message without uuid": "Claude messages without an id",
    "store refused conversation": "conversations the database refused (named below)",
}


def describe_skip(reason: str) -> tuple[str, bool]:
    """(wording for people, whether it is expected) for one skip reason."""
    if reason in EXPECTED_SKIPS:
        return EXPECTED_SKIPS[reason], True
    if reason in PROBLEM_SKIPS:
        return PROBLEM_SKIPS[reason], False
    if reason.startswith("chatgpt ") and reason.endswith(" message"):
        return f"{reason[8:-8]} messages (not shown in ChatGPT either)", True
    return reason, False


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """An import summary (ImportSummary.as_dict()) as sentences for people, e.g. the web page's:
    a re-import says "nothing new" instead of listing raw counters."""
    lines: list[str] = []
    conversations, messages = summary.get("conversations", 0), summary.get("messages", 0)
    created, changed = summary.get("conversations_created", 0), summary.get("conversations_changed", 0)
    if (
        conversations
        and not created
        and not changed
        and not summary.get("inserted")
        and not summary.get("updated")
    ):
        held = f"({messages} message{'s' if messages != 1 else ''})"
        lines.append(
            f"Nothing new: the conversation {held} was already here."
            if conversations == 1
            else f"Nothing new: all {conversations} conversations {held} were already here."
        )
    elif conversations:
        parts = [f"{created} new", f"{changed} with new messages"] if changed else [f"{created} new"]
        lines.append(
            f"{conversations} conversation{'s' if conversations != 1 else ''} ({', '.join(parts)}), "
            f"{messages} message{'s' if messages != 1 else ''}: "
            f"{summary.get('inserted', 0)} added, {summary.get('unchanged', 0)} already here"
            + (f", {summary['merged']} matched to live captures" if summary.get("merged") else "")
            + (f", {summary['branched']} kept as other versions" if summary.get("branched") else "")
            + "."
        )
    else:
        lines.append("No conversations were found in the file.")
    expected: list[str] = []
    problems: list[str] = []
    for reason, count in sorted((summary.get("skipped") or {}).items(), key=lambda kv: (-kv[1], kv[0])):
        if not count:
            continue  # an importer that adds a count of nothing ("0 empty messages") says nothing
        words, ok = describe_skip(reason)
        (expected if ok else problems).append(f"{count} {words}")
    if expected:
        lines.append("Left out, as the provider's app does: " + "; ".join(expected) + ".")
    if problems:
        lines.append("Could not be imported: " + "; ".join(problems) + ".")
    lines += [f"Problem: {error}" for error in summary.get("errors") or []]
    return lines
