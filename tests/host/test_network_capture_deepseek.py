"""capture.network for DeepSeek through a real host process over real pipes: the web app's own
history_messages payload becomes a stated conversation with the export's keys, the reasoning apart
from the answer; an error answer or another conversation's payload is refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.hostproc import HostProcess
from tests.support.netcapture import page_payload, rows
from vivim.importers import import_path
from vivim.store import Store

SESSION = "0f9c2b1e-7d4a-4c5e-9b3a-1d2e3f4a5b6c"  # also in the export fixture
EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "deepseek"


def message(mid: int, parent: int | None, role: str, fragments: list[dict[str, Any]], **extra: Any) -> dict:
    return {
        "message_id": mid,
        "parent_id": parent,
        "model": "",
        "role": role,
        "thinking_enabled": role == "ASSISTANT",
        "status": "FINISHED",
        "files": [],
        "inserted_at": 1772414100.0 + mid,
        "fragments": fragments,
        **extra,
    }


def history(messages: list[dict[str, Any]], current: int, session: str = SESSION) -> dict[str, Any]:
    return {
        "code": 0,
        "msg": "",
        "data": {
            "biz_code": 0,
            "biz_msg": "",
            "biz_data": {
                "chat_session": {
                    "id": session,
                    "seq_id": 4711,
                    "agent": "chat",
                    "title": "Median of a list",
                    "title_type": "SYSTEM",
                    "current_message_id": current,
                    "inserted_at": 1772414100.125,
                    "updated_at": 1772415070.5,
                },
                "chat_messages": messages,
                "cache_valid": False,
                "route_id": None,
            },
        },
    }


def long_conversation(turns: int) -> list[dict[str, Any]]:
    out = []
    for i in range(1, turns + 1, 2):
        out.append(
            message(i, i - 1 if i > 1 else None, "USER", [{"type": "REQUEST", "content": f"question {i}"}])
        )
        out.append(
            message(
                i + 1,
                i,
                "ASSISTANT",
                [
                    {"id": 1, "type": "THINK", "content": f"reasoning about {i}", "elapsed_secs": 2.5},
                    {"id": 2, "type": "RESPONSE", "content": f"answer {i}: \\(x_{i}\\)"},
                ],
            )
        )
    return out


def network(doc: Any, external_id: str = SESSION) -> dict[str, Any]:
    url = f"https://chat.deepseek.com/api/v0/chat/history_messages?chat_session_id={external_id}"
    return page_payload("deepseek", external_id, url, doc)


def test_a_long_conversation_is_stored_complete_with_its_reasoning_apart(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = history(long_conversation(200), current=200)
    reply = host.request("capture.network", network(doc))
    assert reply["ok"], reply
    assert reply["result"]["completeness"] == {"status": "complete", "stored": 200, "expected": 200}
    answer = rows(vivim_home, "SELECT markdown, kind, parent_key FROM messages WHERE key = '200'")
    assert answer == [("answer 199: $x_199$", None, "200.0")]
    thinking = rows(vivim_home, "SELECT markdown, kind, parent_key FROM messages WHERE key = '200.0'")
    assert thinking == [("reasoning about 199", "thinking", "199")]
    [(title, url)] = rows(vivim_home, "SELECT title, url FROM conversations")
    assert (title, url) == ("Median of a list", f"https://chat.deepseek.com/a/chat/s/{SESSION}")
    again = host.request("capture.network", network(doc))["result"]
    assert again["inserted"] == again["updated"] == 0  # re-opening changes nothing


def test_an_edited_prompt_is_a_branch_and_the_shown_one_is_current(
    host: HostProcess, vivim_home: Path
) -> None:
    messages = [
        message(1, None, "USER", [{"type": "REQUEST", "content": "first wording"}]),
        message(2, 1, "ASSISTANT", [{"type": "RESPONSE", "content": "reply to the first wording"}]),
        message(3, None, "USER", [{"type": "REQUEST", "content": "second wording"}]),
        message(4, 3, "ASSISTANT", [{"type": "RESPONSE", "content": "reply to the second wording"}]),
    ]
    host.request("capture.network", network(history(messages, current=4)))
    current = dict(rows(vivim_home, "SELECT key, is_current FROM messages"))
    assert current == {"1": 0, "2": 0, "3": 1, "4": 1}


def test_a_list_with_a_missing_parent_is_partial_not_complete(host: HostProcess) -> None:
    messages = long_conversation(6)[2:]  # messages 3..6: message 3's parent (2) is not in the list
    result = host.request("capture.network", network(history(messages, current=6)))["result"]
    assert result["completeness"]["status"] == "partial"


def test_an_error_answer_and_another_conversations_list_are_refused_and_write_nothing(
    host: HostProcess,
) -> None:
    error = {"code": 40003, "msg": "Authorization Failed (invalid token)", "data": None}
    failed = {"code": 0, "data": {"biz_code": 7, "biz_msg": "busy", "biz_data": None}}
    other = history(long_conversation(2), current=2, session="aaaaaaaa-0000-4000-8000-000000000000")
    for body in (error, failed, other, {"chat_messages": "nope"}, "[1, 2", json.dumps([])):
        reply = host.request("capture.network", network(body))
        assert reply["error"]["code"] == "payload_shape", (body, reply)
    stats = host.call("stats")
    assert stats["conversations"] == 0 and "network capture" in stats["adapter_health"]["deepseek"]["warning"]


async def test_the_payload_and_the_export_agree_on_keys_so_they_merge(store: Store) -> None:
    """The export's node ids are the payload's message ids: importing after a network capture adds nothing."""
    from vivim.importers import network as netcapture
    from vivim.store.capture import prepare_capture, upsert_capture

    export = json.loads((EXPORT / "conversations.json").read_text(encoding="utf-8"))[0]
    messages = []
    for node in export["mapping"].values():
        if node["message"] is None:
            continue
        parent = None if node["parent"] == "root" else int(node["parent"])
        role = "USER" if node["message"]["fragments"][0]["type"] == "REQUEST" else "ASSISTANT"
        messages.append(
            message(
                int(node["id"]), parent, role, node["message"]["fragments"], files=node["message"]["files"]
            )
        )
    parsed = netcapture.parse("deepseek", SESSION, json.dumps(history(messages, current=5)).encode())
    assert parsed.whole_tree and parsed.provider_ids == {"1", "2", "3", "4", "5"}
    await store.write(upsert_capture, prepare_capture(parsed.capture))
    summary = await import_path(store, EXPORT)
    assert summary.unchanged == 9  # every turn of the captured conversation, files and reasoning included
    assert summary.inserted == 6  # only the other two conversations' turns (3 + 3)
    assert summary.branched == summary.merged == 0
