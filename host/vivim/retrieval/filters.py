"""What a search may be narrowed to, as SQL over whichever columns the caller names.

Full-text search filters joined message/conversation rows, vector search filters vec0 metadata
columns, and the in-memory bit index filters its own arrays: all three read this one class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Filters:
    provider: str | None = None
    conversation_id: int | None = None
    role: str | None = None
    since: float | None = None
    until: float | None = None

    def conditions(
        self, provider: str, conversation: str, role: str, created: str
    ) -> tuple[list[str], list[Any]]:
        """`column op ?` clauses and their parameters, over whichever columns the caller names
        (joined tables for full text, vec0 metadata columns for vectors)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            (provider, self.provider),
            (conversation, self.conversation_id),
            (role, self.role),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append(f"{created} >= ?")
            params.append(float(self.since))
        if self.until is not None:
            clauses.append(f"{created} < ?")
            params.append(float(self.until))
        return clauses, params

    def sql(self) -> tuple[str, list[Any]]:
        clauses, params = self.conditions("c.provider", "m.conversation_id", "m.role", "m.created_at")
        return " AND ".join(["c.deleted_at IS NULL", *clauses]), params

    @property
    def unfiltered(self) -> bool:
        return self == Filters()

    def passing(self, conn: Any, chunk_ids: list[int]) -> set[int]:
        """The chunks among `chunk_ids` these filters keep: for rankings made without them (the
        any-word fallback, the trigram index), filtered after ranking instead of in a slow join."""
        if not chunk_ids:
            return set()
        where, params = self.sql()
        marks = ",".join("?" * len(chunk_ids))
        rows = conn.execute(
            "SELECT ch.id FROM chunks ch JOIN messages m ON m.id = ch.message_id"
            f" JOIN conversations c ON c.id = m.conversation_id WHERE ch.id IN ({marks}) AND {where}",
            (*chunk_ids, *params),
        ).fetchall()
        return {r[0] for r in rows}
