"""Log compaction: entries every known device holds are dropped; their effect lives on in the
documents, and a device that turns up later without them gets a snapshot of the documents.

- Acknowledgements: each session's hello and ack carry the sender's version vector and what it
  knows of other devices' vectors (`acks`), so a device learns how far a device it never meets
  directly (one reached only through the blind backup) has come. `sync_acks` keeps the highest.
- Floor: per origin, the lowest seq that every paired device (blind ones included, revoked ones
  not) has acknowledged. `doc` entries at or below it are deleted; `member` and `key` entries
  are kept (a few hundred bytes each, and the record of who may write). `sync_floor` remembers
  the floor, so the version vector (and this device's next seq) never goes back.
- Snapshot: a peer whose version vector is below our floor for some origin would wait forever
  for entries we no longer hold, so it is first sent a snapshot: every document's whole state
  (tombstones included: a yjs state keeps its deletions, and the index keeps `deleted`), in
  parts of about PART_BYTES, each SecretBox-encrypted with the vault key and signed by the maker
  with the floors it covers. Applying a state is idempotent, so parts that overlap entries the
  receiver already has do no harm. The receiver then raises its own floors and takes entries
  above them as usual.
- A blind backup cannot read documents, so it cannot make snapshots. It compacts by the same
  acknowledgement rule (every paired device holds the entries), and when a snapshot is sent to it
  (it was paired after others compacted) it keeps the parts (ciphertext) and passes them on to
  devices behind its floors. A device behind a blind backup's floor that it has no snapshot for
  waits until it meets a full device, which sends one (nothing is lost, sync is only later).
Premature compaction (a paired device that lies about acknowledgements) costs the lagging
device a snapshot, never data.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from ..errors import CryptoError
from . import crypto
from .entries import Device, Rejected

SNAPSHOT_DOMAIN = b"vivim-sync-snapshot-v1\x00"
PART_BYTES = 4 * 1024 * 1024


class SnapshotPart(msgspec.Struct, array_like=True):
    maker: str
    floors: dict[str, int]
    index: int
    last: bool
    key_id: str | None
    body: bytes  # SecretBox(vault key)(msgpack([[doc_id, state], ...]))
    entries: list[bytes]  # first part: the member/key entries below the floors the receiver lacks
    sig: bytes = b""

    def signed_part(self) -> bytes:
        return SNAPSHOT_DOMAIN + msgspec.msgpack.encode(
            [self.maker, self.floors, self.index, self.last, self.key_id, self.body, self.entries]
        )


_decode_part = msgspec.msgpack.Decoder(SnapshotPart)


def decode_part(raw: bytes) -> SnapshotPart:
    return _decode_part.decode(raw)


# ---- floors and acknowledgements -------------------------------------------------------------


def floors(conn: Any) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT origin, seq FROM sync_floor").fetchall()}


def raise_floors(conn: Any, new: dict[str, int]) -> None:
    conn.executemany(
        "INSERT INTO sync_floor (origin, seq) VALUES (?, ?)"
        " ON CONFLICT (origin) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        list(new.items()),
    )


def note_acks(conn: Any, self_id: str, reports: dict[str, dict[str, int]]) -> None:
    """Remember how far devices have come ({peer id: version vector}); only ever upwards."""
    rows = [
        (peer, origin, int(seq))
        for peer, vv in reports.items()
        if peer != self_id
        for origin, seq in (vv or {}).items()
        if isinstance(seq, int)
    ]
    conn.executemany(
        "INSERT INTO sync_acks (peer_id, origin, seq) VALUES (?, ?, ?)"
        " ON CONFLICT (peer_id, origin) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        rows,
    )


def known_acks(conn: Any) -> dict[str, dict[str, int]]:
    """What this device knows of paired devices' version vectors (gossiped in hello and ack)."""
    out: dict[str, dict[str, int]] = {}
    for peer, origin, seq in conn.execute(
        "SELECT a.peer_id, a.origin, a.seq FROM sync_acks a JOIN sync_devices d ON d.peer_id = a.peer_id"
        " WHERE d.status = 'paired'"
    ).fetchall():
        out.setdefault(peer, {})[origin] = seq
    return out


def ack_floor(conn: Any, have: dict[str, int]) -> dict[str, int]:
    """Per origin, the seq every paired device has acknowledged (empty when there is none)."""
    paired = [
        r[0] for r in conn.execute("SELECT peer_id FROM sync_devices WHERE status = 'paired'").fetchall()
    ]
    if not paired:
        return {}
    acks = known_acks(conn)
    out = {}
    for origin, seq in have.items():
        floor = min([seq] + [acks.get(peer, {}).get(origin, 0) for peer in paired])
        if floor > 0:
            out[origin] = floor
    return out


def compact(conn: Any, have: dict[str, int]) -> dict[str, int]:
    """Delete the doc entries every paired device holds; returns how many and their bytes."""
    target = ack_floor(conn, have)
    current = floors(conn)
    raised = {o: s for o, s in target.items() if s > current.get(o, 0)}
    removed = size = 0
    for origin, seq in raised.items():
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(entry)), 0) FROM sync_log"
            " WHERE origin = ? AND seq <= ? AND kind = 'doc'",
            (origin, seq),
        ).fetchone()
        removed, size = removed + row[0], size + row[1]
        conn.execute("DELETE FROM sync_log WHERE origin = ? AND seq <= ? AND kind = 'doc'", (origin, seq))
    raise_floors(conn, raised)
    return {"entries": removed, "bytes": size}


