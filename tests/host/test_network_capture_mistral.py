"""capture.network for Le Chat through a real host process over real pipes: the page's tRPC batch (one
JSON array, or JSON lines when streamed) becomes the conversation with the page's message ids; a page
of messages with a next cursor is partial; anything else is refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.hostproc import HostProcess
from tests.support.netcapture import page_payload, rows

CHAT = "5e4d3c2b-1a09-4877-9665-544332211000"


def messages(count: int, chat: str = CHAT) -> list[dict[str, Any]]:
    return [
        {
            "id": f"m{i:04d}",
            "version": 0,
            "chatId": chat,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"message {i}",
            "contentChunks": [{"type": "text", "text": f"message {i}"}],
            "createdAt": f"2026-05-04T08:{i // 60:02d}:{i % 60:02d}.000Z",
            "files": [],
        }
        for i in reversed(range(count))  # the page's order is not the thread's
    ]


def batch(items: list[dict[str, Any]], next_cursor: str | None = None) -> list[dict[str, Any]]:
    chat = {"id": CHAT, "title": "Compter les mots", "createdAt": "2026-05-04T08:00:00.000Z"}
    page = {"items": items, "nextCursor": next_cursor}
    return [{"result": {"data": {"json": value}}} for value in (chat, None, page, [], [])]


def network(body: str) -> dict[str, Any]:
    url = (
        "https://chat.mistral.ai/api/trpc/chat.byId,agent.listLegacy,message.all,canva.all,quote.all?batch=1"
    )
    return page_payload("mistral", CHAT, url, body)


def test_a_batch_answer_is_stored_in_time_order_with_the_pages_ids_and_complete(
    host: HostProcess, vivim_home: Path
) -> None:
    reply = host.request("capture.network", network(json.dumps(batch(messages(120)))))
    assert reply["ok"], reply
    assert reply["result"]["completeness"] == {"status": "complete", "stored": 120, "expected": 120}
    stored = rows(vivim_home, "SELECT key, parent_key, position FROM messages ORDER BY position")
    assert [r[0] for r in stored] == [f"m{i:04d}" for i in range(120)]
    assert [r[1] for r in stored[1:]] == [r[0] for r in stored[:-1]]
    assert rows(vivim_home, "SELECT title FROM conversations") == [("Compter les mots",)]


def test_a_streamed_answer_in_json_lines_is_read_too(host: HostProcess) -> None:
    lines = "\n".join(json.dumps(piece) for piece in batch(messages(4)))
    result = host.request("capture.network", network(lines))["result"]
    assert result["inserted"] == 4


def test_a_page_with_a_next_cursor_is_partial(host: HostProcess) -> None:
    result = host.request("capture.network", network(json.dumps(batch(messages(40), "cursor-2"))))["result"]
    assert result["completeness"]["status"] == "partial"


def test_other_shapes_and_other_chats_are_refused_and_write_nothing(host: HostProcess) -> None:
    other = batch(messages(2, chat="0f1e2d3c-4b5a-4697-8877-665544332211"))
    for body in (
        json.dumps(other),
        json.dumps([{"result": {"data": {"json": {"items": []}}}}]),
        "{not json",
        "[]",
    ):
        reply = host.request("capture.network", network(body))
        assert reply["error"]["code"] == "payload_shape", (body[:40], reply)
    assert host.call("stats")["conversations"] == 0
