"""Google AI Studio prompt files (Drive folder "Google AI Studio", a Drive download ZIP, Google Takeout):
found without extensions, one conversation per file, thinking kept apart, dates kept, merged with live
captures of the same chat, damaged files named."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from datetime import UTC, datetime

import msgspec
import pytest

from vivim.errors import ImportFormatError
from vivim.importers import find_export_files, import_path
from vivim.protocol import CaptureUpsert
from vivim.store.capture import upsert_capture

from .helpers import FIXTURES, conversation_row, messages_of

AISTUDIO = FIXTURES / "aistudio"
FOLDER = AISTUDIO / "Google AI Studio"
DIJKSTRA = FOLDER / "Dijkstra vs A star"
RUSSIAN = FOLDER / "Системный промпт и файлы"
OLD = FOLDER / "Old prompt without times"
TOOLS = FOLDER / "Code execution and search"
FIRST_PROMPT = (
    "Compare Dijkstra and A* for a grid with weights 1–9.\n\n"
    "Ответь кратко, и приведи пример на Python. 日本語の説明も一行お願いします。"
)


def _iso(value: str) -> float:
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def _aistudio_conversations(conn):
    rows = conn.execute(
        "SELECT * FROM conversations WHERE provider = 'aistudio' ORDER BY created_at"
    ).fetchall()
    return {r["title"]: dict(r) for r in rows}


async def _by_title(store, title):
    conv = (await store.read(_aistudio_conversations))[title]
    return conv, list((await store.read(messages_of, "aistudio", conv["external_id"])).values())


def test_the_drive_folder_is_found_by_content_though_its_files_have_no_extension():
    found = find_export_files(AISTUDIO)
    assert sorted(f.name for f in found) == [
        "Broken download",
        "Code execution and search",
        "Dijkstra vs A star",
        "Old prompt without times",
        "Системный промпт и файлы",
    ]  # notes.txt in the same folder is not a prompt file
    assert {f.format for f in found} == {"aistudio"}


def test_one_prompt_file_named_on_its_own_is_recognised():
    assert [f.format for f in find_export_files(DIJKSTRA)] == ["aistudio"]
    with pytest.raises(ImportFormatError):
        find_export_files(FOLDER / "notes.txt")


async def test_each_file_is_one_conversation_titled_by_its_file_name(store):
    summary = await import_path(store, AISTUDIO)
    assert summary.conversations == 4
    titles = set(await store.read(_aistudio_conversations))
    assert titles == {
        TOOLS.name,
        "Dijkstra vs A star",
        "Системный промпт и файлы",
        "Old prompt without times",
    }
    conv, turns = await _by_title(store, "Dijkstra vs A star")
    assert conv["external_id"].startswith("file-") and conv["model"] == "gemini-2.5-pro"
    assert [(t["role"], t["kind"]) for t in turns] == [
        ("user", None),
        ("assistant", "thinking"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
    ]
    assert turns[0]["text"] == FIRST_PROMPT
    assert [t["parent_key"] for t in turns[1:]] == [t["key"] for t in turns[:-1]]


async def test_the_reasoning_is_a_turn_of_its_own_and_never_the_answer(store):
    await import_path(store, DIJKSTRA)
    _, turns = await _by_title(store, "Dijkstra vs A star")
    thinking, answer = turns[1], turns[2]
    assert "Manhattan distance never overestimates" in thinking["markdown"]
    assert "never overestimates" not in answer["markdown"]
    assert answer["markdown"].startswith("Both find a shortest path")
    assert "```python\nimport heapq" in answer["markdown"]
    assert "| A* | 388 |" in answer["markdown"] and "$c(p) = \\sum_{v \\in p} w(v)$" in answer["markdown"]
    assert answer["model"] == "gemini-2.5-pro"


async def test_dates_are_the_chunks_own_and_the_last_one_is_the_last_activity(store):
    await import_path(store, DIJKSTRA)
    conv, turns = await _by_title(store, "Dijkstra vs A star")
    assert conv["created_at"] == pytest.approx(_iso("2026-01-05T10:41:07.123"))
    assert conv["updated_at"] == pytest.approx(_iso("2026-01-05T11:02:04"))
    assert turns[3]["created_at"] == pytest.approx(_iso("2026-01-05T11:02:00"))


async def test_a_file_without_times_is_dated_by_its_modification_time(store, tmp_path):
    copy = tmp_path / "Google AI Studio" / OLD.name
    copy.parent.mkdir()
    shutil.copy(OLD, copy)
    when = _iso("2024-06-01T12:00:00")
    os.utime(copy, (when, when))
    await import_path(store, tmp_path)
    conv, turns = await _by_title(store, "Old prompt without times")
    assert conv["updated_at"] == pytest.approx(when)
    assert [t["text"] for t in turns] == [
        "Specs on this model please?",
        "Please tell me which model you mean.",
    ]


async def test_system_instruction_attachments_parts_and_skipped_chunks(store):
    summary = await import_path(store, RUSSIAN)
    conv, turns = await _by_title(store, "Системный промпт и файлы")
    assert conv["model"] == "gemini-3-pro-preview"
    system = turns[0]
    assert (system["role"], system["kind"]) == ("system", "system_instruction")
    assert "terse reviewer" in system["markdown"]
    kinds = [(t["role"], t["kind"]) for t in turns[1:]]
    assert kinds == [
        ("user", "attachment"),
        ("user", None),
        ("assistant", "thinking"),
        ("assistant", None),
        ("user", "attachment"),
        ("user", None),
        ("assistant", None),
    ]
    assert turns[1]["markdown"] == "[Drive document: 1DocAbCdEfGhIjKlMnOpQrStUvWxYz012]"
    # An answer in parts is one turn; markup typed by the user stays text.
    assert (
        turns[4]["markdown"]
        == "Ошибок две: в разделе 2 пропущен `await`, а в разделе 3 перепутаны аргументы."
    )
    assert "<script>alert(1)</script>" in turns[2]["markdown"]
    assert summary.skipped.reasons["aistudio error chunk"] == 1
    assert summary.skipped.reasons["aistudio unsent draft"] == 1


async def test_a_damaged_file_is_named_and_the_others_still_import(store):
    summary = await import_path(store, AISTUDIO)
    assert len(summary.errors) == 1
    assert "Broken download" in summary.errors[0] and "nothing was imported from it" in summary.errors[0]
    assert "ends in the middle" in summary.errors[0]
    assert summary.conversations == 4


async def test_a_malformed_prompt_object_is_skipped_and_named(store, tmp_path):
    folder = tmp_path / "Google AI Studio"
    folder.mkdir()
    (folder / "Not chunks").write_text(json.dumps({"chunkedPrompt": {"chunks": "oops"}}), encoding="utf-8")
    (folder / "No prompt").write_text(
        json.dumps({"chunkedPrompt": {"chunks": [{"role": "model", "text": "an answer alone"}]}}),
        encoding="utf-8",
    )
    shutil.copy(OLD, folder / OLD.name)
    summary = await import_path(store, tmp_path)
    assert summary.conversations == 1
    assert summary.skipped.reasons["malformed conversation"] == 2
    assert any("Not chunks" in d for d in summary.skipped.details)


async def test_importing_again_changes_nothing(store):
    await import_path(store, AISTUDIO)
    again = await import_path(store, AISTUDIO)
    assert again.conversations == 4 and again.inserted == 0 and again.conversations_created == 0
    assert len(await store.read(_aistudio_conversations)) == 4


@pytest.mark.parametrize(
    "layout",
    [
        "Google AI Studio-20260301T090000Z-001.zip:Google AI Studio/",
        "takeout-20260301.zip:Takeout/Drive/Google AI Studio/",
    ],
)
async def test_a_drive_download_or_takeout_zip_gives_the_same_conversations(store, tmp_path, layout):
    name, prefix = layout.split(":")
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w") as zf:
        for path in FOLDER.iterdir():
            zf.write(path, prefix + path.name)
        zf.writestr("Takeout/archive_browser.html", "<html></html>")
    await import_path(store, archive)
    from_zip = {t: c["external_id"] for t, c in (await store.read(_aistudio_conversations)).items()}
    assert set(from_zip) == {
        TOOLS.name,
        "Dijkstra vs A star",
        "Системный промпт и файлы",
        "Old prompt without times",
    }
    await import_path(store, AISTUDIO)  # the same files from the folder: the same ids, nothing new
    assert {t: c["external_id"] for t, c in (await store.read(_aistudio_conversations)).items()} == from_zip


def _live(external_id: str, title: str, prompt: str, answer: str) -> CaptureUpsert:
    return msgspec.convert(
        {
            "conversation": {
                "provider": "aistudio",
                "external_id": external_id,
                "title": title,
                "url": f"https://aistudio.google.com/prompts/{external_id}",
            },
            "turns": [
                {"key": "u0-abc", "role": "user", "position": 0, "text": prompt},
                {"key": "a1-def", "role": "assistant", "position": 1, "parent_key": "u0-abc", "text": answer},
            ],
        },
        CaptureUpsert,
    )


DRIVE_ID = "1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV"


async def test_a_file_joins_the_chat_captured_live_from_its_page(store):
    answer = (
        "Both find a shortest path; A* explores fewer cells when its heuristic is admissible.\n"
        "Dijkstra: expands by distance so far, g(n)."
    )
    await store.write(upsert_capture, _live(DRIVE_ID, "Dijkstra vs A star", FIRST_PROMPT, answer))
    summary = await import_path(store, DIJKSTRA)
    convs = await store.read(_aistudio_conversations)
    assert list(convs) == ["Dijkstra vs A star"] and convs["Dijkstra vs A star"]["external_id"] == DRIVE_ID
    messages = await store.read(messages_of, "aistudio", DRIVE_ID)
    users = [m for m in messages.values() if m["role"] == "user"]
    assert [m["text"] for m in users] == [FIRST_PROMPT, "And with diagonal moves?"]  # the prompt merged
    assert summary.merged >= 1
    assert any(m["kind"] == "thinking" for m in messages.values())
    assert (await store.read(conversation_row, "aistudio", DRIVE_ID))["url"].endswith(DRIVE_ID)


async def test_among_chats_starting_alike_the_one_with_the_files_title_is_joined(store):
    await store.write(upsert_capture, _live(DRIVE_ID, "Dijkstra vs A star", FIRST_PROMPT, "one"))
    await store.write(
        upsert_capture, _live("1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "Other chat", FIRST_PROMPT, "two")
    )
    await import_path(store, DIJKSTRA)
    assert {c["external_id"] for c in (await store.read(_aistudio_conversations)).values()} == {
        DRIVE_ID,
        "1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    }


async def test_when_no_live_chat_can_be_told_apart_the_file_stays_its_own(store):
    await store.write(upsert_capture, _live("1yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "A", FIRST_PROMPT, "one"))
    await store.write(upsert_capture, _live("1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "B", FIRST_PROMPT, "two"))
    await import_path(store, DIJKSTRA)
    ids = {c["external_id"] for c in (await store.read(_aistudio_conversations)).values()}
    assert len(ids) == 3 and any(i.startswith("file-") for i in ids)


async def test_the_pages_named_form_keeps_the_drive_id(store, tmp_path):
    doc = json.loads(DIJKSTRA.read_text(encoding="utf-8"))
    named = {
        "prompt": {"name": f"prompts/{DRIVE_ID}", "metadata": {"displayName": "Renamed in AI Studio"}, **doc}
    }
    path = tmp_path / "resolved.json"
    path.write_text(json.dumps(named), encoding="utf-8")
    await import_path(store, path)
    conv = await store.read(conversation_row, "aistudio", DRIVE_ID)
    assert conv["title"] == "Renamed in AI Studio"
    assert conv["url"] == f"https://aistudio.google.com/prompts/{DRIVE_ID}"


async def test_code_execution_is_kept_as_the_code_and_its_output_and_search_sources_as_links(store):
    await import_path(store, TOOLS)
    _, turns = await _by_title(store, TOOLS.name)
    assert [(t["role"], t["kind"]) for t in turns] == [
        ("user", None),
        ("assistant", "tool_use"),
        ("tool", "tool_result"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("assistant", "sources"),
    ]
    assert (
        turns[1]["markdown"]
        == "```python\na, b = 0, 1\nfor _ in range(20):\n    a, b = b, a + b\nprint(a)\n```"
    )
    assert turns[2]["markdown"] == "```\n6765\n```"
    assert turns[3]["text"] == "The 20th Fibonacci number is 6765."
    # The answer stays the answer; its sources are a turn of their own, only real web links, once each.
    assert "Liber Abaci" in turns[5]["markdown"] and "Sources" not in turns[5]["markdown"]
    assert (
        turns[6]["markdown"] == "**Sources**\n\n1. [Liber Abaci](https://en.wikipedia.org/wiki/Liber_Abaci)"
    )
    assert [t["key"] for t in turns[5:]] == ["chunk-5", "chunk-5.sources"]


async def test_files_held_in_a_chunks_parts_are_named_and_an_image_only_answer_is_kept(store, tmp_path):
    # A chunk's parts may hold files in the API's part shape: {"inlineData": {"mimeType", "data"}}
    # (the picture an image model answered with) or {"fileData": {"mimeType", "fileUri"}}. They are
    # named as the chunk-level media are; an answer that is only a picture is a turn, not an
    # "empty chunk", and the bytes are not stored.
    prompt = {
        "runSettings": {"model": "models/gemini-2.5-flash-image"},
        "systemInstruction": {},
        "chunkedPrompt": {
            "chunks": [
                {
                    "text": "Zeichne eine Katze, die liest.",
                    "role": "user",
                    "createTime": "2026-03-01T10:00:00Z",
                },
                {
                    "role": "model",
                    "parts": [
                        {"text": "Hier ist deine Katze:"},
                        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                    ],
                    "createTime": "2026-03-01T10:00:09Z",
                },
                {
                    "role": "model",
                    "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}],
                    "createTime": "2026-03-01T10:01:00Z",
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "fileData": {
                                "mimeType": "application/pdf",
                                "fileUri": "https://example.org/files/skript",
                            }
                        },
                        {"text": "Fasse das PDF zusammen."},
                    ],
                    "createTime": "2026-03-01T10:02:00Z",
                },
            ]
        },
    }
    path = tmp_path / "Google AI Studio" / "Katze, die liest"
    path.parent.mkdir()
    path.write_text(json.dumps(prompt), encoding="utf-8")
    summary = await import_path(store, tmp_path)
    _, turns = await _by_title(store, "Katze, die liest")
    assert [(t["role"], t["kind"], t["markdown"]) for t in turns] == [
        ("user", None, "Zeichne eine Katze, die liest."),
        ("assistant", None, "Hier ist deine Katze:\n\n[file: image/png]"),
        ("assistant", "attachment", "[file: image/png]"),
        ("user", None, "Fasse das PDF zusammen.\n\n[file: https://example.org/files/skript]"),
    ]
    assert not summary.skipped.reasons.get("aistudio empty chunk")
    assert not any("iVBOR" in t["markdown"] for t in turns)
