"""pycrdt documents: one per conversation plus the vault index, and their mapping to the store.

Shapes (root types only; nested shared types created concurrently on two devices would keep
one side's and lose the other's, so every value below is a plain value under a flat key):
- conversation `c/<provider>/<external_id>`: Map `meta` {provider, external_id, url, model,
  created_at, updated_at}; Map `messages` {turn key: JSON of the turn}. `updated_at` (the last
  activity) is carried for imported conversations only, and from then on by every device: for them
  it is the provider's date, which the receiving device could not know (it would show the day the
  conversation arrived). For live captures the arrival is the activity, so it stays out of the
  documents (one more map write per turn for nothing).
- `index`: Map `titles` {uid: the page's title}; Map `renamed` {uid: the user's title, "" once
  cleared} (a user's title wins over the page's on every device); Map `tags` {"uid\\ntag": true|false}; Map `pins`
  {uid: bool}; Map `deleted` {uid: unix time} (tombstones are never removed).
Each map key is last-writer-wins, so a rename on one device and a tag on another both survive.

`sync_marks` remembers, per conversation field and turn key, the store value that the document
last agreed with. Export sends only store values that differ from their mark (a local change);
after applying a remote change the mark is set to whatever the store then holds, even if the
store's capture rules kept something else (a branch), so the two never bounce a value back
and forth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..store.connection import Connection
from .docstore import INDEX, DocSet, map_names

__all__ = ["INDEX", "DocSet", "Export", "apply_remote", "export_conversation", "store_view"]

MESSAGE_FIELDS = (
    "role",
    "markdown",
    "text",
    "position",
    "parent_key",
    "provider_message_id",
    "model",
    "kind",
    "status",
    "created_at",
    "is_current",
)
META_FIELDS = ("url", "model", "created_at")


def conversation_doc_id(provider: str, external_id: str) -> str:
    return f"c/{provider}/{external_id}"


def uid_of(provider: str, external_id: str) -> str:
    return f"{provider}/{external_id}"


def split_uid(uid: str) -> tuple[str, str]:
    provider, _, external_id = uid.partition("/")
    return provider, external_id


def _marks(conn: Connection, conversation_id: int) -> dict[str, str | None]:
    """The conversation-level marks (turn marks are joined in SQL: a long conversation has thousands)."""
    rows = conn.execute(
        "SELECT field, value FROM sync_marks WHERE conversation_id = ?"
        " AND field IN ('title', 'renamed', 'tags', 'pinned', 'deleted')",
        (conversation_id,),
    )
    return {r[0]: r[1] for r in rows.fetchall()}


def set_mark(conn: Connection, conversation_id: int, name: str, value: str | None) -> None:
    conn.execute(
        "INSERT INTO sync_marks (conversation_id, field, value) VALUES (?, ?, ?)"
        " ON CONFLICT (conversation_id, field) DO UPDATE SET value = excluded.value",
        (conversation_id, name, value),
    )


def turn_json(row: Any) -> str:
    """A turn as the document holds it: empty fields left out, and `text` only when it differs from
    `markdown` (the store derives text from markdown when text is empty), which halves most turns."""
    values = {name: row[name] for name in MESSAGE_FIELDS if row[name] is not None}
    if values.get("text") == values.get("markdown"):
        values.pop("text", None)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _message_mark(row: Any) -> str:
    return f"{row['content_hash']}|{row['status']}"


@dataclass
class Export:
    """What one conversation's local changes did to the documents."""

    doc_ids: set[str] = field(default_factory=set)

    def doc(self, conn: Connection, docs: DocSet, doc_id: str) -> Any:
        return docs.get(conn, doc_id)


def export_conversation(
    conn: Connection, docs: DocSet, conversation_id: int, export: Export, *, whole: bool = True
) -> None:
    """Copy this conversation's local changes (store values that differ from their marks) into the docs.
    Turns compared: those the triggers listed in `sync_dirty_messages`, or every one when `whole`."""
    try:
        _export_conversation(conn, docs, conversation_id, export, whole)
    finally:
        conn.execute("DELETE FROM sync_dirty_messages WHERE conversation_id = ?", (conversation_id,))


