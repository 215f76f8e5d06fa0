"""What the `vivim pair/devices/peers/backup/restore` commands do, callable without a CLI.

Pairing needs a running sync node. The CLI writes a request into the database; the node of the
process holding the data directory's lock carries it out. When no process holds the lock, the
command takes it and runs the sync service itself while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ..config import Paths
from ..errors import ConfigError, CryptoError, NotFound, SyncError
from ..store import Store
from ..store.connection import Connection
from . import crypto, pairing

NODE_WAIT = 20.0


@contextlib.asynccontextmanager
async def sync_node(paths: Paths) -> AsyncIterator[Store]:
    """A store whose data directory has a running sync node: another process's, or our own."""
    from ..runtime import Runtime
    from ..singleton import DataDirLock

    lock = DataDirLock(paths.lock)
    if lock.try_acquire():
        runtime = await Runtime.open(paths)
        runtime.is_singleton = True
        from .service import start

        service = await start(runtime)
        try:
            yield runtime.store
        finally:
            await service.stop()
            await runtime.close()
            lock.release()
        return
    store = await Store.open(paths.db)
    try:
        deadline = time.monotonic() + NODE_WAIT
        while not await node_addrs(store):
            if time.monotonic() > deadline:
                raise SyncError(
                    "the VIVIM process that holds this data directory is not running sync; "
                    "check that sync is enabled, or stop it and retry"
                )
            await asyncio.sleep(0.2)
        yield store
    finally:
        await store.close()


async def node_addrs(store: Store) -> list[str]:
    row = await store.fetchone("SELECT value FROM sync_state WHERE key = 'addrs'")
    return json.loads(row[0]) if row and row[0] else []


