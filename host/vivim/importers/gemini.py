"""Gemini's history from Google Takeout: `My Activity/Gemini Apps/My Activity.json` (or .html).

Takeout keeps Gemini as an activity log, not as conversations: one entry per thing done,
newest first. A prompt entry has `title` "Prompted <prompt>" (the verb is localized), `time`
(RFC 3339), the answer as HTML in `safeHtmlItem[].html` (several items when the answer was
regenerated: kept as sibling branches, the first marked current), and, in recent exports,
`details[].url` = https://gemini.google.com/app/<id>, the conversation's own id.

Grouping into conversations (documented heuristic):
1. An entry that names exactly one conversation id in `details[].url` belongs to that
   conversation; its external id is that id, as in the page URL, so live capture merges.
2. Other prompt entries are sorted by time and chained: an entry less than
   `CONVERSATION_GAP` after the previous one continues its conversation. Such a conversation's
   external id is `takeout-` + a hash of its first entry (time and prompt), stable across
   re-imports of the same file.
Entries that are not prompts (feedback, "Used an Assistant feature", drafts chosen, Canvas
created, other Google products) are skipped and counted by reason.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from .common import Malformed, SkipLog, html_to_text, iso_to_unix

CONVERSATION_URL = "https://gemini.google.com/app/{id}"
ITEM_KEYS = ("safeHtmlItem", "header", "activityControls")  # Takeout's My Activity items
CONVERSATION_GAP = 30 * 60  # seconds between prompts that still count as one conversation
TITLE_CHARS = 80
_APP_URL = re.compile(r"gemini\.google\.com/app/([A-Za-z0-9_-]+)")
GEMINI_HEADERS = ("gemini", "bard")

# The prompt verb per Takeout language. English and Czech are confirmed from real exports;
# the others follow the My Activity UI wording and are backed by `learned_prefix` below,
# which finds the verb a file actually uses when none of these match.
PROMPT_PREFIXES = (
    "Prompted",  # en
    "Live Prompt",  # en: a prompt spoken in Gemini Live (public Takeout importers strip it, with "Asked")
    "Asked",  # en
    "Prompt eingegeben:",
    "Prompt eingegeben",
    "Eingegebener Prompt:",
    "Gefragt:",  # de
    "Requête envoyée :",
    "Prompt envoyé :",
    "A demandé :",
    "Requête :",  # fr
    "Instrucción enviada:",
    "Petición enviada:",
    "Consulta:",
    "Instrucción:",  # es
    "Comando enviado:",
    "Solicitação enviada:",
    "Perguntou:",
    "Comando:",  # pt
    "Prompt inviato:",
    "Richiesta inviata:",
    "Ha chiesto:",
    "Prompt:",  # it
    "プロンプト:",
    "プロンプト：",
    "質問:",  # ja
    "提示：",
    "提示:",
    "已提示",
    "提问：",  # zh
    "Pokyn",  # cs
)
# Activity that is not a prompt. English verbs; localized ones fall to "no prompt text".
NOT_PROMPT_PREFIXES = (
    "Gave feedback",
    "Used ",
    "Created ",
    "Selected ",
    "Cleared ",
    "Deleted ",
    "Shared ",
    "Viewed ",
    "Edited ",
    "Pinned ",
    "Renamed ",
    "Saved ",
)
_SEPARATORS = " \u00a0\u202f\t:：-"


@dataclass
class Entry:
    index: int
    time: float | None
    prompt: str
    answers: list[str]  # HTML, in Takeout's order
    conversation_id: str | None
    attachments: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{_whole_seconds(self.time)}\x00{self.prompt}".encode()).hexdigest()[:16]


def _whole_seconds(time: float | None) -> int | None:
    # The HTML variant shows whole seconds, the JSON milliseconds: both must give one key.
    return None if time is None else int(time)


def parse(items: Iterable[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    raw: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            skips.skip("malformed entry", f"#{index}: not an object")
            continue
        header = str(item.get("header") or "")
        if header and not any(h in header.lower() for h in GEMINI_HEADERS):
            skips.skip("not Gemini activity")
            continue
        raw.append((index, item))
    prefix = learned_prefix(str(item.get("title") or "") for _, item in raw if item.get("safeHtmlItem"))
    entries: list[Entry] = []
    for index, item in raw:
        try:
            entry = _entry(index, item, prefix)
        except (Malformed, KeyError, TypeError, ValueError, AttributeError) as exc:
            skips.skip("malformed entry", f"#{index}: {exc!r}")
            continue
        if isinstance(entry, str):
            skips.skip(entry)
        else:
            entries.append(entry)
    for group in group_entries(entries):
        yield _conversation(group)


def prompt_text(title: str, prefix: str | None = None) -> str | None:
    """The prompt inside an activity title, or None when the title is not a prompt."""
    for candidate in (*PROMPT_PREFIXES, *((prefix,) if prefix else ())):
        if title.startswith(candidate) and (
            len(title) == len(candidate) or title[len(candidate)] in _SEPARATORS or candidate[-1] in ":："
        ):
            return title[len(candidate) :].lstrip(_SEPARATORS) or None
    return None


def learned_prefix(titles: Iterable[str]) -> str | None:
    """The verb most answered entries start with, when the known ones do not match.

    Every prompt entry of one export starts with the same localized verb, so in a language
    this module has no entry for, the commonest first word of answered entries is that verb.
    """
    counts: Counter[str] = Counter()
    total = 0
    for title in titles:
        if prompt_text(title) is not None or title.startswith(NOT_PROMPT_PREFIXES):
            continue
        total += 1
        word = re.split(r"[\u00a0\s]", title, maxsplit=1)[0]
        if word:
            counts[word] += 1
    if not counts:
        return None
    word, count = counts.most_common(1)[0]
    return word if count >= 2 and count * 2 >= total else None


def _entry(index: int, item: dict[str, Any], prefix: str | None) -> Entry | str:
    title = str(item.get("title") or "")
    if title.startswith(NOT_PROMPT_PREFIXES):
        return "gemini activity that is not a prompt"
    prompt = prompt_text(title, prefix)
    if prompt is None:
        return "gemini entry without prompt text"
    answers = [h["html"] for h in item.get("safeHtmlItem") or [] if isinstance(h, dict) and h.get("html")]
    ids = {
        m.group(1)
        for d in item.get("details") or []
        if isinstance(d, dict)
        for m in [_APP_URL.search(str(d.get("url") or d.get("name") or ""))]
        if m
    }
    attachments = [str(item["imageFile"])] if isinstance(item.get("imageFile"), str) else []
    for name in item.get("attachedFiles") or []:
        if isinstance(name, str):
            attachments.append(name)
    return Entry(
        index=index,
        time=iso_to_unix(item.get("time")),
        prompt=prompt,
        answers=answers,
        conversation_id=ids.pop() if len(ids) == 1 else None,
        attachments=attachments,
    )


def group_entries(entries: list[Entry]) -> list[list[Entry]]:
    by_id: dict[str, list[Entry]] = {}
    loose: list[Entry] = []
    for entry in entries:
        if entry.conversation_id:
            by_id.setdefault(entry.conversation_id, []).append(entry)
        else:
            loose.append(entry)
    groups = [sorted(g, key=_order) for g in by_id.values()]
    loose.sort(key=_order)
    current: list[Entry] = []
    for entry in loose:
        previous = current[-1] if current else None
        if previous is not None and (
            entry.time is None or previous.time is None or entry.time - previous.time > CONVERSATION_GAP
        ):
            groups.append(current)
            current = []
        current.append(entry)
    if current:
        groups.append(current)
    return groups


def _order(entry: Entry) -> tuple[float, str]:
    return (entry.time if entry.time is not None else float("inf"), entry.prompt)


def _conversation(group: list[Entry]) -> CaptureUpsert:
    from ..normalize import html_to_markdown

    first = group[0]
    conv_id = first.conversation_id or f"takeout-{first.digest}"
    turns: list[TurnIn] = []
    parent: str | None = None
    position = 0
    for entry in group:
        prompt_key = f"p-{entry.digest}"
        markdown = entry.prompt + "".join(f"\n\n[attachment: {name}]" for name in entry.attachments)
        turns.append(
            TurnIn(
                key=prompt_key,
                parent_key=parent,
                position=position,
                role="user",
                markdown=markdown,
                text=entry.prompt,
                created_at=entry.time,
                current=True,
            )
        )
        parent, position = prompt_key, position + 1
        answer_keys = []
        for i, html in enumerate(entry.answers):
            key = f"r-{entry.digest}" + (f"-{i}" if i else "")
            turns.append(
                TurnIn(
                    key=key,
                    parent_key=prompt_key,
                    position=position,
                    role="assistant",
                    markdown=html_to_markdown(html, "gemini"),
                    text=html_to_text(html),
                    created_at=entry.time,
                    current=i == 0,
                )
            )
            answer_keys.append(key)
        if answer_keys:
            parent, position = answer_keys[0], position + 1
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="gemini",
            external_id=conv_id,
            title=_title(first.prompt),
            url=CONVERSATION_URL.format(id=first.conversation_id) if first.conversation_id else None,
            created_at=first.time,
            # Takeout has no conversation record: the newest item is its last activity.
            updated_at=max((e.time for e in group if e.time is not None), default=None),
        ),
        turns=turns,
        source="import",
    )


def _title(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"
