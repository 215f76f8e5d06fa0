"""A numbered schema migration, and running an SQL script one statement at a time.

Kept apart from the migration list so that area modules (retrieval, sync) can describe their
tables without importing the list that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlean as sqlite3


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in split(sql):
            conn.execute(statement)

    return run


def split(sql: str) -> list[str]:
    """Split a script on statement boundaries, keeping trigger bodies whole."""
    statements, current = [], []
    depth = 0
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        upper = stripped.upper()
        if upper.startswith("CREATE TRIGGER"):
            depth += 1
        if upper.startswith("END;"):
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            statements.append("\n".join(current))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements
