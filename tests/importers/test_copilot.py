"""Microsoft Copilot's privacy-dashboard CSV export: both column layouts, conversations grouped by name
and time, the export's own dates, idempotence, and a damaged file reported without losing the rest."""

from __future__ import annotations

from pathlib import Path

from vivim.importers import import_path
from vivim.importers.copilot import parse_time
from vivim.importers.reader import find_export_files

from .helpers import COPILOT, COPILOT_CHAT, snapshot


def conversations(conn) -> list[dict]:
    rows = conn.execute(
        "SELECT id, external_id, title, url, created_at, updated_at FROM conversations"
        " WHERE provider = 'copilot' ORDER BY created_at"
    ).fetchall()
    out = []
    for row in rows:
        messages = conn.execute(
            "SELECT role, markdown, text, created_at, parent_key, key FROM messages"
            " WHERE conversation_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        out.append({**dict(row), "messages": [dict(m) for m in messages]})
    return out


async def test_the_activity_history_is_found_by_its_header_and_the_prompt_only_file_is_left_alone(store):
    files = find_export_files(COPILOT)
    assert [(f.name, f.format) for f in files] == [("copilot-activity-history.csv", "copilot")]
    summary = await import_path(store, COPILOT)
    assert summary.conversations == 3 and not summary.errors


async def test_rows_become_threads_grouped_by_name_and_split_after_a_long_silence(store):
    await import_path(store, COPILOT)
    kyoto, eggs, later = await store.read(conversations)
    assert kyoto["title"] == later["title"] == "Kyoto in three days"
    assert kyoto["external_id"] != later["external_id"]  # the same name two weeks later: another chat
    assert [m["role"] for m in kyoto["messages"]] == ["user", "assistant", "user", "assistant"]
    assert [m["parent_key"] for m in kyoto["messages"][1:]] == [m["key"] for m in kyoto["messages"][:-1]]
    assert '```python\nprint("清水寺")\n```' in kyoto["messages"][1]["markdown"]
    assert kyoto["messages"][2]["text"] == "Und auf Japanisch? <script>alert(1)</script>"  # text, not markup
    assert kyoto["messages"][3]["text"] == "清水寺がおすすめです。"
    assert [m["text"] for m in eggs["messages"]] == [
        "How long for a runny yolk?",
        "About 6 minutes, then cold water.",
    ]
    assert kyoto["url"] is None  # the export names no conversation id


async def test_dates_are_the_exports_own(store):
    await import_path(store, COPILOT)
    kyoto, _, _ = await store.read(conversations)
    assert kyoto["created_at"] == 1771338971.0  # 2026-02-17T14:36:11 (UTC)
    assert kyoto["updated_at"] == 1771339089.0  # its last message: the provider's last activity
    assert kyoto["messages"][1]["created_at"] == 1771338979.0


async def test_the_chat_activity_layout_with_its_local_times_imports_too(store):
    summary = await import_path(store, COPILOT_CHAT)
    assert summary.conversations == 1 and not summary.errors
    [chat] = await store.read(conversations)
    assert chat["title"] == "Zeitzonen"
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]  # "Copilot" is the assistant
    assert chat["messages"][0]["created_at"] == 1771508171.0  # 2:36:11 PM +01:00 = 13:36:11 UTC


def test_the_dashboards_time_formats_are_read() -> None:
    assert parse_time("2026-02-17T14:36:11") == 1771338971.0
    assert parse_time("2/17/2026 2:36:11 PM +00:00") == 1771338971.0
    assert parse_time("2/17/2026 14:36:11") == 1771338971.0
    assert parse_time("12/1/2026 12:05:00 AM -05:00") == parse_time("2026-12-01T05:05:00Z")
    assert parse_time("yesterday") is None and parse_time("") is None


async def test_importing_twice_changes_nothing_the_second_time(store):
    await import_path(store, COPILOT)
    before = await store.read(snapshot)
    summary = await import_path(store, COPILOT)
    assert summary.inserted == summary.updated == summary.branched == 0
    assert summary.conversations_created == 0
    assert await store.read(snapshot) == before


async def test_a_newer_export_adds_only_the_new_messages(store, tmp_path: Path):
    await import_path(store, COPILOT)
    grown = tmp_path / "copilot-activity-history.csv"
    grown.write_text(
        (COPILOT / "copilot-activity-history.csv").read_text(encoding="utf-8-sig")
        + "Boiling eggs,2026-02-18T08:03:00,user,And a hard yolk?\r\n",
        encoding="utf-8",
    )
    summary = await import_path(store, grown)
    assert summary.inserted == 1 and summary.conversations_created == 0


async def test_a_bad_date_loses_only_the_date_and_a_file_that_is_not_text_is_reported(store, tmp_path: Path):
    path = tmp_path / "copilot-activity-history.csv"
    path.write_text(
        "Conversation,Time,Author,Message\r\nBroken,not a date,user,still imported\r\n"
        'Quoted,2026-02-17T10:00:00,user,"an unterminated quote\r\n',
        encoding="utf-8",
    )
    summary = await import_path(store, path)
    assert summary.conversations == 2 and not summary.errors
    broken = next(c for c in await store.read(conversations) if c["title"] == "Broken")
    assert broken["messages"][0]["text"] == "still imported"  # the store dates it at import time
    binary = tmp_path / "bin" / "copilot-activity-history.csv"
    binary.parent.mkdir()
    binary.write_bytes(b"Conversation,Time,Author,Message\r\nX,2026-02-17T10:00:00,user,\xff\xfe bad\r\n")
    summary = await import_path(store, binary)
    assert summary.errors and "not UTF-8" in summary.errors[0]


def test_a_renamed_file_is_recognised_by_its_header(tmp_path: Path) -> None:
    renamed = tmp_path / "x1y2-copilot.csv"
    renamed.write_bytes((COPILOT / "copilot-activity-history.csv").read_bytes())
    assert [f.format for f in find_export_files(renamed)] == ["copilot"]


async def test_a_newest_first_file_keeps_a_prompt_before_its_answer_logged_in_the_same_second(
    store, tmp_path: Path
):
    # The CSV's times have whole seconds; a quick answer can share its prompt's second. In a file
    # listing rows newest first, the answer's row comes before its prompt's: the thread must still
    # read prompt, then answer.
    path = tmp_path / "copilot-activity-history.csv"
    path.write_text(
        "\ufeffConversation,Time,Author,Message\n"
        "Reise nach Kyoto,2026-02-17T14:36:12,AI,Der Philosophenweg ist im April am schönsten.\n"
        "Reise nach Kyoto,2026-02-17T14:36:12,user,Was sollte ich in Kyoto sehen?\n"
        "Reise nach Kyoto,2026-02-17T14:30:05,AI,Hallo! Wie kann ich helfen?\n"
        "Reise nach Kyoto,2026-02-17T14:30:01,user,Hallo\n",
        encoding="utf-8",
    )
    await import_path(store, path)
    (conversation,) = await store.read(conversations)
    assert [(m["role"], m["text"]) for m in conversation["messages"]] == [
        ("user", "Hallo"),
        ("assistant", "Hallo! Wie kann ich helfen?"),
        ("user", "Was sollte ich in Kyoto sehen?"),
        ("assistant", "Der Philosophenweg ist im April am schönsten."),
    ]
