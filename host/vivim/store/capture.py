"""Idempotent upsert of a conversation and its turns: the heart of "nothing is lost".

Rules, per turn, keyed by (conversation, key):
- unseen key: insert, unless the same turn is already stored for this conversation from another
  source (a ChatGPT export and a live capture of it; the DOM's and the network's capture of a turn on
  a site that gives turns no ids): merge. "The same turn" is the same text, or the same words in
  another rendering (store/fingerprint.py: math, tables, code, links, citations...), of the same role,
  at the same place (the same parent, or a place not known on one side, or words too many to repeat),
  and not a row this upsert already matched or that the provider's own ids say is another message.
- same content: nothing changes (a capture sent twice is a no-op; streaming -> complete
  only flips the status).
- the new text extends the stored text, or the stored row was still streaming, or the
  provider's own message id says it is the same message: the newer version replaces it,
  unless it is a stale shorter snapshot of a finished turn (a queued resend), which is ignored.
- otherwise the same slot now holds different content (a regeneration or an edit on a site
  that exposes no message ids): it is kept as a sibling branch, `key~<hash>`.

Network captures (source "network": the conversation JSON the site's own page loaded) reconcile
with DOM captures of the same turns: the network is the source of structure (provider ids, parents,
positions, timestamps, the current branch: `structure = 'network'`), the DOM the source of rendered
Markdown. So a network turn never rewrites the text of a row the DOM or an import wrote (it only
adopts its structure), and a DOM turn replacing a network row's text keeps the row's structure.
Both directions converge: re-opening a conversation changes nothing already stored.
On a site whose page names no message ids (Claude, DeepSeek, Perplexity, Copilot) the two copies of a
turn meet by their text, which the DOM's copy may carry page chrome in (a code block's language label,
a "Copy" word): a network turn with no same-text row takes the DOM's row under the same parent, of the
same role, when one text is the other's words with at most a few words more (`_loosely_same`), and a
DOM turn with no id merges into such a network row the same way.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..protocol import CaptureUpsert, ConversationIn, TurnIn
from ..retrieval.chunking import chunk_markdown
from . import untrusted
from .connection import Connection, inserted_id
from .fingerprint import TurnWords

_WS = re.compile(r"\s+")


@dataclass
class UpsertResult:
    conversation_id: int
    created: bool = False
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    branched: int = 0
    merged: int = 0
    keys: list[str] = field(default_factory=list)  # stored key of each turn, in order
    changed_message_ids: list[int] = field(default_factory=list)
    deleted: bool = False  # the user deleted this conversation: nothing was written (see upsert_capture)

    def counts(self) -> dict[str, Any]:
        """What a capture reply reports of this upsert (capture.upsert and capture.network alike)."""
        return {
            "conversation_id": self.conversation_id,
            "created": self.created,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "branched": self.branched,
            "merged": self.merged,
            "deleted": self.deleted,
        }


def comparable_text(text: str) -> str:
    return _WS.sub(" ", text).strip()


def content_hash(role: str, text: str) -> str:
    """Whitespace-insensitive, so the DOM's and an export's rendering of one turn agree."""
    digest = hashlib.sha256(f"{role}\x00{_WS.sub('', text)}".encode())
    return digest.hexdigest()


def turn_markdown(turn: TurnIn, provider: str) -> str:
    if turn.markdown is not None:
        return turn.markdown
    if turn.html:
        from ..normalize import html_to_markdown

        markdown = html_to_markdown(turn.html, provider)
        if markdown.strip() or not turn.text.strip():
            return markdown
    return turn.text


def prepare_capture(capture: CaptureUpsert) -> CaptureUpsert:
    """Convert every turn's HTML to Markdown before the write transaction opens.

    Normalizing a 200 KB turn takes the better part of a second; doing it inside
    `upsert_capture` would hold the database's write lock (for every VIVIM process) that long.
    """
    provider = capture.conversation.provider
    for turn in capture.turns:
        if turn.markdown is None:
            turn.markdown = turn_markdown(turn, provider)
    return capture


def activity_time(capture: CaptureUpsert, now: float) -> float | None:
    """When an imported conversation was last active by the provider's account, else None.

    Imports are history: stamping them with the import time would order and date a year of
    conversations by the day they were imported. The provider's last-activity time and the newest
    turn both count (whichever is later); a time in the future (a broken clock or file) is capped
    at now so it cannot pin a conversation to the top of the list for good. Live capture and sync
    return None: for them the time of the write is the activity.
    """
    if capture.source != "import":
        return None
    times = [t.created_at for t in capture.turns if t.created_at]
    if capture.conversation.updated_at:
        times.append(capture.conversation.updated_at)
    return min(max(times), now) if times else None


def upsert_capture(conn: Connection, capture: CaptureUpsert, now: float | None = None) -> UpsertResult:
    now = time.time() if now is None else now
    capture = untrusted.clean(capture)  # parsed from a page, a file or a peer: every field storable
    tombstone = deleted_conversation(conn, capture.conversation)
    if tombstone is not None:
        return UpsertResult(conversation_id=tombstone, deleted=True)
    activity = activity_time(capture, now)
    earliest = min((t.created_at for t in capture.turns if t.created_at), default=None) if activity else None
    conversation_id, created = _upsert_conversation(
        conn, capture.conversation, capture.source, now, activity, earliest
    )
    result = UpsertResult(conversation_id=conversation_id, created=created)
    provider = capture.conversation.provider
    touched = False
    stored_as: dict[str, str] = {}  # this payload's key -> the key it was stored (or merged) under
    # Rows whose text one of this payload's turns has exactly: never taken by another turn's loose match.
    reserved = {content_hash(t.role, t.text or turn_markdown(t, provider)) for t in capture.turns}
    seen = _Seen(reserved=reserved)
    for turn in capture.turns:
        if turn.parent_key in stored_as:
            turn.parent_key = stored_as[turn.parent_key]  # a parent merged into another source's row
        markdown = turn_markdown(turn, provider)
        text = turn.text or markdown
        outcome, key, message_id = _upsert_turn(
            conn, conversation_id, turn, markdown, text, capture.source, now, seen
        )
        stored_as[turn.key] = key
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.keys.append(key)
        if message_id is not None:
            result.changed_message_ids.append(message_id)
            touched = True
    if touched and not created:
        _touch(conn, conversation_id, now, activity)
    return result


def deleted_conversation(conn: Connection, conv: ConversationIn) -> int | None:
    """The id of this conversation when the user deleted it, else None.

    A deletion is final, on every device (docs/sync.md): a capture of the page re-opened, an
    import of an export that still holds it, or a peer's turns write nothing under the tombstone,
    so "a deleted conversation keeps no messages" holds here as it does after sync.
    """
    row = conn.execute(
        "SELECT id FROM conversations WHERE provider = ? AND external_id = ? AND deleted_at IS NOT NULL",
        (conv.provider, conv.external_id),
    ).fetchone()
    return None if row is None else int(row[0])


def _touch(conn: Connection, conversation_id: int, now: float, activity: float | None) -> None:
    """Live changes make the conversation recent; an import only moves it to its own (later) time."""
    if activity is None:
        conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
    else:
        conn.execute(
            "UPDATE conversations SET updated_at = MAX(updated_at, ?) WHERE id = ?",
            (activity, conversation_id),
        )


def _upsert_conversation(
    conn: Connection,
    conv: ConversationIn,
    source: str,
    now: float,
    activity: float | None = None,
    earliest: float | None = None,
) -> tuple[int, bool]:
    row = conn.execute(
        "SELECT id, title, title_by_user, url, model, deleted_at FROM conversations"
        " WHERE provider = ? AND external_id = ?",
        (conv.provider, conv.external_id),
    ).fetchone()
    if row is None:
        cur = conn.execute(
            "INSERT INTO conversations (provider, external_id, title, url, model, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conv.provider,
                conv.external_id,
                conv.title,
                conv.url,
                conv.model,
                source,
                conv.created_at or earliest or now,
                activity or now,
            ),
        )
        return inserted_id(cur), True
    changes: dict[str, Any] = {}
    for name in ("title", "url", "model"):
        if name == "title" and row["title_by_user"]:
            continue  # the user's title wins over the page's (cleared by renaming to nothing)
        value = getattr(conv, name)
        if value and value != row[name]:
            changes[name] = value
    if conv.created_at:
        conn.execute(
            "UPDATE conversations SET created_at = MIN(created_at, ?) WHERE id = ?",
            (conv.created_at, row["id"]),
        )
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)
        conn.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*changes.values(), row["id"]))
        _touch(conn, row["id"], now, activity)
    return row["id"], False


def _upsert_turn(
    conn: Connection,
    conversation_id: int,
    turn: TurnIn,
    markdown: str,
    text: str,
    source: str,
    now: float,
    seen: _Seen,
) -> tuple[str, str, int | None]:
    digest = content_hash(turn.role, text)
    mine = TurnWords(turn.role, markdown)
    key = turn.key
    network = source == "network"
    for _ in range(8):  # a key, then its branch siblings
        row = conn.execute(
            "SELECT id, text, content_hash, status, provider_message_id, is_current, parent_key, source,"
            " structure, position, created_at, fingerprint FROM messages WHERE conversation_id = ? AND key = ?",
            (conversation_id, key),
        ).fetchone()
        if row is None:
            break
        seen.claimed.add(row["id"])
        if (
            network
            and row["content_hash"] != digest
            and row["source"] != "network"
            and row["status"] != "streaming"
        ):
            # The DOM (or an import) wrote this turn's text: the network only brings its structure.
            return _adopt(conn, row, turn, now), key, None
        if row["content_hash"] == digest:
            if network and _adopt(conn, row, turn, now) == "updated":
                return "updated", key, None
            if row["status"] != turn.status and turn.status == "complete":
                conn.execute(
                    "UPDATE messages SET status = 'complete', updated_at = ? WHERE id = ?", (now, row["id"])
                )
                return "updated", key, row["id"]
            if turn.current is not None and row["is_current"] != int(turn.current):
                # The user switched branches on the site (or in a newer export): move the mark.
                conn.execute(
                    "UPDATE messages SET is_current = ?, updated_at = ? WHERE id = ?",
                    (int(turn.current), now, row["id"]),
                )
                return "updated", key, row["id"]
            if turn.parent_key and row["parent_key"] is None:
                # First captured with nothing loaded above it (a lazy list); now its parent is known.
                conn.execute(
                    "UPDATE messages SET parent_key = ?, updated_at = ? WHERE id = ?",
                    (turn.parent_key, now, row["id"]),
                )
                return "updated", key, row["id"]
            return "unchanged", key, None
        if (
            source == "capture"
            and not turn.message_id
            and row["source"] == "network"
            and row["status"] == "complete"
            and row["fingerprint"] is not None
            and row["fingerprint"] == mine.print
        ):
            # A page without ids sends the key the host stored its turn under (the network row's): the
            # same words in the page's rendering are that turn, not a branch. The first rendering stays.
            return "unchanged", key, None
        old, new = comparable_text(row["text"]), comparable_text(text)
        if row["status"] == "complete" and old.startswith(new):
            return "unchanged", key, None  # a stale, shorter snapshot of a finished turn
        same_message = bool(turn.message_id) and turn.message_id == row["provider_message_id"]
        if new.startswith(old) or row["status"] == "streaming" or same_message:
            _replace(conn, row["id"], turn, markdown, text, digest, now, source, mine.print)
            return "updated", key, row["id"]
        key = f"{turn.key}~{digest[:12]}"  # different content in the same slot: a branch
    else:
        return "unchanged", key, None
    if source != "sync":
        twin = _twin(conn, conversation_id, turn, mine, digest, source, seen)
        if twin is None and seen.others and (network or (source == "capture" and not turn.message_id)):
            loose = _loose_twin(conn, conversation_id, turn, text, seen.reserved, network)
            twin = None if loose is None or loose["id"] in seen.claimed else loose
        if twin is not None:
            seen.claimed.add(twin["id"])
            if network:
                _adopt(conn, twin, turn, now)
            return "merged", twin["key"], None
    message_id = _insert(conn, conversation_id, key, turn, markdown, text, digest, source, now, mine.print)
    return ("inserted" if key == turn.key else "branched"), key, message_id


@dataclass
class _Seen:
    """What one upsert learns as it goes: the rows its turns matched (one row is one turn), and whether
    the conversation holds any row of another source at all (asked once; if not, no twin is looked for)."""

    claimed: set[int] = field(default_factory=set)
    reserved: set[str] = field(default_factory=set)  # content hashes this payload has (robust's loose match)
    others: bool | None = None
    asides: dict[str, str | None] = field(default_factory=dict)  # key -> the parent above an aside


_TWIN_COLUMNS = "id, key, provider_message_id, is_current, parent_key, source, structure, position, created_at, content_hash"


def _twin(
    conn: Connection,
    conversation_id: int,
    turn: TurnIn,
    mine: TurnWords,
    digest: str,
    source: str,
    seen: _Seen,
) -> Any:
    """Another source's row holding this turn, or None: by its exact text, else by its words.

    Two index probes per unseen turn (content_hash, then fingerprint, each per conversation), never
    a scan: a 10,000-turn conversation costs what a 10-turn one does.
    """
    if seen.others is None:
        seen.others = (
            conn.execute(
                "SELECT 1 FROM messages WHERE conversation_id = ? AND source != ? LIMIT 1",
                (conversation_id, source),
            ).fetchone()
            is not None
        )
    if not seen.others:
        return None
    rows = conn.execute(
        f"SELECT {_TWIN_COLUMNS} FROM messages WHERE conversation_id = ? AND content_hash = ? AND source != ?",
        (conversation_id, digest, source),
    ).fetchall()
    twin = _best(conn, conversation_id, rows, turn, mine, seen)
    if twin is not None:
        return twin
    if mine.print is None:
        return None
    rows = conn.execute(
        f"SELECT {_TWIN_COLUMNS} FROM messages WHERE conversation_id = ? AND fingerprint = ? AND source != ?",
        (conversation_id, mine.print, source),
    ).fetchall()
    return _best(conn, conversation_id, rows, turn, mine, seen)


def _best(
    conn: Connection, conversation_id: int, rows: list[Any], turn: TurnIn, mine: TurnWords, seen: _Seen
) -> Any:
    """The candidate at this turn's place: at its parent first, then one whose place is not known on
    one side; a short reply ("Yes.") under another parent is another turn, a long text is not."""
    mine_above = _above(conn, conversation_id, turn.parent_key, seen)
    fits = []
    for r in rows:
        if r["id"] in seen.claimed:
            continue
        if turn.message_id and r["provider_message_id"] and r["provider_message_id"] != turn.message_id:
            continue  # the provider's own ids say these are two messages
        placed = bool(mine_above & _above(conn, conversation_id, r["parent_key"], seen))
        if placed or mine.long or turn.parent_key is None or r["parent_key"] is None:
            fits.append((not placed, r["is_current"] == 0, abs(r["position"] - turn.position), r["id"], r))
    return min(fits, key=lambda f: f[:4])[4] if fits else None


def _above(conn: Connection, conversation_id: int, key: str | None, seen: _Seen) -> set[str]:
    """A parent key and, through the asides between (a reasoning block, a web search, a source list:
    rows with a kind, which one path has and the other not), the conversational turn above them."""
    out: set[str] = set()
    while key is not None and key not in out and len(out) < 6:
        out.add(key)
        if key not in seen.asides:
            row = conn.execute(
                "SELECT parent_key, kind FROM messages WHERE conversation_id = ? AND key = ?",
                (conversation_id, key),
            ).fetchone()
            if row is None:
                break  # not stored (yet): asked again if it comes up later in this upsert
            seen.asides[key] = row["parent_key"] if row["kind"] else None
        key = seen.asides[key]
    return out


def _insert(
    conn: Connection,
    conversation_id: int,
    key: str,
    turn: TurnIn,
    markdown: str,
    text: str,
    digest: str,
    source: str,
    now: float,
    prints: str | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO messages (conversation_id, key, parent_key, provider_message_id, position, role, model,"
        " kind, markdown, text, html, content_hash, status, is_current, source, created_at, updated_at, structure,"
        " fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation_id,
            key,
            turn.parent_key,
            turn.message_id,
            turn.position,
            turn.role,
            turn.model,
            turn.kind,
            markdown,
            text,
            turn.html,
            digest,
            turn.status,
            None if turn.current is None else int(turn.current),
            source,
            turn.created_at or now,
            now,
            "network" if source == "network" else None,
            prints,
        ),
    )
    message_id = inserted_id(cur)
    write_chunks(conn, message_id, markdown)
    return message_id


def _replace(
    conn: Connection,
    message_id: int,
    turn: TurnIn,
    markdown: str,
    text: str,
    digest: str,
    now: float,
    source: str,
    prints: str | None,
) -> None:
    # A row whose structure came from the provider's payload keeps its parent and position; the text
    # then belongs to whoever wrote it last (the DOM's rendering, or a newer network payload).
    conn.execute(
        "UPDATE messages SET markdown = ?, text = ?, html = COALESCE(?, html), content_hash = ?, status = ?,"
        " fingerprint = ?,"
        " model = COALESCE(?, model),"
        " parent_key = CASE WHEN structure = 'network' AND ? != 'network' THEN parent_key"
        "   ELSE COALESCE(?, parent_key) END,"
        " position = CASE WHEN structure = 'network' AND ? != 'network' THEN position ELSE ? END,"
        " source = CASE WHEN source = 'network' AND ? = 'capture' THEN 'capture' ELSE source END,"
        " updated_at = ? WHERE id = ?",
        (
            markdown,
            text,
            turn.html,
            digest,
            turn.status,
            prints,
            turn.model,
            source,
            turn.parent_key,
            source,
            turn.position,
            source,
            now,
            message_id,
        ),
    )
    write_chunks(conn, message_id, markdown)


_WORD = re.compile(r"\w+")


def _loosely_same(dom: str, network: str) -> bool:
    """One text is the other's words in order with at most a few more (page chrome such as a code
    block's language label, or a link's citation number, on one side only)."""
    a, b = _WORD.findall(dom.lower()), _WORD.findall(network.lower())
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not short or len(long) - len(short) > max(3, len(long) // 10):
        return False
    words = iter(long)
    return all(word in words for word in short)  # a subsequence: `in` consumes the iterator


def _loose_twin(
    conn: Connection,
    conversation_id: int,
    turn: TurnIn,
    text: str,
    reserved: frozenset[str] | set[str],
    network: bool,
) -> Any:
    """On a site that names no ids in its page: the row the DOM stored for this network turn (or the row
    the network stored for this DOM turn), the one under the same parent whose text loosely matches."""
    other = "source = 'capture' AND provider_message_id IS NULL" if network else "source = 'network'"
    rows = conn.execute(
        "SELECT id, key, provider_message_id, is_current, parent_key, source, structure, position, created_at,"
        f" text, content_hash FROM messages WHERE conversation_id = ? AND role = ? AND {other}"
        " AND parent_key IS ?",
        (conversation_id, turn.role, turn.parent_key),
    ).fetchall()
    found = [r for r in rows if r["content_hash"] not in reserved and _loosely_same(r["text"], text)]
    return found[0] if len(found) == 1 else None


def _adopt(conn: Connection, row: Any, turn: TurnIn, now: float) -> str:
    """Take a network turn's structure onto a row another source wrote: "updated" or "unchanged"."""
    changes: dict[str, Any] = {}
    if turn.message_id and row["provider_message_id"] != turn.message_id:
        changes["provider_message_id"] = turn.message_id
    if turn.parent_key != row["parent_key"] and turn.parent_key is not None:
        changes["parent_key"] = turn.parent_key
    if turn.position != row["position"]:
        changes["position"] = turn.position
    if turn.current is not None and row["is_current"] != int(turn.current):
        changes["is_current"] = int(turn.current)
    if turn.created_at and row["created_at"] != turn.created_at:
        changes["created_at"] = turn.created_at
    if row["structure"] != "network":
        changes["structure"] = "network"
    if not changes:
        return "unchanged"
    assignments = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(
        f"UPDATE messages SET {assignments}, updated_at = ? WHERE id = ?", (*changes.values(), now, row["id"])
    )
    return "updated"


def write_chunks(conn: Connection, message_id: int, markdown: str) -> None:
    """(Re)chunk one message; FTS follows through triggers, vectors through the worker."""
    conn.execute("DELETE FROM chunks WHERE message_id = ?", (message_id,))
    conn.executemany(
        "INSERT INTO chunks (message_id, ordinal, text) VALUES (?, ?, ?)",
        [(message_id, i, chunk) for i, chunk in enumerate(chunk_markdown(markdown))],
    )