def _export_conversation(
    conn: Connection, docs: DocSet, conversation_id: int, export: Export, whole: bool
) -> None:
    conv = conn.execute(
        "SELECT id, provider, external_id, title, title_by_user, url, model, created_at, updated_at, source,"
        " deleted_at"
        " FROM conversations WHERE id = ?",
        (conversation_id,),
    ).fetchone()
    if conv is None:
        return
    marks = _marks(conn, conversation_id)
    uid = uid_of(conv["provider"], conv["external_id"])
    doc_id = conversation_doc_id(conv["provider"], conv["external_id"])
    index = export.doc(conn, docs, INDEX)

    if conv["deleted_at"] is not None:
        # A tombstone wins: turns captured again after a delete are not kept (un-delete is not a thing).
        conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
        if marks.get("deleted") is None:
            index["deleted"][uid] = float(conv["deleted_at"])
            set_mark(conn, conversation_id, "deleted", "1")
            export.doc_ids.add(INDEX)
            doc = export.doc(conn, docs, doc_id)
            messages = doc["messages"]
            if len(messages):
                for key in list(messages.keys()):
                    del messages[key]
                export.doc_ids.add(doc_id)
        return

    title = conv["title"]
    if conv["title_by_user"]:
        if marks.get("renamed") != title:
            index["renamed"][uid] = title
            set_mark(conn, conversation_id, "renamed", title)
            export.doc_ids.add(INDEX)
    else:
        if marks.get("renamed"):  # the user cleared their title: the page's counts again
            index["renamed"][uid] = ""
            set_mark(conn, conversation_id, "renamed", "")
            export.doc_ids.add(INDEX)
        if title is not None and marks.get("title") != title:
            index["titles"][uid] = title
            set_mark(conn, conversation_id, "title", title)
            export.doc_ids.add(INDEX)

    tags = set(json.loads(marks.get("tags") or "[]"))
    now_tags = {
        r[0]
        for r in conn.execute(
            "SELECT tag FROM conversation_tags WHERE conversation_id = ?", (conversation_id,)
        ).fetchall()
    }
    if tags != now_tags:
        for tag in now_tags - tags:
            index["tags"][f"{uid}\n{tag}"] = True
        for tag in tags - now_tags:
            index["tags"][f"{uid}\n{tag}"] = False
        set_mark(conn, conversation_id, "tags", json.dumps(sorted(now_tags)))
        export.doc_ids.add(INDEX)

    pinned = (
        conn.execute(
            "SELECT 1 FROM conversation_pins WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        is not None
    )
    if marks.get("pinned", "0") != ("1" if pinned else "0"):
        index["pins"][uid] = pinned
        set_mark(conn, conversation_id, "pinned", "1" if pinned else "0")
        export.doc_ids.add(INDEX)

    doc = export.doc(conn, docs, doc_id)
    meta = doc["meta"]
    wanted_meta = {
        "provider": conv["provider"],
        "external_id": conv["external_id"],
        **{name: conv[name] for name in META_FIELDS if conv[name] is not None},
    }
    if conv["updated_at"] is not None and (conv["source"] == "import" or "updated_at" in meta):
        wanted_meta["updated_at"] = float(conv["updated_at"])
    for name, value in wanted_meta.items():
        if meta.get(name) != value:
            meta[name] = value
            export.doc_ids.add(doc_id)

    changed = "(k.value IS NULL OR k.value != m.content_hash || '|' || m.status)"
    marks_join = "LEFT JOIN sync_marks k ON k.conversation_id = m.conversation_id AND k.field = 'm:' || m.key"
    if whole:
        rows = conn.execute(
            f"SELECT m.* FROM messages m {marks_join} WHERE m.conversation_id = ? AND {changed}",
            (conversation_id,),
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT m.* FROM sync_dirty_messages d JOIN messages m ON m.id = d.message_id {marks_join}"
            f" WHERE d.conversation_id = ? AND m.conversation_id = d.conversation_id AND {changed}",
            (conversation_id,),
        ).fetchall()
    messages = doc["messages"]
    for row in rows:
        messages[row["key"]] = turn_json(row)
        set_mark(conn, conversation_id, "m:" + row["key"], _message_mark(row))
        export.doc_ids.add(doc_id)


# ---- applying received updates -----------------------------------------------------------------


@dataclass
class Changes:
    """Keys that remote updates touched, per document, gathered while applying them."""

    keys: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # doc_id -> map name -> keys

    def watch(self, doc_id: str, doc: Any) -> list[Any]:
        subs = []
        for name in map_names(doc_id):
            target = self.keys.setdefault(doc_id, {}).setdefault(name, set())
            shared = doc[name]  # each doc[name] is a new wrapper: unobserve on the same one
            subs.append((shared, shared.observe(_collector(target))))
        return subs


def _collector(target: set[str]) -> Any:
    def collect(event: Any) -> None:  # one parameter: pycrdt passes as many as the callback takes
        target.update(event.keys)

    return collect


def apply_remote(
    conn: Connection, docs: DocSet, updates: list[tuple[str, bytes]], now: float
) -> dict[str, int]:
    """Apply received yjs updates to the documents, then bring the store in line with what changed."""
    changes = Changes()
    for doc_id, update in updates:
        doc = docs.get(conn, doc_id)
        subs = changes.watch(doc_id, doc)
        try:
            doc.apply_update(update)
        finally:
            for shared, sub in subs:
                shared.unobserve(sub)
    counts = {"messages": 0, "conversations": 0}
    touched: set[str] = set()  # conversation docs whose rows this changed (a rename dates a row too)
    for doc_id, maps in changes.keys.items():
        if doc_id == INDEX:
            counts["conversations"] += _apply_index(conn, docs.get(conn, INDEX), maps, now)
            for name in ("titles", "pins", "tags"):
                touched.update(
                    conversation_doc_id(*split_uid(key.partition("\n")[0])) for key in maps.get(name, ())
                )
        elif maps.get("messages") or maps.get("meta"):
            counts["messages"] += _apply_conversation(conn, docs.get(conn, doc_id), maps, now)
            touched.add(doc_id)
    for doc_id in touched:
        _keep_activity(conn, docs.get(conn, doc_id), now)
    docs.save_changes(conn, now)  # only what the updates changed, appended behind each document's base
    return counts


def _apply_conversation(conn: Connection, doc: Any, maps: dict[str, set[str]], now: float) -> int:
    from ..protocol import CaptureUpsert, ConversationIn, TurnIn
    from ..store.capture import upsert_capture

    meta = doc["meta"]
    provider, external_id = meta.get("provider"), meta.get("external_id")
    if not provider or not external_id:
        return 0  # the meta half of this document has not arrived yet; the next update brings it
    deleted = conn.execute(
        "SELECT deleted_at FROM conversations WHERE provider = ? AND external_id = ?", (provider, external_id)
    ).fetchone()
    if deleted is not None and deleted[0] is not None:
        return 0
    messages = doc["messages"]
    turns = []
    for key in sorted(maps.get("messages", ())):
        raw = messages.get(key)
        if raw is None:
            continue
        m = json.loads(raw)
        turns.append(
            TurnIn(
                key=key,
                role=m["role"],
                position=m.get("position") or 0,
                parent_key=m.get("parent_key"),
                message_id=m.get("provider_message_id"),
                model=m.get("model"),
                text=m.get("text") or "",
                markdown=m.get("markdown"),
                status=m.get("status") or "complete",
                created_at=m.get("created_at"),
                kind=m.get("kind"),
                current=None if m.get("is_current") is None else bool(m["is_current"]),
            )
        )
    conv = ConversationIn(
        provider=provider,
        external_id=external_id,
        url=meta.get("url"),
        model=meta.get("model"),
        created_at=meta.get("created_at"),
    )
    result = upsert_capture(conn, CaptureUpsert(conversation=conv, turns=turns, source="sync"), now)
    for turn in turns:
        _settle(conn, result.conversation_id, turn)
    return len(turns)


def _keep_activity(conn: Connection, doc: Any, now: float) -> None:
    """The conversation's last activity as the document carries it (imports: the provider's date),
    not the time its turns arrived here; a date in the future is capped at now, as on import."""
    meta = doc["meta"]
    at, provider, external_id = meta.get("updated_at"), meta.get("provider"), meta.get("external_id")
    if isinstance(at, (int, float)) and provider and external_id:
        conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE provider = ? AND external_id = ? AND deleted_at IS NULL",
            (min(float(at), now), provider, external_id),
        )


