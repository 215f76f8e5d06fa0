"""Pairing a new device with a one-time code, over a Noise-secured libp2p stream.

The code is never sent. Both sides run SPAKE2 (a password-authenticated key exchange) keyed by
the code; each then proves it derived the same key with an HMAC over the transcript, which
also binds both libp2p peer ids (authenticated by Noise) and every field exchanged, so a
relay cannot splice itself in. An eavesdropper learns nothing it can test offline; an active
attacker gets one guess per attempt, and a code allows `MAX_ATTEMPTS` failed attempts, works
once, and expires after `CODE_TTL` seconds. Trade-off: the code is 8 characters from a
31-letter alphabet (~40 bits) so it can be typed; with SPAKE2 that still leaves an online
attacker a 3-in-10^12 chance, so shorter codes would be safe too, but typos cost an attempt.
Both sides show a 6-digit fingerprint derived from the shared key: equal on both screens means
each talked to the other. The vault key travels sealed to the new device's X25519 key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import msgspec

from ..errors import SyncError, Unauthorized
from ..store.connection import Connection, inserted_id
from . import crypto, entries
from .wire import read_frame, write_frame

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_TTL = 600.0
MAX_ATTEMPTS = 3
SPAKE_ID = b"vivim-pair-v1"


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}"


# ---- requests in the database (the CLI asks, the sync service acts) ----------------------------


def create_request(
    conn: Connection,
    role: str,
    code: str,
    *,
    addr: str | None = None,
    blind: bool = False,
    ttl: float = CODE_TTL,
) -> int:
    now = time.time()
    cur = conn.execute(
        "INSERT INTO sync_pairing (role, code, addr, blind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (role, normalize_code(code), addr, int(blind), now, now + ttl),
    )
    return inserted_id(cur)


def get_request(conn: Connection, request_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sync_pairing WHERE id = ?", (request_id,)).fetchone()
    if row is None:
        return None
    data = {k: row[k] for k in row.keys() if k != "code"}
    data["detail"] = json.loads(row["detail"]) if row["detail"] else None
    if data["status"] == "pending" and row["expires_at"] < time.time():
        data["status"] = "expired"
    return data


def pending_offers(conn: Connection) -> list[tuple[int, str]]:
    rows = conn.execute(
        "SELECT id, code FROM sync_pairing WHERE role = 'offer' AND status = 'pending' AND expires_at > ?",
        (time.time(),),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def pending_joins(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, code, addr, blind FROM sync_pairing WHERE role = 'join' AND status = 'pending' AND expires_at > ?",
        (time.time(),),
    ).fetchall()
    return [{"id": r[0], "code": r[1], "addr": r[2], "blind": bool(r[3])} for r in rows]


def finish_request(
    conn: Connection, request_id: int, status: str, detail: dict[str, Any] | None = None
) -> None:
    conn.execute(
        "UPDATE sync_pairing SET status = ?, detail = ?, code = '' WHERE id = ?",
        (status, json.dumps(detail) if detail else None, request_id),
    )


def count_failure(conn: Connection, request_id: int) -> None:
    conn.execute(
        "UPDATE sync_pairing SET attempts = attempts + 1,"
        " status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE status END,"
        " code = CASE WHEN attempts + 1 >= ? THEN '' ELSE code END WHERE id = ?",
        (MAX_ATTEMPTS, MAX_ATTEMPTS, request_id),
    )


# ---- the exchange -------------------------------------------------------------------------------


def _mac(key: bytes, label: bytes, transcript: bytes, *fields: Any) -> bytes:
    return hmac.new(key, label + transcript + msgspec.msgpack.encode(list(fields)), hashlib.sha256).digest()


def fingerprint(key: bytes, transcript: bytes) -> str:
    digest = hmac.new(key, b"fingerprint" + transcript, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") % 1_000_000
    return f"{number // 1000:03d} {number % 1000:03d}"


def _transcript(offerer: str, joiner: str, m_offer: bytes, m_join: bytes) -> bytes:
    return b"|".join([SPAKE_ID, offerer.encode(), joiner.encode(), m_offer, m_join])


def _spake(code: str) -> Any:
    from spake2 import SPAKE2_Symmetric

    return SPAKE2_Symmetric(normalize_code(code).encode(), idSymmetric=SPAKE_ID)


async def join(
    stream: Any,
    code: str,
    *,
    me: entries.MemberRecord,
    my_addrs: list[str],
    remote_peer: str,
    device: crypto.DeviceKeys,
) -> dict[str, Any]:
    """The new device's half. Returns the offerer's record, members, vault (or None) and fingerprint."""
    spake = _spake(code)
    m_join = spake.start()
    await write_frame(stream, {"t": "spake", "m": m_join})
    reply = await read_frame(stream)
    if reply.get("t") != "spake":
        raise SyncError(
            f"the other device refused pairing: {reply.get('error', 'no pairing code is waiting')}"
        )
    m_offer = reply["m"]
    key = spake.finish(m_offer)
    transcript = _transcript(remote_peer, me.peer_id, m_offer, m_join)
    record = msgspec.msgpack.encode(me)
    await write_frame(
        stream,
        {
            "t": "device",
            "device": record,
            "addrs": my_addrs,
            "mac": _mac(key, b"joiner", transcript, record, my_addrs),
        },
    )
    answer = await read_frame(stream)
    if answer.get("t") != "welcome":
        raise Unauthorized("pairing failed: the code was wrong or has expired")
    fields = (answer["device"], answer["members"], answer["vault"], answer["addrs"])
    if not hmac.compare_digest(answer["mac"], _mac(key, b"offerer", transcript, *fields)):
        raise Unauthorized("pairing failed: the other device could not prove it knows the code")
    offerer = msgspec.msgpack.decode(answer["device"], type=entries.MemberRecord)
    if offerer.peer_id != remote_peer or entries.peer_id_of(offerer.sign_pub) != remote_peer:
        raise Unauthorized("pairing failed: the other device's identity does not match its connection")
    members = [msgspec.msgpack.decode(m, type=entries.MemberRecord) for m in answer["members"]]
    vault = None
    if answer["vault"] is not None:
        vault = crypto.VaultKeys.imported(device.open_sealed(answer["vault"]))
    await write_frame(stream, {"t": "done", "mac": _mac(key, b"done", transcript)})
    return {
        "offerer": offerer,
        "members": members,
        "vault": vault,
        "addrs": answer["addrs"],
        "fingerprint": fingerprint(key, transcript),
    }


async def offer(
    stream: Any,
    code: str,
    *,
    me: entries.MemberRecord,
    my_addrs: list[str],
    remote_peer: str,
    members: list[entries.MemberRecord],
    vault: crypto.VaultKeys,
) -> dict[str, Any]:
    """The existing device's half. Raises Unauthorized when the joiner does not know the code."""
    first = await read_frame(stream)
    if first.get("t") != "spake":
        raise SyncError("the joining device did not start a pairing exchange")
    m_join = first["m"]
    spake = _spake(code)
    m_offer = spake.start()
    key = spake.finish(m_join)
    await write_frame(stream, {"t": "spake", "m": m_offer})
    transcript = _transcript(me.peer_id, remote_peer, m_offer, m_join)
    hello = await read_frame(stream)
    if hello.get("t") != "device" or not hmac.compare_digest(
        hello.get("mac", b""), _mac(key, b"joiner", transcript, hello.get("device"), hello.get("addrs"))
    ):
        await write_frame(stream, {"t": "error", "error": "wrong code"})
        raise Unauthorized("a device tried to pair with a wrong code")
    joiner = msgspec.msgpack.decode(hello["device"], type=entries.MemberRecord)
    if joiner.peer_id != remote_peer or entries.peer_id_of(joiner.sign_pub) != remote_peer:
        raise Unauthorized("the joining device's identity does not match its connection")
    sealed = None if joiner.blind or vault.current is None else crypto.seal_to(joiner.box_pub, vault.export())
    fields = (msgspec.msgpack.encode(me), [msgspec.msgpack.encode(m) for m in members], sealed, my_addrs)
    await write_frame(
        stream,
        {
            "t": "welcome",
            "device": fields[0],
            "members": fields[1],
            "vault": sealed,
            "addrs": my_addrs,
            "mac": _mac(key, b"offerer", transcript, *fields),
        },
    )
    done = await read_frame(stream)
    if done.get("t") != "done" or not hmac.compare_digest(
        done.get("mac", b""), _mac(key, b"done", transcript)
    ):
        raise Unauthorized("the joining device did not confirm pairing")
    return {"joiner": joiner, "addrs": hello.get("addrs") or [], "fingerprint": fingerprint(key, transcript)}
