"""How complete a stored conversation is, stated: `complete`, `partial` (n of m) or `unknown`.

A page shows a fraction of a long conversation and never the branches the user did not switch to,
so what the DOM captured proves nothing about the rest. Only the provider's own conversation
payload (read in the page, see `vivim.importers.network`) says what the provider holds: its message tree.
The host counts the provider's messages in that tree (`expected`) and how many of them it has stored
(`stored`); the tree must also be whole (every parent present, as a page of older turns not yet
loaded leaves it cut). A conversation no payload ever described stays `unknown`: never shown as
complete. Migration 8 owns the columns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

COMPLETE, PARTIAL, UNKNOWN = "complete", "partial", "unknown"
STATES = (COMPLETE, PARTIAL, UNKNOWN)

SCHEMA = """
ALTER TABLE conversations ADD COLUMN completeness TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE conversations ADD COLUMN turns_expected INTEGER;
ALTER TABLE conversations ADD COLUMN turns_stored INTEGER;
ALTER TABLE conversations ADD COLUMN completeness_at REAL;
ALTER TABLE messages ADD COLUMN structure TEXT;
ALTER TABLE adapter_health ADD COLUMN warning TEXT;
ALTER TABLE adapter_health ADD COLUMN warning_at REAL;
CREATE INDEX conversations_completeness ON conversations (completeness);
"""


def record(
    conn: Any,
    conversation_id: int,
    provider_ids: Iterable[str],
    whole_tree: bool,
    total_hint: int | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Count the provider's messages against the stored ones and store the verdict."""
    expected_ids = {str(i) for i in provider_ids if i}
    have = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT provider_message_id FROM messages WHERE conversation_id = ?"
            " AND provider_message_id IS NOT NULL",
            (conversation_id,),
        )
    }
    stored = len(expected_ids & have)
    expected: int | None = len(expected_ids)
    if total_hint is not None and total_hint > len(expected_ids):
        expected = total_hint
    if not whole_tree and total_hint is None:
        expected = None  # cut off: the provider holds more, how many more the page has not said
    if whole_tree and expected is not None and stored >= expected and expected > 0:
        state = COMPLETE
    elif expected == 0 and whole_tree:
        state = UNKNOWN
    else:
        state = PARTIAL
    conn.execute(
        "UPDATE conversations SET completeness = ?, turns_expected = ?, turns_stored = ?, completeness_at = ?"
        " WHERE id = ?",
        (state, expected, stored, time.time() if now is None else now, conversation_id),
    )
    return {"status": state, "stored": stored, "expected": expected}


def describe(status: str | None, stored: int | None, expected: int | None) -> str:
    """The words every surface uses: "complete", "partial (12 of 300)", "partial (12 of ?)", "unknown"."""
    if status == COMPLETE:
        return "complete"
    if status == PARTIAL:
        return f"partial ({stored or 0} of {expected if expected is not None else '?'})"
    return "unknown"


def counts(conn: Any) -> dict[str, int]:
    """Conversations per state, for `vivim stats`."""
    out = dict.fromkeys(STATES, 0)
    for state, n in conn.execute(
        "SELECT completeness, COUNT(*) FROM conversations WHERE deleted_at IS NULL GROUP BY completeness"
    ):
        out[state] = n
    return out
