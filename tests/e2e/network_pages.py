"""Site pages for the network-capture tests, built from a provider payload: like the real sites they
fetch the conversation's JSON from the site's own API at load, and render only the newest turns
(the older ones are never in the DOM unless the user scrolls up). Markup as in the site fixtures."""

from __future__ import annotations

import html
import json
from typing import Any

from tests.support import payloads


def chatgpt_page(doc: dict[str, Any], api_paths: list[str], rendered: int) -> bytes:
    """The newest `rendered` turns of the current branch, and a script fetching `api_paths` in order
    (the second and later ones as the pages of older turns a scroll would load)."""
    mapping = doc["mapping"]
    chain, node = [], doc["current_node"]
    while node is not None:
        message = mapping[node]["message"]
        if message and message["author"]["role"] in ("user", "assistant"):
            chain.append(message)
        node = mapping[node]["parent"]
    chain.reverse()
    total = len(chain)
    articles = []
    slug = ' data-message-model-slug="gpt-5"'
    for index, message in list(enumerate(chain))[-rendered:]:
        role, mid, text = message["author"]["role"], message["id"], message["content"]["parts"][0]
        body = (
            f'<div class="whitespace-pre-wrap">{html.escape(text)}</div>'
            if role == "user"
            else f'<div class="markdown prose w-full break-words"><p>{html.escape(text)}</p></div>'
        )
        articles.append(
            f'<article class="text-token-text-primary w-full" data-testid="conversation-turn-{index + 1}"'
            f' data-turn="{role}"><h5 class="sr-only">{"You said:" if role == "user" else "ChatGPT said:"}</h5>'
            f'<div data-message-author-role="{role}" data-message-id="{mid}"'
            f"{slug if role == 'assistant' else ''}>{body}</div></article>"
        )
    return _page(
        f"{html.escape(doc['title'])} - ChatGPT",
        '<main><div id="thread">' + "".join(articles) + "</div></main>",
        api_paths,
        total,
    )


def chatgpt_thread_page(
    conv_id: str, runs: list[dict[str, Any]], api_paths: list[str], rendered: int
) -> bytes:
    """The rebuilt app (2026): the newest `rendered` messages as [data-turn-key] exchanges (a prompt's
    bubble in its ":user" search unit, an answer's blocks in their selection-id owner), and a script
    fetching the thread runs at `api_paths`, newest first, as the page does while the user scrolls up."""
    messages = [
        m for run in reversed(runs) for m in run["messages"] if m["author"]["role"] in ("user", "assistant")
    ]
    parts = []
    for message in messages[-rendered:]:
        mid, text = message["id"], html.escape(message["content"]["parts"][0])
        if message["author"]["role"] == "user":
            parts.append(
                f'<div data-turn-key="turn-{mid[:8]}"><div data-chatgpt-search-unit-key="turn-{mid[:8]}:user"'
                f' data-chatgpt-search-message-ids="{mid}"><div data-user-message-bubble="true">'
                f'<div class="whitespace-pre-wrap">{text}</div></div></div>'
            )
        else:
            parts.append(
                f'<div data-chatgpt-selection-conversation-id="{conv_id}" data-chatgpt-selection-message-id="{mid}">'
                '<div data-markdown-text-style="assistant-message" data-markdown-text-tone="primary"'
                f' class="markdown prose"><p>{text}</p></div></div></div>'
            )
    body = "".join(parts)
    if body.count("<div data-turn-key") > body.count("data-chatgpt-selection-message-id"):
        body += "</div>"  # the newest exchange still waits for its answer
    return _page(
        f"{html.escape(runs[0]['title'])} - ChatGPT",
        f'<main><div class="thread-scroll-container">{body}</div></main>',
        api_paths,
        len(messages),
    )


