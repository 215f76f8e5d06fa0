"""`vivim export` against a real temporary data directory, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.importers.helpers import CHATGPT, CLAUDE, GEMINI
from vivim.cli import main


def _fill(runner: CliRunner) -> None:
    for path in (CHATGPT, CLAUDE, GEMINI):
        result = runner.invoke(main, ["import", "-q", str(path)])
        assert result.exit_code == 0, result.output


def test_export_jsonl_goes_to_stdout_by_default(vivim_home: Path):
    runner = CliRunner()
    _fill(runner)
    result = runner.invoke(main, ["export", "--provider", "chatgpt"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 11 and {r["provider"] for r in rows} == {"chatgpt"}
    assert result.stderr == ""


def test_export_since_and_conversation_filters(vivim_home: Path):
    runner = CliRunner()
    _fill(runner)
    result = runner.invoke(main, ["export", "--since", "2025-06-02"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["created_at"] >= "2025-06-02" for r in rows)
    result = runner.invoke(main, ["export", "--conversation", "9f8e7d6c5b4a"])
    assert {json.loads(line)["conversation_id"] for line in result.stdout.splitlines()} == {"9f8e7d6c5b4a"}
    bad = runner.invoke(main, ["export", "--since", "last tuesday"])
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_export_markdown_needs_a_folder_and_writes_one_file_per_conversation(
    vivim_home: Path, tmp_path: Path
):
    runner = CliRunner()
    _fill(runner)
    assert runner.invoke(main, ["export", "--format", "markdown"]).exit_code == 2
    result = runner.invoke(main, ["export", "--format", "markdown", "--out", str(tmp_path / "notes")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "notes").glob("*.md"))) == 8
    assert "Wrote 8 files" in result.stderr


def test_export_json_then_import_into_an_empty_home_gives_the_same_messages(
    vivim_home: Path, tmp_path: Path, monkeypatch
):
    runner = CliRunner()
    _fill(runner)
    archive = tmp_path / "archive.json"
    assert runner.invoke(main, ["export", "--format", "json", "--out", str(archive)]).exit_code == 0
    before = [json.loads(line) for line in runner.invoke(main, ["export"]).stdout.splitlines()]
    monkeypatch.setenv("VIVIM_HOME", str(tmp_path / "second-home"))
    result = runner.invoke(main, ["import", "-q", str(archive)])
    assert result.exit_code == 0, result.output
    after = [json.loads(line) for line in runner.invoke(main, ["export"]).stdout.splitlines()]
    assert after == before


def test_export_runs_as_a_real_command(tmp_path: Path):
    env = {**os.environ, "VIVIM_HOME": str(tmp_path / "home"), "VIVIM_SERVICES": "none"}
    script = Path(sys.executable).with_name("vivim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]
    subprocess.run(
        [*command, "import", "-q", str(CLAUDE)], env=env, check=True, capture_output=True, timeout=120
    )
    done = subprocess.run(
        [*command, "export", "--format", "jsonl"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 13 and {r["conversation_title"] for r in rows} == {
        "Rust lifetimes",
        "Old linear chat",
    }
