"""Google AI Studio's prompt files: one JSON object per saved chat, kept in the user's Google Drive.

AI Studio has no export button: with "Save to Drive" on (the default once a Drive is linked) every
chat is a file in the Drive folder "Google AI Studio", named after the chat's title, of MIME type
`application/vnd.google-makersuite.prompt` and usually without an extension. The user gets them
by downloading that folder from Drive (a ZIP) or from Google Takeout (Drive → `Takeout/Drive/Google
AI Studio/`); both keep the file names and neither adds the Drive id. A file looks like
(observed in public exporters and archives of 2024-2026 files):

    {"runSettings": {"model": "models/gemini-2.5-pro", "temperature": 1, ...},
     "systemInstruction": {"parts": [{"text": "..."}]}            # or {} when unset
     "citations": [{"uri": "..."}],                                # optional, grounding sources
     "chunkedPrompt": {
       "chunks": [
         {"text": "...", "role": "user", "tokenCount": 12, "createTime": "2026-01-05T10:41:07.123Z"},
         {"text": "...", "role": "model", "isThought": true, "parts": [{"text": "...", "thought": true}]},
         {"text": "...", "role": "model", "finishReason": "STOP", "parts": [{"text": "..."}]},
         {"driveImage": {"id": "1AbC..."}, "role": "user"},        # also driveDocument, driveVideo,
       ],                                                          # inlineImage, inlineFile, youtubeVideo
       "pendingInputs": [{"text": "", "role": "user"}]}}           # the unsent prompt box: not a turn

Chunks carry no ids, so a turn's key is its place (`chunk-<n>`): re-importing the same file, or a
longer version of it after the chat went on, changes nothing already stored. A thought chunk
(`isThought`, or `parts[].thought`) becomes a `thinking` turn before its answer, never the answer.
Dates: each chunk's `createTime` (ISO 8601; a `[seconds, nanos]` pair in the page's own payload);
the conversation's last activity is its newest chunk, else the file's modification time (Drive and
Takeout set it to the file's last edit). The page's own copy of a prompt (`ResolveDriveResource`,
positional JSON) is decoded into this same shape by `aistudio_page.py`, so both share this parser.

Ids and merging with live capture: the page's URL names the Drive file (`/prompts/<id>`), a file
from Drive does not. A file's conversation is therefore named `file-<hash of its first prompt and
time>`, stable across re-imports and renames; when an AI Studio conversation captured live already
starts with the same prompt (and, if several do, has the same title), the import is written into
it instead (`adopt_live_id`), so its turns merge with the captured ones rather than duplicate them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, Role, TurnIn
from .common import Malformed, SkipLog, iso_to_unix, markdown_to_text

CONVERSATION_URL = "https://aistudio.google.com/prompts/{id}"
# A key only AI Studio prompt objects have (top level of a prompt file, or items of an array of them).
ITEM_KEYS = ("chunkedPrompt",)
TOP_KEYS = ITEM_KEYS
FILE_ID_PREFIX = "file-"
TITLE_CHARS = 80
ROLES: dict[str, Role] = {"user": "user", "model": "assistant", "assistant": "assistant"}
# Chunks that are a file rather than text: (key, how it is named in the turn).
MEDIA = (
    ("driveDocument", "Drive document"),
    ("driveImage", "Drive image"),
    ("driveVideo", "Drive video"),
    ("driveAudio", "Drive audio"),
    ("inlineImage", "image"),
    ("inlineFile", "file"),
    ("inlineData", "file"),
    ("youtubeVideo", "YouTube video"),
)
# Extensions a downloaded prompt file may have been given; the rest of the name is the chat's title.
TITLE_SUFFIXES = (".json", ".prompt", ".txt")


def parse(
    items: Iterable[Any],
    skips: SkipLog,
    *,
    name: str | None = None,
    modified: float | None = None,
) -> Iterator[CaptureUpsert]:
    """One conversation per prompt object; `name` (the file's name: the chat's title) and `modified`
    (the file's modification time) stand in for what the file itself does not say."""
    flat = (p for item in items for p in (item if isinstance(item, list) else [item]))
    for index, item in enumerate(flat):
        try:
            yield conversation(item, skips, title=title_from_name(name), modified=modified)
        except (Malformed, KeyError, TypeError, ValueError, AttributeError) as exc:
            label = name or f"#{index}"
            skips.skip("malformed conversation", f"{label}: {exc!r}")


def title_from_name(name: str | None) -> str | None:
    if not name:
        return None
    stem = PurePosixPath(name).name
    for suffix in TITLE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.strip() or None


def conversation(
    item: Any, skips: SkipLog, *, title: str | None = None, modified: float | None = None
) -> CaptureUpsert:
    if not isinstance(item, dict):
        raise Malformed("a prompt file must hold a JSON object")
    prompt: dict[str, Any] = _object(item.get("prompt")) or item  # the API's named form wraps it
    chunked = _object(prompt.get("chunkedPrompt"))
    if chunked is None or not isinstance(chunked.get("chunks", []), list):
        raise Malformed("no chunkedPrompt.chunks")
    model = _model((_object(prompt.get("runSettings")) or {}).get("model"))
    metadata = _object(prompt.get("metadata")) or {}
    title = str(metadata.get("displayName") or "").strip() or title
    drive_id = _drive_id(prompt.get("name"))
    skipped_drafts = sum(
        1 for c in chunked.get("pendingInputs") or [] if isinstance(c, dict) and _chunk_text(c)[0].strip()
    )
    if skipped_drafts:
        skips.reasons["aistudio unsent draft"] += skipped_drafts

    turns: list[TurnIn] = []
    parent: str | None = None
    system = _system_text(prompt.get("systemInstruction"))
    if system:
        turns.append(
            TurnIn(
                key="system",
                role="system",
                position=0,
                markdown=system,
                text=markdown_to_text(system) or system,
                kind="system_instruction",
                current=True,
            )
        )
        parent = "system"
    for index, chunk in enumerate(chunked.get("chunks") or []):
        for turn in _chunk_turns(index, chunk, skips, model):
            turn.parent_key = parent
            turn.position = len(turns)
            turns.append(turn)
            parent = turn.key
    if not any(t.role == "user" for t in turns):
        raise Malformed("no prompt in the file")
    times = [t.created_at for t in turns if t.created_at is not None]
    revised = _timestamp((_object(metadata.get("lastModified")) or {}).get("revisionTime"))
    updated = max([*times, *([revised] if revised else [])], default=modified)
    first_user = next(t for t in turns if t.role == "user")
    conv_id = drive_id or content_id(first_user.text, first_user.created_at)
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="aistudio",
            external_id=conv_id,
            title=title or _title(first_user.text),
            url=CONVERSATION_URL.format(id=drive_id) if drive_id else None,
            model=model,
            created_at=min(times, default=None),
            updated_at=updated,  # the chat's last activity, kept as the conversation's date
        ),
        turns=turns,
        source="import",
    )