def _settle(conn: Connection, conversation_id: int, turn: Any) -> None:
    """Make the store agree with the document's value for one turn key, on every device alike.

    - the store took the value: remember it (nothing to send back);
    - the store kept it beside its own as a branch (different content under one key): swap them,
      so the document's winner holds the key everywhere and the local loser moves to its branch
      key, which export then sends, so every device ends with both under the same keys;
    - the store refused it (a shorter, stale version): leave the mark on the document's value so
      export sends the store's longer one back.
    """
    from ..store.capture import content_hash

    wanted = content_hash(turn.role, turn.text or turn.markdown or "")
    mark = f"{wanted}|{turn.status}"
    base = conn.execute(
        "SELECT id, content_hash, status FROM messages WHERE conversation_id = ? AND key = ?",
        (conversation_id, turn.key),
    ).fetchone()
    if base is None or f"{base['content_hash']}|{base['status']}" == mark:
        set_mark(conn, conversation_id, "m:" + turn.key, mark)
        return
    branch = conn.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND key = ? AND content_hash = ?",
        (conversation_id, f"{turn.key}~{wanted[:12]}", wanted),
    ).fetchone()
    if branch is not None:
        loser_key = f"{turn.key}~{base['content_hash'][:12]}"
        taken = conn.execute(
            "SELECT 1 FROM messages WHERE conversation_id = ? AND key = ?", (conversation_id, loser_key)
        ).fetchone()
        conn.execute("UPDATE messages SET key = ? WHERE id = ?", (f"{turn.key}~swap", base["id"]))
        conn.execute("UPDATE messages SET key = ? WHERE id = ?", (turn.key, branch["id"]))
        if taken:  # the loser's content already sits under its branch key
            conn.execute("DELETE FROM messages WHERE id = ?", (base["id"],))
        else:
            conn.execute("UPDATE messages SET key = ? WHERE id = ?", (loser_key, base["id"]))
        set_mark(conn, conversation_id, "m:" + turn.key, mark)
        conn.execute(
            "DELETE FROM sync_marks WHERE conversation_id = ? AND field = ?",
            (conversation_id, "m:" + loser_key),
        )
        return
    set_mark(conn, conversation_id, "m:" + turn.key, mark)  # store refused: export sends its own back
    # nothing in the store changed, so no trigger listed this turn: list it, so export compares it
    conn.execute(
        "INSERT OR IGNORE INTO sync_dirty_messages (message_id, conversation_id) VALUES (?, ?)",
        (base["id"], conversation_id),
    )
    conn.execute(
        "INSERT INTO sync_dirty (conversation_id) VALUES (?)"
        " ON CONFLICT (conversation_id) DO UPDATE SET gen = gen + 1",
        (conversation_id,),
    )


