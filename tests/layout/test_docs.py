"""The README and the docs point only at files that exist in this repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.(?:md|py|js|json|sh|ps1|toml))`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_and_named_file_exists_in_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = []
    for target in LINK.findall(text):
        if "://" in target:
            continue
        if target.startswith("..") or not (doc.parent / target).resolve().exists():
            missing.append(target)
    for name in PATH.findall(text):
        if (
            "/" in name
            and "<" not in name
            and not any(
                (base / name).exists()
                for base in (ROOT, ROOT / "host", ROOT / "host" / "vivim", ROOT / "extension", doc.parent)
            )
        ):
            missing.append(name)
    assert missing == []
