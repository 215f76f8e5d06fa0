"""The update log: signed, vault-encrypted entries, one sequence per originating device.

An entry is `[origin, seq, kind, key_id, body, sig]` (msgpack). `origin` is the device's libp2p
peer id, `seq` counts that device's entries from 1 without gaps, `sig` is the device's Ed25519
signature over everything else. Kinds:
- `doc`: body = SecretBox(vault key `key_id`)([doc_id, yjs update]); only paired devices read it.
- `member`: body = a device record (add or revoke), signed but not encrypted, so a blind backup
  peer can still tell which peers to accept. It reveals device public keys and names.
- `key`: body = a new vault key sealed to each remaining device's X25519 key (after a revocation).
Every device keeps every entry it accepted and forwards them to peers that lack them, so a
device that holds no vault key (a blind backup) can still store and forward. A replay is an
entry whose (origin, seq) is already held; a tampered entry fails its signature; both are refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from ..store.connection import Connection
from . import crypto

ENTRY_DOMAIN = b"vivim-sync-entry-v1\x00"
KINDS = ("doc", "member", "key")


class Entry(msgspec.Struct, array_like=True):
    origin: str
    seq: int
    kind: str
    key_id: str | None
    body: bytes
    sig: bytes = b""

    def signed_part(self) -> bytes:
        return ENTRY_DOMAIN + msgspec.msgpack.encode(
            [self.origin, self.seq, self.kind, self.key_id, self.body]
        )

    def encode(self) -> bytes:
        return msgspec.msgpack.encode(self)


class MemberRecord(msgspec.Struct, omit_defaults=True):
    action: str  # "add" | "revoke"
    peer_id: str
    sign_pub: bytes = b""
    box_pub: bytes = b""
    name: str | None = None
    blind: bool = False
    after_seq: int = 0  # revoke: entries of the revoked device past this seq are refused


class KeyRotation(msgspec.Struct):
    key_id: str
    sealed: dict[str, bytes]  # peer id -> SealedBox(new key)


_decode_entry = msgspec.msgpack.Decoder(Entry)


def decode(raw: bytes) -> Entry:
    return _decode_entry.decode(raw)


def make(
    device: crypto.DeviceKeys, origin: str, seq: int, kind: str, key_id: str | None, body: bytes
) -> Entry:
    entry = Entry(origin, seq, kind, key_id, body)
    entry.sig = device.sign(entry.signed_part())
    return entry


def peer_id_of(sign_pub: bytes) -> str:
    """The libp2p peer id an Ed25519 public key stands for."""
    from libp2p.crypto.ed25519 import Ed25519PublicKey
    from libp2p.peer.id import ID

    return ID.from_pubkey(Ed25519PublicKey.from_bytes(sign_pub)).to_base58()


# ---- devices ------------------------------------------------------------------------------------


@dataclass
class Device:
    peer_id: str
    sign_pub: bytes
    box_pub: bytes
    name: str | None
    blind: bool
    status: str  # self | paired | revoked
    revoked_after_seq: int | None


def devices(conn: Connection) -> dict[str, Device]:
    rows = conn.execute(
        "SELECT peer_id, sign_pub, box_pub, name, blind, status, revoked_after_seq FROM sync_devices"
    )
    return {
        r[0]: Device(r[0], bytes(r[1]), bytes(r[2]), r[3], bool(r[4]), r[5], r[6]) for r in rows.fetchall()
    }


def upsert_device(conn: Connection, record: MemberRecord, status: str, now: float | None = None) -> None:
    conn.execute(
        "INSERT INTO sync_devices (peer_id, sign_pub, box_pub, name, blind, status, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET"
        " name = COALESCE(excluded.name, name),"
        " status = CASE WHEN status IN ('revoked', 'self') THEN status ELSE excluded.status END",
        (
            record.peer_id,
            record.sign_pub,
            record.box_pub,
            record.name,
            int(record.blind),
            status,
            now or time.time(),
        ),
    )


def mark_revoked(conn: Connection, peer_id: str, after_seq: int, now: float | None = None) -> None:
    conn.execute(
        "UPDATE sync_devices SET status = 'revoked', revoked_at = COALESCE(revoked_at, ?),"
        " revoked_after_seq = MIN(COALESCE(revoked_after_seq, ?), ?) WHERE peer_id = ?",
        (now or time.time(), after_seq, after_seq, peer_id),
    )


# ---- the log ------------------------------------------------------------------------------------


def version_vector(conn: Connection) -> dict[str, int]:
    """Highest seq held per origin (entries are accepted only without gaps, so all below are held,
    or were compacted away: `sync_floor` keeps how far, see compaction.py)."""
    vv = {r[0]: r[1] for r in conn.execute("SELECT origin, seq FROM sync_floor").fetchall()}
    for origin, seq in _log_tops(conn):
        vv[origin] = max(seq, vv.get(origin, 0))
    return vv


def _log_tops(conn: Connection) -> list[tuple[str, int]]:
    """Highest seq in the log per origin: one index seek per device (every author is a device),
    where GROUP BY would walk the whole log."""
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT peer_id, (SELECT MAX(seq) FROM sync_log WHERE origin = peer_id) AS top FROM sync_devices"
            " WHERE top IS NOT NULL"
        ).fetchall()
    ]


def next_seq(conn: Connection, origin: str) -> int:
    row = conn.execute(
        "SELECT MAX(seq) FROM (SELECT MAX(seq) AS seq FROM sync_log WHERE origin = ?"
        " UNION ALL SELECT seq FROM sync_floor WHERE origin = ?)",
        (origin, origin),
    ).fetchone()
    return int(row[0] or 0) + 1


def append(conn: Connection, entry: Entry, raw: bytes | None = None, now: float | None = None) -> None:
    conn.execute(
        "INSERT INTO sync_log (origin, seq, kind, entry, received_at) VALUES (?, ?, ?, ?, ?)",
        (entry.origin, entry.seq, entry.kind, raw or entry.encode(), now or time.time()),
    )


def missing_for(
    conn: Connection, theirs: dict[str, int], *, limit: int = 500, after_rowid: int = 0
) -> list[tuple[int, bytes]]:
    """Entries the holder of version vector `theirs` lacks, in the order this device accepted them
    (an order in which every entry's author was already known). One index range per origin that
    they lack something of: a long log is not walked for each new turn."""
    mine = _log_tops(conn)
    rows: list[tuple[int, bytes]] = []
    for origin, top in mine:
        after = theirs.get(origin, 0)
        if top <= after:
            continue
        rows.extend(
            (r[0], bytes(r[1]))
            for r in conn.execute(
                "SELECT rowid, entry FROM sync_log WHERE origin = ? AND seq > ? AND rowid > ? ORDER BY seq LIMIT ?",
                (origin, after, after_rowid, limit),
            )
        )
    rows.sort(key=lambda r: r[0])
    return rows[:limit]


def held(conn: Connection, origin: str, seq: int) -> bytes | None:
    row = conn.execute("SELECT entry FROM sync_log WHERE origin = ? AND seq = ?", (origin, seq)).fetchone()
    return None if row is None else bytes(row[0])


class Rejected(Exception):
    """An entry that must not be applied; `reason` is logged and counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check(entry: Entry, known: dict[str, Device], have: int) -> str:
    """'accept', 'duplicate' (already held, identical) or 'gap' (an earlier entry is missing);
    raises Rejected for forgeries, replays with different content, and revoked authors."""
    if entry.kind not in KINDS:
        raise Rejected(f"unknown entry kind {entry.kind!r}")
    author = known.get(entry.origin)
    if author is None:
        return "gap"  # its author's membership entry has not arrived yet
    if not crypto.verify(author.sign_pub, entry.signed_part(), entry.sig):
        raise Rejected(f"bad signature on {entry.origin}#{entry.seq}")
    if author.status == "revoked" and entry.seq > (author.revoked_after_seq or 0):
        raise Rejected(f"{entry.origin} is revoked")
    if entry.seq <= have:
        return "duplicate"
    if entry.seq != have + 1:
        return "gap"
    return "accept"
