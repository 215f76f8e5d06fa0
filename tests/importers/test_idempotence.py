"""Import is idempotent and order-independent, and merges with what live capture stored."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vivim.importers import import_path
from vivim.normalize import html_to_text
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store import Store
from vivim.store.capture import upsert_capture

from .helpers import CHATGPT, CHATGPT_SHARDED, CLAUDE, GEMINI, GEMINI_HTML, messages_of, snapshot

ALL = [CHATGPT, CHATGPT_SHARDED, CLAUDE, GEMINI, GEMINI_HTML]
DEPLOY = "67a1b2c3-0000-4000-8000-000000000001"


async def test_importing_every_fixture_twice_changes_nothing_the_second_time(store):
    for path in ALL:
        await import_path(store, path)
    before = await store.read(snapshot)
    for path in ALL:
        summary = await import_path(store, path)
        assert summary.inserted == summary.updated == summary.branched == 0, path
        assert summary.conversations_created == 0
    assert await store.read(snapshot) == before


async def test_a_conversation_captured_live_and_then_imported_is_not_duplicated(store):
    answer_html = (
        "<p>A connection timeout usually means the database port is closed:</p>"
        "<ol><li>Check the security group</li><li>Check <code>DATABASE_URL</code></li></ol>"
    )
    captured = CaptureUpsert(
        conversation=ConversationIn(
            provider="chatgpt",
            external_id=DEPLOY,
            title="Deploy timeout",
            url=f"https://chatgpt.com/c/{DEPLOY}",
        ),
        turns=[
            # the page exposes ChatGPT's message ids: same keys as the export
            TurnIn(
                key="u1",
                message_id="u1",
                role="user",
                position=0,
                html="<p>The deploy failed with a <strong>connection timeout</strong> to the database.</p>",
                text="The deploy failed with a connection timeout to the database.",
            ),
            # a turn the adapter keyed by DOM position, with no id: merged by its text
            TurnIn(
                key="turn-1",
                role="assistant",
                position=1,
                parent_key="u1",
                html=answer_html,
                text=html_to_text(answer_html),
            ),
        ],
        source="capture",
    )
    await store.write(upsert_capture, captured)
    summary = await import_path(store, CHATGPT / "conversations.json")
    assert summary.merged == 1
    messages = await store.read(messages_of, "chatgpt", DEPLOY)
    assert len(messages) == 5  # u1, a1, a1b (as turn-1), u2, a2
    texts = [m["text"] for m in messages.values()]
    assert len(texts) == len(set(texts))
    assert sum(1 for t in texts if t.startswith("A connection timeout")) == 1
    conversations = await store.read(lambda c: c.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])
    assert conversations == 2
    # and importing again is still a no-op
    again = await import_path(store, CHATGPT / "conversations.json")
    assert again.inserted == again.branched == 0


# ---- property: any order, any number of times, same store -----------------------------------

WORDS = st.sampled_from(["deploy", "timeout", "index", "query", "tree", "vector", "merge", "branch", "cache"])


@st.composite
def chatgpt_conversation(draw, index: int):
    size = draw(st.integers(1, 6))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, size)]
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    for i, parent in enumerate(parents):
        node_id = f"c{index}-n{i}"
        parent_id = "root" if parent is None else f"c{index}-n{parent}"
        text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=5))) + f" ({index}.{i})"
        mapping[node_id] = {
            "id": node_id,
            "parent": parent_id,
            "children": [],
            "message": {
                "id": node_id,
                "author": {"role": draw(st.sampled_from(["user", "assistant"]))},
                "create_time": 1_700_000_000.0 + index * 1000 + i,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {},
            },
        }
        mapping[parent_id]["children"].append(node_id)
    return {
        "title": f"conversation {index}",
        "create_time": 1_700_000_000.0 + index * 1000,
        "conversation_id": f"conv-{index}",
        "mapping": mapping,
        "current_node": f"c{index}-n{draw(st.integers(0, size - 1))}",
    }


@st.composite
def export_files(draw):
    """A few conversations spread over shard files, some exported twice (in two shards)."""
    count = draw(st.integers(1, 5))
    conversations = [draw(chatgpt_conversation(i)) for i in range(count)]
    shards = draw(st.integers(1, 3))
    files: list[list[dict]] = [[] for _ in range(shards)]
    for conversation in conversations:
        for shard in draw(st.sets(st.integers(0, shards - 1), min_size=1)):
            files[shard].append(conversation)
    return [f for f in files if f]


def _write(folder: Path, files: list[list[dict]]) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i, conversations in enumerate(files):
        path = folder / f"conversations-{i:03d}.json"
        path.write_text(json.dumps(conversations))
        paths.append(path)
    return paths


async def _import_in_order(home: Path, paths: list[Path], times: int) -> dict:
    store = await Store.open(home / "vivim.sqlite3")
    try:
        for _ in range(times):
            for path in paths:
                await import_path(store, path)
        return await store.read(snapshot)
    finally:
        await store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=export_files(), data=st.data())
def test_import_is_idempotent_and_independent_of_file_and_conversation_order(files, data):
    shuffled = [data.draw(st.permutations(f)) for f in data.draw(st.permutations(files))]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        canonical = _write(root / "canonical", files)
        reordered = _write(root / "reordered", shuffled)
        once = asyncio.run(_import_in_order(root / "home-a", canonical, times=1))
        twice_reordered = asyncio.run(_import_in_order(root / "home-b", reordered, times=2))
        backwards = asyncio.run(_import_in_order(root / "home-c", list(reversed(canonical)), times=2))
    assert once == twice_reordered == backwards
    assert len(once["conversations"]) == len({c["conversation_id"] for f in files for c in f})


async def test_a_newer_export_of_a_grown_conversation_adds_only_the_new_messages(store, tmp_path: Path):
    conversations = json.loads((CHATGPT / "conversations.json").read_text())
    await import_path(store, CHATGPT / "conversations.json")
    deploy = conversations[0]
    deploy["mapping"]["a2"]["children"] = ["u3"]
    deploy["mapping"]["u3"] = {
        "id": "u3",
        "parent": "a2",
        "children": [],
        "message": {
            "id": "u3",
            "author": {"role": "user"},
            "create_time": 1712346000.0,
            "content": {"content_type": "text", "parts": ["Opened the port, it works now."]},
            "metadata": {},
        },
    }
    deploy["current_node"] = "u3"
    newer = tmp_path / "conversations.json"
    newer.write_text(json.dumps(conversations))
    summary = await import_path(store, newer)
    assert summary.inserted == 1 and summary.updated == summary.branched == 0
    assert summary.conversations_created == 0 and summary.conversations_changed == 1
    messages = await store.read(messages_of, "chatgpt", DEPLOY)
    assert messages["u3"]["parent_key"] == "a2" and messages["u3"]["position"] == 4
