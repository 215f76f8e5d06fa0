"""Pages for the "one turn, two renderings" tests: a conversation on a site that gives turns no ids, whose
answer has math, a table, code, a list, a citation and a link, as the site's page renders it (KaTeX with its
TeX annotation, the site's code-block frame) AND as the site's own JSON holds it (Markdown with \\( \\)
math, fences, pipes, citation markers). The test decides the order: `window.loadHistory()` makes the
page's own request for its JSON, `window.renderTurns()` puts the turns on the page. Our own text, the
sites' real structure (tests/fixtures/sites/<site>)."""

from __future__ import annotations

import html
import json
from typing import Any

QUESTION = "Compare two ways to compute Fibonacci numbers, with the closed form."
ANSWER = (
    "Here is how the **Fibonacci** methods compare:\n\n"
    "| Method | Time |\n|---|---|\n| Iteration | \\(O(n)\\) |\n| Naive recursion | \\(O(2^n)\\) |\n\n"
    "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n```\n\n"
    "1. Iterate with two variables\n2. Memoize the recursion\n\n"
    "The closed form is \\(F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}\\)[citation:1] with\n\n"
    "\\[\\varphi = \\frac{1+\\sqrt{5}}{2}\\]\n\n"
    "See [the article on Fibonacci numbers](https://en.wikipedia.org/wiki/Fibonacci_number) \U0001f642\u00a0Done."
)
FOLLOW_UP = "Is the iterative one exact for large n?"
SHORT = "Yes."
AGAIN = "And is the closed form exact for large n?"
SOURCE = "https://en.wikipedia.org/wiki/Fibonacci_sequence"

# The conversation: (role, Markdown as the JSON holds it). "Yes." twice, at two places: two turns.
TURNS = [("user", QUESTION), ("assistant", ANSWER), ("user", FOLLOW_UP), ("assistant", SHORT)]
TURNS += [("user", AGAIN), ("assistant", SHORT)]


def katex(tex: str, display: bool = False) -> str:
    """KaTeX's output: MathML with the TeX annotation, then the glyphs (aria-hidden)."""
    tex = html.escape(tex)
    math = (
        '<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML">'
        f'<semantics><mrow><mi>x</mi></mrow><annotation encoding="application/x-tex">{tex}</annotation>'
        f'</semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base">'
        f'<span class="mord">{tex}</span></span></span></span>'
    )
    return f'<span class="katex-display">{math}</span>' if display else math


def answer_html(code_block: str, paragraph: str = "<p>", cite: str = "") -> str:
    """The rich answer as a Markdown renderer puts it on the page (the site's code-block frame given)."""
    closed = "F_n = \\frac{\\varphi^n - \\psi^n}{\\sqrt{5}}"
    return (
        f"{paragraph}Here is how the <strong>Fibonacci</strong> methods compare:</p>"
        '<div class="markdown-table-wrapper"><table><thead><tr><th>Method</th><th>Time</th></tr></thead><tbody>'
        f"<tr><td>Iteration</td><td>{katex('O(n)')}</td></tr>"
        f"<tr><td>Naive recursion</td><td>{katex('O(2^n)')}</td></tr></tbody></table></div>"
        f"{code_block}"
        f"<ol><li>{paragraph}Iterate with two variables</p></li><li>{paragraph}Memoize the recursion</p></li></ol>"
        f"{paragraph}The closed form is {katex(closed)}{cite} with</p>"
        f"{katex(chr(92) + 'varphi = ' + chr(92) + 'frac{1+' + chr(92) + 'sqrt{5}}{2}', display=True)}"
        f'{paragraph}See <a href="https://en.wikipedia.org/wiki/Fibonacci_number" target="_blank"'
        ' rel="noreferrer">the article on Fibonacci numbers</a> \U0001f642&nbsp;Done.</p>'
    )


CODE = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a"


