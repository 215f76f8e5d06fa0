"""What the MCP tools do, as plain async functions over a Runtime (tests call them directly).

Search and context go through the same handlers the extension's `search` and `context.build`
messages use (vivim.handlers.retrieval), so ranking, filters and the honest-state fields those replies
carry are the same everywhere; this module only renders their results for a model, with a
citation per hit: title, provider, date, `vivim://conversation/<id>#<message>` and the
provider's own URL. Every text result is cut to a budget before it leaves.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, get_args

from ..errors import InvalidPayload, NotFound
from ..protocol import Provider
from ..runtime import Runtime

PROVIDERS: tuple[str, ...] = get_args(Provider)
PROVIDER_NAMES = {
    "chatgpt": "ChatGPT",
    "claude": "Claude",
    "gemini": "Gemini",
    "claude-code": "Claude Code",
    "codex": "Codex",
    "gemini-cli": "Gemini CLI",
    "note": "Note",
}
DEFAULT_SEARCH_LIMIT = 10
MAX_SEARCH_LIMIT = 50
DEFAULT_CONVERSATION_TOKENS = 4_000
MAX_CONVERSATION_TOKENS = 20_000
MAX_RESULT_CHARS = 100_000  # no tool answer is longer than this, whatever the archive holds (~25k tokens)
CHARS_PER_TOKEN_CEILING = 8  # pre-cut before tokenizing: no WordPiece token is longer than this on average
MAX_RECENT_DAYS = 365
MAX_RECENT_CONVERSATIONS = 50
MAX_NOTE_CHARS = 20_000
WRITES_SETTING = "mcp.remember"
MARK_START, MARK_END = "\u0002", "\u0003"


# ---- small renderers --------------------------------------------------------------------------


def conversation_link(conversation_id: int, message_id: int | None = None) -> str:
    return f"vivim://conversation/{conversation_id}" + (f"#{message_id}" if message_id is not None else "")


def day(timestamp: float | None) -> str:
    if not timestamp:
        return "unknown date"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def cite(conversation: dict[str, Any], when: float | None, message_id: int | None = None) -> str:
    title = (conversation.get("title") or "Untitled conversation").strip()
    parts = [
        f'"{title}"',
        provider_name(conversation["provider"]),
        day(when),
        conversation_link(conversation["id"], message_id),
    ]
    if conversation.get("url"):
        parts.append(conversation["url"])
    return " · ".join(parts)


def cap(text: str, limit: int = MAX_RESULT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 80].rstrip() + f"\n\n… [cut: the full answer was {len(text):,} characters]"


def parse_date(value: str | None, name: str) -> float | None:
    """YYYY-MM-DD or ISO 8601 (naive = UTC) as unix seconds."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload(
            f"{name} must be a date like 2026-03-01 or 2026-03-01T14:00:00Z, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def check_provider(provider: str | None) -> str | None:
    if provider is None or provider == "":
        return None
    if provider not in PROVIDERS:
        raise InvalidPayload(f"provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    return provider


def clamp(value: int | None, default: int, low: int, high: int, name: str) -> int:
    if value is None:
        return default
    if value < low:
        raise InvalidPayload(f"{name} must be at least {low}")
    return min(value, high)


# ---- tools ------------------------------------------------------------------------------------


async def search_conversations(
    runtime: Runtime,
    query: str,
    provider: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> tuple[str, dict[str, Any]]:
    from ..handlers.retrieval import search as search_handler
    from ..protocol import Search

    if not query or not query.strip():
        raise InvalidPayload("query is empty: say what to look for, in words the conversation would use")
    payload = Search(
        query=query[:2_000],
        provider=check_provider(provider),
        since=parse_date(since, "since"),
        until=parse_date(until, "until"),
        limit=clamp(limit, DEFAULT_SEARCH_LIMIT, 1, MAX_SEARCH_LIMIT, "limit"),
    )
    result = await search_handler(runtime, payload)
    groups = result.get("results") or []
    lines = [f"{len(groups)} conversation(s) match {query!r} (search mode: {result.get('mode')})."]
    extra = {k: v for k, v in result.items() if k not in ("query", "mode", "results")}
    if extra:  # states the search reports about itself (e.g. indexing still running): the model should know
        lines.append("Search state: " + ", ".join(f"{k}={v}" for k, v in sorted(extra.items())))
    for n, group in enumerate(groups, 1):
        conversation = group["conversation"]
        hits = group.get("hits") or []
        first = hits[0] if hits else {}
        lines.append("")
        lines.append(f"[{n}] {cite(conversation, first.get('created_at') or conversation.get('updated_at'))}")
        for hit in hits:
            snippet = str(hit.get("snippet") or "").replace(MARK_START, "**").replace(MARK_END, "**")
            lines.append(
                f"  - {hit.get('role')}, {day(hit.get('created_at'))}, "
                f"{conversation_link(conversation['id'], hit.get('message_id'))}: {' '.join(snippet.split())}"
            )
    if not groups:
        lines.append("Nothing found. Try other words, fewer words, or no provider/date filter.")
    else:
        lines.append("")
        lines.append("Open one with get_conversation(id, around_message=<the number after #>).")
    return cap("\n".join(lines)), result


def _current_branch(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages on the branch the provider shows (siblings from regenerations left out)."""
    return [m for m in messages if m.get("is_current") is not False]


async def get_conversation(
    runtime: Runtime, id: int, around_message: int | None = None, max_tokens: int | None = None
) -> tuple[str, dict[str, Any]]:
    from ..store import conversations

    budget = clamp(max_tokens, DEFAULT_CONVERSATION_TOKENS, 200, MAX_CONVERSATION_TOKENS, "max_tokens")
    missing = InvalidPayload(
        f"there is no conversation {id}; take ids from search_conversations or recent_activity"
    )
    if not -(2**63) <= int(id) < 2**63:  # SQLite cannot even be asked about it
        raise missing
    try:
        data = await runtime.store.read(conversations.get_conversation, int(id))
    except NotFound:
        raise missing from None
    conversation = data["conversation"]
    messages = _current_branch(data["messages"])
    return render_conversation(conversation, messages, around_message, budget)


def render_conversation(
    conversation: dict[str, Any], messages: list[dict[str, Any]], around_message: int | None, budget: int
) -> tuple[str, dict[str, Any]]:
    """A window of the conversation within `budget` tokens: from the start, or centred on one message."""
    from ..retrieval.embedding import token_counter

    counter = token_counter()
    header = f"# {cite(conversation, conversation.get('created_at'))}\n{len(messages)} messages."
    used = counter.count(header)
    centre = 0
    if around_message is not None:
        ids = [m["id"] for m in messages]
        if around_message not in ids:
            raise InvalidPayload(
                f"message {around_message} is not in conversation {conversation['id']} "
                "(use the number after # in a vivim:// link)"
            )
        centre = ids.index(around_message)
    blocks: dict[int, str] = {}
    order = _outward(centre, len(messages)) if around_message is not None else range(len(messages))
    for index in order:
        message = messages[index]
        head = (
            f"## {message['role']}"
            + (f" ({message['kind']})" if message.get("kind") else "")
            + f" · {day(message.get('created_at'))} · {conversation_link(conversation['id'], message['id'])}"
        )
        body = str(message.get("markdown") or message.get("text") or "")
        room = budget - used - counter.count(head) - 2
        if room < 16:
            break
        body = body[: room * CHARS_PER_TOKEN_CEILING]  # a 10 MB message never reaches the tokenizer whole
        body_tokens = counter.count(body)
        if body_tokens > room:
            body = counter.truncate(body, room - 4).rstrip() + " … [message cut to fit the budget]"
            body_tokens = counter.count(body)
        blocks[index] = f"{head}\n{body}"
        used += counter.count(head) + body_tokens + 2
    shown = sorted(blocks)
    notes = []
    if shown and shown[0] > 0:
        notes.append(
            f"{shown[0]} earlier message(s) not shown: call again with around_message="
            f"{messages[shown[0] - 1]['id']}."
        )
    if shown and shown[-1] < len(messages) - 1:
        notes.append(
            f"{len(messages) - 1 - shown[-1]} later message(s) not shown: call again with around_message="
            f"{messages[shown[-1] + 1]['id']}."
        )
    text = "\n\n".join([header, *(blocks[i] for i in shown), *notes])
    structured = {
        "conversation": conversation,
        "message_ids": [messages[i]["id"] for i in shown],
        "total_messages": len(messages),
        "tokens": used,
        "budget": budget,
    }
    return cap(text), structured


def _outward(centre: int, count: int) -> list[int]:
    order = [centre]
    for step in range(1, count):
        for index in (centre - step, centre + step):
            if 0 <= index < count:
                order.append(index)
    return order


async def build_context(
    runtime: Runtime, draft: str, token_budget: int | None = None
) -> tuple[str, dict[str, Any]]:
    from ..handlers.retrieval import context_build
    from ..protocol import ContextBuild
    from ..store import settings

    if not draft or not draft.strip():
        raise InvalidPayload("draft is empty: pass the prompt you are about to send")
    configured = await runtime.store.read(
        settings.get_settings, ["context.token_budget", "context.max_items"]
    )
    budget = clamp(token_budget, int(configured["context.token_budget"]), 0, 8_000, "token_budget")
    result = await context_build(
        runtime,
        ContextBuild(draft=draft, token_budget=budget, max_items=int(configured["context.max_items"])),
    )
    if not result.get("text"):
        return "No relevant past conversations for this draft.", result
    sources = [
        f"[{n}] {cite({'id': i['conversation_id'], 'title': i.get('title'), 'provider': i['provider'], 'url': i.get('url')}, i.get('created_at'), i.get('message_id'))}"
        for n, i in enumerate(result.get("items") or [], 1)
    ]
    return cap(result["text"] + "\n\nSources:\n" + "\n".join(sources)), result


def _recent(conn: Any, since: float, provider: str | None) -> list[dict[str, Any]]:
    where = "m.created_at >= ? AND c.deleted_at IS NULL"
    params: list[Any] = [since]
    if provider:
        where += " AND c.provider = ?"
        params.append(provider)
    rows = conn.execute(
        "SELECT c.id, c.provider, c.title, c.url, COUNT(*) AS messages, MAX(m.created_at) AS last_at,"
        " MIN(m.created_at) AS first_at FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE {where} GROUP BY c.id ORDER BY last_at DESC LIMIT ?",
        (*params, MAX_RECENT_CONVERSATIONS),
    ).fetchall()
    found = []
    for row in rows:
        item = dict(row)
        ask = conn.execute(
            "SELECT id, text FROM messages WHERE conversation_id = ? AND role = 'user' AND created_at >= ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (row["id"], since),
        ).fetchone()
        item["last_user_message"] = (
            {"id": ask["id"], "text": " ".join(ask["text"].split())[:200]} if ask else None
        )
        found.append(item)
    return found


async def recent_activity(
    runtime: Runtime, days: int | None = None, provider: str | None = None
) -> tuple[str, dict[str, Any]]:
    span = clamp(days, 7, 1, MAX_RECENT_DAYS, "days")
    since = time.time() - span * 86_400
    items = await runtime.store.read(_recent, since, check_provider(provider))
    lines = [
        f"{len(items)} conversation(s) with activity in the last {span} day(s)"
        + (f" on {provider_name(provider)}" if provider else "")
        + ", newest first."
    ]
    for n, item in enumerate(items, 1):
        lines.append("")
        lines.append(f"[{n}] {cite(item, item['last_at'])}")
        lines.append(
            f"  {item['messages']} message(s) between {day(item['first_at'])} and {day(item['last_at'])}"
        )
        if item["last_user_message"]:
            ask = item["last_user_message"]
            lines.append(f"  last asked ({conversation_link(item['id'], ask['id'])}): {ask['text']}")
    return cap("\n".join(lines)), {"days": span, "provider": provider, "conversations": items}


async def writes_enabled(runtime: Runtime) -> bool:
    from ..store import settings

    return bool((await runtime.store.read(settings.get_settings, [WRITES_SETTING]))[WRITES_SETTING])


def _store_note(conn: Any, text: str, tags: list[str], now: float) -> dict[str, Any]:
    from ..protocol import CaptureUpsert, ConversationIn, TurnIn
    from ..store.capture import upsert_capture
    from ..sync.library import add_tag

    title = " ".join(text.split())[:80]
    capture = CaptureUpsert(
        conversation=ConversationIn(
            provider="note", external_id=uuid.uuid4().hex, title=title, created_at=now
        ),
        turns=[TurnIn(key="note", role="user", text=text, markdown=text, created_at=now, kind="note")],
        source="capture",
    )
    result = upsert_capture(conn, capture, now)
    for tag in tags:
        add_tag(conn, result.conversation_id, tag)
    row = conn.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND key = 'note'", (result.conversation_id,)
    ).fetchone()
    return {
        "conversation_id": result.conversation_id,
        "message_id": row[0] if row else None,
        "title": title,
        "tags": tags,
    }


async def remember(runtime: Runtime, text: str, tags: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    if not await writes_enabled(runtime):
        raise InvalidPayload(
            "remember is turned off: VIVIM only stores notes from AI clients when the user allows it "
            f"(setting {WRITES_SETTING} = true, `vivim mcp remember on`). Tell the user instead."
        )
    if not text or not text.strip():
        raise InvalidPayload("text is empty: pass the note to keep")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidPayload(
            f"a note holds at most {MAX_NOTE_CHARS:,} characters; this one has {len(text):,}"
        )
    clean_tags = sorted({" ".join(str(t).split())[:64] for t in (tags or []) if str(t).strip()})
    stored = await runtime.store.write(_store_note, text.strip(), clean_tags, time.time())
    link = conversation_link(stored["conversation_id"], stored["message_id"])
    return f'Stored the note "{stored["title"]}" as {link}.', stored
