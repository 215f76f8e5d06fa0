"""ChatGPT conversations.json: the mapping tree, its branches, content types, and shards."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from vivim.importers import import_path

from .helpers import CHATGPT, CHATGPT_2026, CHATGPT_SHARDED, conversation_row, messages_of

DEPLOY = "67a1b2c3-0000-4000-8000-000000000001"
PRIMES = "67a1b2c3-0000-4000-8000-000000000002"


async def test_every_branch_is_kept_with_parent_links_and_the_current_branch_marked(store):
    await import_path(store, CHATGPT / "conversations.json")
    messages = await store.read(messages_of, "chatgpt", DEPLOY)
    assert set(messages) == {"u1", "a1", "a1b", "u2", "a2"}
    assert messages["a1"]["parent_key"] == "u1" and messages["a1b"]["parent_key"] == "u1"
    assert messages["u2"]["parent_key"] == "a1b" and messages["a2"]["parent_key"] == "u2"
    # current_node a2 -> u2 -> a1b -> u1; the regenerated a1 is the other branch.
    assert {k for k, m in messages.items() if m["is_current"]} == {"u1", "a1b", "u2", "a2"}
    assert messages["a1"]["is_current"] == 0
    assert messages["a1"]["position"] == messages["a1b"]["position"] == 1
    assert messages["a2"]["position"] == 3


async def test_system_and_hidden_context_nodes_are_skipped_and_their_children_reattached(store):
    summary = await import_path(store, CHATGPT / "conversations.json")
    messages = await store.read(messages_of, "chatgpt", DEPLOY)
    assert "sys" not in messages and "ctx" not in messages
    assert messages["u1"]["parent_key"] is None and messages["u1"]["position"] == 0
    assert summary.skipped.reasons["chatgpt system message"] == 1
    assert summary.skipped.reasons["chatgpt hidden message"] == 1
    assert not any("Be brief" in m["markdown"] for m in messages.values())


async def test_images_in_multimodal_text_become_placeholders_that_carry_their_pointer(store):
    await import_path(store, CHATGPT / "conversations.json")
    u2 = (await store.read(messages_of, "chatgpt", DEPLOY))["u2"]
    assert "![image](file-service://file-AbC123)" in u2["markdown"]
    assert "Here is the error screen." in u2["markdown"]


async def test_code_execution_output_and_reasoning_are_kept_and_marked_by_kind(store):
    await import_path(store, CHATGPT / "conversations.json")
    messages = await store.read(messages_of, "chatgpt", PRIMES)
    assert [messages[k]["kind"] for k in ("q", "th", "rc", "code", "out", "ans")] == [
        None,
        "thinking",
        "thinking",
        "code",
        "execution_output",
        None,
    ]
    assert messages["out"]["role"] == "tool"
    assert messages["code"]["markdown"].startswith("```python\n")
    assert "print(len(" in messages["code"]["text"] and "```" not in messages["code"]["text"]
    assert "**Choosing a sieve**" in messages["th"]["markdown"]
    assert "sieve of Eratosthenes" in messages["th"]["markdown"]
    assert messages["rc"]["markdown"] == "Thought for 4 seconds"
    assert messages["ans"]["model"] == "o3"


async def test_title_url_model_and_timestamps_come_from_the_export(store):
    await import_path(store, CHATGPT / "conversations.json")
    conv = await store.read(conversation_row, "chatgpt", DEPLOY)
    assert conv["title"] == "Deploy timeout"
    assert conv["url"] == f"https://chatgpt.com/c/{DEPLOY}"
    assert conv["model"] == "gpt-4o"
    assert conv["created_at"] == 1712345678.5
    assert conv["source"] == "import"
    messages = await store.read(messages_of, "chatgpt", DEPLOY)
    assert messages["u1"]["created_at"] == 1712345679.0
    assert messages["a1b"]["model"] == "gpt-4o" and messages["u1"]["model"] is None
    # a2 has no create_time: it takes its parent's, so re-imports stay identical
    assert messages["a2"]["created_at"] == messages["u2"]["created_at"] == 1712345800.0
    assert messages["a1b"]["text"].startswith("A connection timeout usually means")
    assert "`" not in messages["a1b"]["text"] and "`DATABASE_URL`" in messages["a1b"]["markdown"]


async def test_a_sharded_export_folder_imports_every_shard_and_ignores_the_other_files(store):
    summary = await import_path(store, CHATGPT_SHARDED)
    assert summary.conversations == 2 and summary.messages == 4
    assert len(summary.files) == 2 and all("chatgpt" in f for f in summary.files)
    titles = await store.read(lambda c: sorted(r[0] for r in c.execute("SELECT title FROM conversations")))
    assert titles == ["Shard one", "Shard two"]


async def test_the_export_zip_is_read_without_unpacking_it(store, tmp_path: Path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    archive = downloads / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(CHATGPT / "conversations.json", "conversations.json")
        z.write(CHATGPT_SHARDED / "user.json", "user.json")
        z.writestr("chat.html", "<html><body>viewer</body></html>")
    summary = await import_path(store, archive)
    assert summary.conversations == 2 and summary.messages == 11
    assert list(downloads.iterdir()) == [archive]


async def test_a_renamed_file_is_still_recognised_by_its_content(store, tmp_path: Path):
    renamed = tmp_path / "my-chats.json"
    shutil.copy(CHATGPT / "conversations.json", renamed)
    summary = await import_path(store, renamed)
    assert summary.conversations == 2


KYOTO = "6955c0de-0000-4000-8000-00000000c1a0"


async def test_inline_citation_and_entity_markers_of_a_searching_answer_become_readable_text(store):
    # Since 2025 a searching answer's text carries private-use markers where the page draws pills:
    # U+E200 "cite" U+E202 "turn0search0" U+E201, U+E200 "entity" U+E202 '["city","Kyōto",{}]' U+E201,
    # and U+E203 ... U+E204 around a cited span. Each citation becomes its reference's `alt` (or, without
    # one, links to its items), an entity its name; no marker character is left in what is stored.
    await import_path(store, CHATGPT_2026)
    answer = (await store.read(messages_of, "chatgpt", KYOTO))["a1"]
    assert (
        "Ja, meist ab dem 25. März. ([Japan Guide](https://www.japan-guide.com/sakura/))"
        in answer["markdown"]
    )
    assert "der Philosophenweg in Kyōto." in answer["markdown"]
    assert "veröffentlicht. ([tenki.jp](https://tenki.jp/sakura/))" in answer["markdown"]
    assert "Die Blüte dauert etwa eine Woche." in answer["markdown"]
    for field in ("markdown", "text"):
        assert not any("\ue200" <= ch <= "\ue206" for ch in answer[field]), field
        assert "turn0search" not in answer[field] and "cite" not in answer[field]


async def test_an_assistant_message_addressed_to_a_tool_is_a_tool_call_not_the_answer(store):
    # A memory note ("recipient": "bio") is ChatGPT writing to its memory tool; the page shows only
    # "Memory updated". It is kept, as kind tool_use, and the answer that follows stays the answer.
    await import_path(store, CHATGPT_2026)
    messages = await store.read(messages_of, "chatgpt", KYOTO)
    assert messages["bio"]["role"] == "assistant" and messages["bio"]["kind"] == "tool_use"
    assert "Plans a trip to Kyoto" in messages["bio"]["markdown"]
    assert messages["biotool"]["kind"] == "tool_result"
    assert messages["a2"]["kind"] is None and messages["a2"]["parent_key"] == "biotool"
    assert [k for k, m in messages.items() if m["role"] == "assistant" and m["kind"] is None] == ["a1", "a2"]


async def test_a_drafted_email_in_writing_directives_and_a_product_carousel_are_stored_as_readable_text(
    store,
):
    # 2026 answers put drafts in CommonMark directives the page draws as a card,
    # `:::writing{variant="email" id="…" subject="…"}` … `:::`, and a product carousel as a marker
    # U+E200 "products" U+E202 {"selections": [[cite, name], …]} U+E201. The draft keeps its body under
    # a label naming its kind and subject, the carousel its products' names; directive-like lines
    # inside a code block are code and stay as they are.
    await import_path(store, CHATGPT_2026)
    answer = (await store.read(messages_of, "chatgpt", "6956f0aa-0000-4000-8000-0000000000e1"))["w2"]
    markdown = answer["markdown"]
    assert "Hier ist ein Entwurf:\n\n**Email: Absage für Donnerstag**\n\nHallo Frau Sato," in markdown
    assert "Viele Grüße\n\nUnd zwei E-Reader" in markdown  # the closing `:::` line is gone
    assert '```text\n:::writing{keep="this"}\n:::\n```' in markdown
    assert "- Kobo Clara BW\n- Kindle Paperwhite (2024)" in markdown
    assert (
        'variant="email"' not in markdown and "selections" not in markdown and "turn0product" not in markdown
    )
    assert "58142" not in answer["text"]


async def test_without_a_current_node_the_newest_leafs_branch_is_the_current_one(store):
    # A copy without `current_node` (null, or naming a node the mapping lacks) still has a branch
    # the reader saw last: the newest leaf's, as for Claude. Without it every turn was "another
    # branch" and the Markdown export's body was empty.
    await import_path(store, CHATGPT_2026)
    messages = await store.read(messages_of, "chatgpt", "69582a00-0000-4000-8000-0000000000b7")
    assert {k for k, m in messages.items() if m["is_current"]} == {"n1", "n2b", "n3", "n4"}
    assert messages["n2a"]["is_current"] == 0


async def test_a_voice_message_is_its_transcript_and_a_recording_without_one_is_named_audio(store):
    # Voice mode stores a message as parts: {"content_type": "audio_transcription", "text"} and
    # {"content_type": "audio_asset_pointer", "asset_pointer"}. The page shows the transcript, so that
    # is the turn's text (and a live capture of it merges); a recording with no transcript is kept
    # as a link labelled audio, not by its internal part type.
    await import_path(store, CHATGPT_2026)
    messages = await store.read(messages_of, "chatgpt", "695a2c00-0000-4000-8000-00000000a0d1")
    assert messages["v1"]["markdown"] == messages["v1"]["text"] == "Was ist ein Monoid?"
    assert messages["v2"]["text"] == "Eine Menge mit assoziativer Verknüpfung und neutralem Element."
    assert messages["v3"]["markdown"] == "[audio](sediment://file_00000000aa03)"
    assert not any("asset_pointer" in m["text"] for m in messages.values())


async def test_a_message_on_the_analysis_channel_is_thinking_not_the_answer(store):
    # Messages carry OpenAI's `channel`: "final" is the answer, "analysis" the model's reasoning.
    # A text message on the analysis channel is kept as a thinking turn before the answer.
    await import_path(store, CHATGPT_2026)
    messages = await store.read(messages_of, "chatgpt", KYOTO)
    assert messages["an1"]["kind"] == "thinking" and messages["an1"]["role"] == "assistant"
    assert messages["a1"]["kind"] is None and messages["a1"]["parent_key"] == "an1"
