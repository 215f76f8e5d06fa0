"""Perplexity thread payloads in the shape www.perplexity.ai loads from GET /rest/thread/<slug>
(see host/vivim/importers/perplexity_thread.py), and a thread page that loads and renders them the
way the site does. Our own text; the structure is the site's."""

from __future__ import annotations

import html
import json
from typing import Any

SLUG = "why-do-tide-tables-differ-AbC1dEf2GhI3jKl4MnO5pQ"
API = "https://www.perplexity.ai/rest/thread/{slug}"
QUERY = "?with_parent_info=true&with_schematized_response=true&version=2.18&source=default&limit={limit}&offset={offset}&from_first=true"


def entry_uuid(i: int) -> str:
    return f"0b7e{i:04x}-5c2d-4e1f-9a8b-7c6d5e4f3a2b"


def query_text(i: int) -> str:
    return f"Question {i}: what sets the tidal range in harbour number {i}?"


def answer_text(i: int) -> str:
    return f"Harbour {i} has a range set by its basin shape and the shelf in front of it."


def web_result(n: int, i: int) -> dict[str, Any]:
    return {
        "name": f"Tide note {i}.{n}",
        "url": f"https://tides.example.org/notes/{i}/{n}",
        "snippet": f"Snippet {n} for harbour {i}.",
        "timestamp": "2026-03-02T10:00:00",
        "is_attachment": False,
    }


def entry(
    i: int,
    slug: str = SLUG,
    *,
    query: str | None = None,
    answer: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    status: str = "COMPLETED",
    model: str = "pplx_pro",
) -> dict[str, Any]:
    """One entry of a thread: a query and its answer, in the 2025/2026 `blocks` generation."""
    results = sources if sources is not None else [web_result(n, i) for n in (1, 2)]
    text = answer if answer is not None else f"{answer_text(i)}[1][2]"
    return {
        "backend_uuid": entry_uuid(i),
        "context_uuid": "c0ffee00-1111-4222-8333-444455556666",
        "uuid": entry_uuid(i),
        "frontend_context_uuid": "f00dface-1111-4222-8333-444455556666",
        "frontend_uuid": f"fe{i:06x}-0000-4000-8000-000000000000",
        "status": status,
        "thread_title": "Why do tide tables differ between nearby harbours?",
        "related_queries": ["How are tide tables computed?"],
        "display_model": model,
        "user_selected_model": model,
        "mode": "COPILOT",
        "query_str": query if query is not None else query_text(i),
        "search_focus": "internet",
        "source": "default",
        "updated_datetime": f"2026-03-02T10:{i // 60:02d}:{i % 60:02d}.000000",
        "thread_url_slug": slug,
        "step_type": "FINAL",
        "privacy_state": "NONE",
        "blocks": [
            {
                "intended_usage": "web_results",
                "web_result_block": {"progress": "DONE", "web_results": results},
            },
            {
                "intended_usage": "ask_text",
                "markdown_block": {"progress": "DONE", "chunks": [text], "answer": text},
            },
            {
                "intended_usage": "sources_answer_mode",
                "sources_mode_block": {
                    "rows": [{"web_result": r, "citation": n + 1} for n, r in enumerate(results)]
                },
            },
        ],
    }


def page(entries: list[dict[str, Any]], *, has_next: bool = False) -> dict[str, Any]:
    return {
        "status": "success",
        "entries": entries,
        "has_next_page": has_next,
        "next_cursor": "cursor-after" if has_next else None,
    }


def thread_pages(n: int, per_page: int, slug: str = SLUG) -> list[tuple[str, dict[str, Any]]]:
    """(API URL with its query, page) for a thread of n entries loaded from the first, per_page at a time."""
    out = []
    for offset in range(0, n, per_page):
        entries = [entry(i, slug) for i in range(offset, min(n, offset + per_page))]
        url = API.format(slug=slug) + QUERY.format(limit=per_page, offset=offset)
        out.append((url, page(entries, has_next=offset + per_page < n)))
    return out


def thread_page_html(title: str, entries: list[dict[str, Any]], api_urls: list[str]) -> bytes:
    """A thread page like www.perplexity.ai's: fetches `api_urls` in order at load (as the site loads a
    thread's pages), and shows the given entries (the ones on screen) in the site's markup."""
    blocks = []
    for n, e in enumerate(entries):
        answer = e["blocks"][1]["markdown_block"]["answer"]
        plain = html.escape(answer.split("[")[0])
        blocks.append(
            '<div class="pb-md"><h1 class="group/query text-pretty break-words">'
            f'<span class="select-text">{html.escape(e["query_str"])}</span></h1></div>'
            f'<div class="relative"><div id="markdown-content-{n}" class="gap-y-md flex flex-col">'
            '<div dir="auto" class="prose text-pretty dark:prose-invert inline leading-relaxed break-words">'
            f"<p>{plain}</p></div></div></div>"
        )
    script = f"""<script>
  window.loaded = [];
  (async () => {{
    for (const url of {json.dumps(api_urls)}) {{
      try {{
        const response = await fetch(url, {{ credentials: "include" }});
        const data = await response.json();
        window.loaded.push(data && Array.isArray(data.entries) ? "ok" : "odd");
      }} catch (err) {{
        window.loaded.push("failed: " + err.message);
      }}
    }}
  }})();
</script>"""
    body = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | Perplexity'
        '</title></head><body><main><div class="max-w-threadContentWidth mx-auto">'
        + "".join(blocks)
        + '</div><div class="sticky bottom-0"><div id="ask-input" contenteditable="true" role="textbox"'
        ' data-lexical-editor="true"><p><br></p></div><button data-testid="submit-button" aria-label="Submit"'
        ' type="button" disabled>Submit</button></div></main>' + script + "</body></html>"
    )
    return body.encode()
