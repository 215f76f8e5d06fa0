"""Perplexity's thread JSON (what www.perplexity.ai/search/<slug> loads from GET /rest/thread/<slug>),
as stored turns with each answer's cited sources kept.

Perplexity has no official full export (a thread can be exported one at a time as Markdown or PDF from
its menu, without ids, sources' snippets or the thread's structure), so this is the only complete path:
the page's own payload, observed by the extension (content/sites/perplexity.net.js).

A page: {status, entries: [entry...], has_next_page, next_cursor}; a long thread comes in several pages,
which are joined by entry id. An entry is one query and its answer:
  uuid / backend_uuid, query_str, thread_title, thread_url_slug, display_model, status ("COMPLETED"…),
  updated_datetime / entry_updated_datetime, and the answer in one of two generations:
  - blocks: [{intended_usage: "ask_text" | "ask_text_0_markdown", markdown_block: {answer, chunks}},
             {intended_usage: "web_results" | "sources_answer_mode", web_result_block: {web_results},
              sources_mode_block: {rows: [{web_result}]}}, …]   (2025/2026)
  - text: a JSON string, either {answer, web_results} or a list of steps whose "FINAL" step's
    content.answer is that JSON string again                   (2024)
Citations in the answer are `[n]` markers, 1-based into the answer's web results; they become links.
`[label](pplx://…)` links (follow-up actions inside the app) become their label.

Per entry three turns, one chain: the query (`<uuid>:query`), the answer (`<uuid>`), and the answer's
sources (`<uuid>:sources`, kind "sources", a numbered list of titles and URLs) so every cited URL is kept
even where the rendered page showed only the first of a group ("wikipedia +2").
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from .common import Malformed, SkipLog, iso_to_unix, markdown_to_text

CONVERSATION_URL = "https://www.perplexity.ai/search/{id}"
CITATION = re.compile(r"\[(\d{1,3})\]")
APP_LINK = re.compile(r"\[([^\]\n]*)\]\(pplx://[^)\s]*\)")
SOURCE_BLOCKS = ("web_results", "sources_answer_mode", "sources")
# The answer's block: `ask_text`, or (2025/2026 pages and streams, as public clients and exporters read
# them) `ask_text_0_markdown`, sometimes the only one an entry carries.
ANSWER_BLOCK = re.compile(r"ask_text(?:_\d+_markdown)?")
MAX_SOURCES = 200
RUNNING = {"PENDING", "IN_PROGRESS", "RUNNING", "STREAMING"}
THREAD_IDS = ("context_uuid", "frontend_context_uuid", "uuid", "backend_uuid", "frontend_uuid")


def is_thread_page(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("entries"), list)


def entry_id(entry: dict[str, Any]) -> str:
    value = entry.get("backend_uuid") or entry.get("uuid") or entry.get("frontend_uuid")
    if not isinstance(value, str) or not value:
        raise Malformed("a thread entry without an id")
    return value


def entry_ids(page: dict[str, Any]) -> set[str]:
    return {entry_id(e) for e in page["entries"] if isinstance(e, dict)}


def ordered(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pages oldest first, by the earliest time among their entries (stable for equal times)."""

    def earliest(page: dict[str, Any]) -> str:
        times = [str(e.get("updated_datetime") or "") for e in page["entries"] if isinstance(e, dict)]
        return min((t for t in times if t), default="")

    return sorted(pages, key=earliest)