def deepseek_history(session: str) -> dict[str, Any]:
    """chat.deepseek.com's GET /api/v0/chat/history_messages answer for TURNS (ids 1..6, a chain)."""
    messages = []
    for i, (role, text) in enumerate(TURNS, 1):
        fragments: list[dict[str, Any]] = (
            [{"id": 1, "type": "REQUEST", "content": text}]
            if role == "user"
            else [{"id": 1, "type": "RESPONSE", "content": text}]
        )
        if text == ANSWER:  # the web search the answer cites: its own fragment (a tool turn of its own)
            result = {"url": SOURCE, "title": "Fibonacci sequence", "cite_index": 1}
            fragments.insert(0, {"id": 0, "type": "SEARCH", "results": [result]})
        messages.append(
            {
                "message_id": i,
                "parent_id": i - 1 if i > 1 else None,
                "model": "",
                "role": role.upper(),
                "thinking_enabled": False,
                "status": "FINISHED",
                "files": [],
                "inserted_at": 1772414100.0 + i,
                "fragments": fragments,
            }
        )
    session_info = {
        "id": session,
        "seq_id": 4712,
        "agent": "chat",
        "title": "Fibonacci compared",
        "title_type": "SYSTEM",
        "current_message_id": len(TURNS),
        "inserted_at": 1772414100.125,
        "updated_at": 1772415070.5,
    }
    return {
        "code": 0,
        "msg": "",
        "data": {
            "biz_code": 0,
            "biz_msg": "",
            "biz_data": {
                "chat_session": session_info,
                "chat_messages": messages,
                "cache_valid": False,
                "route_id": None,
            },
        },
    }


def deepseek_api(session: str) -> str:
    return f"https://chat.deepseek.com/api/v0/chat/history_messages?chat_session_id={session}&cache_version=0"


def deepseek_page(session: str) -> bytes:
    """DeepSeek's page (ds-message rows in the virtual list, md-code-block with its banner, ds-markdown-cite)."""
    code = (
        '<div class="md-code-block md-code-block-light"><div class="md-code-block-banner-wrap">'
        '<div class="md-code-block-banner md-code-block-banner-lite"><div class="_121d384"><div class="d2a24f03">'
        '<span class="d813de27">python</span></div><div class="d2a24f03 _246a029"><div class="md-code-block-action">'
        '<button role="button" class="ds-atom-button ds-text-button"><span><span class="code-info-button-text">'
        "Copy</span></span></button></div></div></div></div></div>"
        f"<pre>{html.escape(CODE)}</pre></div>"
    )
    cite = f'<a href="{SOURCE}" target="_blank" rel="noreferrer"><span class="ds-markdown-cite">1</span></a>'
    rows = []
    for i, (role, text) in enumerate(TURNS, 1):
        if role == "user":
            body = f'<div class="_9663006"><div class="ds-message"><div class="fbb737a4">{html.escape(text)}</div></div></div>'
        else:
            inner = (
                answer_html(code, '<p class="ds-markdown-paragraph">', cite)
                if text == ANSWER
                else f'<p class="ds-markdown-paragraph">{html.escape(text)}</p>'
            )
            body = f'<div class="ds-message"><div class="ds-markdown ds-assistant-message-main-content">{inner}</div></div>'
        rows.append(f'<div data-virtual-list-item-key="{i}" class="_4f9bf79 d7dc56a8">{body}</div>')
    return _page(
        "Fibonacci compared - DeepSeek",
        '<div class="ds-virtual-list"><div class="ds-virtual-list-items">'
        '<div class="ds-virtual-list-visible-items" id="thread"></div></div></div>'
        "<textarea id='chat-input'></textarea>",
        "".join(rows),
        f"/api/v0/chat/history_messages?chat_session_id={session}&cache_version=0",
    )


def copilot_id(conv_id: str, i: int) -> str:
    return f"{conv_id[:8]}m{i:04d}Tw1nsQx7p"[:21]


def copilot_history(conv_id: str) -> dict[str, Any]:
    """copilot.microsoft.com's GET .../history (one page): the text parts are Markdown."""
    results = [
        {
            "id": copilot_id(conv_id, i),
            "author": {"type": "human" if role == "user" else "ai"},
            "createdAt": f"2026-05-01T10:{i:02d}:00.000Z",
            "content": [{"type": "text", "text": text.replace("[citation:1]", "")}],
            "channel": "web",
        }
        for i, (role, text) in enumerate(TURNS)
    ]
    return {"results": results}


def copilot_api(conv_id: str) -> str:
    return f"https://copilot.microsoft.com/c/api/conversations/{conv_id}/history"


