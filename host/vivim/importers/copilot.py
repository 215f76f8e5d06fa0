"""Microsoft Copilot: the privacy dashboard's CSV export and the history JSON copilot.microsoft.com loads.

The export (account.microsoft.com/privacy → Copilot → Export your data; as documented by tools that
read real exports, Feb 2026) is CSV, one row per message, with no message or conversation ids:
- `copilot-activity-history.csv`: `Conversation, Time, Author, Message` (Time ISO 8601, Author
  `user` or `AI`);
- `copilot-chat-activity.csv`: `CreatedAt, MessageContent, Author, ChatName` (CreatedAt like
  `2/17/2026 2:36:11 PM +00:00`; Author `user` or the assistant's name).
Other files of the export (Microsoft 365 apps, Windows prompts without answers) are not read. Rows are
grouped into conversations by their conversation name, in time order; one name used again after more
than `SPLIT_GAP_S` of silence starts a new conversation. Without ids, a conversation's external id is
derived from its name and its first message's minute (so a later export of the same account maps to
the same conversations, and re-importing adds nothing); it cannot match the id in the page's URL, so
an exported conversation is stored beside, not merged with, its live capture. The whole CSV is read
before grouping (an export is text only: small).

The page (content/sites/copilot.net.js) loads a conversation with
GET /c/api/conversations/<id>/history?api-version=2 → {"results": [{"id", "author": {"type":
"human"|"ai"}, "createdAt", "content": [{"type": "text", "text"} | {"type": "chainOfThought", "text"}
(Think Deeper's reasoning) | {"type": "citation", "url", "title"} | {"type": "image", "url", "prompt"}]}],
"next": <cursor of older messages, absent on the oldest page>} (the parts as exporters that read the
history JSON document them, 2025/2026); `page_conversation` reads the pages seen so far as one thread.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import IO, Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from .common import Malformed, SkipLog, each_conversation, iso_to_unix, markdown_to_text, message_turns

CONVERSATION_URL = "https://copilot.microsoft.com/chats/{id}"
MAX_SOURCES = 30
ITEM_KEYS: tuple[str, ...] = ()  # not a JSON export: recognised by its CSV header (CSV_HEADERS)
FILE_NAMES = ("copilot-activity-history.csv", "copilot-chat-activity.csv")
# The columns (name, time, author, message) of each export layout, by header.
CSV_HEADERS = (
    ("Conversation", "Time", "Author", "Message"),
    ("ChatName", "CreatedAt", "Author", "MessageContent"),
)
SPLIT_GAP_S = 24 * 3600.0
USER_AUTHORS = frozenset({"user", "human", "you", "me"})
_US_DATE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\s*"
    r"(?:(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2}))?\s*$"
)


# ---- the privacy dashboard's CSV --------------------------------------------------------------


def matches_header(head: str) -> bool:
    """Whether a file's first line is one of the export's CSV headers."""
    return (
        _layout(next(csv.reader([head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""]), []))
        is not None
    )


def _layout(header: list[str]) -> tuple[int, int, int, int] | None:
    names = [h.strip() for h in header]
    for columns in CSV_HEADERS:
        if all(c in names for c in columns):
            return tuple(names.index(c) for c in columns)  # type: ignore[return-value]
    return None


def read_items(handle: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The CSV's conversations: {"name", "messages": [{"time", "author", "text", "raw_time"}]}."""
    text = handle.read().decode("utf-8-sig")  # grouped whole anyway; a bad byte: UnicodeDecodeError
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    layout = _layout(header or [])
    if layout is None:
        raise Malformed(f"not a Copilot activity CSV (header {header!r})")
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        cells = [row[i] if i < len(row) else "" for i in layout]
        name, when, author, body = cells
        groups.setdefault(name.strip(), []).append(
            {"raw_time": when, "time": parse_time(when), "author": author.strip(), "text": body}
        )
    for name, messages in groups.items():
        if _newest_first(messages):
            # Rows listed newest first: read them oldest first, so that a prompt and the answer
            # logged in the same second (times have whole seconds) keep their order in the sort.
            messages.reverse()
        messages.sort(key=lambda m: m["time"] if m["time"] is not None else float("inf"))
        run: list[dict[str, Any]] = []
        for entry in messages:
            last = run[-1]["time"] if run else None
            if run and last is not None and entry["time"] is not None and entry["time"] - last > SPLIT_GAP_S:
                yield {"name": name, "messages": run}
                run = []
            run.append(entry)
        if run:
            yield {"name": name, "messages": run}


def _newest_first(messages: list[dict[str, Any]]) -> bool:
    """Whether a conversation's rows, in file order, run mostly from newer to older."""
    times = [m["time"] for m in messages if m["time"] is not None]
    pairs = list(pairwise(times))
    return sum(a > b for a, b in pairs) > sum(a < b for a, b in pairs)


