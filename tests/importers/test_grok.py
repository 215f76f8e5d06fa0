"""Grok's data export (prod-grok-backend.json): the tree of responses, reasoning and sources kept
apart from the answer, BSON dates, a damaged file, and merging with what live capture stored."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from vivim.errors import ImportFormatError
from vivim.importers import import_path
from vivim.importers.reader import find_export_files
from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
from vivim.store.capture import upsert_capture

from .helpers import GROK, GROK_CARDS, GROK_JSON, conversation_row, messages_of, snapshot

MEDIAN = "7d2e4c10-0a1b-4c2d-8e3f-101112131415"
IMAGE = "7d2e4c10-0a1b-4c2d-8e3f-202122232425"


def rid(n: int) -> str:
    return f"a0000001-0000-4000-8000-00000000000{n}"


async def test_the_export_folder_as_downloaded_imports_only_the_conversations(store):
    summary = await import_path(store, GROK)
    assert [f.split(" ")[-1] for f in summary.files] == ["(grok)"]  # not the account/billing files
    assert summary.conversations == 2 and not summary.errors
    assert find_export_files(GROK_JSON)[0].format == "grok"


async def test_the_zip_as_downloaded_is_recognised_by_content(store, tmp_path: Path):
    archive = tmp_path / "grok-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in GROK.rglob("*.json"):
            zf.write(path, path.relative_to(GROK).as_posix())
    summary = await import_path(store, archive)
    assert summary.conversations == 2 and not summary.errors


async def test_regenerated_answers_are_branches_and_the_newest_path_is_current(store):
    await import_path(store, GROK_JSON)
    messages = await store.read(messages_of, "grok", MEDIAN)
    # answers 2 and 3 both answer prompt 1; the user went on from answer 3
    assert messages[rid(2)]["parent_key"] == rid(1)
    assert messages[f"{rid(3)}.0"]["parent_key"] == rid(1)
    assert messages[rid(4)]["parent_key"] == rid(3)
    assert messages[rid(2)]["is_current"] == 0
    assert all(messages[k]["is_current"] for k in (rid(1), rid(3), rid(4), rid(5)))
    assert [messages[k]["role"] for k in (rid(1), rid(2), rid(4), rid(5))] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]  # "ASSISTANT" and a model name as sender are answers too


async def test_reasoning_and_cited_pages_are_turns_of_their_own_kind_apart_from_the_answer(store):
    await import_path(store, GROK_JSON)
    messages = await store.read(messages_of, "grok", MEDIAN)
    thinking, sources, answer = messages[f"{rid(3)}.0"], messages[f"{rid(3)}.1"], messages[rid(3)]
    assert thinking["kind"] == "thinking" and thinking["role"] == "assistant"
    assert thinking["markdown"] == "Two heaps give O(log n) inserts; a sorted list is O(n)."
    assert sources["kind"] == "sources" and sources["role"] == "tool"
    # the cited page only (not every page searched)
    assert (
        sources["markdown"] == "**Sources**\n\n- [Median - Wikipedia](https://en.wikipedia.org/wiki/Median)"
    )
    assert answer["kind"] is None and answer["provider_message_id"] == rid(3)
    assert answer["markdown"].startswith("Keep **two heaps**") and "```python" in answer["markdown"]
    assert "Two heaps give" not in answer["markdown"]
    assert answer["model"] == "grok-4" and messages[rid(2)]["model"] == "grok-3"


async def test_an_empty_answer_is_skipped_and_non_latin_text_is_kept(store):
    summary = await import_path(store, GROK_JSON)
    messages = await store.read(messages_of, "grok", MEDIAN)
    assert rid(6) not in messages and summary.skipped.reasons["grok empty response"] == 1
    assert messages[rid(4)]["markdown"] == "Und auf Deutsch? 日本語でも説明して。"
    assert messages[rid(5)]["text"] == "Zwei Heaps. 二つのヒープを使います。"


async def test_generated_images_and_attachments_are_referenced_and_markup_stays_text(store):
    await import_path(store, GROK_JSON)
    messages = await store.read(messages_of, "grok", IMAGE)
    prompt = messages["b0000002-0000-4000-8000-000000000001"]
    assert "<script>alert(1)</script>" in prompt["text"]  # stored as text, never as markup
    assert "c1d2e3f4-0000-4000-8000-00000000a55e" in prompt["markdown"]
    answer = messages["b0000002-0000-4000-8000-000000000002"]
    assert "(https://assets.grok.com/users/5b0e6c1a/generated/abc/image.jpg)" in answer["markdown"]


async def test_dates_are_the_providers_own(store):
    await import_path(store, GROK_JSON)
    conv = await store.read(conversation_row, "grok", MEDIAN)
    assert conv["title"] == "Median of a stream"
    assert conv["url"] == f"https://grok.com/c/{MEDIAN}"
    assert conv["created_at"] == 1748771400.0  # 2025-06-01T09:50:00Z
    assert conv["updated_at"] == 1748887200.0  # modify_time 2025-06-02T18:00:00Z: the last activity
    messages = await store.read(messages_of, "grok", MEDIAN)
    assert messages[rid(1)]["created_at"] == 1748771400.0  # BSON {"$date": {"$numberLong": ms}}
    assert messages[rid(2)]["created_at"] == 1748771420.0


async def test_importing_twice_changes_nothing_the_second_time(store):
    await import_path(store, GROK)
    before = await store.read(snapshot)
    summary = await import_path(store, GROK)
    assert summary.inserted == summary.updated == summary.branched == 0
    assert summary.conversations_created == 0
    assert await store.read(snapshot) == before


async def test_a_conversation_captured_live_and_then_imported_is_not_duplicated(store):
    # The page puts each response's id on its element (id="response-<uuid>"): the same keys.
    captured = CaptureUpsert(
        conversation=ConversationIn(
            provider="grok", external_id=MEDIAN, title="Median", url=f"https://grok.com/c/{MEDIAN}"
        ),
        turns=[
            TurnIn(
                key=rid(1),
                message_id=rid(1),
                role="user",
                position=0,
                html="<span>How do I keep the median of a stream of numbers?</span>",
                text="How do I keep the median of a stream of numbers?",
            ),
            TurnIn(
                key=rid(3),
                message_id=rid(3),
                parent_key=rid(1),
                role="assistant",
                position=1,
                html="<p>Keep <strong>two heaps</strong>: a max-heap for the lower half, a min-heap for "
                "the upper half.</p><pre><code class='language-python'>import heapq\nlow, high = [], []"
                "</code></pre>",
                text="Keep two heaps: a max-heap for the lower half, a min-heap for the upper half.\n\n"
                "import heapq\nlow, high = [], []",
            ),
        ],
        source="capture",
    )
    await store.write(upsert_capture, captured)
    await import_path(store, GROK_JSON)
    messages = await store.read(messages_of, "grok", MEDIAN)
    assert sum(1 for m in messages.values() if m["provider_message_id"] == rid(3) and m["kind"] is None) == 1
    assert sum(1 for m in messages.values() if m["provider_message_id"] == rid(1)) == 1


async def test_a_damaged_conversation_is_reported_and_the_rest_imports(store, tmp_path: Path):
    doc = json.loads(GROK_JSON.read_text(encoding="utf-8"))
    doc["conversations"].insert(0, {"conversation": {"title": "no id"}, "responses": "not a list"})
    doc["conversations"][2]["responses"][0]["response"]["create_time"] = {"$date": "yesterday"}
    path = tmp_path / "prod-grok-backend.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    summary = await import_path(store, path)
    assert summary.conversations == 2
    assert summary.skipped.reasons["malformed conversation"] == 1
    assert any("no id" in d for d in summary.skipped.details)
    # a bad date loses only the date
    messages = await store.read(messages_of, "grok", IMAGE)
    assert messages["b0000002-0000-4000-8000-000000000001"]["created_at"] is not None


async def test_a_file_cut_off_midway_keeps_the_conversations_before_the_cut(store, tmp_path: Path):
    data = GROK_JSON.read_bytes()
    cut = data.index(IMAGE.encode()) + 10  # inside the second conversation
    path = tmp_path / "prod-grok-backend.json"
    path.write_bytes(data[:cut])
    summary = await import_path(store, path)
    assert summary.conversations == 1
    assert summary.errors and "ends in the middle of its JSON" in summary.errors[0]
    assert await store.read(messages_of, "grok", MEDIAN)


def test_a_file_of_another_shape_is_refused_with_a_clear_error(tmp_path: Path):
    path = tmp_path / "prod-grok-backend.json"
    path.write_text(json.dumps({"conversations": [{"title": "x", "messages": []}]}), encoding="utf-8")
    with pytest.raises(ImportFormatError, match="found no"):
        find_export_files(tmp_path)


def test_a_renamed_file_is_recognised_by_its_content(tmp_path: Path) -> None:
    # The web app stages an upload as "<token>-<name>"; a user may rename the file: content decides.
    renamed = tmp_path / "x1y2-my grok export.json"
    renamed.write_bytes(GROK_JSON.read_bytes())
    assert [f.format for f in find_export_files(renamed)] == ["grok"]


async def test_citation_and_image_cards_become_links_and_artifacts_documents_with_no_grok_markup_left(store):
    # grok.com answers mark cards inline: <grok:render card_id="…" …><argument …>0</argument></grok:render>,
    # resolved through the response's card_attachments_json (JSON strings); documents Grok writes sit
    # inline as <xaiArtifact title="…" contentType="…">…</xaiArtifact>. The stored answer reads as the
    # page shows it: a cited page is a link, an image card a link to its page, an unknown card nothing,
    # a Markdown artifact its text under a heading, a code artifact a fenced block in its language.
    await import_path(store, GROK_CARDS)
    answer = (await store.read(messages_of, "grok", "7c1e0a52-3f4b-4d6e-9a8b-1c2d3e4f5a6b"))["r-1"]
    markdown = answer["markdown"]
    assert "en infrarouge. [lemonde.fr](https://www.lemonde.fr/sciences/article) Voici une image" in markdown
    assert "[Le télescope](https://fr.wikipedia.org/wiki/JWST)." in markdown
    assert "Un résumé :\n\n**Artifact: resume.md**\n\n# JWST\n\n- lancé en 2021\n\nEt un calcul :" in markdown
    assert '**Artifact: distance.py**\n\n```python\nprint(1.5e6, "km")\n```\n\nBonne lecture.' in markdown
    for field in ("markdown", "text"):
        assert "grok:render" not in answer[field] and "xaiArtifact" not in answer[field]
        assert "citation_id" not in answer[field] and "argument" not in answer[field]
