"""What the capture.network tests share: a page's payload as the extension forwards it (one part,
as text), and the rows the host stored, read from its real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def page_payload(provider: str, external_id: str, url: str, doc: Any) -> dict[str, Any]:
    """A capture.network payload in one part: `doc` sent as it is if it is text, else as its JSON."""
    return {
        "provider": provider,
        "external_id": external_id,
        "url": url,
        "body": doc if isinstance(doc, str) else json.dumps(doc),
        "encoding": "json",
        "part": 0,
        "parts": 1,
    }


def rows(home: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(home / "vivim.sqlite3")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