def copilot_page(conv_id: str) -> bytes:
    """Copilot's page: prompts and answers by `data-content`, no ids; a code block in its own frame."""
    code = (
        '<div class="rounded-xl"><div class="flex items-center justify-between"><span>python</span>'
        '<button aria-label="Copy code" type="button">Copy</button></div>'
        f'<pre><code class="language-python">{html.escape(CODE)}</code></pre></div>'
    )
    turns = []
    for role, text in TURNS:
        if role == "user":
            turns.append(
                '<div data-content="user-message"><h2 class="sr-only">You said</h2>'
                f'<div class="group/user-message-item whitespace-pre-wrap"><div>{html.escape(text)}</div></div></div>'
            )
        else:
            inner = answer_html(code) if text == ANSWER else f"<p>{html.escape(text)}</p>"
            turns.append(
                '<div data-content="ai-message"><h2 class="sr-only">Copilot said</h2>'
                f'<div class="group/ai-message-item">{inner}</div></div>'
            )
    return _page(
        "Fibonacci compared | Microsoft Copilot",
        '<main><div data-content="conversation" id="thread"></div></main><textarea id="userInput"></textarea>',
        "".join(turns),
        f"/c/api/conversations/{conv_id}/history",
    )


def _page(title: str, body: str, turns: str, api: str) -> bytes:
    # The turns wait in a <template> until the test renders them; the JSON until the test loads it.
    script = f"""
<script>
  window.loaded = [];
  window.loadHistory = () => fetch({json.dumps(api)}, {{ credentials: "include" }})
    .then((r) => r.json()).then(() => window.loaded.push("ok"), (e) => window.loaded.push(String(e)));
  window.renderTurns = () => {{
    const thread = document.getElementById("thread");
    thread.append(document.getElementById("turns").content.cloneNode(true));
  }};
</script>"""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{script}'
        f'</head><body>{body}<template id="turns">{turns}</template></body></html>'
    ).encode()


def perplexity_entries(slug: str) -> list[dict[str, Any]]:
    """www.perplexity.ai's thread entries for TURNS: a query and its answer each, `[1]` citations."""
    from tests.support import perplexity as pp

    source = {"name": "Fibonacci sequence", "url": SOURCE, "snippet": "The sequence.", "is_attachment": False}
    return [
        pp.entry(
            i,
            slug,
            query=TURNS[2 * i][1],
            answer=TURNS[2 * i + 1][1].replace("[citation:1]", "[1]"),
            sources=[source],
        )
        for i in range(len(TURNS) // 2)
    ]


def perplexity_api(slug: str) -> str:
    from tests.support import perplexity as pp

    return pp.API.format(slug=slug) + pp.QUERY.format(limit=10, offset=0)


def perplexity_history(slug: str) -> dict[str, Any]:
    from tests.support import perplexity as pp

    return pp.page(perplexity_entries(slug))


def perplexity_page(slug: str) -> bytes:
    """A thread page in Perplexity's markup (query headings, `markdown-content-<n>` prose, a citation chip
    naming the site where the JSON has `[1]`)."""
    code = f'<pre><code class="language-python">{html.escape(CODE)}</code></pre>'
    cite = (
        f'<span class="citation inline"><a href="{SOURCE}" target="_blank" rel="noopener">'
        '<span class="text-3xs">wikipedia</span></a></span>'
    )
    blocks = []
    for n in range(len(TURNS) // 2):
        query, answer = TURNS[2 * n][1], TURNS[2 * n + 1][1]
        inner = answer_html(code, "<p>", cite) if answer == ANSWER else f"<p>{html.escape(answer)}</p>"
        blocks.append(
            '<div class="pb-md"><h1 class="group/query text-pretty break-words">'
            f'<span class="select-text">{html.escape(query)}</span></h1></div>'
            f'<div class="relative"><div id="markdown-content-{n}" class="gap-y-md flex flex-col">'
            f'<div dir="auto" class="prose text-pretty dark:prose-invert inline leading-relaxed break-words">{inner}'
            "</div></div></div>"
        )
    return _page(
        "Fibonacci compared | Perplexity",
        '<main><div class="max-w-threadContentWidth mx-auto" id="thread"></div><div class="sticky bottom-0">'
        '<div id="ask-input" contenteditable="true" role="textbox" data-lexical-editor="true"><p><br></p></div>'
        "</div></main>",
        "".join(blocks),
        perplexity_api(slug),
    )
