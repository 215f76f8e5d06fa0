"""Grok's data export (`prod-grok-backend.json`) and the conversation JSON grok.com's page loads.

The export (grok.com → Settings → Data → Download your data, or accounts.x.ai) is a ZIP holding
`ttl/30d/export_data/<user uuid>/prod-grok-backend.json` (plus account files this importer leaves
alone: `prod-mc-auth-mgmt-api.json`, `prod-mc-billing.json`, `prod-mc-asset-server/`). Its shape,
as the tools that read real exports document it (2025/2026):

    {"conversations": [{"conversation": {"id", "title", "create_time", "modify_time", ...},
                        "responses": [{"response": {"_id", "conversation_id", "message", "sender",
                                        "create_time": {"$date": {"$numberLong": "<ms>"}},
                                        "parent_response_id", "model", "thinking_trace",
                                        "web_search_results", "cited_web_search_results",
                                        "generated_image_urls", "file_attachments", ...},
                                       "share_link": ...}, ...]}, ...],
     "projects": [...], "tasks": [...], "media_posts": [...]}

`sender` is "human" for prompts and anything else ("assistant", "ASSISTANT", a model name) for
answers. Message times are BSON dates (or ISO strings); conversation times ISO 8601. Responses are
a tree through `parent_response_id` (an edited prompt or a regenerated answer is a sibling); the
export does not say which branch was on screen, so the newest leaf's path is marked current.

The page (content/sites/grok.net.js) loads the same responses with
POST /rest/app-chat/conversations/<id>/load-responses → {"responses": [{"responseId", "message",
"sender", "createTime", "parentResponseId", "model", "thinkingTrace", "webSearchResults", ...}]}:
the same fields in camelCase, unwrapped. `page_conversation` reads that through the same code.
Before it, the page GETs .../response-node?includeThreads=true → {"responseNodes": [{"responseId",
"sender", "parentResponseId"}], "inflightResponses": [...]}: the whole tree, without text (`tree`).
load-responses may hold only some of it (the ids the page asked for), so the host counts the tree.
The tree's root names a parent that is in no list (a conversation-level node): a root, not a gap.

A response becomes up to three turns, chained: its reasoning (`kind` "thinking"), the web pages it
cited (role "tool", `kind` "sources"), then its visible text under the response's own id, the id the
page puts on the turn's element (id="response-<uuid>"), so live capture and import share keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..protocol import CaptureUpsert, ConversationIn, Role, Source, TurnIn
from .common import (
    ITEM_ERRORS,
    Malformed,
    SkipLog,
    each_conversation,
    iso_to_unix,
    message_turns,
)

CONVERSATION_URL = "https://grok.com/c/{id}"
ITEMS_PREFIX = "conversations.item"  # the conversations sit under a top-level object
ITEM_KEYS = ("responses",)  # a key only Grok's conversation items have (beside "conversation")
FILE_NAMES = ("prod-grok-backend.json",)  # the export's file: not named conversations*.json
MAX_SOURCES = 30
ASSETS = "https://assets.grok.com/"  # where the export's relative generated-image paths live
# An answer's text marks where the page draws a card (a cited page, a searched image) with
# `<grok:render card_id="…" card_type="citation_card" type="render_inline_citation"><argument
# name="citation_id">3</argument></grok:render>`; the card itself is one of the response's
# `card_attachments_json` (JSON strings: {"id", "cardType", "url", "image": {"title", "link"}}).
# A document Grok writes beside the answer sits inline as `<xaiArtifact artifact_id="…"
# title="plan.md" contentType="text/markdown">…</xaiArtifact>`.
_RENDER = re.compile(r"<grok:render\b([^>]*)>.*?</grok:render>|<grok:render\b[^>]*/>", re.S)
_ARTIFACT = re.compile(r"<xaiArtifact\b([^>]*)>(.*?)</xaiArtifact>", re.S)


def parse(items: Iterator[Any], skips: SkipLog) -> Iterator[CaptureUpsert]:
    return each_conversation(items, skips, conversation, _name, (*ITEM_ERRORS, OverflowError))


def _name(item: Any) -> object:
    meta = item.get("conversation") if isinstance(item, dict) else None
    return (meta.get("id") or meta.get("title")) if isinstance(meta, dict) else type(item).__name__


def conversation(item: dict[str, Any], skips: SkipLog) -> CaptureUpsert:
    """One exported conversation: `{"conversation": {...}, "responses": [{"response": {...}}]}`."""
    if not isinstance(item, dict):
        raise Malformed("a conversation must be an object")
    meta = item.get("conversation")
    wrapped = item.get("responses")
    if not isinstance(meta, dict) or not meta.get("id") or not isinstance(wrapped, list):
        raise Malformed("no conversation id or no responses list")
    responses = [w.get("response") if isinstance(w, dict) and "response" in w else w for w in wrapped]
    return _build(
        str(meta["id"]),
        responses,
        skips,
        title=meta.get("title") or None,
        created=_time(meta.get("create_time")),
        updated=_quiet_time(meta.get("modify_time")),
        source="import",
    )


def page_conversation(doc: dict[str, Any], external_id: str, skips: SkipLog) -> CaptureUpsert:
    """The page's `load-responses` body for conversation `external_id`."""
    responses = doc.get("responses")
    if not isinstance(responses, list):
        raise Malformed("no responses list")
    return _build(external_id, responses, skips, title=None, created=None, updated=None, source="network")