def behind(own_floors: dict[str, int], theirs: dict[str, int]) -> bool:
    """Whether a peer lacks entries this device no longer holds (it needs a snapshot first)."""
    return any(seq > theirs.get(origin, 0) for origin, seq in own_floors.items())


# ---- making and taking snapshots -------------------------------------------------------------


def doc_sizes(conn: Any) -> list[tuple[str, int]]:
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT doc_id, SUM(n) FROM (SELECT doc_id, LENGTH(state) AS n FROM sync_docs"
            " UNION ALL SELECT doc_id, LENGTH(body) FROM sync_doc_updates) GROUP BY doc_id ORDER BY doc_id"
        ).fetchall()
    ]


def plan(conn: Any) -> list[list[str]]:
    """Documents grouped into parts of about PART_BYTES (one part at least, so floors travel)."""
    groups: list[list[str]] = [[]]
    size = 0
    for doc_id, n in doc_sizes(conn):
        if groups[-1] and size + n > PART_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(doc_id)
        size += n
    return groups


def doc_state(conn: Any, doc_id: str) -> bytes:
    """A stored document as one update (base + appended changes), without loading it as a Doc."""
    from pycrdt import merge_updates

    parts = [bytes(r[0]) for r in conn.execute("SELECT state FROM sync_docs WHERE doc_id = ?", (doc_id,))]
    parts += [
        bytes(r[0])
        for r in conn.execute("SELECT body FROM sync_doc_updates WHERE doc_id = ? ORDER BY id", (doc_id,))
    ]
    if len(parts) == 1:
        return parts[0]
    return merge_updates(*parts) if parts else b""


def covered_entries(conn: Any, theirs: dict[str, int], own: dict[str, int]) -> list[bytes]:
    """Member and key entries at or below our floors that the peer lacks (kept, never compacted)."""
    out: list[tuple[int, bytes]] = []
    for origin, floor in own.items():
        out.extend(
            (r[0], bytes(r[1]))
            for r in conn.execute(
                "SELECT rowid, entry FROM sync_log WHERE origin = ? AND seq > ? AND seq <= ? AND kind != 'doc'",
                (origin, theirs.get(origin, 0), floor),
            )
        )
    out.sort()
    return [raw for _, raw in out]


def make_part(
    conn: Any,
    device: crypto.DeviceKeys,
    maker: str,
    vault: crypto.VaultKeys,
    doc_ids: list[str],
    index: int,
    last: bool,
    part_floors: dict[str, int],
    covered: list[bytes],
) -> bytes:
    states = [[doc_id, doc_state(conn, doc_id)] for doc_id in doc_ids]
    key_id, body = vault.encrypt(msgspec.msgpack.encode(states))
    part = SnapshotPart(maker, part_floors, index, last, key_id, body, covered)
    part.sig = device.sign(part.signed_part())
    return msgspec.msgpack.encode(part)


def check_part(part: SnapshotPart, known: dict[str, Device]) -> None:
    maker = known.get(part.maker)
    if maker is None or maker.status not in ("paired", "self"):
        raise Rejected(f"snapshot from {part.maker}, which is not a paired device")
    if not crypto.verify(maker.sign_pub, part.signed_part(), part.sig):
        raise Rejected(f"bad signature on a snapshot part from {part.maker}")


def open_part(part: SnapshotPart, vault: crypto.VaultKeys) -> list[tuple[str, bytes]]:
    try:
        states = msgspec.msgpack.decode(vault.decrypt(part.key_id or "", part.body))
    except CryptoError as exc:
        raise Rejected(f"snapshot part from {part.maker}: {exc.message}") from None
    return [(str(doc_id), bytes(state)) for doc_id, state in states]


def keep_part(conn: Any, part: SnapshotPart, raw: bytes) -> None:
    """A blind device keeps the parts it was given (ciphertext) to pass on; a complete set
    replaces the one before, and the doc entries it covers are dropped."""
    if part.index == 0:
        conn.execute("DELETE FROM sync_snapshot WHERE complete = 0")
    conn.execute(
        "INSERT INTO sync_snapshot (part, blob, complete) VALUES (?, ?, 0)"
        " ON CONFLICT (part, complete) DO UPDATE SET blob = excluded.blob",
        (part.index, raw),
    )
    if part.last:
        conn.execute("DELETE FROM sync_snapshot WHERE complete = 1")
        conn.execute("UPDATE sync_snapshot SET complete = 1")
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES ('snapshot_floors', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(part.floors),),
        )
        for origin, seq in part.floors.items():
            conn.execute("DELETE FROM sync_log WHERE origin = ? AND seq <= ? AND kind = 'doc'", (origin, seq))


def kept_parts(conn: Any) -> list[bytes]:
    return [
        bytes(r[0]) for r in conn.execute("SELECT blob FROM sync_snapshot WHERE complete = 1 ORDER BY part")
    ]
