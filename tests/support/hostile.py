"""Hostile variants of the sites' own conversation payloads, for the network-capture fuzz tests.

`templates()` gives one valid payload per network parser (with the conversation id and address the
page would send it with); `Hostile.variant()` turns one into what a broken, changed or malicious
page could hand the extension: cut short, values swapped for other types, NaN and infinite dates,
deep nesting, huge strings, ids of another conversation, a JSON value of another kind altogether.
Seeded: the same seed gives the same bodies.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import payloads
from . import perplexity as pp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OTHER_ID = "aaaaaaaa-0000-4000-8000-000000000000"


@dataclass
class Template:
    provider: str
    external_id: str
    url: str
    doc: Any


def templates() -> list[Template]:
    grok_id = "8c2f3e4d-5b6c-4d7e-9f80-a1b2c3d4e5f6"
    grok = payloads.grok_load_responses(grok_id, 6, branch_at=1)
    grok["responses"][1]["thinkingTrace"] = "first, the units"
    grok["responses"][1]["webSearchResults"] = [{"url": "https://example.org/a", "title": "A [1]"}]
    grok_api = f"https://grok.com/rest/app-chat/conversations/{grok_id}"
    chatgpt_id = "6a0f1e2d-3c4b-8a59-b6c7-d8e9f0a1b2c3"
    claude_id = "7b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    copilot_id = "kY8vQx2LmN4pR6sT0uWz1"
    newest, older = payloads.copilot_history(copilot_id, 6, page_size=4)
    deepseek_id = "0f9c2b1e-7d4a-4c5e-9b3a-1d2e3f4a5b6c"
    mistral_id = "5e4d3c2b-1a09-4877-9665-544332211000"
    aistudio = json.loads((FIXTURES / "sites" / "aistudio" / "resolve_drive_resource.json").read_text())
    perplexity = json.loads((FIXTURES / "sites" / "perplexity" / "thread.json").read_text())
    thread_new, thread_old = payloads.chatgpt_thread_pages(chatgpt_id, 8, page_size=5)
    thread_api = f"https://chatgpt.com/backend-api/conversations/{chatgpt_id}/messages"
    return [
        Template(
            "chatgpt",
            chatgpt_id,
            f"https://chatgpt.com/backend-api/conversation/{chatgpt_id}",
            payloads.chatgpt_conversation(chatgpt_id, 6, branch_at=2),
        ),
        Template("chatgpt", chatgpt_id, thread_api, thread_new),
        Template(
            "chatgpt",
            chatgpt_id,
            f"{thread_api}?before={thread_new['page_info']['start_cursor']}",
            thread_old,
        ),
        Template(
            "claude",
            claude_id,
            f"https://claude.ai/api/organizations/o/chat_conversations/{claude_id}?tree=True",
            payloads.claude_conversation(claude_id, 6, branch_at=2),
        ),
        Template("grok", grok_id, f"{grok_api}/load-responses", grok),
        Template("grok", grok_id, f"{grok_api}/response-node?includeThreads=true", payloads.grok_tree(grok)),
        Template(
            "copilot",
            copilot_id,
            f"https://copilot.microsoft.com/c/api/conversations/{copilot_id}/history?api-version=2",
            newest,
        ),
        Template(
            "copilot",
            copilot_id,
            f"https://copilot.microsoft.com/c/api/conversations/{copilot_id}/history?api-version=2"
            f"&cursor={newest['next']}",
            older,
        ),
        Template(
            "deepseek",
            deepseek_id,
            f"https://chat.deepseek.com/api/v0/chat/history_messages?chat_session_id={deepseek_id}",
            _deepseek(deepseek_id),
        ),
        Template(
            "mistral",
            mistral_id,
            "https://chat.mistral.ai/api/trpc/chat.byId,message.all?batch=1",
            _mistral(mistral_id),
        ),
        Template(
            "aistudio",
            "1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV",
            "https://alkalimakersuite-pa.clients6.google.com/$rpc/google.internal.alkali.applications."
            "makersuite.v1.MakerSuiteService/ResolveDriveResource",
            aistudio,
        ),
        Template("perplexity", pp.SLUG, f"https://www.perplexity.ai/rest/thread/{pp.SLUG}", perplexity),
    ]


def _deepseek(session: str) -> dict[str, Any]:
    def message(mid: int, parent: int | None, role: str, fragments: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "message_id": mid,
            "parent_id": parent,
            "model": "",
            "role": role,
            "status": "FINISHED",
            "files": [],
            "inserted_at": 1772414100.0 + mid,
            "fragments": fragments,
        }

    messages = [
        message(1, None, "USER", [{"type": "REQUEST", "content": "median of [3, 1, 2]?"}]),
        message(
            2,
            1,
            "ASSISTANT",
            [
                {"id": 1, "type": "THINK", "content": "sort it first", "elapsed_secs": 2.5},
                {"id": 2, "type": "RESPONSE", "content": "It is **2**."},
            ],
        ),
        message(3, 2, "USER", [{"type": "REQUEST", "content": "and of [4, 1]?"}]),
        message(4, 3, "ASSISTANT", [{"id": 1, "type": "RESPONSE", "content": "2.5"}]),
    ]
    return {
        "code": 0,
        "data": {
            "biz_code": 0,
            "biz_data": {
                "chat_session": {"id": session, "title": "Median", "current_message_id": 4},
                "chat_messages": messages,
            },
        },
    }


def _mistral(chat: str) -> list[dict[str, Any]]:
    items = [
        {
            "id": f"m{i:04d}",
            "chatId": chat,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"message {i}",
            "contentChunks": [{"type": "text", "text": f"message {i}"}],
            "createdAt": f"2026-05-04T08:00:{i:02d}.000Z",
            "files": [],
        }
        for i in range(4)
    ]
    chat_doc = {"id": chat, "title": "Compter", "createdAt": "2026-05-04T08:00:00.000Z"}
    return [{"result": {"data": {"json": v}}} for v in (chat_doc, {"items": items, "nextCursor": None})]


class Hostile:
    """Mutations of a template payload; every body is JSON text (or text that is not quite JSON)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def weird(self) -> Any:
        r = self.rng
        pool: list[Any] = [
            None,
            True,
            0,
            -1,
            2**64 + 1,
            -(10**30),
            1e308,
            float("nan"),
            float("inf"),
            float("-inf"),
            "",
            "NaN",
            "not a date",
            "2026-13-45T99:99:99Z",
            "\ud800",
            "ü中文😀" * r.randrange(1, 20),
            "<script>alert(1)</script>",
            OTHER_ID,
            {},
            [],
            [None],
            {"$date": {"$numberLong": "nan"}},
            {"$date": "yesterday"},
            self.deep(),
        ]
        if r.random() < 0.05:
            pool.append("z" * r.randrange(100_000, 600_000))
        return r.choice(pool)

    def deep(self) -> Any:
        value: Any = "bottom"
        for _ in range(self.rng.choice([10, 64, 200, 900])):
            value = [value] if self.rng.random() < 0.5 else {"k": value}
        return value

    def paths(self, node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        if len(prefix) > 8:
            return found
        if isinstance(node, dict):
            for key, value in node.items():
                found += self.paths(value, (*prefix, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += self.paths(value, (*prefix, index))
        return found

    def mutate(self, doc: Any) -> Any:
        r = self.rng
        doc = json.loads(json.dumps(doc))
        for _ in range(r.choice([1, 1, 2, 3, 5])):
            path = r.choice(self.paths(doc))
            if not path:
                return self.weird()
            parent = doc
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            roll = r.random()
            if roll < 0.55:
                parent[last] = self.weird()
            elif roll < 0.7 and isinstance(parent, dict):
                del parent[last]
            elif roll < 0.8 and isinstance(parent, list):
                parent.append(parent[last])  # a duplicate (same id twice)
            elif roll < 0.9:
                parent[last] = [parent[last]] if r.random() < 0.5 else {"value": parent[last]}
            elif isinstance(parent, list):
                del parent[last]
            else:
                parent[last] = str(parent[last])  # a number or an object as text
        return doc

    def variant(self, template: Template) -> str:
        """One hostile body for the template's provider."""
        r = self.rng
        roll = r.random()
        if roll < 0.1:
            text = json.dumps(template.doc)
            return text[: r.randrange(len(text))]  # cut off
        if roll < 0.15:
            return json.dumps(self.weird())  # another kind of JSON value altogether
        if roll < 0.18:
            text = json.dumps(template.doc)
            return text.replace(template.external_id, OTHER_ID)  # another conversation's payload
        if roll < 0.2:
            depth = r.choice([1000, 20_000])
            return '{"responses": ' + "[" * depth + "]" * depth + "}"
        try:
            return json.dumps(self.mutate(template.doc))  # NaN and Infinity as JavaScript's JSON would not
        except (ValueError, RecursionError):
            return "[]"

    def csv_variant(self, text: str) -> str:
        """An export CSV broken the ways a hand-edited or cut-off file is: cut short, separators and
        columns swapped, NUL bytes, quotes never closed, a cell of hundreds of kilobytes, dates that
        are no dates, rows lost."""
        r = self.rng
        if r.random() < 0.2:
            return text[: r.randrange(len(text))]
        lines = text.split("\n")
        for _ in range(r.choice([1, 2, 4])):
            if not lines:
                break
            i = r.randrange(len(lines))
            roll = r.random()
            if roll < 0.2:
                lines[i] = lines[i].replace(",", ";", 1)
            elif roll < 0.35:
                lines[i] = ",".join(reversed(lines[i].split(",")))
            elif roll < 0.5:
                lines[i] = "NaN," + lines[i]
            elif roll < 0.6:
                lines[i] = lines[i] + ',"' + "z" * r.randrange(1, 400_000)
            elif roll < 0.7:
                lines[i] = "\x00" * 5 + lines[i]
            elif roll < 0.8:
                lines.insert(i, '"unclosed,' * r.randrange(1, 50))
            elif roll < 0.9:
                lines[i] = "13/45/2026 99:99:99 PM +99:00," + lines[i]
            else:
                del lines[i]
        return "\n".join(lines)
