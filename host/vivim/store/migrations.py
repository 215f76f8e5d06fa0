"""Versioned schema migrations: the one ordered list, and applying it.

Each migration is applied once, in order, inside a transaction, and recorded in
`schema_migrations`. The SQL lives with the area that owns the tables (the core store's below,
retrieval's in `retrieval/vectors.py` and `retrieval/unspaced.py`, sync's in `sync/schema.py`,
capture's in `store/completeness.py` and `store/raw.py`, the agents' in `importers/agent_logs.py`);
this list is the only place that says which migrations exist and in which order. Never edit a released migration; add the
next one to MIGRATIONS.
"""

from __future__ import annotations

import time

import sqlean as sqlite3

from ..importers.agent_logs import STATE_SCHEMA as AGENT_LOG_STATE
from ..retrieval.first_pass import SCHEMA as FIRST_PASS_SCHEMA
from ..retrieval.multilingual import REREAD_LONG_CHUNKS
from ..retrieval.multilingual import SCHEMA as MULTILINGUAL_SCHEMA
from ..retrieval.unspaced import MIGRATION_7 as UNSPACED_SCHEMA
from ..retrieval.vectors import VECTOR_SCHEMA
from ..sync.schema import (
    COMPACTION_SCHEMA,
    DIRTY_MESSAGES_REUSED_ROWIDS,
    PEER_STATUS_SCHEMA,
    SYNC_SCHEMA,
)
from .completeness import SCHEMA as COMPLETENESS_SCHEMA
from .fingerprint import add_fingerprints
from .raw import SCHEMA as RAW_SCHEMA
from .repair_dates import REPAIR_IMPORTED_DATES
from .sqlscript import Migration, script

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

# A title the user gave a conversation (web app, CLI, another device) wins over the page's title at
# the next capture; clearing it hands the title back to the page.
USER_TITLES = """
ALTER TABLE conversations ADD COLUMN title_by_user INTEGER NOT NULL DEFAULT 0;
"""

# A deleted conversation keeps no messages (docs/sync.md). Before the capture and import paths
# refused to write under a tombstone, re-importing an export or re-opening the page did: those
# hidden messages (their chunks, full-text entries and vectors follow by cascade and triggers) and
# the raw payloads kept for them go. The tombstones themselves stay: sync needs them.
PURGE_UNDER_TOMBSTONES = """
DELETE FROM chunks WHERE message_id IN (
    SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.deleted_at IS NOT NULL
);
DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE deleted_at IS NOT NULL);
DELETE FROM raw_payloads WHERE EXISTS (
    SELECT 1 FROM conversations c WHERE c.provider = raw_payloads.provider
    AND c.external_id = raw_payloads.external_id AND c.deleted_at IS NOT NULL
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core store", script(CORE_SCHEMA)),
    Migration(2, "retrieval: chunk vectors", script(VECTOR_SCHEMA)),
    Migration(3, "sync: devices, update log, documents", script(SYNC_SCHEMA)),
    Migration(4, "covering index for charts", script(STATS_INDEX)),
    Migration(5, "full-text prefix indexes", script(FTS_PREFIX_INDEXES)),
    Migration(6, "imported conversations keep their own dates", script(REPAIR_IMPORTED_DATES)),
    Migration(
        7, "trigram index for unspaced scripts (CJK, Thai); embedding progress", script(UNSPACED_SCHEMA)
    ),
    Migration(
        8, "conversation completeness, message structure, network warnings", script(COMPLETENESS_SCHEMA)
    ),
    Migration(9, "raw provider payloads", script(RAW_SCHEMA)),
    Migration(10, "coding agents' session logs: read offsets", script(AGENT_LOG_STATE)),
    Migration(12, "device names people set", script(DEVICE_NAMES)),
    Migration(15, "sync: incremental documents, log compaction", script(COMPACTION_SCHEMA)),
    Migration(16, "sync: device reachability and last sync", script(PEER_STATUS_SCHEMA)),
    Migration(17, "retrieval: first-pass (static model) vectors", script(FIRST_PASS_SCHEMA)),
    Migration(25, "a title the user set wins over the page's", script(USER_TITLES)),
    Migration(
        26,
        "sync: a message reusing a deleted one's rowid is still sent",
        script(DIRTY_MESSAGES_REUSED_ROWIDS),
    ),
    Migration(
        30,
        "a turn's rendering-insensitive fingerprint: the DOM's and the network's twins meet",
        add_fingerprints,
    ),
    Migration(31, "a deleted conversation keeps no messages", script(PURGE_UNDER_TOMBSTONES)),
    Migration(
        32, "retrieval: multilingual (e5) vectors for chunks not in English", script(MULTILINGUAL_SCHEMA)
    ),
    Migration(
        33,
        "retrieval: the multilingual model reads long chunks whole, and mixed-script ones",
        script(REREAD_LONG_CHUNKS),
    ),
)


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
