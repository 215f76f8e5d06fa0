"""`vivim import FOLDER` recognises exports by their content, whatever their names, and names every file
it did not import with the reason; the summary says how meaning search catches up with what came in.

Each test runs the real command against a real data directory; the exports are the fixtures' own
files, copied, renamed, cut short or replaced by other JSON."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlean as sqlite3
from click.testing import CliRunner

from vivim.cli import main

from .helpers import CHATGPT, CLAUDE

EXPORT = CHATGPT / "conversations.json"


def _import(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["import", "-q", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_renamed_export_in_a_folder_is_found_by_its_content(vivim_home: Path, tmp_path: Path):
    folder = tmp_path / "backups"
    folder.mkdir()
    shutil.copy(EXPORT, folder / "my-chatgpt-backup.json")
    code, out, err = _import(str(folder))
    assert code == 0, out + err
    assert "Imported 2 conversations (2 new, 0 changed)" in out
    assert "files not imported" not in out


def test_files_beside_an_export_that_are_not_exports_are_named_with_their_reason(
    vivim_home: Path, tmp_path: Path
):
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(EXPORT, folder / "conversations.json")
    (folder / "shopping.json").write_text(json.dumps({"items": ["milk", "eggs"], "total": 4.5}))
    (folder / "notes.json").write_text("not json at all")
    (folder / "blank.json").write_text("")
    code, out, err = _import(str(folder))
    assert code == 0, out + err  # the export was imported: the others are named, not fatal
    assert "files not imported:" in out
    assert f"{folder / 'shopping.json'}: it is JSON, but holds no conversations" in out
    assert f"{folder / 'notes.json'}: the file is not valid JSON" in out
    assert f"{folder / 'blank.json'}: it is empty (0 bytes)" in out

    result = CliRunner().invoke(main, ["import", "-q", "--json", str(folder)])
    reasons = {Path(s["file"]).name: s["reason"] for s in json.loads(result.stdout)["skipped_files"]}
    assert set(reasons) == {"shopping.json", "notes.json", "blank.json"}


def test_a_damaged_export_in_a_folder_is_named_and_fails_the_import(vivim_home: Path, tmp_path: Path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    text = EXPORT.read_text()
    (folder / "conversations.json").write_text(text[: len(text) // 3])  # cut off inside its first item
    code, out, err = _import(str(folder))
    assert code == 1
    assert "conversations.json: the file ends in the middle of its JSON" in err
    assert "nothing was imported from it" in err


def test_a_folder_holding_no_export_names_each_file_and_why(vivim_home: Path, tmp_path: Path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "conversations.json").write_text("not json at all")
    (folder / "shopping.json").write_text('{"items": []}')
    code, out, err = _import(str(folder))
    assert code == 1 and out == ""
    assert "Found no ChatGPT, Claude, Gemini" in err
    assert f"{folder / 'conversations.json'}: the file is not valid JSON" in err
    assert f"{folder / 'shopping.json'}: it is JSON, but holds no conversations" in err
    assert not (vivim_home / "vivim.sqlite3").exists()


def test_the_parts_of_an_export_that_hold_no_conversations_are_not_called_skipped(vivim_home: Path):
    assert (CLAUDE / "users.json").exists() and (CLAUDE / "projects.json").exists()
    code, out, err = _import(str(CLAUDE))
    assert code == 0, out + err
    assert "files not imported" not in out


def test_another_providers_export_under_provider_is_named_as_such(vivim_home: Path, tmp_path: Path):
    folder = tmp_path / "exports"
    shutil.copytree(CHATGPT, folder / "chatgpt")
    shutil.copytree(CLAUDE, folder / "claude")
    code, out, err = _import("--provider", "claude", str(folder))
    assert code == 0, out + err
    assert "it is a ChatGPT export, not Claude's" in out


def test_after_an_import_the_summary_says_how_meaning_search_catches_up(
    vivim_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("VIVIM_MODEL_CACHE", str(tmp_path / "no-models-built-yet"))
    code, out, err = _import(str(CHATGPT))
    assert code == 0, out + err
    assert "Meaning search does not cover these yet (0 of" in out
    assert "run `vivim reindex`" in out.lower() and "`vivim serve` is open" in out

    again = CliRunner().invoke(main, ["import", "-q", "--json", str(CLAUDE)])
    meaning = json.loads(again.stdout)["meaning_search"]
    assert meaning["pending"] == meaning["chunks"] > 0 and meaning["first_pass_now"] == 0


def test_when_the_first_pass_model_is_built_an_import_is_searchable_by_meaning_at_once(vivim_home: Path):
    from vivim.retrieval.static_model import get_static_embedder

    get_static_embedder().ensure_loaded()  # built once per user from the shipped model (cached)
    result = CliRunner().invoke(main, ["import", "-q", "--json", str(CHATGPT)])
    assert result.exit_code == 0, result.output
    meaning = json.loads(result.stdout)["meaning_search"]
    assert meaning["first_pass_now"] == meaning["pending"] == meaning["chunks"] > 0
    conn = sqlite3.connect(str(vivim_home / "vivim.sqlite3"))
    try:
        [rows] = conn.execute("SELECT COUNT(*) FROM chunk_first_pass").fetchone()
    finally:
        conn.close()
    assert rows == meaning["chunks"]
    text = CliRunner().invoke(main, ["import", "-q", str(CLAUDE)]).stdout
    assert "Meaning search: everything is searchable by a quick first pass" in text


def test_export_zips_in_a_downloads_folder_are_read_and_a_damaged_one_is_named(
    vivim_home: Path, tmp_path: Path
):
    """Providers deliver exports as ZIPs; the user points VIVIM at the folder they landed in."""
    folder = tmp_path / "Downloads"
    folder.mkdir()
    for name, source in (("chatgpt-export.zip", CHATGPT), ("data-2026-12-01.zip", CLAUDE)):
        with zipfile.ZipFile(folder / name, "w") as archive:
            for file in sorted(source.iterdir()):
                archive.write(file, file.name)
    with zipfile.ZipFile(folder / "holiday-photos.zip", "w") as archive:
        archive.writestr("beach.jpg", b"\xff\xd8\xff not a conversation")
    whole = (folder / "chatgpt-export.zip").read_bytes()
    (folder / "interrupted.zip").write_bytes(whole[: len(whole) // 2])  # the download broke off
    result = CliRunner().invoke(main, ["import", "-q", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    skipped = {Path(s["file"]).name: s["reason"] for s in summary["skipped_files"]}
    assert skipped == {"interrupted.zip": "the ZIP is damaged or incomplete (an interrupted download?)"}
    conn = sqlite3.connect(str(vivim_home / "vivim.sqlite3"))
    try:
        providers = dict(
            conn.execute("SELECT provider, COUNT(*) FROM conversations GROUP BY provider").fetchall()
        )
    finally:
        conn.close()
    assert providers["chatgpt"] == 2 and providers["claude"] > 0

    again = CliRunner().invoke(main, ["import", "-q", str(folder)])  # the same folder again: nothing new
    assert again.exit_code == 0 and "Nothing new" in again.stdout


def test_chatgpts_2026_library_index_and_export_manifest_are_parts_of_the_export_not_skipped_files(
    vivim_home: Path, tmp_path: Path
):
    # Since 2026 ChatGPT's export ZIP also holds library_files.json (its file library: uploads and
    # generated files, by conversation) and export_manifest.json (the files of a multipart export).
    # They hold no conversations and are not named as files that were not imported.
    folder = tmp_path / "chatgpt-export"
    folder.mkdir()
    shutil.copy(EXPORT, folder / "conversations.json")
    (folder / "library_files.json").write_text(
        json.dumps(
            [{"file_id": "file_00000000aa", "file_name": "brief.docx", "library_artifact_type": "report"}]
        )
    )
    (folder / "export_manifest.json").write_text(
        json.dumps({"export_files": [{"path": "conversations.json"}]})
    )
    code, out, err = _import(str(folder))
    assert code == 0, out + err
    assert "files not imported" not in out and "library_files" not in out and "export_manifest" not in out


def test_chatgpts_chat_html_imported_on_its_own_says_which_file_to_import_instead(
    vivim_home: Path, tmp_path: Path
):
    # The export ZIP's chat.html (a page that shows the conversations in a browser) is the file people
    # open first; imported by itself it is refused with what to import instead, not as "not Gemini's".
    page = tmp_path / "chat.html"
    page.write_text(
        "<html><head><title>ChatGPT Data Export</title></head><body><script>var jsonData = [];</script>"
    )
    code, out, err = _import(str(page))
    assert code == 1
    assert "it is ChatGPT's chat.html" in out + err and "import conversations.json" in out + err
    assert "Gemini's activity page" not in out + err
