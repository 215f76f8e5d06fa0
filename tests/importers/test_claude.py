"""Claude conversations.json: branches, content blocks, attachments, and the older linear format."""

from __future__ import annotations

from vivim.importers import import_path

from .helpers import CLAUDE, CLAUDE_2026, conversation_row, messages_of

BRANCHED = "c0ffee00-0000-4000-8000-000000000001"
LINEAR = "c0ffee00-0000-4000-8000-000000000002"


async def test_the_export_folder_with_users_and_projects_imports_only_conversations(store):
    summary = await import_path(store, CLAUDE)
    assert [f.split(" ")[-1] for f in summary.files] == ["(claude)"]
    assert summary.conversations == 2 and not summary.errors


async def test_edits_and_retries_are_branches_and_the_current_leaf_marks_the_shown_one(store):
    await import_path(store, CLAUDE / "conversations.json")
    messages = await store.read(messages_of, "claude", BRANCHED)
    # m2 and m3 both answer m1; the current leaf m4 follows m3.
    assert messages["m2"]["parent_key"] == "m2.0"  # its thinking block comes first
    assert messages["m2.0"]["parent_key"] == "m1"
    assert messages["m3.0"]["parent_key"] == "m1"
    assert messages["m4.0"]["parent_key"] == "m3" and messages["m4"]["parent_key"] == "m4.0"
    assert {k for k, m in messages.items() if m["is_current"]} == {
        "m1.0",
        "m1",
        "m3.0",
        "m3.1",
        "m3",
        "m4.0",
        "m4",
    }
    assert messages["m2"]["is_current"] == 0 and messages["m2.0"]["is_current"] == 0


async def test_thinking_tool_use_and_tool_results_are_turns_of_their_own_kind(store):
    await import_path(store, CLAUDE / "conversations.json")
    messages = await store.read(messages_of, "claude", BRANCHED)
    assert messages["m2.0"]["kind"] == "thinking"
    assert messages["m2.0"]["markdown"] == "The reference outlives the value it points to."
    assert messages["m3.0"]["kind"] == "tool_use" and '"query": "rust E0597' in messages["m3.0"]["markdown"]
    assert messages["m3.1"]["kind"] == "tool_result" and messages["m3.1"]["role"] == "tool"
    assert "dropped while it was still borrowed" in messages["m3.1"]["markdown"]
    # the visible answer keeps the message's uuid and only its text
    assert messages["m3"]["kind"] is None
    assert messages["m3"]["markdown"] == "This is error **E0597**: `x` does not live long enough."
    assert messages["m3"]["text"] == "This is error E0597: x does not live long enough."
    assert messages["m3"]["provider_message_id"] == "m3"


async def test_attachments_extracted_text_is_kept_beside_the_message(store):
    await import_path(store, CLAUDE / "conversations.json")
    messages = await store.read(messages_of, "claude", BRANCHED)
    attachment = messages["m1.0"]
    assert attachment["kind"] == "attachment" and attachment["role"] == "user"
    assert "main.rs" in attachment["markdown"] and "let x = 5" in attachment["markdown"]
    assert messages["m1"]["markdown"] == "Why does the borrow checker reject this?"
    assert messages["m4.0"]["markdown"] == "[screenshot.png]"


async def test_the_older_format_without_parent_fields_is_a_linear_thread(store):
    await import_path(store, CLAUDE / "conversations.json")
    messages = await store.read(messages_of, "claude", LINEAR)
    assert list(messages) == ["o1", "o2", "o3", "o4"]
    assert [messages[k]["parent_key"] for k in messages] == [None, "o1", "o2", "o3"]
    assert [messages[k]["role"] for k in messages] == ["user", "assistant", "user", "assistant"]
    assert all(m["is_current"] for m in messages.values())
    assert [m["position"] for m in messages.values()] == [0, 1, 2, 3]


async def test_title_url_and_timestamps_come_from_the_export(store):
    await import_path(store, CLAUDE / "conversations.json")
    conv = await store.read(conversation_row, "claude", BRANCHED)
    assert conv["title"] == "Rust lifetimes"
    assert conv["url"] == f"https://claude.ai/chat/{BRANCHED}"
    assert conv["created_at"] == 1740823200.0  # 2025-03-01T10:00:00Z
    messages = await store.read(messages_of, "claude", BRANCHED)
    assert messages["m4"]["created_at"] == 1740823320.0  # 10:02:00


async def test_files_claude_writes_with_create_file_and_str_replace_are_readable_versioned_documents(store):
    # Since late 2025 Claude writes documents as files (`create_file` {path, file_text}, edited with
    # `str_replace` {path, old_str, new_str}) rather than `artifacts` calls. Each becomes a turn of kind
    # artifact holding the file's text at that version, not its JSON-escaped arguments; other tools
    # (bash_tool) stay tool_use turns, and the visible text stays the message's own turn.
    await import_path(store, CLAUDE_2026)
    messages = await store.read(messages_of, "claude", "3c9d2e10-5a6b-4c7d-8e9f-0a1b2c3d4e5f")
    files = [m for m in messages.values() if m["kind"] == "artifact"]
    assert [f["markdown"].split("\n")[0] for f in files] == [
        "**File: umzugsplan.md** (version 1)",
        "**File: umzugsplan.md** (version 2)",
        "**File: kisten.py** (version 1)",
    ]
    assert (
        "# Umzugsplan\n\n1. Kartons besorgen\n2. Möbelwagen mieten\n\nStand: Entwurf" in files[0]["markdown"]
    )
    assert files[1]["markdown"].endswith("Stand: fertig") and "Entwurf" not in files[1]["markdown"]
    assert '```python\nkisten = 12\nprint(f"{kisten} Kartons")\n' in files[2]["markdown"]
    assert not any("\\n" in f["markdown"] for f in files)  # no JSON escapes
    assert [m["kind"] for m in messages.values()].count("tool_use") == 1  # bash_tool
    assert messages["f2"]["kind"] is None and "Ich lege die Datei an." in messages["f2"]["markdown"]


async def test_a_chat_opened_and_never_used_is_counted_not_stored_as_an_empty_conversation(store):
    # Claude's export lists chats that were opened but never sent a message: no name, no
    # chat_messages. They hold nothing to remember and would clutter the list as untitled entries.
    summary = await import_path(store, CLAUDE_2026)
    assert summary.conversations == 2
    assert summary.skipped.reasons["empty conversation"] == 1
    stored = await store.read(
        lambda conn: [r[0] for r in conn.execute("SELECT external_id FROM conversations")]
    )
    assert "7e6f5a4b-0c1d-4e2f-8a9b-c0d1e2f3a4b5" not in stored and len(stored) == 2


async def test_an_answer_split_into_text_blocks_at_its_citations_reads_as_one_text(store):
    # An answer citing its sources comes as text blocks split at each cited span (the cited piece
    # carries `citations`): "Ja. " + "Kyoto war … die Hauptstadt" + ", danach wurde es " + "Tokio" + ".".
    # The pieces join as the page shows them, without paragraph breaks inside a sentence; text that a
    # tool call separates stays a paragraph of its own.
    await import_path(store, CLAUDE_2026)
    answer = (await store.read(messages_of, "claude", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"))["k2"]
    assert answer["markdown"] == (
        "Ich suche kurz.\n\n"
        "Ja. Kyoto war von 794 bis 1868 die Hauptstadt, danach wurde es Tokio."
        "\n\nHeute ist Kyoto vor allem für seine Tempel bekannt."
    )