def claude_page(doc: dict[str, Any], api_paths: list[str], rendered: int, xhr: bool = False) -> bytes:
    by_id = {m["uuid"]: m for m in doc["chat_messages"]}
    chain, node = [], doc["current_leaf_message_uuid"]
    while node in by_id:
        chain.append(by_id[node])
        node = by_id[node]["parent_message_uuid"]
    chain.reverse()
    blocks = []
    for message in chain[-rendered:]:
        text = html.escape(message["content"][0]["text"])
        if message["sender"] == "human":
            blocks.append(
                '<div data-test-render-count="1"><div class="mb-1 mt-1"><div class="group relative">'
                '<div data-testid="user-message" class="font-large !font-user-message grid grid-cols-1">'
                f'<p class="whitespace-pre-wrap break-words">{text}</p></div></div></div></div>'
            )
        else:
            blocks.append(
                '<div data-test-render-count="1"><div data-is-streaming="false" class="group relative pb-3">'
                '<div class="font-claude-response relative"><div class="grid-cols-1 grid standard-markdown">'
                f'<p class="whitespace-normal break-words">{text}</p></div></div></div></div>'
            )
    return _page(
        f"{html.escape(doc['name'])} - Claude",
        '<main><div data-testid="conversation-thread">' + "".join(blocks) + "</div></main>",
        api_paths,
        len(chain),
        xhr,
    )


def _page(
    title: str,
    body: str,
    api_paths: list[str],
    total: int,
    xhr: bool = False,
    post: Any = None,
    get_paths: tuple[str, ...] = (),
) -> bytes:
    # The page's own loader: fetch the JSON and read it (as the app does), one request after another;
    # or, with xhr, an XMLHttpRequest with responseType "json"; with `post`, a POST of that JSON body
    # (but to `get_paths`, a GET).
    init = (
        "{ credentials: 'include' }"
        if post is None
        else "{ method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },"
        f" body: {json.dumps(json.dumps(post))} }}"
    )
    script = f"""
<script>
  window.loaded = [];
  const viaXhr = (path) => new Promise((resolve, reject) => {{
    const request = new XMLHttpRequest();
    request.open("GET", path);
    request.responseType = "json";
    request.onload = () => resolve(request.response);
    request.onerror = () => reject(new Error("xhr failed"));
    request.send();
  }});
  const getPaths = {json.dumps(list(get_paths))};
  (async () => {{
    for (const path of {json.dumps(api_paths)}) {{
      try {{
        const init = getPaths.includes(path) ? {{ credentials: 'include' }} : {init};
        const data = {"await viaXhr(path)" if xhr else "await (await fetch(path, init)).json()"};
        window.loaded.push(data && typeof data === "object" ? "ok" : "odd");
      }} catch (err) {{
        window.loaded.push("failed: " + err.message);
      }}
    }}
  }})();
</script>"""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{script}</head>'
        f'<body data-total="{total}">{body}</body></html>'
    ).encode()


def grok_page(conv_id: str, doc: dict[str, Any], rendered: int) -> bytes:
    """grok.com: the newest `rendered` responses as turns (id="response-<uuid>"), and the page's
    GET .../response-node (the tree) then POST .../load-responses for every response id, as the app
    does when a conversation opens."""
    responses = doc["responses"]
    turns = []
    for r in responses[-rendered:]:
        user = r["sender"] == "human"
        text = html.escape(r["message"])
        body = (
            f'<div class="message-bubble bg-surface-l1"><span class="whitespace-pre-wrap">{text}</span></div>'
            if user
            else '<div class="message-bubble w-full max-w-none"><div class="response-content-markdown">'
            f'<p class="break-words">{text}</p></div></div>'
        )
        turns.append(
            '<div class="relative group flex flex-col justify-center w-full'
            f' {"items-end" if user else "items-start"}" id="response-{r["responseId"]}">{body}</div>'
        )
    return _page(
        "Stream of turns - Grok",
        '<main><div id="thread">' + "".join(turns) + "</div></main>",
        [grok_tree_api(conv_id), grok_api(conv_id)],
        len(responses),
        post={"responseIds": [r["responseId"] for r in responses]},
        get_paths=(grok_tree_api(conv_id),),
    )


def grok_api(conv_id: str) -> str:
    return f"https://grok.com/rest/app-chat/conversations/{conv_id}/load-responses"


def grok_tree_api(conv_id: str) -> str:
    return f"https://grok.com/rest/app-chat/conversations/{conv_id}/response-node?includeThreads=true"


