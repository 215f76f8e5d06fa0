"""Sync without a network: local changes become signed, encrypted log entries; received entries
are checked, stored, and applied. The transport (node.py) only moves bytes between engines, so
convergence can be tested here with several engines in one process and real databases.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ..errors import CryptoError
from ..store import Store
from ..store.connection import Connection
from . import compaction, crypto, entries
from .documents import DocSet, Export, apply_remote, export_conversation

log = logging.getLogger(__name__)

EXPORT_BATCH = 200  # conversations per export transaction: keeps other writers' waits short
MAX_INGEST_BATCH = 500


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    gaps: int = 0
    rejected: int = 0
    messages: int = 0
    reasons: list[str] = field(default_factory=list)


class SyncEngine:
    def __init__(
        self, store: Store, keys_dir: Path, device: crypto.DeviceKeys, vault: crypto.VaultKeys
    ) -> None:
        self.store = store
        self.keys_dir = keys_dir
        self.device = device
        self.vault = vault
        self.peer_id = entries.peer_id_of(device.sign_pub)
        self.docs = DocSet()
        self.lock = asyncio.Lock()
        self.listeners: list[Callable[[], None]] = []
        self.counters = {
            "accepted": 0,
            "rejected": 0,
            "duplicates": 0,
            "exported": 0,
            "compacted": 0,
            "snapshots_sent": 0,
            "snapshots_taken": 0,
        }
        self.last_rejection: str | None = None

    @classmethod
    async def open(cls, store: Store, keys_dir: Path, passphrase: str | None = None) -> SyncEngine:
        device = crypto.load_or_create_device(keys_dir, passphrase)
        vault = crypto.load_or_create_vault(keys_dir, passphrase)
        engine = cls(store, keys_dir, device, vault)
        await store.write(engine._register_self)
        return engine

    @property
    def blind(self) -> bool:
        return self.vault.current is None

    def _save_counters(self, conn: Connection) -> None:
        """Kept in the database so `sync.status` and tests in other processes can read them."""
        import json

        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES ('counters', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps({**self.counters, "last_rejection": self.last_rejection}),),
        )

    def _register_self(self, conn: Connection) -> None:
        record = entries.MemberRecord(
            "add", self.peer_id, self.device.sign_pub, self.device.box_pub, self.device.name, self.blind
        )
        entries.upsert_device(conn, record, "self")
        conn.execute(
            "UPDATE sync_devices SET blind = ?, name = ? WHERE peer_id = ?",
            (int(self.blind), self.device.name, self.peer_id),
        )

    def _notify(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("sync listener failed")

    def self_record(self) -> entries.MemberRecord:
        return entries.MemberRecord(
            "add", self.peer_id, self.device.sign_pub, self.device.box_pub, self.device.name, self.blind
        )

    # ---- reading -------------------------------------------------------------------------------

    async def devices(self) -> dict[str, entries.Device]:
        return await self.store.read(entries.devices)

    async def allowed_peers(self) -> set[str]:
        return {d.peer_id for d in (await self.devices()).values() if d.status == "paired"}

    async def version_vector(self) -> dict[str, int]:
        return await self.store.read(entries.version_vector)

    async def entries_for(
        self, theirs: dict[str, int], after_rowid: int = 0, limit: int = MAX_INGEST_BATCH
    ) -> list[tuple[int, bytes]]:
        return await self.store.read(
            lambda c: entries.missing_for(c, theirs, limit=limit, after_rowid=after_rowid)
        )

    # ---- local changes -> entries ----------------------------------------------------------------

    async def export_local(self) -> int:
        """Turn conversations marked dirty (by any process) into entries; returns how many."""
        if self.blind:
            return 0
        total = 0
        async with self.lock:
            while True:
                made, more = await self._guarded(self._export)
                total += made
                if not more:
                    break
        if total:
            self.counters["exported"] += total
            await self.store.write(self._save_counters)
            self._notify()
        return total

    async def _guarded(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            result = await self.store.write(fn, *args)
        except BaseException:
            self.docs.forget()  # the documents in memory may be ahead of the rolled-back database
            raise
        self.docs.trim()  # committed: documents beyond the cache bound can go
        return result

    def _export(self, conn: Connection) -> tuple[int, bool]:
        others = conn.execute("SELECT 1 FROM sync_devices WHERE status != 'self' LIMIT 1").fetchone()
        if others is None:
            return 0, False  # nobody to sync with yet; pairing exports everything at once
        rows = conn.execute(
            "SELECT conversation_id, gen, whole FROM sync_dirty LIMIT ?", (EXPORT_BATCH,)
        ).fetchall()
        export = Export()
        for cid, _gen, whole in rows:
            export_conversation(conn, self.docs, cid, export, whole=bool(whole))
        now = time.time()
        made = 0
        seq = entries.next_seq(conn, self.peer_id)
        changed = self.docs.save_changes(conn, now)  # exactly what this export changed, per document
        for doc_id in sorted(changed):
            key_id, body = self.vault.encrypt(msgspec.msgpack.encode([doc_id, changed[doc_id]]))
            entry = entries.make(self.device, self.peer_id, seq, "doc", key_id, body)
            entries.append(conn, entry, now=now)
            seq += 1
            made += 1
        conn.executemany(
            "DELETE FROM sync_dirty WHERE conversation_id = ? AND gen = ?", [(r[0], r[1]) for r in rows]
        )
        return made, len(rows) == EXPORT_BATCH

    # ---- received entries -> store ---------------------------------------------------------------

    async def ingest(self, raws: list[bytes]) -> IngestResult:
        if not raws:
            return IngestResult()
        await self.export_local()  # local edits first, so a remote value never hides an unsent one
        vault_before = set(self.vault.keys)
        async with self.lock:
            result: IngestResult = await self._guarded(self._ingest, raws)
        if set(self.vault.keys) != vault_before:
            crypto.save_vault(self.keys_dir, self.vault)
        self.counters["accepted"] += result.accepted
        self.counters["rejected"] += result.rejected
        self.counters["duplicates"] += result.duplicates
        for reason in result.reasons:
            self.last_rejection = reason
            log.warning("sync refused an entry: %s", reason)
        await self.store.write(self._save_counters)
        if result.accepted:
            self._notify()
        return result

    def _ingest(self, conn: Connection, raws: list[bytes]) -> IngestResult:
        result = IngestResult()
        known = entries.devices(conn)
        have = entries.version_vector(conn)
        updates: list[tuple[str, bytes]] = []
        now = time.time()
        for raw in raws:
            try:
                entry = entries.decode(raw)
                verdict = entries.check(entry, known, have.get(entry.origin, 0))
                if verdict == "accept":
                    verdict = self._accept(conn, entry, known, updates)
            except entries.Rejected as exc:
                result.rejected += 1
                result.reasons.append(exc.reason)
                continue
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                result.rejected += 1
                result.reasons.append(f"malformed entry: {exc}")
                continue
            if verdict == "duplicate":
                result.duplicates += 1
            elif verdict == "gap":
                result.gaps += 1
            else:
                entries.append(conn, entry, raw, now)
                have[entry.origin] = entry.seq
                result.accepted += 1
        if updates:
            result.messages = apply_remote(conn, self.docs, updates, now)["messages"]
        return result

    def _accept(
        self,
        conn: Connection,
        entry: entries.Entry,
        known: dict[str, entries.Device],
        updates: list[tuple[str, bytes]],
    ) -> str:
        if entry.kind == "doc":
            if self.blind:
                return "accept"  # a blind backup stores and forwards what it cannot read
            if entry.key_id not in self.vault.keys:
                return "gap"  # its key-rotation entry has not arrived yet
            try:
                doc_id, update = msgspec.msgpack.decode(self.vault.decrypt(entry.key_id, entry.body))
            except CryptoError as exc:
                raise entries.Rejected(f"{entry.origin}#{entry.seq}: {exc.message}") from None
            updates.append((doc_id, update))
        elif entry.kind == "member":
            record = msgspec.msgpack.decode(entry.body, type=entries.MemberRecord)
            if record.action == "add":
                if entries.peer_id_of(record.sign_pub) != record.peer_id:
                    raise entries.Rejected(f"member record for {record.peer_id} has someone else's key")
                entries.upsert_device(conn, record, "paired")
            elif record.action == "revoke":
                entries.mark_revoked(conn, record.peer_id, record.after_seq)
                if record.peer_id == self.peer_id:
                    log.warning("this device was removed from the vault by %s", entry.origin)
            known.clear()
            known.update(entries.devices(conn))
        elif entry.kind == "key":
            rotation = msgspec.msgpack.decode(entry.body, type=entries.KeyRotation)
            sealed = rotation.sealed.get(self.peer_id)
            if sealed is not None and not self.blind:
                self.vault.add(self.device.open_sealed(sealed), make_current=True)
        return "accept"

    # ---- acknowledgements, compaction, snapshots (compaction.py) -----------------------------------

    async def note_acks(self, reports: dict[str, dict[str, int]]) -> None:
        """Record version vectors peers reported (their own, and what they know of others)."""
        clean = {
            str(p): {str(o): s for o, s in (vv or {}).items() if isinstance(s, int)}
            for p, vv in reports.items()
            if isinstance(vv, dict)
        }
        if clean:
            await self.store.write(compaction.note_acks, self.peer_id, clean)

    async def acks(self) -> dict[str, dict[str, int]]:
        return await self.store.read(compaction.known_acks)

    async def compact(self) -> dict[str, int]:
        """Drop the doc entries every paired device holds. A blind backup does it too: it cannot make
        a snapshot, so a device that turns up behind its floor gets the snapshot it kept, if any,
        or waits (entries past a gap are not applied) until it meets a full device."""
        async with self.lock:
            done: dict[str, int] = await self._guarded(
                lambda conn: compaction.compact(conn, entries.version_vector(conn))
            )
        if done["entries"]:
            self.counters["compacted"] += done["entries"]
            await self.store.write(self._save_counters)
        return done

    async def snapshot_plan(self, theirs: dict[str, int]) -> list[Any] | None:
        """What to send a peer that lacks entries this device compacted away (None: nothing)."""

        def make(conn: Any) -> list[Any] | None:
            own = compaction.floors(conn)
            if not compaction.behind(own, theirs):
                return None
            if self.blind:
                return [("kept", raw) for raw in compaction.kept_parts(conn)] or None
            groups = compaction.plan(conn)
            return [
                ("docs", group, i, i == len(groups) - 1, own, dict(theirs)) for i, group in enumerate(groups)
            ]

        return await self.store.read(make)

    async def snapshot_part(self, spec: Any) -> bytes:
        if spec[0] == "kept":
            return spec[1]
        _, group, index, last, own, theirs = spec

        def make(conn: Any) -> bytes:
            covered = compaction.covered_entries(conn, theirs, own) if index == 0 else []
            return compaction.make_part(
                conn, self.device, self.peer_id, self.vault, group, index, last, own, covered
            )

        raw = await self.store.read(make)
        if last:
            self.counters["snapshots_sent"] += 1
        return raw

    async def ingest_snapshot(self, raw: bytes) -> None:
        """Apply (or, blind, keep) one snapshot part; the last one raises this device's floors."""
        await self.export_local()

        def take(conn: Any) -> None:
            part = compaction.decode_part(raw)
            known = entries.devices(conn)
            compaction.check_part(part, known)
            if part.index == 0:  # first, so a key rotation among them opens the parts that follow
                for covered in part.entries:
                    self._take_covered(conn, covered, known)
            if self.blind:
                compaction.keep_part(conn, part, raw)
            else:
                apply_remote(conn, self.docs, compaction.open_part(part, self.vault), time.time())
            if part.last:
                compaction.raise_floors(conn, part.floors)

        vault_before = set(self.vault.keys)
        try:
            async with self.lock:
                await self._guarded(take)
        except entries.Rejected as exc:
            self.counters["rejected"] += 1
            self.last_rejection = exc.reason
            log.warning("sync refused a snapshot part: %s", exc.reason)
            await self.store.write(self._save_counters)
            raise
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise entries.Rejected(f"malformed snapshot part: {exc}") from None
        if set(self.vault.keys) != vault_before:
            crypto.save_vault(self.keys_dir, self.vault)
        if compaction.decode_part(raw).last:
            self.counters["snapshots_taken"] += 1
            await self.store.write(self._save_counters)
        self._notify()

    def _take_covered(self, conn: Any, raw: bytes, known: dict[str, entries.Device]) -> None:
        """A member or key entry a snapshot covers: checked by its own author's signature, applied,
        and kept so it can be passed on."""
        entry = entries.decode(raw)
        author = known.get(entry.origin)
        if entry.kind == "doc" or author is None or entries.held(conn, entry.origin, entry.seq) is not None:
            return
        if not crypto.verify(author.sign_pub, entry.signed_part(), entry.sig):
            raise entries.Rejected(f"bad signature on {entry.origin}#{entry.seq} in a snapshot")
        self._accept(conn, entry, known, [])
        entries.append(conn, entry, raw)

    # ---- membership -----------------------------------------------------------------------------

    async def add_device(
        self, record: entries.MemberRecord, others: Sequence[entries.MemberRecord] = ()
    ) -> None:
        """Record a newly paired device (and, for a joining device, the vault's existing members),
        announce it to the vault, and mark the whole store for export."""

        def add(conn: Connection) -> None:
            entries.upsert_device(conn, record, "paired")
            for other in others:
                if other.peer_id == self.peer_id:
                    continue
                if other.action == "revoke":
                    entries.upsert_device(conn, other, "revoked")
                    entries.mark_revoked(conn, other.peer_id, other.after_seq)
                else:
                    entries.upsert_device(conn, other, "paired")
            self._append_member(conn, record)
            conn.execute(
                "INSERT INTO sync_dirty (conversation_id, whole) SELECT id, 1 FROM conversations WHERE true"
                " ON CONFLICT (conversation_id) DO UPDATE SET gen = gen + 1, whole = 1"
            )

        async with self.lock:
            await self._guarded(add)
        self._notify()

    def _append_member(self, conn: Connection, record: entries.MemberRecord) -> None:
        body = msgspec.msgpack.encode(record)
        entry = entries.make(
            self.device, self.peer_id, entries.next_seq(conn, self.peer_id), "member", None, body
        )
        entries.append(conn, entry)

    async def member_records(self) -> list[entries.MemberRecord]:
        out = []
        for d in (await self.devices()).values():
            if d.status == "revoked":
                out.append(
                    entries.MemberRecord(
                        "revoke", d.peer_id, d.sign_pub, d.box_pub, d.name, d.blind, d.revoked_after_seq or 0
                    )
                )
            else:
                out.append(entries.MemberRecord("add", d.peer_id, d.sign_pub, d.box_pub, d.name, d.blind))
        return out

    async def revoke(self, peer_id: str) -> bool:
        """Remove a device: its later entries are refused, peers stop talking to it, and a new vault
        key (sealed to each remaining device) encrypts everything from now on. Returns whether the
        key was rotated."""
        new_key = None if self.blind else crypto.VaultKeys.generate()

        def revoke(conn: Connection) -> bool:
            known = entries.devices(conn)
            target = known.get(peer_id)
            if target is None or target.status == "self":
                from ..errors import NotFound

                raise NotFound(f"no paired device {peer_id}")
            after = entries.version_vector(conn).get(peer_id, 0)
            entries.mark_revoked(conn, peer_id, after)
            record = entries.MemberRecord(
                "revoke", peer_id, target.sign_pub, target.box_pub, target.name, target.blind, after
            )
            self._append_member(conn, record)
            if new_key is None:
                return False
            assert new_key.current is not None  # a fresh key set always has a current key
            key = new_key.keys[new_key.current]
            sealed = {
                d.peer_id: crypto.seal_to(d.box_pub, key)
                for d in known.values()
                if d.peer_id != peer_id and d.status in ("self", "paired") and not d.blind
            }
            rotation = entries.KeyRotation(new_key.current, sealed)
            entry = entries.make(
                self.device,
                self.peer_id,
                entries.next_seq(conn, self.peer_id),
                "key",
                None,
                msgspec.msgpack.encode(rotation),
            )
            entries.append(conn, entry)
            return True

        async with self.lock:
            rotated = await self._guarded(revoke)
        if rotated and new_key is not None and new_key.current is not None:
            self.vault.add(new_key.keys[new_key.current], make_current=True)
            crypto.save_vault(self.keys_dir, self.vault)
        self._notify()
        return rotated

    def reload_vault(self) -> None:
        fresh = crypto.load_vault(self.keys_dir)
        if fresh.keys:
            self.vault = fresh

    async def adopt_vault(self, vault: crypto.VaultKeys | None) -> None:
        """A joining device takes the vault's keys (or none, as a blind backup)."""
        if vault is None:
            self.vault = crypto.VaultKeys()
        else:
            for kid, key in vault.keys.items():
                self.vault.keys[kid] = key
            self.vault.current = vault.current
        crypto.save_vault(self.keys_dir, self.vault)
        await self.store.write(self._register_self)