def content_id(first_prompt: str, created_at: float | None) -> str:
    """The id of a chat known only from a file: its first prompt and when it was sent."""
    stamp = "" if created_at is None else str(int(created_at))
    digest = hashlib.sha256(f"{stamp}\x00{' '.join(first_prompt.split())}".encode()).hexdigest()
    return FILE_ID_PREFIX + digest[:16]


def _chunk_turns(index: int, chunk: Any, skips: SkipLog, model: str | None) -> list[TurnIn]:
    """A chunk's turns, in the order the page shows them: its thoughts, its tool calls and results (code
    execution, function calls), its text (or the file it is), the sources it was grounded on. The main
    one (the text, else the last of the others) keeps the chunk's key; the others are `<key>.<kind>`."""
    if not isinstance(chunk, dict):
        skips.skip("malformed entry", f"chunk {index}: not an object")
        return []
    role = ROLES.get(str(chunk.get("role") or "").lower())
    if role is None:
        skips.skip("aistudio chunk without a known role", f"chunk {index}: role {chunk.get('role')!r}")
        return []
    text, thought = _chunk_text(chunk)
    media = _media(chunk)
    items: list[tuple[Role, str | None, str]] = []  # (role, kind, markdown)
    if thought.strip():
        items.append(("assistant", "thinking", thought))
    items += _tools(chunk)
    body = "\n\n".join(p for p in (text.strip() and text, *media) if p)
    main = len(items) if body else len(items) - 1
    if body:
        items.append((role, "attachment" if media and not text.strip() else None, body))
    sources = _sources(chunk)
    if sources:
        items.append(("assistant", "sources", sources))
    if not items:
        skips.skip("aistudio error chunk" if chunk.get("errorMessage") else "aistudio empty chunk")
        return []
    key, when = f"chunk-{index}", _timestamp(chunk.get("createTime"))
    turns = []
    for i, (item_role, kind, markdown) in enumerate(items):
        item_key = key if i == main else f"{key}.{kind or i}"
        turns.append(
            TurnIn(
                key=item_key,
                message_id=item_key,  # the chunk's place: what the page's payload counts for completeness
                role=item_role,
                markdown=markdown,
                text=markdown_to_text(markdown) or markdown,
                model=model if item_role == "assistant" else None,
                created_at=when,
                kind=kind,
                current=True,
            )
        )
    return turns


