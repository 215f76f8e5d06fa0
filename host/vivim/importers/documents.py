"""Documents the assistant writes beside the chat: ChatGPT Canvas textdocs and Claude artifacts.

Both arrive as tool calls whose arguments are JSON (ChatGPT: a `canmore.create_textdoc` /
`canmore.update_textdoc` message whose text is the JSON; Claude: an `artifacts` tool_use block with
`command` create / update / rewrite). Stored as that JSON, a document is one line of escaped text:
`"# Plan\\n\\nStep one"`, and its words at line starts are indexed glued to the `n` of the escape.
So each call becomes a readable document of its own kind (`canvas`, `artifact`): its title, its
version, and its full text at that version (an update applied to the previous version), as Markdown
for prose and a fenced block for code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_DOC_CHARS = 2_000_000
CANVAS_PREFIX = "canmore."


@dataclass
class Doc:
    title: str
    type: str
    content: str
    version: int = 1


@dataclass
class Documents:
    """The documents of one conversation so far, by id (Claude) or by name/last (ChatGPT)."""

    docs: dict[str, Doc] = field(default_factory=dict)
    last: str | None = None

    def put(self, key: str, doc: Doc) -> Doc:
        old = self.docs.get(key)
        if old is not None:
            doc.version = old.version + 1
        self.docs[key] = doc
        self.last = key
        return doc


def render(doc: Doc, label: str) -> str:
    head = f"**{label}: {doc.title}** (version {doc.version})"
    language = _language(doc.type)
    if language is None:
        return f"{head}\n\n{doc.content}"
    fence = "````" if "```" in doc.content else "```"
    return f"{head}\n\n{fence}{language}\n{doc.content}\n{fence}"


def _language(doc_type: str) -> str | None:
    """None for prose (Markdown shown as is), else the code block's language ("" when unknown)."""
    t = (doc_type or "").lower()
    if t in ("", "document", "text/markdown", "text/plain", "markdown"):
        return None
    if t.startswith("code/"):
        lang = t[5:]
        return "" if lang == "other" else ("jsx" if lang == "react" else lang)
    return {
        "application/vnd.ant.code": "",
        "text/html": "html",
        "application/vnd.ant.react": "jsx",
        "image/svg+xml": "svg",
        "application/vnd.ant.mermaid": "mermaid",
        "webview": "html",
    }.get(t, "")


# ---- ChatGPT Canvas ----------------------------------------------------------------------------


def is_canvas(message: dict[str, Any]) -> bool:
    recipient = message.get("recipient")
    return isinstance(recipient, str) and recipient.startswith(CANVAS_PREFIX)


def canvas(message: dict[str, Any], text: str, docs: Documents) -> str | None:
    """Markdown of a canvas call, or None when its arguments are not the JSON the tool takes."""
    try:
        args = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(args, dict):
        return None
    action = str(message.get("recipient"))[len(CANVAS_PREFIX) :]
    if action == "create_textdoc" and isinstance(args.get("content"), str):
        name = str(args.get("name") or "Canvas")
        doc = docs.put(name, Doc(name, str(args.get("type") or "document"), args["content"][:MAX_DOC_CHARS]))
        return render(doc, "Canvas")
    if action == "update_textdoc" and isinstance(args.get("updates"), list):
        previous = docs.docs.get(docs.last or "")
        content = previous.content if previous else ""
        for update in args["updates"]:
            if isinstance(update, dict) and isinstance(update.get("replacement"), str):
                content = _apply(
                    content,
                    str(update.get("pattern") or ".*"),
                    update["replacement"],
                    bool(update.get("multiple")),
                )
        name = previous.title if previous else "Canvas"
        doc = docs.put(name, Doc(name, previous.type if previous else "document", content[:MAX_DOC_CHARS]))
        return render(doc, "Canvas")
    if action == "comment_textdoc" and isinstance(args.get("comments"), list):
        lines = [
            f"- {c.get('comment')}" for c in args["comments"] if isinstance(c, dict) and c.get("comment")
        ]
        title = docs.docs[docs.last].title if docs.last in docs.docs else "Canvas"
        return f"**Comments on {title}**\n\n" + "\n".join(lines)
    return None


def _apply(content: str, pattern: str, replacement: str, multiple: bool) -> str:
    """One canvas update: the tool's regex over the document (".*" rewrites it whole)."""
    if pattern in (".*", "^.*$", "(?s).*"):
        return replacement
    try:
        return re.sub(pattern, lambda _m: replacement, content, count=0 if multiple else 1, flags=re.S)
    except (re.error, RecursionError):
        return content


# ---- Claude artifacts -----------------------------------------------------------------------------


def is_artifact(block: dict[str, Any]) -> bool:
    return (
        block.get("type") == "tool_use"
        and block.get("name") in ("artifacts", "artifact")
        and isinstance(block.get("input"), dict)
    )


def artifact(block: dict[str, Any], docs: Documents) -> str | None:
    args = block["input"]
    key = str(args.get("id") or args.get("title") or "artifact")
    previous = docs.docs.get(key)
    command = args.get("command") or "create"
    if command in ("create", "rewrite") and isinstance(args.get("content"), str):
        title = str(args.get("title") or (previous.title if previous else key))
        doc_type = str(args.get("type") or (previous.type if previous else ""))
        if args.get("language") and doc_type in ("", "application/vnd.ant.code"):
            doc_type = f"code/{args['language']}"
        doc = docs.put(key, Doc(title, doc_type, args["content"][:MAX_DOC_CHARS]))
    elif command == "update" and previous is not None and isinstance(args.get("new_str"), str):
        old = args.get("old_str")
        content = (
            previous.content.replace(old, args["new_str"], 1)
            if isinstance(old, str) and old
            else previous.content
        )
        doc = docs.put(key, Doc(previous.title, previous.type, content))
    else:
        return None
    return render(doc, "Artifact")