def join_pages(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of every page (ordered), each once (the last copy seen), entries in page order."""
    order: list[str] = []
    newest: dict[str, dict[str, Any]] = {}
    for page in pages:
        for entry in page["entries"]:
            if not isinstance(entry, dict):
                raise Malformed("a thread entry that is not an object")
            uid = entry_id(entry)
            if uid not in newest:
                order.append(uid)
            newest[uid] = entry
    return [newest[uid] for uid in order]


def whole(pages: list[dict[str, Any]]) -> bool:
    """Every page of the thread is here: the last page (by its entries' times) says there is no next
    one, and every earlier page says there was one. The page loads a thread from its first entry
    (`from_first=true`, offset 0 first), so a chain that ends is whole; a payload says nothing of its
    own offset, so a chain whose first page never reached the host (dropped while the host was down)
    would be taken as whole: the one case this cannot see."""
    if not pages:
        return False
    return pages[-1].get("has_next_page") is not True and all(
        p.get("has_next_page") is True for p in pages[:-1]
    )


def _answer_json(value: Any) -> dict[str, Any] | None:
    """The 2024 `text` field: {answer, web_results}, or steps with a FINAL step holding that JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"answer": value}
    if isinstance(value, dict):
        return value if "answer" in value else None
    if isinstance(value, list):
        for step in reversed(value):
            if isinstance(step, dict) and step.get("step_type") == "FINAL":
                content = step.get("content") or {}
                return _answer_json(content.get("answer") if isinstance(content, dict) else None)
    return None


def answer_and_sources(entry: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    answer: str | None = None
    answer_from_ask_text = False
    sources: list[dict[str, str]] = []
    for block in entry.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        usage = str(block.get("intended_usage") or "")
        markdown_block = block.get("markdown_block")
        if ANSWER_BLOCK.fullmatch(usage) and isinstance(markdown_block, dict):
            text = markdown_block.get("answer")
            chunks = markdown_block.get("chunks")
            if isinstance(text, str):
                found = text
            elif isinstance(chunks, list):
                found = "".join(c for c in chunks if isinstance(c, str))
            else:
                continue
            # `ask_text` and `ask_text_0_markdown` carry the same answer when both are present: one counts.
            if answer is None or (usage == "ask_text" and not answer_from_ask_text):
                answer, answer_from_ask_text = found, usage == "ask_text"
        if usage in SOURCE_BLOCKS and not sources:
            sources = _sources_of(block)
    if answer is None:
        legacy = _answer_json(entry.get("text"))
        if legacy is not None:
            answer = str(legacy.get("answer") or "")
            if not sources:
                sources = _results(legacy.get("web_results"))
    return answer or "", sources


def _sources_of(block: dict[str, Any]) -> list[dict[str, str]]:
    for value in block.values():
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("web_results"), list):
            return _results(value["web_results"])
        if isinstance(value.get("rows"), list):
            return _results([r.get("web_result") for r in value["rows"] if isinstance(r, dict)])
    return []


def _results(items: Any) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        url = item["url"].strip()
        if not re.match(r"^https?://", url, re.I):
            continue  # a page's own attachment or an app link: not a cited web page
        name = item.get("name") or item.get("title") or url
        out.append({"url": url, "name": " ".join(str(name).split())[:300]})
        if len(out) >= MAX_SOURCES:
            break
    return out


def _md_label(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def answer_markdown(answer: str, sources: list[dict[str, str]]) -> tuple[str, str]:
    """(Markdown with each `[n]` a link to its source, text without the markers: the page's words)."""
    answer = APP_LINK.sub(r"\1", answer)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if 1 <= n <= len(sources):
            return f"[{n}]({_md_url(sources[n - 1]['url'])})"
        return match.group(0)

    markdown = CITATION.sub(link, answer).strip()
    text = markdown_to_text(CITATION.sub("", answer)) or ""
    return markdown, text


def sources_markdown(sources: list[dict[str, str]]) -> str:
    return "\n".join(f"{i}. [{_md_label(s['name'])}]({_md_url(s['url'])})" for i, s in enumerate(sources, 1))


def conversation(pages: list[dict[str, Any]], external_id: str, skips: SkipLog) -> CaptureUpsert:
    """The thread's turns from its pages (one or more, ordered: see `ordered`)."""
    entries = join_pages(pages)
    if not entries:
        raise Malformed("a thread without entries")
    turns: list[TurnIn] = []
    parent: str | None = None
    title: str | None = None
    model: str | None = None
    for i, entry in enumerate(entries):
        uid = entry_id(entry)
        query = entry.get("query_str")
        if not isinstance(query, str):
            skips.skip("perplexity entry without a query", uid)
            continue
        title = title or (entry.get("thread_title") if isinstance(entry.get("thread_title"), str) else None)
        entry_model = entry.get("display_model") or entry.get("user_selected_model")
        model = str(entry_model) if entry_model else model
        when = iso_to_unix(entry.get("updated_datetime") or entry.get("entry_updated_datetime"))
        running = str(entry.get("status") or "").upper() in RUNNING
        answer, sources = answer_and_sources(entry)
        markdown, text = answer_markdown(answer, sources)
        query_key = f"{uid}:query"
        turns.append(
            TurnIn(
                key=query_key,
                parent_key=parent,
                message_id=query_key,
                position=3 * i,
                role="user",
                markdown=query,
                text=query.strip(),
                created_at=when,
            )
        )
        parent = query_key
        if not markdown and not running:
            skips.skip("perplexity entry without an answer", uid)
            continue
        turns.append(
            TurnIn(
                key=uid,
                parent_key=parent,
                message_id=uid,
                position=3 * i + 1,
                role="assistant",
                model=str(entry_model) if entry_model else None,
                markdown=markdown,
                text=text or markdown,
                status="streaming" if running else "complete",
                created_at=when,
            )
        )
        parent = uid
        if sources:
            listing = sources_markdown(sources)
            turns.append(
                TurnIn(
                    key=f"{uid}:sources",
                    parent_key=parent,
                    message_id=f"{uid}:sources",
                    position=3 * i + 2,
                    role="assistant",
                    markdown=listing,
                    text="\n".join(f"{s['name']} {s['url']}" for s in sources),
                    created_at=when,
                    kind="sources",
                )
            )
            parent = f"{uid}:sources"
    slug = next(
        (e.get("thread_url_slug") for e in entries if isinstance(e.get("thread_url_slug"), str)), None
    )
    if slug is not None and slug != external_id:
        # Loaded by one of the thread's own ids (its context uuid, an entry's uuid): stored under the slug,
        # the id of its page, so the DOM's turns and these are one conversation.
        own = {str(e.get(k)) for e in entries for k in THREAD_IDS if e.get(k)}
        if external_id not in own:
            raise Malformed("the payload is another thread than the page's")
        external_id = slug
    return CaptureUpsert(
        conversation=ConversationIn(
            provider="perplexity",
            external_id=external_id,
            title=title,
            url=CONVERSATION_URL.format(id=external_id),
            model=model,
        ),
        turns=turns,
        source="network",
    )
