"""capture.network through a real host process over real pipes: the sites' own conversation payloads
become complete, stated conversations; a payload in an unknown or hostile shape is refused whole."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from tests.support import payloads
from tests.support.hostproc import HostProcess
from tests.support.netcapture import rows

CHATGPT_ID = "6a0f1e2d-3c4b-8a59-b6c7-d8e9f0a1b2c3"
CLAUDE_ID = "7b1e2d3c-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
GROK_ID = "8c2f3e4d-5b6c-4d7e-9f80-a1b2c3d4e5f6"
COPILOT_ID = "kY8vQx2LmN4pR6sT0uWz1"
URLS = {
    "chatgpt": "https://chatgpt.com/backend-api/conversation/{id}",
    "chatgpt-thread": "https://chatgpt.com/backend-api/conversations/{id}/messages?limit=20",
    "claude": "https://claude.ai/api/organizations/org-1/chat_conversations/{id}?tree=True",
    "grok": "https://grok.com/rest/app-chat/conversations/{id}/load-responses",
    "grok-tree": "https://grok.com/rest/app-chat/conversations/{id}/response-node?includeThreads=true",
    "copilot": "https://copilot.microsoft.com/c/api/conversations/{id}/history?api-version=2",
}


def network(
    provider: str, external_id: str, doc: Any, *, gz: bool = False, parts: int = 1, query: str = ""
) -> list[dict[str, Any]]:
    body = doc if isinstance(doc, str) else json.dumps(doc)
    if gz:
        body = base64.b64encode(gzip.compress(body.encode())).decode()
    size = -(-len(body) // parts)
    url = URLS[provider].format(id=external_id)
    if provider == "chatgpt" and isinstance(doc, dict) and "page_info" in doc:
        url = URLS["chatgpt-thread"].format(id=external_id)
    if provider == "grok" and isinstance(doc, dict) and "responseNodes" in doc:
        url = URLS["grok-tree"].format(id=external_id)
    url += query
    return [
        {
            "provider": provider,
            "external_id": external_id,
            "url": url,
            "body": body[i * size : (i + 1) * size],
            "encoding": "gzip-base64" if gz else "json",
            "payload_id": "p-1",
            "part": i,
            "parts": parts,
        }
        for i in range(parts)
    ]


def send_all(host: HostProcess, messages: list[dict[str, Any]]) -> dict[str, Any]:
    reply: dict[str, Any] = {}
    for message in messages:
        reply = host.request("capture.network", message)
    return reply


def test_a_300_turn_chatgpt_conversation_in_gzip_parts_is_stored_whole_and_complete(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 300, branch_at=10)
    reply = send_all(host, network("chatgpt", CHATGPT_ID, doc, gz=True, parts=3))
    assert reply["ok"], reply
    assert reply["result"]["completeness"] == {"status": "complete", "stored": 301, "expected": 301}
    texts = {r[0] for r in rows(vivim_home, "SELECT text FROM messages")}
    assert {payloads.turn_text(i) for i in range(300)} <= texts
    assert payloads.HIDDEN_BRANCH_TEXT in texts  # the branch the page never showed
    listed = host.call("conversation.list", {"completeness": "complete"})["items"]
    assert [c["completeness"]["label"] for c in listed] == ["complete"]


def test_reopening_the_same_conversation_changes_nothing_and_stores_its_raw_payload_once(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 40)
    first = send_all(host, network("chatgpt", CHATGPT_ID, doc))["result"]
    again = send_all(host, network("chatgpt", CHATGPT_ID, doc))["result"]
    assert (first["inserted"], first["raw_stored"]) == (40, True)
    assert (again["inserted"], again["updated"], again["unchanged"], again["raw_stored"]) == (0, 0, 40, False)
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads") == [(1,)]


def test_pages_of_older_turns_complete_a_conversation_that_was_partial(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 120)
    newest, middle, oldest = payloads.chatgpt_pages(doc, 50)
    status = send_all(host, network("chatgpt", CHATGPT_ID, newest))["result"]["completeness"]
    assert status["status"] == "partial" and status["expected"] is None
    label = host.call("conversation.get", {"provider": "chatgpt", "external_id": CHATGPT_ID})["conversation"]
    assert label["completeness"]["label"] == f"partial ({status['stored']} of ?)"
    send_all(host, network("chatgpt", CHATGPT_ID, middle))
    status = send_all(host, network("chatgpt", CHATGPT_ID, oldest))["result"]["completeness"]
    assert status == {"status": "complete", "stored": 120, "expected": 120}
    positions = [r[0] for r in rows(vivim_home, "SELECT position FROM messages ORDER BY position")]
    assert positions == list(range(120))  # older pages joined the tree where they belong


def test_the_rebuilt_chatgpts_thread_runs_join_in_order_and_complete_along_their_cursor_chain(
    host: HostProcess, vivim_home: Path
) -> None:
    newest, middle, oldest = payloads.chatgpt_thread_pages(CHATGPT_ID, 50, page_size=20)
    status = send_all(host, network("chatgpt", CHATGPT_ID, newest))["result"]["completeness"]
    assert status == {"status": "partial", "stored": 20, "expected": None}
    before = "&before=" + newest["page_info"]["start_cursor"]
    status = send_all(host, network("chatgpt", CHATGPT_ID, middle, query=before))["result"]["completeness"]
    assert status["status"] == "partial"
    before = "&before=" + middle["page_info"]["start_cursor"]
    status = send_all(host, network("chatgpt", CHATGPT_ID, oldest, query=before))["result"]["completeness"]
    assert status == {"status": "complete", "stored": 50, "expected": 50}
    stored = rows(vivim_home, "SELECT key, parent_key, text, position, role FROM messages ORDER BY position")
    assert [t for _, _, t, _, _ in stored] == [payloads.turn_text(i) for i in range(50)]  # no hidden system
    assert [p for _, p, _, _, _ in stored[1:]] == [k for k, _, _, _, _ in stored[:-1]]
    assert [pos for _, _, _, pos, _ in stored] == list(range(50))
    assert stored[0][0] == payloads.chatgpt_id(CHATGPT_ID, 0) and stored[1][4] == "assistant"
    listed = host.call("conversation.get", {"provider": "chatgpt", "external_id": CHATGPT_ID})["conversation"]
    assert listed["title"] == "Sourdough notebook"


def test_chatgpt_thread_runs_without_a_proven_cursor_chain_stay_partial(host: HostProcess) -> None:
    newest, oldest = payloads.chatgpt_thread_pages(CHATGPT_ID, 30, page_size=20)
    send_all(host, network("chatgpt", CHATGPT_ID, newest))
    # The older run, but its address names no cursor of the newer one: a gap between them is possible.
    status = send_all(host, network("chatgpt", CHATGPT_ID, oldest))["result"]["completeness"]
    assert status["status"] == "partial" and status["stored"] == 30
    [whole] = payloads.chatgpt_thread_pages(CHATGPT_ID, 30, page_size=40)
    status = send_all(host, network("chatgpt", CHATGPT_ID, whole))["result"]["completeness"]
    assert status == {"status": "complete", "stored": 30, "expected": 30}


def test_a_chatgpt_thread_run_in_a_hostile_shape_is_refused_whole(
    host: HostProcess, vivim_home: Path
) -> None:
    [page] = payloads.chatgpt_thread_pages(CHATGPT_ID, 6, page_size=10)
    twice = {**page, "messages": [*page["messages"], page["messages"][1]]}
    no_id = {**page, "messages": [*page["messages"], {"author": {"role": "user"}}]}
    other = {**page, "conversation_id": "aaaaaaaa-0000-4000-8000-000000000000"}
    flag = {**page, "page_info": {**page["page_info"], "has_next_page": "no"}}
    for doc in (twice, no_id, other, flag):
        reply = send_all(host, network("chatgpt", CHATGPT_ID, doc))
        assert reply["error"]["code"] == "payload_shape", reply
    assert rows(vivim_home, "SELECT COUNT(*) FROM messages") == [(0,)]
    assert send_all(host, network("chatgpt", CHATGPT_ID, page))["result"]["inserted"] == 6


def test_a_claude_tree_with_a_hidden_branch_is_stored_with_its_ids_and_parents(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.claude_conversation(CLAUDE_ID, 30, branch_at=4)
    result = send_all(host, network("claude", CLAUDE_ID, doc))["result"]
    assert result["completeness"] == {"status": "complete", "stored": 31, "expected": 31}
    [(parent, current)] = rows(
        vivim_home, "SELECT parent_key, is_current FROM messages WHERE text LIKE ?", "%hidden-branch%"
    )
    assert (parent, current) == (payloads.claude_id(CLAUDE_ID, 4), 0)


def test_a_grok_conversation_is_stored_with_the_page_ids_and_a_hidden_branch_apart(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.grok_load_responses(GROK_ID, 20, branch_at=5)
    send_all(host, network("grok", GROK_ID, payloads.grok_tree(doc)))  # the page asks for the tree first
    result = send_all(host, network("grok", GROK_ID, doc))["result"]
    assert result["completeness"] == {"status": "complete", "stored": 21, "expected": 21}
    [(parent, current, key)] = rows(
        vivim_home, "SELECT parent_key, is_current, key FROM messages WHERE text LIKE ?", "%hidden-branch%"
    )
    assert (parent, current) == (payloads.grok_id(GROK_ID, 5), 0)
    # keys are the response ids the page puts on each turn's element (id="response-<uuid>")
    keys = {k for (k,) in rows(vivim_home, "SELECT key FROM messages")}
    assert {payloads.grok_id(GROK_ID, i) for i in range(20)} | {key} == keys
    # re-opening the conversation changes nothing, and stores nothing more
    send_all(host, network("grok", GROK_ID, payloads.grok_tree(doc)))
    again = send_all(host, network("grok", GROK_ID, doc))["result"]
    assert again["inserted"] == again["updated"] == 0
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads") == [(2,)]


def test_grok_bodies_of_the_shown_branch_only_are_partial_against_the_tree_until_the_other_branch_comes(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.grok_load_responses(GROK_ID, 20, branch_at=5)
    tree = payloads.grok_tree(doc)
    hidden = doc["responses"][-1]["responseId"]
    shown = {r["responseId"] for r in doc["responses"]} - {hidden}
    send_all(host, network("grok", GROK_ID, tree))
    first = send_all(host, network("grok", GROK_ID, payloads.grok_bodies(doc, shown)))["result"]
    assert first["completeness"] == {"status": "partial", "stored": 20, "expected": 21}
    label = host.call("conversation.get", {"provider": "grok", "external_id": GROK_ID})["conversation"]
    assert label["completeness"]["label"] == "partial (20 of 21)"
    # switching to the other branch loads its response: now every id of the tree is stored
    second = send_all(host, network("grok", GROK_ID, payloads.grok_bodies(doc, {hidden})))["result"]
    assert second["completeness"] == {"status": "complete", "stored": 21, "expected": 21}
    assert rows(vivim_home, "SELECT COUNT(*) FROM messages WHERE text LIKE '%hidden-branch%'") == [(1,)]


def test_grok_bodies_without_the_tree_are_never_complete_and_a_late_tree_completes_them(
    host: HostProcess,
) -> None:
    doc = payloads.grok_load_responses(GROK_ID, 12, branch_at=3)
    first = send_all(host, network("grok", GROK_ID, doc))["result"]
    assert first["completeness"] == {"status": "partial", "stored": 13, "expected": None}
    late = send_all(host, network("grok", GROK_ID, payloads.grok_tree(doc)))["result"]
    assert late["completeness"] == {"status": "complete", "stored": 13, "expected": 13}


def test_a_grown_grok_conversation_replaces_its_older_tree_and_bodies(
    host: HostProcess, vivim_home: Path
) -> None:
    older = payloads.grok_load_responses(GROK_ID, 10)
    send_all(host, network("grok", GROK_ID, payloads.grok_tree(older)))
    send_all(host, network("grok", GROK_ID, older))
    grown = payloads.grok_load_responses(GROK_ID, 14)
    send_all(host, network("grok", GROK_ID, payloads.grok_tree(grown)))
    # the new tree names four responses no stored body holds yet
    status = host.call("conversation.get", {"provider": "grok", "external_id": GROK_ID})["conversation"]
    assert status["completeness"]["label"] == "partial (10 of 14)"
    result = send_all(host, network("grok", GROK_ID, grown))["result"]
    assert result["completeness"] == {"status": "complete", "stored": 14, "expected": 14}
    kinds = rows(vivim_home, "SELECT url FROM raw_payloads ORDER BY url")
    assert [u.rsplit("/", 1)[1] for (u,) in kinds] == ["load-responses", "response-node?includeThreads=true"]


def test_an_empty_grok_response_in_the_tree_does_not_keep_the_conversation_partial(host: HostProcess) -> None:
    doc = payloads.grok_load_responses(GROK_ID, 6)
    doc["responses"][3]["message"] = ""  # an answer that failed: nothing to store
    send_all(host, network("grok", GROK_ID, payloads.grok_tree(doc)))
    result = send_all(host, network("grok", GROK_ID, doc))["result"]
    assert result["completeness"] == {"status": "complete", "stored": 5, "expected": 5}


def test_a_grok_tree_whose_oldest_responses_are_missing_is_partial(host: HostProcess) -> None:
    doc = payloads.grok_load_responses(GROK_ID, 10, drop_first=4)
    result = send_all(host, network("grok", GROK_ID, doc))["result"]
    assert result["completeness"]["status"] == "partial"
    other = payloads.grok_load_responses(GROK_ID, 4)
    other["responses"][0]["conversationId"] = "aaaaaaaa-0000-4000-8000-000000000000"
    assert send_all(host, network("grok", GROK_ID, other))["error"]["code"] == "payload_shape"
    broken = {"responseNodes": [{"sender": "human"}]}
    assert send_all(host, network("grok", GROK_ID, broken))["error"]["code"] == "payload_shape"


def test_a_copilot_conversation_that_grew_is_partial_until_the_new_visits_pages_reach_the_oldest(
    host: HostProcess, vivim_home: Path
) -> None:
    # first visit: the whole conversation fits on one page
    [whole] = payloads.copilot_history(COPILOT_ID, 30)
    first = send_all(host, network("copilot", COPILOT_ID, whole))["result"]
    assert first["completeness"] == {"status": "complete", "stored": 30, "expected": 30}
    # a later visit: 60 messages, the newest page names older ones; turns 20-29 came on no page yet
    newest, middle, oldest = payloads.copilot_history(COPILOT_ID, 60, page_size=20)
    status = send_all(host, network("copilot", COPILOT_ID, newest))["result"]["completeness"]
    assert status["status"] == "partial"  # the first visit's cursor-less page proves nothing now
    status = send_all(host, network("copilot", COPILOT_ID, middle, query="&cursor=" + newest["next"]))
    assert status["result"]["completeness"]["status"] == "partial"
    status = send_all(host, network("copilot", COPILOT_ID, oldest, query="&cursor=" + middle["next"]))
    assert status["result"]["completeness"] == {"status": "complete", "stored": 60, "expected": 60}
    texts = [t for (t,) in rows(vivim_home, "SELECT text FROM messages ORDER BY position")]
    assert texts == [payloads.turn_text(i) for i in range(60)]


def test_copilot_history_pages_are_partial_until_the_oldest_page_joins_them(
    host: HostProcess, vivim_home: Path
) -> None:
    newest, older = payloads.copilot_history(COPILOT_ID, 30, page_size=20)
    first = send_all(host, network("copilot", COPILOT_ID, newest))["result"]
    assert first["completeness"]["status"] == "partial"
    second = send_all(host, network("copilot", COPILOT_ID, older, query="&cursor=" + newest["next"]))[
        "result"
    ]
    assert second["completeness"] == {"status": "complete", "stored": 30, "expected": 30}
    texts = [t for (t,) in rows(vivim_home, "SELECT text FROM messages ORDER BY position")]
    assert texts == [payloads.turn_text(i) for i in range(30)]  # one thread, oldest first
    keys = rows(vivim_home, "SELECT key, parent_key FROM messages ORDER BY position")
    assert [p for _, p in keys[1:]] == [k for k, _ in keys[:-1]]
    assert send_all(host, network("copilot", COPILOT_ID, {"value": []}))["error"]["code"] == "payload_shape"


def test_an_unknown_shape_is_refused_with_a_warning_and_writes_nothing(
    host: HostProcess, vivim_home: Path
) -> None:
    reply = send_all(host, network("chatgpt", CHATGPT_ID, {"items": [], "cursor": None}))
    assert reply["error"]["code"] == "payload_shape"
    stats = host.call("stats")
    assert "network capture" in stats["adapter_health"]["chatgpt"]["warning"]
    assert stats["conversations"] == 0 and stats["raw_payloads"]["payloads"] == 0


def test_hostile_payloads_are_refused_and_the_host_keeps_serving(host: HostProcess, vivim_home: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    wrong_types = {"mapping": {"a": "not a node", "b": [1, 2]}, "current_node": 7}
    nodes_of_wrong_type = {
        "mapping": {"a": {"message": {"author": "me", "content": [1]}, "parent": None, "children": "x"}}
    }
    bomb = base64.b64encode(gzip.compress(b"{" + b" " * (80 * 1024 * 1024) + b"}")).decode()
    for body in (deep, json.dumps(wrong_types), json.dumps(nodes_of_wrong_type), "not json at all"):
        reply = send_all(host, network("chatgpt", CHATGPT_ID, body))
        assert reply["error"]["code"] == "payload_shape", reply
    reply = host.request(
        "capture.network",
        {**network("chatgpt", CHATGPT_ID, "{}")[0], "body": bomb, "encoding": "gzip-base64"},
    )
    assert reply["error"]["code"] == "payload_shape"
    assert host.call("stats")["conversations"] == 0
    assert host.call("hello", {})["protocol"] == 1  # still serving


def test_a_payload_of_another_conversation_than_the_pages_is_refused(host: HostProcess) -> None:
    doc = payloads.claude_conversation("aaaaaaaa-0000-4000-8000-000000000000", 4)
    reply = send_all(host, network("claude", CLAUDE_ID, doc))
    assert reply["error"]["code"] == "payload_shape"


def test_a_payload_read_after_a_refused_one_clears_the_warning(host: HostProcess) -> None:
    send_all(host, network("chatgpt", CHATGPT_ID, {"items": []}))
    assert host.call("stats")["adapter_health"]["chatgpt"]["warning"]
    send_all(host, network("chatgpt", CHATGPT_ID, payloads.chatgpt_conversation(CHATGPT_ID, 4)))
    assert host.call("stats")["adapter_health"]["chatgpt"]["warning"] is None


def test_a_whole_payload_supersedes_the_older_ones_and_pages_are_kept_until_then(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = payloads.chatgpt_conversation(CHATGPT_ID, 60)
    newest, older = payloads.chatgpt_pages(doc, 40)
    send_all(host, network("chatgpt", CHATGPT_ID, newest))
    send_all(host, network("chatgpt", CHATGPT_ID, older))
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads") == [(2,)]  # two pages: both needed
    grown = payloads.chatgpt_conversation(CHATGPT_ID, 62)  # re-opened later, two turns longer, whole
    status = send_all(host, network("chatgpt", CHATGPT_ID, grown))["result"]["completeness"]
    assert status == {"status": "complete", "stored": 62, "expected": 62}
    assert rows(vivim_home, "SELECT COUNT(*) FROM raw_payloads") == [(1,)]


def test_copilot_think_deeper_reasoning_and_citations_are_stored_apart_from_the_answer(
    host: HostProcess, vivim_home: Path
) -> None:
    [page] = payloads.copilot_history(COPILOT_ID, 4)
    answer = page["results"][1]
    answer["content"] = [
        {"type": "chainOfThought", "text": "Weigh the districts by distance first."},
        {"type": "text", "text": "Stay in **Higashiyama**: temples open at 6:00."},
        {"type": "citation", "url": "https://www.japan-guide.com/e/e3902.html", "title": "Kyoto [guide]"},
        {"type": "image", "url": "https://th.bing.com/th/id/kyoto.jpg", "prompt": "a temple at dawn"},
    ]
    result = send_all(host, network("copilot", COPILOT_ID, page))["result"]
    assert result["completeness"] == {"status": "complete", "stored": 4, "expected": 4}
    stored = rows(vivim_home, "SELECT role, kind, markdown FROM messages ORDER BY position")
    assert [(r, k) for r, k, _ in stored] == [
        ("user", None),
        ("assistant", "thinking"),
        ("tool", "sources"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
    ]
    assert stored[1][2] == "Weigh the districts by distance first."
    assert "Weigh the districts" not in stored[3][2]  # the answer is the answer alone
    assert stored[3][2].startswith("Stay in **Higashiyama**")
    assert "![a temple at dawn](https://th.bing.com/th/id/kyoto.jpg)" in stored[3][2]
    assert "[Kyoto (guide)](https://www.japan-guide.com/e/e3902.html)" in stored[2][2]
