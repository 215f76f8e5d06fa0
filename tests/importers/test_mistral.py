"""Le Chat's export (one chat-<uuid>.json per conversation): order, tool calls, reasoning, files, damage."""

from __future__ import annotations

from pathlib import Path

from vivim.importers import import_path

from .helpers import FIXTURES, conversation_row, messages_of, snapshot

MISTRAL = FIXTURES / "mistral"
CAPITAL = "7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
HAIKU = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


async def test_every_chat_file_of_the_export_is_a_conversation(store):
    summary = await import_path(store, MISTRAL)
    assert sorted(f.split(" ")[-1] for f in summary.files) == ["(mistral)", "(mistral)"]
    assert summary.conversations == 2 and not summary.errors
    assert summary.skipped.reasons["le chat system message"] == 1


async def test_messages_written_out_of_order_become_a_thread_in_time_order(store):
    await import_path(store, MISTRAL)
    messages = await store.read(messages_of, "mistral", CAPITAL)
    visible = [m for m in messages.values() if m["kind"] is None]
    assert [m["key"] for m in visible] == [f"a000000{i}-0000-4000-8000-00000000000{i}" for i in (1, 2, 3, 4)]
    assert [m["role"] for m in visible] == ["user", "assistant", "user", "assistant"]
    keys = list(messages)
    assert [m["parent_key"] for m in messages.values()][1:] == keys[:-1]
    assert all(m["is_current"] for m in messages.values())


async def test_tool_calls_reasoning_and_files_are_turns_of_their_own_kind(store):
    await import_path(store, MISTRAL)
    messages = await store.read(messages_of, "mistral", CAPITAL)
    first = "a0000001-0000-4000-8000-000000000001"
    answer = "a0000002-0000-4000-8000-000000000002"
    japanese = "a0000004-0000-4000-8000-000000000004"
    assert (
        messages[f"{first}.0"]["kind"] == "attachment" and messages[f"{first}.0"]["markdown"] == "[carte.png]"
    )
    assert messages[first]["markdown"] == "Quelle est la capitale de l'Australie ?\nRéponds en une phrase."
    assert messages[f"{answer}.0"]["kind"] == "tool_use"
    assert '"query": "capitale Australie"' in messages[f"{answer}.0"]["markdown"]
    assert messages[answer]["markdown"] == "La capitale de l'Australie est **Canberra**, pas Sydney.[1]"
    assert messages[f"{japanese}.0"]["kind"] == "thinking"
    assert messages[f"{japanese}.0"]["markdown"] == "Translate the answer into Japanese."
    assert messages[japanese]["markdown"] == "オーストラリアの首都はキャンベラです。"


async def test_a_message_without_chunks_keeps_its_content_and_dates_come_from_the_messages(store):
    await import_path(store, MISTRAL)
    messages = await store.read(messages_of, "mistral", HAIKU)
    assert [m["markdown"] for m in messages.values()] == [
        "Write a haiku about rain <script>alert(1)</script>",
        "Soft rain on the roof\n\ncounting the seconds between\n\nthunder and the light",
    ]
    conv = await store.read(conversation_row, "mistral", HAIKU)
    assert conv["title"] == "Write a haiku about rain <script>alert(1)</script>"
    assert conv["url"] == f"https://chat.mistral.ai/chat/{HAIKU}"
    assert conv["created_at"] == 1778007600.0  # 2026-05-05T19:00:00Z
    assert conv["updated_at"] == 1778007602.0  # the last message, not the import's time


async def test_importing_twice_changes_nothing(store):
    await import_path(store, MISTRAL)
    before = await store.read(snapshot)
    again = await import_path(store, MISTRAL)
    assert again.inserted == again.updated == again.branched == 0 and again.conversations_created == 0
    assert await store.read(snapshot) == before


async def test_a_chat_file_cut_off_midway_keeps_the_messages_before_the_cut(store, tmp_path: Path):
    text = (MISTRAL / f"chat-{CAPITAL}.json").read_text(encoding="utf-8")
    cut = tmp_path / f"chat-{CAPITAL}.json"
    cut.write_text(text[: text.index('"a0000004-')], encoding="utf-8")
    summary = await import_path(store, cut, provider="mistral")
    assert len(summary.errors) == 1 and "ends in the middle of its JSON" in summary.errors[0]
    messages = await store.read(messages_of, "mistral", CAPITAL)
    assert len([m for m in messages.values() if m["kind"] is None]) == 3


async def test_a_malformed_message_is_named_and_the_rest_imports(store, tmp_path: Path):
    bad = tmp_path / "chat-x.json"
    bad.write_text(
        '[{"id": "m1", "chatId": "c1", "contentChunks": null, "role": "user", "content": "hi",'
        ' "createdAt": "not a date"}, 7, {"chatId": "c1"}]',
        encoding="utf-8",
    )
    summary = await import_path(store, bad, provider="mistral")
    assert summary.skipped.reasons["malformed le chat message"] == 2
    messages = await store.read(messages_of, "mistral", "c1")
    assert [m["markdown"] for m in messages.values()] == ["hi"]  # an unreadable date loses only the date


async def test_generated_images_produced_files_and_canvases_are_kept(store):
    # Le Chat's 2026 messages carry what the assistant made as chunks and a `canvas` list:
    # `image_url` chunks (a generated image), `file_reference` chunks (a file to download, with its
    # label and URL) and `canvas` items ({"id", "title", "type", "content"}, marked in the text by a
    # `canva` chunk). The images and files are part of the answer; a canvas is a turn of kind canvas
    # holding the document; an answer that is only an image is kept, not skipped as empty.
    summary = await import_path(store, FIXTURES / "mistral-2026")
    messages = await store.read(messages_of, "mistral", "5e4d3c2b-7a6f-4e5d-9c8b-0a1b2c3d4e5f")
    assert messages["b3"]["markdown"] == (
        "Voici l'image.\n\n![generated image](https://files.mistral.ai/generated/chat-lecteur.png)"
    )
    assert messages["b5"]["markdown"] == (
        "J'ai rédigé le rapport.\n\n[Télécharger le rapport](https://files.mistral.ai/out/rapport.docx)"
    )
    canvas = messages["b5.0"]
    assert canvas["kind"] == "canvas" and messages["b5"]["parent_key"] == "b5.0"
    assert "**Canvas: Rapport de lecture**" in canvas["markdown"]
    assert "Le chat lit *Les Misérables* de Victor Hugo." in canvas["markdown"]
    assert (
        messages["b7"]["markdown"] == "![generated image](https://files.mistral.ai/generated/aquarelle.webp)"
    )
    assert messages["b7"]["parent_key"] == "b6"
    assert not summary.skipped.reasons.get("le chat empty message")
