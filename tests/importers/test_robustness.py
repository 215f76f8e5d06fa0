"""Broken input: a malformed entry is reported and skipped, a cut-off file keeps what came before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vivim.errors import ImportFormatError
from vivim.importers import find_export_files, import_path
from vivim.providers import listed

from .helpers import CHATGPT, CLAUDE, GEMINI, MALFORMED


async def test_a_malformed_conversation_is_reported_and_the_rest_imports(store):
    summary = await import_path(store, MALFORMED / "conversations.json")
    assert summary.conversations == 2
    assert summary.skipped.reasons["malformed conversation"] == 3
    assert any("bad-1" in d for d in summary.skipped.details)
    assert any("bad-2" in d for d in summary.skipped.details)
    ids = await store.read(lambda c: sorted(r[0] for r in c.execute("SELECT external_id FROM conversations")))
    assert ids == ["good-1", "good-2"]


async def test_a_file_cut_off_midway_keeps_the_conversations_before_the_cut(store, tmp_path: Path):
    text = (CHATGPT / "conversations.json").read_text()
    cut = text.index('"title": "Plot the primes"') + 40
    truncated = tmp_path / "conversations.json"
    truncated.write_text(text[:cut])
    summary = await import_path(store, truncated, provider="chatgpt")
    assert summary.conversations == 1
    assert len(summary.errors) == 1
    assert "ends in the middle of its JSON" in summary.errors[0]
    assert "the conversation before that point was imported" in summary.errors[0]


async def test_a_claude_message_with_an_unknown_sender_is_skipped_not_fatal(store, tmp_path: Path):
    data = json.loads((CLAUDE / "conversations.json").read_text())
    data[1]["chat_messages"].insert(1, {"uuid": "weird", "sender": "moderator", "text": "??"})
    data[1]["chat_messages"].append("not an object")
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data))
    summary = await import_path(store, path)
    assert summary.conversations == 2
    assert summary.skipped.reasons["claude moderator message"] == 1
    assert summary.skipped.reasons["claude message without uuid"] == 1


def test_a_path_with_no_export_in_it_is_refused_with_a_clear_error(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "conversations.json").write_text('{"not": "an export"}')
    every_site = listed("or", exports=True).replace(
        " or ", ", "
    )  # "ChatGPT, Claude, Gemini, ...": from the registry
    with pytest.raises(ImportFormatError, match=re.escape(f"found no {every_site} or VIVIM export")):
        find_export_files(tmp_path)


def test_provider_restricts_which_files_of_a_folder_are_imported(tmp_path: Path):
    found = find_export_files(CHATGPT.parent, provider="claude")
    assert {f.format for f in found} == {"claude"}
    found = find_export_files(CHATGPT.parent, provider="gemini")
    assert {f.format for f in found} == {"gemini", "gemini-html"}
    with pytest.raises(ImportFormatError, match="found no Claude export"):
        find_export_files(GEMINI, provider="claude")


def test_detection_reads_the_content_not_the_name():
    formats = {f.describe().split("/")[-1]: f.format for f in find_export_files(CHATGPT.parent)}
    assert formats["conversations.json"] in ("chatgpt", "claude")
    by_folder = {Path(f.path).parent.name: f.format for f in find_export_files(CHATGPT.parent)}
    assert by_folder["chatgpt"] == "chatgpt"
    assert by_folder["claude"] == "claude"
    assert by_folder["malformed"] == "chatgpt"
    assert by_folder["Gemini Apps"] == "gemini"
    assert by_folder["gemini-html"] == "gemini-html"