def parse_time(value: str) -> float | None:
    """ISO 8601 (naive = UTC) or the dashboard's `M/D/YYYY h:mm:ss [AM|PM] [+HH:MM]`; None if neither."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return iso_to_unix(value)
    except Malformed:
        pass
    m = _US_DATE.match(value)
    if not m:
        return None
    month, day, year, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    meridiem = (m.group(7) or "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    offset = timedelta(0)
    if m.group(8):
        offset = timedelta(hours=int(m.group(9)), minutes=int(m.group(10)))
        offset = -offset if m.group(8) == "-" else offset
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset)).timestamp()
    except ValueError:
        return None


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    return each_conversation(items, skips, conversation, _name)


def _name(item: Any) -> object:
    return item.get("name") if isinstance(item, dict) else type(item).__name__


def conversation(item: dict[str, Any], skips: SkipLog) -> CaptureUpsert:
    """One conversation of the CSV: its rows in time order, a linear thread."""
    name = str(item.get("name") or "").strip()
    messages = [m for m in item["messages"] if str(m.get("text") or "").strip()]
    skips.reasons["copilot empty message"] += len(item["messages"]) - len(messages)
    if not messages:
        raise Malformed("no messages with text")
    first = messages[0]["time"]
    anchor = datetime.fromtimestamp(first, tz=UTC).strftime("%Y-%m-%dT%H:%M") if first is not None else "?"
    digest = hashlib.sha256(f"{name}\n{anchor}".encode()).hexdigest()[:20]
    external_id = f"export-{digest}"
    turns: list[TurnIn] = []
    parent: str | None = None
    for i, message in enumerate(messages):
        role: Role = "user" if message["author"].lower() in USER_AUTHORS else "assistant"
        text = str(message["text"]).strip()
        key = f"{external_id}.{i}"
        turns.append(
            TurnIn(
                key=key,
                parent_key=parent,
                position=i,
                role=role,
                markdown=text,
                text=markdown_to_text(text) or text,
                created_at=message["time"],
                current=True,
            )
        )
        parent = key
    times = [m["time"] for m in messages if m["time"] is not None]
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="copilot",
            external_id=external_id,
            title=name or None,
            url=None,  # the export names no conversation id
            created_at=min(times, default=None),
            updated_at=max(times, default=None),  # the last message: the provider's last activity
        ),
        turns=turns,
        source="import",
    )


# ---- the page's history JSON ---------------------------------------------------------------------


def history_results(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise Malformed("no results list")
    results = doc["results"]
    if not all(isinstance(r, dict) for r in results):
        raise Malformed("results hold something other than messages")
    return results


def page_conversation(pages: list[dict[str, Any]], external_id: str) -> CaptureUpsert:
    """The messages of every history page seen so far, one linear thread in time order. An answer
    becomes up to three turns, chained: its "Think Deeper" reasoning (`chainOfThought` parts, `kind`
    "thinking"), the pages it cited (`citation` parts: role "tool", `kind` "sources"), then its text
    and images under the message's own id: the reasoning is never stored as, or inside, the answer."""
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for page in pages:
        for message in history_results(page):
            mid = message.get("id")
            if isinstance(mid, str) and mid:
                by_id.setdefault(mid, (len(by_id), message))
    ordered = sorted(by_id.values(), key=lambda pair: (_quiet_iso(pair[1].get("createdAt")) or 0.0, pair[0]))
    turns: list[TurnIn] = []
    for _, message in ordered:
        author = message.get("author")
        kind = str(author.get("type") if isinstance(author, dict) else author or "").lower()
        role: Role = "user" if kind in ("human", "user") else "assistant"
        turns += message_turns(
            str(message["id"]),
            _blocks(message, role),
            role=role,
            parent_key=turns[-1].key if turns else None,
            position=len(turns),
            created_at=_quiet_iso(message.get("createdAt")),
            kind_roles={"sources": "tool"},
        )
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="copilot", external_id=external_id, url=CONVERSATION_URL.format(id=external_id)
        ),
        turns=turns,
        source="network",
    )


def _blocks(message: dict[str, Any], role: Role) -> list[tuple[str | None, str]]:
    """(kind, markdown) per turn of one message: reasoning and sources first, the answer last."""
    answer = _text(message)
    parts = message.get("content")
    parts = parts if isinstance(parts, list) else []
    images = [
        f"![{_label(p.get('prompt')) or 'generated image'}]({_link(p['url'])})"
        for p in parts
        if isinstance(p, dict) and p.get("type") == "image" and _is_web(p.get("url"))
    ]
    answer = "\n\n".join([answer, *images]).strip()
    if role == "user":
        return [(None, answer)] if answer else []
    out: list[tuple[str | None, str]] = []
    thoughts = [
        p["text"].strip()
        for p in parts
        if isinstance(p, dict)
        and p.get("type") == "chainOfThought"
        and isinstance(p.get("text"), str)
        and p["text"].strip()
    ]
    if thoughts:
        out.append(("thinking", "\n\n".join(thoughts)))
    sources: list[str] = []
    for p in parts:
        if isinstance(p, dict) and p.get("type") == "citation" and _is_web(p.get("url")):
            line = f"- [{_label(p.get('title')) or _label(p['url'])}]({_link(p['url'])})"
            if line not in sources and len(sources) < MAX_SOURCES:
                sources.append(line)
    if sources:
        out.append(("sources", "**Sources**\n\n" + "\n".join(sources)))
    return [*out, (None, answer)] if answer else out


def _is_web(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://"))


def _link(url: str) -> str:
    return url.replace(")", "%29").replace(" ", "%20")


def _label(value: Any) -> str:
    return " ".join(str(value).split()).replace("[", "(").replace("]", ")") if isinstance(value, str) else ""


def _text(message: dict[str, Any]) -> str:
    """The answer's own text: `text` parts only (reasoning, citations and images are apart)."""
    parts = message.get("content")
    if isinstance(parts, str):
        return parts.strip()
    texts = [
        str(p.get("text") or "")
        for p in parts or []
        if isinstance(p, dict) and p.get("type") in ("text", None) and p.get("text")
    ]
    return "\n\n".join(t.strip() for t in texts if t.strip())


def _quiet_iso(value: Any) -> float | None:
    try:
        return iso_to_unix(value)
    except Malformed:
        return None