def field(response: dict[str, Any], snake: str) -> Any:
    """A response field by its export name, or the page's camelCase name for it."""
    if snake in response:
        return response[snake]
    head, *rest = snake.lstrip("_").split("_")
    camel = head + "".join(part.title() for part in rest)
    if snake == "_id":
        camel = "responseId"
    return response.get(camel)


def response_id(response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    rid = field(response, "_id")
    return str(rid) if rid else None


def is_tree(doc: Any) -> bool:
    """The page's response-node body: the conversation's whole tree of response ids."""
    return isinstance(doc, dict) and isinstance(doc.get("responseNodes"), list)


def tree(doc: dict[str, Any]) -> dict[str, str | None]:
    """response id -> parent response id, from a response-node body (nodes without an id: refused)."""
    nodes = doc["responseNodes"]
    out: dict[str, str | None] = {}
    for node in nodes:
        rid = node.get("responseId") if isinstance(node, dict) else None
        if not isinstance(rid, str) or not rid:
            raise Malformed("a response node without a responseId")
        parent = node.get("parentResponseId")
        out[rid] = parent if isinstance(parent, str) and parent else None
    return out


def is_empty(response: dict[str, Any]) -> bool:
    """A response with nothing to store (no text, reasoning, sources, images or files)."""
    return not _blocks(response)


def _build(
    conv_id: str,
    responses: list[Any],
    skips: SkipLog,
    *,
    title: str | None,
    created: float | None,
    updated: float | None,
    source: Source,
) -> CaptureUpsert:
    kept: list[dict[str, Any]] = []
    for response in responses:
        if response_id(response) is None:
            skips.skip("grok response without id")
        else:
            kept.append(response)
    ids = {response_id(r) for r in kept}
    blocks = {response_id(r): _blocks(r) for r in kept}
    empty = {rid for rid, b in blocks.items() if not b}
    skips.reasons["grok empty response"] += len(empty)
    raw_parent = {response_id(r): _parent(r) for r in kept}
    kept = [r for r in kept if response_id(r) not in empty]
    # Children of a dropped (empty) response attach to its parent; a parent outside the file: a root.
    parents: dict[str, str | None] = {}
    for response in kept:
        rid = str(response_id(response))
        parent, seen = raw_parent[rid], set()
        while parent in empty and parent not in seen:
            seen.add(parent)
            parent = raw_parent.get(parent)
        parents[rid] = parent if parent in ids and parent not in empty else None
    times = {str(response_id(r)): _quiet_time(field(r, "create_time")) for r in kept}
    kept.sort(key=lambda r: times[str(response_id(r))] or 0.0)
    kept = _parents_first(kept, parents)
    current = _current_path(kept, parents)
    depth: dict[str, int] = {}
    turns: list[TurnIn] = []
    for response in kept:  # oldest first, so a parent's depth is known before its children's
        rid = str(response_id(response))
        parent = parents[rid]
        position = depth.get(parent, 0) if parent is not None else 0
        role: Role = "user" if _is_prompt(response) else "assistant"
        turns += message_turns(
            rid,
            blocks[rid],
            role=role,
            parent_key=parent,
            position=position,
            created_at=times[rid] or created,
            current=rid in current,
            model=(field(response, "model") or None) if role == "assistant" else None,
            kind_roles={"sources": "tool"},
        )
        depth[rid] = position + len(blocks[rid])
    models = [t.model for t in turns if t.model]
    last_activity = max((t for t in times.values() if t is not None), default=None)
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="grok",
            external_id=conv_id,
            title=title,
            url=CONVERSATION_URL.format(id=conv_id),
            model=models[-1] if models else None,
            created_at=created or min((t for t in times.values() if t is not None), default=None),
            updated_at=updated or last_activity,  # the provider's last activity
        ),
        turns=turns,
        source=source,
    )