def _tools(chunk: dict[str, Any]) -> list[tuple[Role, str | None, str]]:
    """Code execution and function calling, from the chunk itself and from its parts, in order."""
    out: list[tuple[Role, str | None, str]] = []
    parts = [p for p in chunk.get("parts") or [] if isinstance(p, dict)]
    for holder in (chunk, *parts):
        code = holder.get("executableCode")
        if isinstance(code, dict) and isinstance(code.get("code"), str):
            language = str(code.get("language") or "").lower().replace("language_unspecified", "")
            out.append(("assistant", "tool_use", f"```{language}\n{code['code'].rstrip()}\n```"))
        result = holder.get("codeExecutionResult")
        if isinstance(result, dict):
            outcome = str(result.get("outcome") or "")
            output = str(result.get("output") or "").rstrip()
            header = f"**{outcome}**\n\n" if outcome and outcome != "OUTCOME_OK" else ""
            out.append(("tool", "tool_result", f"{header}```\n{output}\n```" if output else header.strip()))
        call = holder.get("functionCall")
        if isinstance(call, dict) and call.get("name"):
            args = json.dumps(call.get("args") or {}, ensure_ascii=False, indent=2)
            out.append(("assistant", "tool_use", f"**{call['name']}**\n\n```json\n{args}\n```"))
        response = holder.get("functionResponse")
        if isinstance(response, dict) and response.get("name"):
            body = json.dumps(response.get("response") or {}, ensure_ascii=False, indent=2)
            out.append(("tool", "tool_result", f"**{response['name']}**\n\n```json\n{body}\n```"))
    return [item for item in out if item[2]]


def _sources(chunk: dict[str, Any]) -> str:
    """The web sources an answer was grounded on (Search grounding), as a numbered list of links."""
    grounding = _object(chunk.get("grounding")) or {}
    found: list[tuple[str, str]] = []
    for source in grounding.get("groundingSources") or []:  # the page's payload, named
        if isinstance(source, dict) and isinstance(source.get("uri"), str):
            found.append((str(source.get("title") or source["uri"]), source["uri"]))
    for item in grounding.get("groundingChunks") or []:  # the API's shape: {"web": {"uri", "title"}}
        web = item.get("web") if isinstance(item, dict) else None
        if isinstance(web, dict) and isinstance(web.get("uri"), str):
            found.append((str(web.get("title") or web["uri"]), web["uri"]))
    seen: set[str] = set()
    lines: list[str] = []
    for title, uri in found:
        if uri in seen or not uri.startswith(("https://", "http://")):
            continue
        seen.add(uri)
        lines.append(f"{len(lines) + 1}. [{title}]({uri})")
    return "**Sources**\n\n" + "\n".join(lines) if lines else ""


