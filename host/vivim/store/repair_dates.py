"""Migration 6: imported conversations get their own last-activity date back.

Before it, an import stamped every conversation's `updated_at` with the time of the import, so the
list, search results, `--since` and the Markdown front matter dated a year of history by the day
it was imported. Imports now keep the provider's time (store.capture.activity_time); this repairs
archives imported earlier, from what they still hold: the messages' own times.

A conversation is repaired when any of its messages came from an import. Its new date is its newest
message activity: an imported message counts by its `created_at` (its `updated_at` is the import
time), a live-captured one by its `updated_at` (a real edit or a finished stream). Conversations
without imported messages are left alone.
"""

from __future__ import annotations

REPAIR_IMPORTED_DATES = """
UPDATE conversations SET updated_at = (
    SELECT MAX(CASE WHEN m.source = 'capture' THEN m.updated_at ELSE m.created_at END)
    FROM messages m WHERE m.conversation_id = conversations.id
)
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.source = 'import');
"""
