"""capture.network for Google AI Studio through a real host process: the page's own
`ResolveDriveResource` answer (positional JSON) becomes the whole prompt, stated complete, merged with
the turns the DOM captured; anything that is not this page's prompt is refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.hostproc import HostProcess
from tests.support.netcapture import page_payload, rows

FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "aistudio" / "resolve_drive_resource.json"
)
PROMPT_ID = "1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV"
RPC = (
    "https://alkalimakersuite-pa.clients6.google.com/$rpc/google.internal.alkali.applications."
    "makersuite.v1.MakerSuiteService/ResolveDriveResource"
)
FIRST_PROMPT = (
    "Compare Dijkstra and A* for a grid with weights 1–9.\n\n"
    "Ответь кратко, и приведи пример на Python. 日本語の説明も一行お願いします。"
)


def network(body: str, external_id: str = PROMPT_ID) -> dict[str, Any]:
    return page_payload("aistudio", external_id, RPC, body)


def test_the_pages_prompt_payload_is_stored_whole_and_complete(host: HostProcess, vivim_home: Path) -> None:
    reply = host.request("capture.network", network(FIXTURE.read_text(encoding="utf-8")))
    assert reply["ok"], reply
    assert reply["result"]["completeness"] == {"status": "complete", "stored": 5, "expected": 5}
    stored = rows(
        vivim_home,
        "SELECT m.role, m.kind, m.text FROM messages m ORDER BY m.position",
    )
    assert [(r[0], r[1]) for r in stored] == [
        ("system", "system_instruction"),
        ("user", None),
        ("assistant", "thinking"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
    ]
    assert stored[1][2] == FIRST_PROMPT
    assert "never overestimates" in stored[2][2] and "never overestimates" not in stored[3][2]
    [(title, model, url)] = rows(vivim_home, "SELECT title, model, url FROM conversations")
    assert (title, model) == ("Dijkstra vs A star", "gemini-2.5-pro")
    assert url == f"https://aistudio.google.com/prompts/{PROMPT_ID}"


def test_turns_the_dom_captured_first_are_matched_not_duplicated(host: HostProcess, vivim_home: Path) -> None:
    dom = {
        "conversation": {"provider": "aistudio", "external_id": PROMPT_ID, "title": "Dijkstra vs A star"},
        "turns": [
            {"key": "u0-k1", "role": "user", "position": 0, "text": FIRST_PROMPT, "html": "<p>x</p>"},
            {
                "key": "a1-k2",
                "role": "assistant",
                "position": 1,
                "parent_key": "u0-k1",
                "text": "Both find a shortest path; A* explores fewer cells when its heuristic is admissible.\n"
                "Dijkstra: expands by distance so far, g(n).\nA*: expands by g(n) + h(n), with Manhattan"
                " distance as h.",
            },
        ],
    }
    assert host.request("capture.upsert", dom)["ok"]
    reply = host.request("capture.network", network(FIXTURE.read_text(encoding="utf-8")))
    assert reply["result"]["completeness"]["status"] == "complete"
    users = rows(
        vivim_home, "SELECT key, provider_message_id FROM messages WHERE role = 'user' ORDER BY position"
    )
    assert [u[1] for u in users] == ["chunk-0", "chunk-3"]
    assert users[0][0] == "u0-k1"  # the DOM's row, given the payload's structure
    assert rows(vivim_home, "SELECT COUNT(*) FROM messages WHERE text LIKE 'Both find%'") == [(1,)]


def test_a_payload_of_another_prompt_or_no_prompt_is_refused(host: HostProcess) -> None:
    other = FIXTURE.read_text(encoding="utf-8").replace(PROMPT_ID, "1OtherPromptIdOtherPromptId0000000")
    assert host.request("capture.network", network(other))["error"]["code"] == "payload_shape"
    for body in ('[["files/1abc", null, null]]', "[]", '{"prompt": 1}', "[" * 50_000 + "]" * 50_000, "nope"):
        reply = host.request("capture.network", network(body))
        assert reply["error"]["code"] == "payload_shape", (body[:20], reply)
    stats = host.call("stats")
    assert "network capture" in stats["adapter_health"]["aistudio"]["warning"]
    assert stats["conversations"] == 0
    assert host.call("hello", {})["protocol"] == 1  # still serving


def test_chunks_in_shapes_it_does_not_know_are_skipped_not_guessed(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    chunks = doc[0][13][0]
    chunks.insert(1, [None] * 8 + ["user", None, None, None, {"unknown": "media"}])  # a media chunk
    chunks.append("not a chunk")
    reply = host.request("capture.network", network(json.dumps(doc)))
    assert reply["ok"], reply
    texts = [
        r[0] for r in rows(vivim_home, "SELECT text FROM messages WHERE role = 'user' ORDER BY position")
    ]
    assert texts == [FIRST_PROMPT, "And with diagonal moves?"]


def test_the_sources_an_answer_was_grounded_on_are_kept_beside_it(
    host: HostProcess, vivim_home: Path
) -> None:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    answer = doc[0][13][0][4]  # the last answer
    answer += [None] * (16 - len(answer))
    answer[15] = [
        None,
        ["octile distance"],
        [[1, "https://example.org/octile", "Octile distance"], [2, "ftp://x"]],
    ]
    assert host.request("capture.network", network(json.dumps(doc)))["ok"]
    [(markdown, key)] = rows(vivim_home, "SELECT markdown, key FROM messages WHERE kind = 'sources'")
    assert (markdown, key) == (
        "**Sources**\n\n1. [Octile distance](https://example.org/octile)",
        "chunk-4.sources",
    )
