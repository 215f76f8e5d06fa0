"""Canvas documents and artifacts are readable documents of their own kind, with their versions:
never JSON with escaped newlines, whose words at line starts no search could find."""

from __future__ import annotations

import json

from tests.support import payloads
from vivim.importers import chatgpt, claude
from vivim.importers.common import SkipLog
from vivim.retrieval.search import search_fulltext
from vivim.store import Store
from vivim.store.capture import upsert_capture

PLAN = "# Proofing plan\n\nRetard the dough overnight at 4 °C.\nBake at 250 °C with steam."
SCRIPT = "def hydration(flour, water):\n    return water / flour\n"


def chatgpt_with_canvas() -> dict:
    doc = payloads.chatgpt_conversation("0c1d2e3f-4a5b-8c6d-9e7f-a0b1c2d3e4f5", 2)
    mapping = doc["mapping"]
    parent = doc["current_node"]
    calls = [
        ("canmore.create_textdoc", {"name": "Proofing plan", "type": "document", "content": PLAN}),
        (
            "canmore.update_textdoc",
            {"updates": [{"pattern": "4 °C", "multiple": False, "replacement": "5 °C"}]},
        ),
        ("canmore.create_textdoc", {"name": "hydration.py", "type": "code/python", "content": SCRIPT}),
    ]
    for i, (recipient, args) in enumerate(calls):
        mid = f"canvas-{i}"
        message = payloads.chatgpt_message(
            mid,
            "assistant",
            "",
            payloads.BASE_TIME + 1000 + i,
            parent,
            content={
                "content_type": "code",
                "language": "json",
                "text": json.dumps(args, ensure_ascii=False),
            },
            recipient=recipient,
        )
        mapping[mid] = {"id": mid, "message": message, "parent": parent, "children": []}
        mapping[parent]["children"].append(mid)
        parent = mid
    last = "answer-with-sources"
    mapping[last] = {
        "id": last,
        "parent": parent,
        "children": [],
        "message": payloads.chatgpt_message(
            last,
            "assistant",
            "Your crumb depends on hydration [1].",
            payloads.BASE_TIME + 2000,
            parent,
            metadata={
                "content_references": [
                    {
                        "type": "grouped_webpages",
                        "matched_text": "[1]",
                        "items": [{"title": "Hydration and crumb", "url": "https://example.org/hydration"}],
                    }
                ],
                "attachments": [{"id": "file-9Xk2", "name": "starter-log.csv", "mime_type": "text/csv"}],
            },
        ),
    }
    mapping[parent]["children"].append(last)
    doc["current_node"] = last
    return doc


def test_a_canvas_is_a_readable_versioned_document_not_escaped_json() -> None:
    turns = {t.key: t for t in chatgpt.conversation(chatgpt_with_canvas(), SkipLog()).turns}
    first, updated, code = turns["canvas-0"], turns["canvas-1"], turns["canvas-2"]
    assert (first.kind, updated.kind, code.kind) == ("canvas", "canvas", "canvas")
    assert first.markdown.startswith("**Canvas: Proofing plan** (version 1)\n\n# Proofing plan\n\nRetard")
    assert "\\n" not in first.markdown and "\\n" not in first.text
    assert (
        "(version 2)" in updated.markdown and "at 5 °C" in updated.markdown and "4 °C" not in updated.markdown
    )
    assert code.markdown.endswith(f"```python\n{SCRIPT}\n```")
    sources = turns["answer-with-sources"].markdown
    assert "- [Hydration and crumb](https://example.org/hydration)" in sources
    assert "starter-log.csv (`file-9Xk2`)" in sources


async def test_words_at_the_start_of_a_canvas_line_are_found(store: Store) -> None:
    capture = chatgpt.conversation(chatgpt_with_canvas(), SkipLog())
    await store.write(upsert_capture, capture)
    for word in ("Retard", "Bake"):
        hits = (await store.read(search_fulltext, word))["results"]
        assert hits and hits[0]["hits"][0]["role"] == "assistant", word


def test_claude_artifacts_keep_every_version_as_a_document() -> None:
    doc = payloads.claude_conversation("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", 2)
    answer = doc["chat_messages"][1]
    answer["content"] = [
        {"type": "text", "text": "Here is the plan."},
        {
            "type": "tool_use",
            "name": "artifacts",
            "input": {
                "id": "proof-plan",
                "type": "text/markdown",
                "title": "Proofing plan",
                "command": "create",
                "content": PLAN,
            },
        },
        {
            "type": "tool_use",
            "name": "artifacts",
            "input": {"id": "proof-plan", "command": "update", "old_str": "4 °C", "new_str": "5 °C"},
        },
        {"type": "tool_use", "name": "web_search", "input": {"query": "crumb"}},
        {
            "type": "tool_result",
            "name": "web_search",
            "content": [
                {
                    "type": "knowledge",
                    "title": "Crumb structure",
                    "url": "https://example.org/crumb",
                    "text": "",
                }
            ],
        },
    ]
    answer["files_v2"] = [{"file_kind": "image", "file_uuid": "f-77", "file_name": "crumb.jpg"}]
    turns = claude.conversation(doc, SkipLog()).turns
    artifacts = [t for t in turns if t.kind == "artifact"]
    assert [a.markdown.splitlines()[0] for a in artifacts] == [
        "**Artifact: Proofing plan** (version 1)",
        "**Artifact: Proofing plan** (version 2)",
    ]
    assert artifacts[1].markdown.endswith(PLAN.replace("4 °C", "5 °C"))
    assert any(
        t.kind == "tool_result" and "[Crumb structure](https://example.org/crumb)" in t.markdown
        for t in turns
    )
    assert any(t.kind == "attachment" and t.markdown == "[crumb.jpg] (`f-77`)" for t in turns)
    assert turns[-1].markdown == "Here is the plan."  # the visible answer, under the message's own id
