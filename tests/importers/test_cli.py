"""`vivim import` against a real temporary data directory, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlean as sqlite3
from click.testing import CliRunner

from vivim.cli import main
from vivim.providers import listed

from .helpers import CHATGPT, CLAUDE, GEMINI, MALFORMED


def _count(home: Path, table: str) -> int:
    conn = sqlite3.connect(str(home / "vivim.sqlite3"))
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_import_prints_a_summary_with_counts_and_skip_reasons(vivim_home: Path):
    result = CliRunner().invoke(main, ["import", "--quiet", str(GEMINI)])
    assert result.exit_code == 0, result.output
    assert "Imported 4 conversations (4 new, 0 changed) and 13 messages" in result.output
    assert "left out, as the provider's app does:" in result.output
    assert "Gemini activity that is not a conversation (settings, feedback)" in result.output
    assert (
        "could not be imported:" in result.output
        and "entries the file describes incompletely" in result.output
    )
    assert "malformed entry: #" in result.output  # each one named
    assert _count(vivim_home, "messages") == 13


def test_import_twice_reports_everything_unchanged(vivim_home: Path):
    runner = CliRunner()
    assert runner.invoke(main, ["import", "-q", str(CLAUDE)]).exit_code == 0
    result = runner.invoke(main, ["import", "-q", "--json", str(CLAUDE)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["conversations_created"] == 0 and summary["inserted"] == 0
    assert summary["unchanged"] == summary["messages"] == _count(vivim_home, "messages")


def test_import_with_a_progress_bar_draws_it_on_stderr_only(vivim_home: Path):
    result = CliRunner().invoke(main, ["import", str(CHATGPT)])  # click 8.2+: stdout and stderr kept apart
    assert result.exit_code == 0, result.output
    assert "Imported 2 conversations" in result.stdout
    assert "conversations.json" in result.stderr and "messages=11" in result.stderr


def test_import_of_a_path_without_exports_fails_with_a_readable_message(vivim_home: Path, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["import", str(empty)])
    assert result.exit_code == 1
    assert f"Found no {listed('or', exports=True).replace(' or ', ', ')} or VIVIM export" in result.output
    assert "[import_format]" not in result.output  # the code is for --json and the log, not for people
    assert not (vivim_home / "vivim.sqlite3").exists()


def test_import_provider_forces_the_format_of_a_single_file(vivim_home: Path, tmp_path: Path):
    result = CliRunner().invoke(
        main, ["import", "-q", "--provider", "claude", str(CHATGPT / "conversations.json")]
    )
    assert result.exit_code == 1
    assert "is not a Claude export: it is a ChatGPT export, not Claude's" in result.output


def test_import_runs_as_a_real_command(tmp_path: Path):
    home = tmp_path / "home"
    env = {**os.environ, "VIVIM_HOME": str(home), "VIVIM_SERVICES": "none"}
    script = Path(sys.executable).with_name("vivim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]
    done = subprocess.run(
        [*command, "import", str(MALFORMED)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Imported 2 conversations" in done.stdout
    assert "3  conversations the file describes incompletely (named below)" in done.stdout
    assert _count(home, "messages") == 4


def test_import_of_a_file_cut_off_midway_keeps_what_came_before_and_exits_non_zero(
    vivim_home: Path, tmp_path: Path
):
    text = (CHATGPT / "conversations.json").read_text()
    truncated = tmp_path / "conversations.json"
    truncated.write_text(text[: text.index('"title": "Plot the primes"') + 40])
    result = CliRunner().invoke(main, ["import", "-q", str(truncated)])
    assert result.exit_code == 1
    assert "Imported 1 conversation (1 new, 0 changed)" in result.stdout
    assert "ends in the middle of its JSON (an interrupted download or copy?)" in result.stderr
    assert "the conversation before that point was imported" in result.stderr
    assert "right here" not in result.stderr and "premature EOF" not in result.stderr  # no raw parser text
    assert len(result.stderr.strip().splitlines()) == 1
    assert _count(vivim_home, "conversations") == 1


def test_import_of_an_empty_file_says_so_and_creates_no_database(vivim_home: Path, tmp_path: Path):
    empty = tmp_path / "conversations.json"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["import", str(empty)])
    assert result.exit_code == 1
    assert f"{empty} is empty (0 bytes): there is nothing to import" in result.stderr
    assert not (vivim_home / "vivim.sqlite3").exists()


def test_import_of_a_zip_cut_off_midway_says_it_is_damaged(vivim_home: Path, tmp_path: Path):
    import zipfile

    whole = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(whole, "w") as archive:
        archive.write(CHATGPT / "conversations.json", "conversations.json")
    cut = tmp_path / "download.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # an interrupted download
    result = CliRunner().invoke(main, ["import", str(cut)])
    assert result.exit_code == 1
    assert "is damaged or incomplete (an interrupted download?)" in result.stderr
    assert "found no" not in result.stderr.lower()
    assert not (vivim_home / "vivim.sqlite3").exists()


def test_import_errors_keep_their_code_in_json_output(vivim_home: Path, tmp_path: Path):
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["import", "--json", str(empty)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "import_format"


def test_import_summary_calls_hidden_system_prompts_what_they_are(vivim_home: Path):
    result = CliRunner().invoke(main, ["import", "-q", str(CHATGPT)])
    assert result.exit_code == 0, result.output
    assert "hidden system prompts (not shown in ChatGPT either)" in result.stdout
    assert "chatgpt system message" not in result.stdout
    assert "chatgpt system message" in json.dumps(
        json.loads(CliRunner().invoke(main, ["import", "-q", "--json", str(CHATGPT)]).stdout)["skipped"]
    )


def test_a_summary_has_no_zero_counts_and_a_reimport_says_nothing_is_new(vivim_home: Path):
    import re

    first = CliRunner().invoke(main, ["import", "-q", str(CLAUDE)])
    assert first.exit_code == 0, first.output
    assert not re.search(r"^\s+0\s", first.stdout, re.M)  # no "0  claude empty message" lines
    again = CliRunner().invoke(main, ["import", "-q", str(CLAUDE)])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Nothing new: all 2 conversations (")
    assert "Imported" not in again.stdout and "Meaning search" not in again.stdout
    summary = json.loads(CliRunner().invoke(main, ["import", "-q", "--json", str(CLAUDE)]).stdout)
    assert 0 not in summary["skipped"].values() and summary["meaning_search"] is None