def _apply_index(conn: Connection, index: Any, maps: dict[str, set[str]], now: float) -> int:
    from . import library

    touched: set[int] = set()

    def conversation(uid: str) -> int:
        provider, external_id = split_uid(uid)
        cid = library.ensure_conversation(conn, provider, external_id, now)
        touched.add(cid)
        return cid

    for uid in maps.get("deleted", ()):
        if uid in index["deleted"]:
            cid = conversation(uid)
            library.delete_conversation(conn, cid, float(index["deleted"][uid]))
            set_mark(conn, cid, "deleted", "1")
    for uid in maps.get("renamed", ()):  # before the page's titles: a user's title wins over them
        renamed = index["renamed"].get(uid)
        cid = conversation(uid)
        if renamed:
            library.rename_conversation(conn, cid, renamed, now)
        else:
            conn.execute("UPDATE conversations SET title_by_user = 0 WHERE id = ?", (cid,))
            page_title = index["titles"].get(uid)
            if page_title:
                library.set_page_title(conn, cid, page_title)
        set_mark(conn, cid, "renamed", renamed or "")
    for uid in maps.get("titles", ()):
        title = index["titles"].get(uid)
        cid = conversation(uid)
        library.set_page_title(conn, cid, title)
        set_mark(conn, cid, "title", title)
    for uid in maps.get("pins", ()):
        cid = conversation(uid)
        pinned = bool(index["pins"].get(uid))
        library.set_pinned(conn, cid, pinned, now)
        set_mark(conn, cid, "pinned", "1" if pinned else "0")
    tag_cids: set[int] = set()
    for key in maps.get("tags", ()):
        uid, _, tag = key.partition("\n")
        cid = conversation(uid)
        if index["tags"].get(key):
            library.add_tag(conn, cid, tag)
        else:
            library.remove_tag(conn, cid, tag)
        tag_cids.add(cid)
    for cid in tag_cids:
        set_mark(conn, cid, "tags", json.dumps(library.tags_of(conn, cid)))
    return len(touched)


def store_view(conn: Connection) -> dict[str, Any]:
    """Everything sync promises to converge, in a comparable shape (for tests and `sync.status`)."""
    view: dict[str, Any] = {}
    for conv in conn.execute("SELECT * FROM conversations ORDER BY provider, external_id").fetchall():
        uid = uid_of(conv["provider"], conv["external_id"])
        messages = conn.execute(
            "SELECT key, role, text, status FROM messages WHERE conversation_id = ? ORDER BY key",
            (conv["id"],),
        ).fetchall()
        tags = [
            r[0]
            for r in conn.execute(
                "SELECT tag FROM conversation_tags WHERE conversation_id = ? ORDER BY tag", (conv["id"],)
            )
        ]
        pinned = conn.execute(
            "SELECT 1 FROM conversation_pins WHERE conversation_id = ?", (conv["id"],)
        ).fetchone()
        if conv["deleted_at"] is not None:
            view[uid] = {"deleted": True}
            continue
        view[uid] = {
            "title": conv["title"],
            "deleted": conv["deleted_at"] is not None,
            "tags": tags,
            "pinned": pinned is not None,
            "messages": {m["key"]: [m["role"], m["text"], m["status"]] for m in messages},
        }
    return view
