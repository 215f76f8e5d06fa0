"""Migration 3: devices, peer addresses, the CRDT update log, document states, change marks.

Triggers on the core tables mark a conversation dirty whenever any process changes it, so the
sync node (in whichever process holds the lock) finds other processes' captures by polling
one small table instead of scanning the store. `gen` lets the node clear exactly the marks it
exported and keep ones added meanwhile.
"""

from __future__ import annotations

# Any change to a conversation, its messages, tags or pins marks the conversation dirty (a
# generation counter), so the sync engine re-exports exactly what changed, even when another
# process made the change.
_DIRTY_SOURCES = (  # (trigger name, table, event, row, conversation column)
    ("conversation_insert", "conversations", "INSERT", "new", "id"),
    ("conversation_update", "conversations", "UPDATE", "new", "id"),
    ("message_insert", "messages", "INSERT", "new", "conversation_id"),
    ("message_update", "messages", "UPDATE", "new", "conversation_id"),
    ("tag_insert", "conversation_tags", "INSERT", "new", "conversation_id"),
    ("tag_delete", "conversation_tags", "DELETE", "old", "conversation_id"),
    ("pin_insert", "conversation_pins", "INSERT", "new", "conversation_id"),
    ("pin_delete", "conversation_pins", "DELETE", "old", "conversation_id"),
)
DIRTY_TRIGGERS = "".join(
    f"""CREATE TRIGGER sync_dirty_{name} AFTER {event} ON {table} BEGIN
    INSERT INTO sync_dirty (conversation_id) VALUES ({row}.{column})
    ON CONFLICT (conversation_id) DO UPDATE SET gen = gen + 1;
END;
"""
    for name, table, event, row, column in _DIRTY_SOURCES
)

SYNC_SCHEMA = (
    """
CREATE TABLE sync_devices (
    peer_id TEXT PRIMARY KEY,
    sign_pub BLOB NOT NULL,
    box_pub BLOB NOT NULL,
    name TEXT,
    blind INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    revoked_after_seq INTEGER,
    added_at REAL NOT NULL,
    revoked_at REAL
);

CREATE TABLE sync_addresses (
    addr TEXT PRIMARY KEY,
    peer_id TEXT,
    source TEXT NOT NULL,
    added_at REAL NOT NULL,
    last_ok REAL
);

CREATE TABLE sync_log (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entry BLOB NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (origin, seq)
);

CREATE TABLE sync_docs (
    doc_id TEXT PRIMARY KEY,
    state BLOB NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE sync_dirty (
    conversation_id INTEGER PRIMARY KEY,
    gen INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_marks (
    conversation_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (conversation_id, field)
);

CREATE TABLE sync_pairing (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL,
    code TEXT NOT NULL,
    addr TEXT,
    blind INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);

CREATE TABLE conversation_pins (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    pinned_at REAL NOT NULL
);

"""
    + DIRTY_TRIGGERS
    + """
INSERT INTO sync_dirty (conversation_id) SELECT id FROM conversations;
"""
)

# Migration 15: documents stored as a base plus appended changes (docstore.py), and what log
# compaction needs (compaction.py): floors, other devices' acknowledgements, a blind device's
# kept snapshot parts. Also which messages changed (triggers), so exporting one new turn of a
# 10,000-message conversation reads that turn instead of comparing every turn with its mark;
# `sync_dirty.whole` asks for the full comparison (pairing, restore, marks made before this).
COMPACTION_SCHEMA = """
CREATE TABLE sync_doc_updates (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX sync_doc_updates_doc ON sync_doc_updates (doc_id, id);

CREATE TABLE sync_floor (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);

CREATE TABLE sync_acks (
    peer_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (peer_id, origin)
);

CREATE TABLE sync_dirty_messages (
    message_id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL
);
CREATE INDEX sync_dirty_messages_conversation ON sync_dirty_messages (conversation_id);
CREATE TRIGGER sync_dirty_message_row_insert AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO sync_dirty_messages (message_id, conversation_id) VALUES (new.id, new.conversation_id);
END;
CREATE TRIGGER sync_dirty_message_row_update AFTER UPDATE ON messages BEGIN
    INSERT OR IGNORE INTO sync_dirty_messages (message_id, conversation_id) VALUES (new.id, new.conversation_id);
END;
ALTER TABLE sync_dirty ADD COLUMN whole INTEGER NOT NULL DEFAULT 0;
UPDATE sync_dirty SET whole = 1;

CREATE TABLE sync_snapshot (
    part INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    blob BLOB NOT NULL,
    PRIMARY KEY (part, complete)
);
"""

# Migration 16: how each device was last reached and when it last synced (`vivim devices`,
# the web app's Devices data). Written by the node on connect, disconnect and every exchange.
PEER_STATUS_SCHEMA = """
CREATE TABLE sync_peer_status (
    peer_id TEXT PRIMARY KEY,
    via TEXT,
    addr TEXT,
    connected INTEGER NOT NULL DEFAULT 0,
    connected_at REAL,
    last_sync_at REAL,
    entries_in INTEGER NOT NULL DEFAULT 0,
    entries_out INTEGER NOT NULL DEFAULT 0
);
"""

# SQLite hands a deleted message's rowid to the next message inserted. A deleted conversation's
# messages stay listed as changed until its next export, so with INSERT OR IGNORE a new message that
# reused such a rowid (in another conversation) was never listed, and never reached the other devices.
# The row now names the message's current conversation.
DIRTY_MESSAGES_REUSED_ROWIDS = """
DROP TRIGGER sync_dirty_message_row_insert;
DROP TRIGGER sync_dirty_message_row_update;
CREATE TRIGGER sync_dirty_message_row_insert AFTER INSERT ON messages BEGIN
    INSERT OR REPLACE INTO sync_dirty_messages (message_id, conversation_id) VALUES (new.id, new.conversation_id);
END;
CREATE TRIGGER sync_dirty_message_row_update AFTER UPDATE ON messages BEGIN
    INSERT OR REPLACE INTO sync_dirty_messages (message_id, conversation_id) VALUES (new.id, new.conversation_id);
END;
UPDATE sync_dirty_messages SET conversation_id = (
    SELECT m.conversation_id FROM messages m WHERE m.id = sync_dirty_messages.message_id
) WHERE EXISTS (
    SELECT 1 FROM messages m
    WHERE m.id = sync_dirty_messages.message_id AND m.conversation_id != sync_dirty_messages.conversation_id
);
"""