def copilot_page(conv_id: str, pages: list[dict[str, Any]], api_paths: list[str], rendered: int) -> bytes:
    """copilot.microsoft.com: the newest `rendered` messages as turns (no ids in the DOM), and the
    page's GETs of its history pages (newest first, then older ones with a cursor)."""
    messages = [m for page in reversed(pages) for m in page["results"]]
    turns = []
    for m in messages[-rendered:]:
        user = m["author"]["type"] == "human"
        text = html.escape(m["content"][0]["text"])
        turns.append(
            f'<div data-content="user-message"><h2 class="sr-only">You said</h2>'
            f'<div class="group/user-message-item whitespace-pre-wrap"><div>{text}</div></div></div>'
            if user
            else '<div data-content="ai-message"><h2 class="sr-only">Copilot said</h2>'
            f'<div class="group/ai-message-item"><p>{text}</p></div></div>'
        )
    return _page(
        "Stream of turns | Microsoft Copilot",
        '<main><div data-content="conversation">' + "".join(turns) + "</div></main>",
        api_paths,
        len(messages),
    )


def copilot_api(conv_id: str) -> str:
    return f"https://copilot.microsoft.com/c/api/conversations/{conv_id}/history"


def chatgpt_api(conv_id: str) -> str:
    return f"https://chatgpt.com/backend-api/conversation/{conv_id}"


def claude_api(conv_id: str) -> str:
    return f"https://claude.ai/api/organizations/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/chat_conversations/{conv_id}"


def as_json(doc: Any) -> tuple[str, bytes]:
    return ("application/json", json.dumps(doc).encode())


__all__ = [
    "as_json",
    "chatgpt_api",
    "chatgpt_page",
    "chatgpt_thread_page",
    "claude_api",
    "claude_page",
    "copilot_api",
    "copilot_page",
    "grok_api",
    "grok_page",
    "grok_tree_api",
    "payloads",
]


def chatgpt_lazy_page(doc: dict[str, Any], rendered: int, step: int) -> bytes:
    """A ChatGPT page with no network data at all that renders its newest `rendered` turns and, like the
    site, loads `step` older ones each time its thread is scrolled to the top."""
    mapping = doc["mapping"]
    chain, node = [], doc["current_node"]
    while node is not None:
        message = mapping[node]["message"]
        if message and message["author"]["role"] in ("user", "assistant"):
            chain.append(
                {
                    "id": message["id"],
                    "role": message["author"]["role"],
                    "text": message["content"]["parts"][0],
                }
            )
        node = mapping[node]["parent"]
    chain.reverse()
    script = f"""
<script>
  const TURNS = {json.dumps(chain)};
  let shown = Math.max(0, TURNS.length - {rendered});
  function article(t, i) {{
    const a = document.createElement("article");
    a.style.minHeight = "80px";
    a.setAttribute("data-testid", "conversation-turn-" + (i + 1));
    const m = document.createElement("div");
    m.setAttribute("data-message-author-role", t.role);
    m.setAttribute("data-message-id", t.id);
    const body = document.createElement("div");
    body.className = t.role === "user" ? "whitespace-pre-wrap" : "markdown prose";
    body.textContent = t.text;
    m.append(body);
    a.append(m);
    return a;
  }}
  addEventListener("DOMContentLoaded", () => {{
    const thread = document.getElementById("thread");
    TURNS.slice(shown).forEach((t, j) => thread.append(article(t, shown + j)));
    thread.scrollTop = thread.scrollHeight;
    let loading = false;
    thread.addEventListener("scroll", () => {{
      if (thread.scrollTop > 40 || loading || shown === 0) return;
      loading = true;
      setTimeout(() => {{
        const from = Math.max(0, shown - {step});
        const first = thread.firstChild;
        TURNS.slice(from, shown).forEach((t, j) => thread.insertBefore(article(t, from + j), first));
        shown = from;
        thread.scrollTop = 200;
        loading = false;
      }}, 150);
    }});
  }});
</script>"""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(doc["title"])} - ChatGPT'
        f'</title>{script}</head><body><main><div id="thread" style="height:400px;overflow-y:auto">'
        f"</div></main></body></html>"
    ).encode()
