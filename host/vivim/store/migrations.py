"""Versioned schema migrations.

Each migration is applied once, in order, inside a transaction, and recorded in
`schema_migrations`. Numbers are owned by area so parallel work never collides:
1 core store, 2 retrieval (vectors), 3 sync, 4-5 core indexes, 6+ later. Never edit a released migration;
add the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlean as sqlite3


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in _split(sql):
            conn.execute(statement)

    return run


def _split(sql: str) -> list[str]:
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


CORE_SCHEMA = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    title TEXT,
    url TEXT,
    model TEXT,
    source TEXT NOT NULL DEFAULT 'capture',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL,
    UNIQUE (provider, external_id)
);
CREATE INDEX conversations_updated ON conversations (updated_at DESC);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    parent_key TEXT,
    provider_message_id TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL,
    model TEXT,
    kind TEXT,
    markdown TEXT NOT NULL,
    text TEXT NOT NULL,
    html TEXT,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'complete',
    is_current INTEGER,
    source TEXT NOT NULL DEFAULT 'capture',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (conversation_id, key)
);
CREATE INDEX messages_conversation_position ON messages (conversation_id, position, id);
CREATE INDEX messages_conversation_hash ON messages (conversation_id, content_hash);
CREATE INDEX messages_created ON messages (created_at);

CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    embedded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (message_id, ordinal)
);
CREATE INDEX chunks_unembedded ON chunks (embedded) WHERE embedded = 0;

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text,
    content = 'chunks',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE adapter_health (
    provider TEXT PRIMARY KEY,
    ok INTEGER NOT NULL,
    problem TEXT,
    url TEXT,
    checked_at REAL NOT NULL
);
"""


# Charts count messages per day, provider and model over a date range; a covering index lets
# them read the index alone instead of every message row (700 ms -> a few ms at 100k messages).
STATS_INDEX = """
CREATE INDEX messages_created_covering ON messages (created_at, conversation_id, role, model);
DROP INDEX messages_created;
"""

# Search as you type makes the last word a prefix; a 2- or 3-letter prefix expands to thousands
# of terms and cost ~650 ms at 100k chunks without prefix indexes (~8 ms with them).
FTS_PREFIX_INDEXES = """
DROP TABLE chunks_fts;
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
    text,
    content = 'chunks',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');
"""

# Names people give their devices ("Work laptop"), kept on this device only: a device's own name
# (its hostname, in its signed membership record) stays what sync exchanges.
DEVICE_NAMES = """
CREATE TABLE device_names (
    peer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    set_at REAL NOT NULL
);
"""

MIGRATIONS: list[Migration] = [
    Migration(1, "core store", _script(CORE_SCHEMA)),
    Migration(4, "covering index for charts", _script(STATS_INDEX)),
    Migration(5, "full-text prefix indexes", _script(FTS_PREFIX_INDEXES)),
    Migration(12, "device names people set", _script(DEVICE_NAMES)),
]


def register(migration: Migration) -> None:
    """Areas outside the core store add their migrations here at import time."""
    if any(m.version == migration.version for m in MIGRATIONS):
        return
    MIGRATIONS.append(migration)
    MIGRATIONS.sort(key=lambda m: m.version)


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply what is missing; safe to call from several processes at once."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at REAL)"
    )
    applied: list[int] = []
    for migration in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            ).fetchone()
            if not done:
                migration.apply(conn)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time()),
                )
                applied.append(migration.version)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


from .. import unspaced as _unspaced  # noqa: E402,F401  (migration 7)
from .. import vectors as _retrieval_vectors  # noqa: E402,F401  (migration 2)
from ..sync import schema as _sync_schema  # noqa: E402,F401  (migration 3)
from . import repair_dates as _repair_dates  # noqa: E402,F401  (migration 6)
from . import completeness as _completeness  # noqa: E402,F401  (migration 8)
from . import raw as _raw  # noqa: E402,F401  (migration 9)
from ..importers import agent_logs as _agent_logs  # noqa: E402,F401  (migration 10)