async def wait_request(
    store: Store, request_id: int, timeout: float, on_wait: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        request = await store.read(pairing.get_request, request_id)
        if request is None:
            raise NotFound("the pairing request disappeared")
        if request["status"] != "pending" or time.monotonic() > deadline:
            return request
        if on_wait is not None:
            on_wait(request)
        await asyncio.sleep(0.2)


async def pair_offer(
    paths: Paths,
    *,
    ttl: float = pairing.CODE_TTL,
    on_code: Callable[[str, list[str]], None] | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Offer a code and wait for a device to use it; on_wait sees the request (attempts, expires_at)
    while waiting, so the terminal can count down and say when someone typed a wrong code."""
    code = pairing.new_code()
    async with sync_node(paths) as store:
        request_id = await store.write(lambda c: pairing.create_request(c, "offer", code, ttl=ttl))
        if on_code:
            on_code(code, await node_addrs(store))
        return await wait_request(store, request_id, ttl + 1, on_wait)


async def pair_join(
    paths: Paths, code: str, *, addr: str | None = None, blind: bool = False, timeout: float = 60.0
) -> dict[str, Any]:
    async with sync_node(paths) as store:
        request_id = await store.write(
            lambda c: pairing.create_request(c, "join", code, addr=addr, blind=blind, ttl=timeout)
        )
        return await wait_request(store, request_id, timeout + 1)


def devices(conn: Connection) -> list[dict[str, Any]]:
    """This vault's devices, the people-facing facts first (the web app shows the first columns):
    name, status, how it was reached, when it last synced, what it still lacks, then the details."""
    from . import status

    rows = conn.execute(
        "SELECT d.peer_id, COALESCE(n.name, d.name) AS name, d.name AS own_name, d.blind, d.status, d.added_at,"
        " d.revoked_at,"
        " (SELECT MAX(last_ok) FROM sync_addresses a WHERE a.peer_id = d.peer_id) AS last_seen,"
        " (SELECT MAX(seq) FROM sync_log l WHERE l.origin = d.peer_id) AS entries,"
        " s.via, s.addr, s.connected, s.connected_at, s.last_sync_at, s.entries_in, s.entries_out"
        " FROM sync_devices d LEFT JOIN device_names n ON n.peer_id = d.peer_id"  # the names people set
        " LEFT JOIN sync_peer_status s ON s.peer_id = d.peer_id"
        " ORDER BY d.status = 'self' DESC, d.added_at"
    ).fetchall()
    pending = status.pending_for(conn)
    local = conn.execute("SELECT COUNT(*) FROM sync_dirty").fetchone()[0]
    out = []
    for r in rows:
        if r["status"] == "self":
            state = (
                f"this device; {local} conversation{'s' if local != 1 else ''} with changes not yet sent"
                if local
                else "this device"
            )
            waiting = None
        elif r["status"] == "revoked":
            state, waiting = "removed", None
        else:
            waiting = pending.get(r["peer_id"], 0)
            state = status.describe(r["via"], bool(r["connected"]), r["last_sync_at"], waiting)
        out.append(
            {
                "name": r["name"],
                "own_name": r["own_name"],
                "status": r["status"],
                "sync": state,
                "reached": r["via"],
                "last_sync_at": r["last_sync_at"],
                "pending": waiting,
                "peer_id": r["peer_id"],
                "blind": bool(r["blind"]),
                "added_at": r["added_at"],
                "revoked_at": r["revoked_at"],
                "last_seen": max(filter(None, (r["last_seen"], r["connected_at"])), default=None),
                "addr": r["addr"],
                "connected_at": r["connected_at"],
                "entries": r["entries"],
                "entries_in": r["entries_in"] or 0,
                "entries_out": r["entries_out"] or 0,
            }
        )
    return out


async def remove_device(paths: Paths, ident: str) -> dict[str, Any]:
    """Revoke a device (by peer id or a unique prefix of it, or its name) and rotate the vault key."""
    from .engine import SyncEngine

    store = await Store.open(paths.db)
    try:
        listed = await store.read(devices)
        matches = [
            d
            for d in listed
            if d["status"] == "paired"
            and (d["peer_id"] == ident or d["peer_id"].startswith(ident) or d["name"] == ident)
        ]
        if len(matches) != 1:
            raise NotFound(f"{'no' if not matches else 'more than one'} paired device matches {ident!r}")
        engine = await SyncEngine.open(store, paths.keys)
        rotated = await engine.revoke(matches[0]["peer_id"])
        return {"revoked": matches[0]["peer_id"], "name": matches[0]["name"], "vault_key_rotated": rotated}
    finally:
        await store.close()


def add_address(conn: Connection, addr: str, source: str = "manual") -> dict[str, Any]:
    import multiaddr

    try:
        parsed = multiaddr.Multiaddr(addr)
        peer_id = parsed.value_for_protocol("p2p")
    except Exception as exc:  # noqa: BLE001 - multiaddr raises many kinds; all mean a bad address
        raise ConfigError(f"not a multiaddr with a /p2p/<peer id> part: {addr} ({exc})") from None
    conn.execute(
        "INSERT INTO sync_addresses (addr, peer_id, source, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (addr) DO UPDATE SET peer_id = excluded.peer_id",
        (addr, peer_id, source, time.time()),
    )
    return {"addr": addr, "peer_id": peer_id}


def addresses(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT addr, peer_id, source, last_ok FROM sync_addresses ORDER BY added_at"
    ).fetchall()
    return [{k: r[k] for k in r.keys()} for r in rows]


# ---- backups ------------------------------------------------------------------------------------

SYNC_TABLES = (
    "sync_devices",
    "sync_addresses",
    "sync_log",
    "sync_docs",
    "sync_doc_updates",
    "sync_marks",
    "sync_pairing",
    "sync_floor",
    "sync_acks",
    "sync_snapshot",
    "sync_peer_status",
    "sync_state",
)


async def backup(
    paths: Paths, target: Path, passphrase: str | None = None, secret: Any = None
) -> dict[str, Any]:
    """The whole store, as one consistent SQLite snapshot, encrypted with the backup secret (see
    vivim.recovery: restorable anywhere), a one-off passphrase, or else the vault key."""
    import tempfile

    from ..store.connection import connect_sync

    vault = crypto.load_vault(paths.keys)
    with tempfile.TemporaryDirectory(dir=paths.root) as tmp:
        snapshot = Path(tmp) / "snapshot.sqlite3"
        source = connect_sync(paths.db, load_vec=False)
        dest = connect_sync(snapshot, load_vec=False)
        try:
            await asyncio.to_thread(source.backup, dest)
        finally:
            dest.close()
            source.close()
        data = snapshot.read_bytes()
    if secret is not None and not passphrase:
        from .. import recovery

        blob = recovery.encrypt(secret, data)
        used = "recovery key" if secret.kind == recovery.RECOVERY_KEY else "backup passphrase"
    else:
        blob = crypto.encrypt_backup(data, vault=vault, passphrase=passphrase)
        used = "passphrase" if passphrase else "vault key"
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(blob)
    return {"path": str(target), "bytes": len(blob), "with": used}


def local_conversations(paths: Paths) -> int:
    """How many conversations this data directory holds (0 without a database; never creates one)."""
    import sqlite3

    if not paths.db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def decrypt_backup_file(paths: Paths, source: Path, secret_text: str | None) -> bytes:
    """The backup's SQLite bytes; secret_text is its recovery key or passphrase (if it has one)."""
    from .. import recovery

    blob = source.read_bytes()
    kind = recovery.needs_secret(recovery.backup_header(blob))
    secret = recovery.secret_text(kind, secret_text) if kind and secret_text else secret_text
    if kind and not secret:
        raise CryptoError(f"this backup is locked with a {kind.replace('-', ' ')}; enter it to restore")
    return crypto.decrypt_backup(blob, vault=crypto.load_vault(paths.keys), passphrase=secret)


async def merge_backup(
    paths: Paths, source: Path, secret_text: str | None = None, data: bytes | None = None
) -> dict[str, Any]:
    """Add a backup's conversations to this vault instead of replacing it: the backup is read as a
    VIVIM archive and imported, with the importers' rules (nothing twice, new turns added)."""
    import tempfile

    from ..export import ExportFilter, export_json
    from ..importers import import_path

    data = data if data is not None else decrypt_backup_file(paths, source, secret_text)
    with tempfile.TemporaryDirectory(dir=paths.root) as tmp:
        snapshot = Path(tmp) / "backup.sqlite3"
        fd = os.open(snapshot, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        archive = Path(tmp) / "vivim-backup.json"
        backup_store = await Store.open(snapshot)
        try:
            with open(archive, "w", encoding="utf-8") as handle:
                await export_json(backup_store, handle, ExportFilter())
        finally:
            await backup_store.close()
        store = await Store.open(paths.db)
        try:
            summary = await import_path(store, archive, provider="vivim")
        finally:
            await store.close()
    return {
        "conversations": summary.conversations,
        "messages": summary.messages,
        "merged": True,
        "new_conversations": summary.conversations_created,
        "new_messages": summary.inserted,
    }


async def restore(
    paths: Paths, source: Path, passphrase: str | None = None, data: bytes | None = None
) -> dict[str, Any]:
    """Replace this data directory's store with a backup's. The device keeps its own identity;
    sync state is reset (devices, log), so pair again to sync."""
    from ..singleton import DataDirLock
    from ..store.connection import connect_sync

    data = data if data is not None else decrypt_backup_file(paths, source, passphrase)
    lock = DataDirLock(paths.lock)
    if not lock.try_acquire():
        raise ConfigError(
            "a VIVIM process is using this data directory; close the browser or stop `vivim serve`"
        )
    try:
        staged = paths.root / "restore.tmp.sqlite3"
        fd = os.open(staged, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        conn = connect_sync(staged, load_vec=False)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            counts = conn.execute(
                "SELECT (SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages)"
            ).fetchone()
            has_sync = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_log'").fetchone()
            if has_sync:
                present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                for table in SYNC_TABLES:
                    if table in present:  # a backup made before a later sync migration lacks its tables
                        conn.execute(f"DELETE FROM {table}")
                conn.execute(
                    "INSERT OR IGNORE INTO sync_dirty (conversation_id) SELECT id FROM conversations"
                )
                if "sync_dirty_messages" in present:  # marks are gone: compare every turn again
                    conn.execute("UPDATE sync_dirty SET whole = 1")
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):
            Path(str(paths.db) + suffix).unlink(missing_ok=True)
        os.replace(staged, paths.db)
        return {"conversations": counts[0], "messages": counts[1]}
    finally:
        lock.release()
