"""What the user did to a conversation (tags, pin, their own title) survives every export, and a JSON
archive carries it into a new vault: through the real `vivim` command, on real SQLite files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.importers.helpers import CLAUDE


def _cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIVIM_HOME": str(home), "VIVIM_SERVICES": "none"}
    script = Path(sys.executable).with_name("vivim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vivim"]
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _conversations(home: Path) -> dict[str, dict]:
    """external id -> the conversation as the JSON archive writes it."""
    archive = json.loads(_cli(home, "export", "--format", "json").stdout)
    return {c["external_id"]: c for c in archive["conversations"]}


def _front_matter(folder: Path) -> dict[str, dict]:
    fronts = [yaml.safe_load(f.read_text(encoding="utf-8").split("---\n")[1]) for f in folder.glob("*.md")]
    return {str(front["conversation_id"]): front for front in fronts}


def test_tags_pin_and_the_users_title_survive_a_json_export_and_import_into_a_new_vault(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    _cli(first, "import", "-q", str(CLAUDE))
    stored = _conversations(first)
    marked, plain = sorted(stored, key=lambda e: stored[e]["id"])[:2]
    vid = str(stored[marked]["id"])
    _cli(first, "conversation", "tag", vid, "work", "deep dive", "2024")
    _cli(first, "conversation", "pin", vid)
    _cli(first, "conversation", "rename", vid, "My own name for it")

    archive = tmp_path / "archive.json"
    _cli(first, "export", "--format", "json", "--out", str(archive))
    saved = {c["external_id"]: c for c in json.loads(archive.read_text())["conversations"]}
    assert saved[marked]["tags"] == ["2024", "deep dive", "work"]
    assert saved[marked]["pinned"] is True and saved[marked]["title_by_user"] is True
    assert saved[plain]["tags"] == [] and saved[plain]["pinned"] is False
    assert saved[plain]["title_by_user"] is False

    _cli(second, "import", "-q", str(archive))
    restored = _conversations(second)
    assert restored[marked]["tags"] == ["2024", "deep dive", "work"]
    assert restored[marked]["pinned"] is True
    assert restored[marked]["title"] == "My own name for it" and restored[marked]["title_by_user"] is True
    assert restored[plain]["tags"] == [] and restored[plain]["pinned"] is False
    assert restored[plain]["title"] == stored[plain]["title"] and restored[plain]["title_by_user"] is False

    # The restored title is the user's, not a page's: importing Claude's own export again keeps it.
    _cli(second, "import", "-q", str(CLAUDE))
    assert _conversations(second)[marked]["title"] == "My own name for it"
    # Importing the same archive twice adds nothing twice.
    _cli(second, "import", "-q", str(archive))
    assert _conversations(second)[marked]["tags"] == ["2024", "deep dive", "work"]


def test_markdown_front_matter_and_jsonl_rows_carry_the_users_tags_and_pin(tmp_path: Path):
    home = tmp_path / "home"
    _cli(home, "import", "-q", str(CLAUDE))
    stored = _conversations(home)
    marked, plain = sorted(stored, key=lambda e: stored[e]["id"])[:2]
    vid = str(stored[marked]["id"])
    tricky = ["work", "deep dive", "2024", "true", "a, b", '#"quoted"', "claude", "projekt/über"]
    _cli(home, "conversation", "tag", vid, *tricky)
    _cli(home, "conversation", "pin", vid)

    _cli(home, "export", "--format", "markdown", "--out", str(tmp_path / "notes"))
    fronts = _front_matter(tmp_path / "notes")
    # Parsed as YAML, every tag comes back as the string the user typed; vivim and the provider first.
    assert fronts[marked]["tags"][:2] == ["vivim", "claude"]
    assert sorted(fronts[marked]["tags"][2:]) == sorted(t for t in tricky if t != "claude")
    assert fronts[marked]["pinned"] is True
    assert fronts[plain]["tags"] == ["vivim", "claude"] and "pinned" not in fronts[plain]

    rows = [json.loads(line) for line in _cli(home, "export", "--format", "jsonl").stdout.splitlines()]
    by_conversation = {r["conversation_id"]: r for r in rows}
    assert sorted(by_conversation[marked]["conversation_tags"]) == sorted(tricky)
    assert by_conversation[marked]["conversation_pinned"] is True
    assert by_conversation[plain]["conversation_tags"] == []
    assert by_conversation[plain]["conversation_pinned"] is False


def test_an_archive_from_before_tags_were_exported_still_imports(tmp_path: Path):
    home = tmp_path / "home"
    _cli(home, "import", "-q", str(CLAUDE))
    archive = json.loads(_cli(home, "export", "--format", "json").stdout)
    for conversation in archive["conversations"]:
        for name in ("tags", "pinned", "title_by_user"):
            del conversation[name]
    old = tmp_path / "old-archive.json"
    old.write_text(json.dumps(archive))
    _cli(tmp_path / "new", "import", "-q", str(old))
    restored = _conversations(tmp_path / "new")
    assert restored.keys() == {c["external_id"] for c in archive["conversations"]}
    assert all(c["tags"] == [] and c["pinned"] is False for c in restored.values())