def _chunk_text(chunk: dict[str, Any]) -> tuple[str, str]:
    """(answer text, thought text) of one chunk: `text` for the whole chunk, or its `parts`."""
    parts = [p for p in chunk.get("parts") or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
    is_thought = bool(chunk.get("isThought"))
    if parts:
        thought = "".join(p["text"] for p in parts if p.get("thought") or is_thought)
        answer = "".join(p["text"] for p in parts if not (p.get("thought") or is_thought))
        if answer or thought:
            return answer, thought
    text = chunk.get("text")
    text = text if isinstance(text, str) else ""
    return ("", text) if is_thought else (text, "")


def _media(chunk: dict[str, Any]) -> list[str]:
    """The files a chunk is or holds: its own media keys, and its parts' (the API's part shape,
    `{"inlineData": {"mimeType", "data"}}` or `{"fileData": {"mimeType", "fileUri"}}`, the shape in
    which an image model's answer would carry its picture); the bytes are not kept, only a name."""
    found: list[str] = []
    parts = [p for p in chunk.get("parts") or [] if isinstance(p, dict)]
    own = [(chunk, key, label) for key, label in MEDIA if isinstance(chunk.get(key), dict)]
    # A chunk that names its file itself may repeat it in its parts: its parts are read only without.
    held = [(part, key, label) for part in parts for key, label in (*MEDIA, ("fileData", "file"))]
    for holder, key, label in own or held:
        value = holder.get(key)
        if not isinstance(value, dict):
            continue
        if key == "fileData" and isinstance(value.get("fileUri"), str):
            found.append(f"[{label}: {value['fileUri']}]")
            continue
        if key == "youtubeVideo" and value.get("videoUrl"):
            found.append(f"[{label}: {value['videoUrl']}]")
            continue
        ref = value.get("id") or value.get("fileName") or value.get("name") or value.get("mimeType")
        found.append(f"[{label}: {ref}]" if ref else f"[{label}]")
    return found


def _system_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if isinstance(value.get("text"), str):
        return value["text"].strip()
    parts = value.get("parts") or []
    return "\n\n".join(str(p["text"]).strip() for p in parts if isinstance(p, dict) and p.get("text")).strip()


def _timestamp(value: Any) -> float | None:
    """ISO 8601 (files), `[seconds, nanos]` or `{"seconds": ..}` (the page's payload); junk: None."""
    try:
        if isinstance(value, list) and value:
            return float(value[0]) + (float(value[1]) / 1e9 if len(value) > 1 and value[1] else 0.0)
        if isinstance(value, dict) and "seconds" in value:
            return float(value["seconds"]) + float(value.get("nanos") or 0) / 1e9
        return iso_to_unix(value) if isinstance(value, str) else None
    except (Malformed, TypeError, ValueError):
        return None


def _object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _model(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("models/")


def _drive_id(name: Any) -> str | None:
    if isinstance(name, str) and name.startswith("prompts/") and len(name) > len("prompts/"):
        return name.removeprefix("prompts/")
    return None


def _title(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def file_modified(seconds: float | None) -> float | None:
    """A file's modification time, unless it is clearly not one (a ZIP's 1980 default)."""
    if seconds is None or seconds < datetime(1990, 1, 1, tzinfo=UTC).timestamp():
        return None
    return seconds


# ---- merging a file with the chat captured live ---------------------------------------------


def adopt_live_id(conn: Any, payload: CaptureUpsert) -> None:
    """Write an imported file into the live-captured conversation it is a copy of, if there is one.

    Runs inside the import's write transaction. The match: an AI Studio conversation with a Drive id
    (not another file) whose first prompt has the same text; among several, the one with the same
    title; still several, none (a wrong merge would be worse than a second copy)."""
    conv = payload.conversation
    if conv.provider != "aistudio" or not conv.external_id.startswith(FILE_ID_PREFIX):
        return
    from ..store.capture import content_hash

    first = next((t for t in payload.turns if t.role == "user" and t.kind is None), None)
    if first is None:
        return
    digest = content_hash("user", first.text or first.markdown or "")
    already = conn.execute(
        "SELECT 1 FROM conversations WHERE provider = 'aistudio' AND external_id = ?", (conv.external_id,)
    ).fetchone()
    if already is not None:
        return  # imported before on its own: keep writing there
    # Per live-captured AI Studio chat, one probe of the (conversation_id, content_hash) index: its first
    # prompt (the user turn at its lowest position) has this text.
    rows = conn.execute(
        "SELECT c.external_id, c.title FROM conversations c"
        " WHERE c.provider = 'aistudio' AND c.external_id NOT LIKE ? AND c.deleted_at IS NULL"
        " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content_hash = ?"
        "   AND m.role = 'user' AND m.position = (SELECT MIN(m2.position) FROM messages m2"
        "                                         WHERE m2.conversation_id = c.id AND m2.role = 'user'))",
        (FILE_ID_PREFIX + "%", digest),
    ).fetchall()
    if len(rows) > 1 and conv.title:
        rows = [r for r in rows if (r["title"] or "").strip() == conv.title.strip()]
    if len(rows) == 1:
        conv.external_id = rows[0]["external_id"]
        conv.url = CONVERSATION_URL.format(id=conv.external_id)