def _parents_first(ordered: list[dict[str, Any]], parents: dict[str, str | None]) -> list[dict[str, Any]]:
    """The responses in their given (time) order, but never a child before its parent: a payload without
    `createTime` (or with one clock skewed) still numbers each turn after the one it answers."""
    by_id = {str(response_id(r)): r for r in ordered}
    out: list[dict[str, Any]] = []
    done: set[str] = set()
    for response in ordered:
        chain: list[str] = []
        rid: str | None = str(response_id(response))
        while rid is not None and rid in by_id and rid not in done and rid not in chain:
            chain.append(rid)
            rid = parents.get(rid)
        for ancestor in reversed(chain):
            done.add(ancestor)
            out.append(by_id[ancestor])
    return out


def _is_prompt(response: dict[str, Any]) -> bool:
    return str(field(response, "sender") or "").strip().lower() in ("human", "user")


def _parent(response: dict[str, Any]) -> str | None:
    parent = field(response, "parent_response_id")
    return str(parent) if parent else None


def _blocks(response: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(kind, markdown) per turn of one response: reasoning and sources first, visible text last."""
    out: list[tuple[str | None, str]] = []
    if not _is_prompt(response):
        trace = field(response, "thinking_trace")
        if isinstance(trace, str) and trace.strip():
            out.append(("thinking", trace.strip()))
        sources = _sources(response)
        if sources:
            out.append(("sources", "**Sources**\n\n" + "\n".join(sources)))
    message = field(response, "message")
    text = message.strip() if isinstance(message, str) else ""
    if not _is_prompt(response) and "<" in text:
        text = _render_markup(text, _cards(field(response, "card_attachments_json")))
    images = [u for u in field(response, "generated_image_urls") or [] if isinstance(u, str) and u]
    if images:
        links = (u if u.startswith(("http://", "https://")) else ASSETS + u.lstrip("/") for u in images)
        text = "\n\n".join([text, *(f"![generated image]({u})" for u in links)]).strip()
    files = [
        str(f.get("fileName") or f.get("file_name") or f.get("fileMetadataId") or "")
        if isinstance(f, dict)
        else str(f)
        for f in field(response, "file_attachments") or []
    ]
    if not text and not files:
        error = field(response, "error")
        text = f"*{error}*" if isinstance(error, str) and error.strip() else ""
    if files and _is_prompt(response):
        text = "\n\n".join([text, *(f"[attachment `{f}`]" for f in files if f)]).strip()
    return [*out, (None, text)] if text else out


def _cards(raw: Any) -> dict[str, dict[str, Any]]:
    """A response's cards by id (each is a JSON string; a malformed one only loses its link)."""
    cards: dict[str, dict[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        try:
            card = json.loads(item) if isinstance(item, str) else item
        except ValueError:
            continue
        if isinstance(card, dict) and card.get("id"):
            cards[str(card["id"])] = card
    return cards


def _render_markup(text: str, cards: dict[str, dict[str, Any]]) -> str:
    """The answer as the page shows it: cards as links, artifacts as documents, no markup left."""

    def card(match: re.Match[str]) -> str:
        found = cards.get(_attribute(match.group(1) or "", "card_id") or "")
        url = found.get("url") if found else None
        image = found.get("image") if found else None
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return f" [{_host(url)}]({url})"
        if (
            isinstance(image, dict)
            and isinstance(image.get("link"), str)
            and image["link"].startswith("http")
        ):
            label = " ".join(str(image.get("title") or _host(image["link"])).split()).replace("]", ")")
            return f" [{label}]({image['link']})"
        return ""

    def artifact(match: re.Match[str]) -> str:
        title = _attribute(match.group(1), "title") or "Artifact"
        doc_type = (_attribute(match.group(1), "contentType") or "").lower()
        content = match.group(2).strip("\n")
        if doc_type in ("", "text/markdown", "text/plain"):
            body = content  # prose, shown as Markdown
        else:
            language = re.sub(r"[^a-z0-9+#-]", "", doc_type.rpartition("/")[2].removeprefix("x-"))
            fence = "````" if "```" in content else "```"
            body = f"{fence}{language}\n{content}\n{fence}"
        return f"\x00**Artifact: {title}**\n\n{body}\x01"  # a blank line each side; the text's own kept

    text = _RENDER.sub(card, text)
    if not _ARTIFACT.search(text):
        return text.strip()
    text = _ARTIFACT.sub(artifact, text.replace("\x00", "").replace("\x01", ""))
    return re.sub(r"\x01[ \t]*\n*", "\n\n", re.sub(r"\n*[ \t]*\x00", "\n\n", text)).strip()


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attributes)
    return match.group(1) if match else None


def _host(url: str) -> str:
    host = urlsplit(url).hostname or "source"
    return host[4:] if host.startswith("www.") else host


def _sources(response: dict[str, Any]) -> list[str]:
    """The web pages an answer cited (or, without citations, searched), as Markdown links."""
    results = field(response, "cited_web_search_results") or field(response, "web_search_results") or []
    lines: list[str] = []
    for result in results if isinstance(results, list) else []:
        url = result.get("url") if isinstance(result, dict) else None
        if isinstance(url, str) and url.startswith(("http://", "https://")) and len(lines) < MAX_SOURCES:
            title = " ".join(str(result.get("title") or url).split()).replace("[", "(").replace("]", ")")
            lines.append(f"- [{title}]({url.replace(')', '%29').replace(' ', '%20')})")
    return lines


def _current_path(kept: list[dict[str, Any]], parents: dict[str, str | None]) -> set[str]:
    """The newest leaf's path: the branch the user last continued (the export names none)."""
    if not kept:
        return set()
    leaf: str | None = str(response_id(kept[-1]))  # kept is sorted oldest first
    path: set[str] = set()
    while leaf is not None and leaf not in path:
        path.add(leaf)
        leaf = parents.get(leaf)
    return path


def _time(value: Any) -> float | None:
    """A BSON date (`{"$date": {"$numberLong": "<ms>"}}`, `{"$date": "<iso>"}`), ISO 8601 or seconds."""
    if isinstance(value, dict):
        inner = value.get("$date")
        if isinstance(inner, dict):
            inner = inner.get("$numberLong")
            if inner is None:
                raise Malformed(f"not a date: {value!r}")
            return int(str(inner)) / 1000.0
        value = inner
    if isinstance(value, (int, float)) and value > 1e11:  # milliseconds
        return float(value) / 1000.0
    return iso_to_unix(value)


def _quiet_time(value: Any) -> float | None:
    """A malformed date only loses the date, never the message."""
    try:
        return _time(value)
    except (Malformed, ValueError, TypeError, OverflowError):
        return None
