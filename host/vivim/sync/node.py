"""The sync node: a py-libp2p host (Noise only, yamux) speaking `/vivim/sync/1.0.0` with paired
devices and `/vivim/pair/1.0.0` while a pairing code is waiting. Runs in trio guest mode
(bridge.py); all database work goes back to asyncio through the engine.

A session is one stream per pair of devices: both sides send their version vectors, then
each sends the entries the other lacks (in batches, each acknowledged with the receiver's new
version vector) and afterwards pushes new entries as they appear. A peer that is not a paired,
unrevoked device gets its stream reset and its connection closed before anything is sent.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from ..errors import SyncError, Unauthorized, VivimError
from ..store.connection import Connection
from . import discovery, pairing, status
from .bridge import TrioGuest
from .engine import SyncEngine
from .relay import Relaying
from .wire import PAIR_PROTOCOL, SYNC_PROTOCOL, read_frame, write_frame

log = logging.getLogger(__name__)

DIAL_INTERVAL = 2.0
ZEROCONF_INIT_TIMEOUT = 5.0
MDNS_PAIR_WAIT = 20.0  # `vivim pair CODE` without --addr: how long to look for devices on the LAN
BATCH = 500
RELAY_RETRY = 10.0  # seconds between attempts to reach one device through a relay
UPGRADE_RETRY = float(  # seconds before (and between) attempts to move a relayed session onto a direct one
    os.environ.get("VIVIM_SYNC_UPGRADE_INTERVAL", "10")
)
DISCOVERY_INTERVAL = float(
    os.environ.get("VIVIM_SYNC_DHT_INTERVAL", "30")
)  # DHT lookups of unreached devices
PUBLISH_INTERVAL = 1800.0  # republish this device's address record (and whenever its addresses change)


def make_host(
    seed: bytes, listen: Sequence[str], mdns_interfaces: list[str] | None, enable_mdns: bool
) -> Any:
    import multiaddr
    from libp2p import new_host
    from libp2p.crypto.ed25519 import create_new_key_pair
    from libp2p.crypto.x25519 import X25519PrivateKey
    from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
    from libp2p.security.noise.transport import Transport as NoiseTransport

    key_pair = create_new_key_pair(seed)  # the device's Ed25519 key: a stable peer id
    # Noise only: py-libp2p's default list would also offer plaintext and secio.
    security = {NOISE_ID: NoiseTransport(key_pair, noise_privkey=X25519PrivateKey.new())}
    if enable_mdns:
        _prepare_mdns(mdns_interfaces)
    return new_host(
        key_pair=key_pair,
        sec_opt=security,
        enable_mDNS=enable_mdns,
        listen_addrs=[multiaddr.Multiaddr(a) for a in listen],
    )


def _prepare_mdns(interfaces: list[str] | None) -> None:
    """py-libp2p's mDNS uses zeroconf's blocking API from trio. Zeroconf built on a thread with a
    running asyncio loop (ours: trio is its guest) would run on that loop and deadlock the
    blocking calls, so it is built on a short-lived thread and gets a loop thread of its own.
    `interfaces` narrows it (tests use 127.0.0.1; by default it listens on every interface)."""
    import threading

    import zeroconf
    from libp2p.discovery.mdns import mdns

    def build(**kwargs: Any) -> Any:
        made: dict[str, Any] = {}

        def run() -> None:
            made["zc"] = zeroconf.Zeroconf(**({"interfaces": interfaces} if interfaces else {}), **kwargs)

        thread = threading.Thread(target=run, name="zeroconf-init", daemon=True)
        thread.start()
        thread.join(ZEROCONF_INIT_TIMEOUT)
        if "zc" not in made:
            raise SyncError(f"mDNS (zeroconf) did not start within {ZEROCONF_INIT_TIMEOUT:g} s")
        return _registering_in_background(made["zc"])

    mdns.Zeroconf = build


def _registering_in_background(zc: Any) -> Any:
    """py-libp2p calls zeroconf's blocking register_service from trio, i.e. on our event loop's
    thread, where mDNS probing (about a second, more on a busy machine) would stall every reply to
    the browser and the notice that it has closed the port. Registration runs on a daemon thread
    instead; unregistering waits (bounded) for it so the goodbye matches what was announced."""
    import threading

    register, unregister = zc.register_service, zc.unregister_service
    pending: list[threading.Thread] = []

    def quietly(info: Any, *args: Any, **kwargs: Any) -> None:
        try:
            register(info, *args, **kwargs)
        except Exception as exc:  # zeroconf closed meanwhile, or a name clash: discovery only
            log.info("mDNS registration did not complete: %s", exc)

    def register_service(info: Any, *args: Any, **kwargs: Any) -> None:
        thread = threading.Thread(
            target=quietly, args=(info, *args), kwargs=kwargs, name="zeroconf-register", daemon=True
        )
        pending.append(thread)
        thread.start()

    def unregister_service(info: Any) -> None:
        for thread in pending:
            thread.join(ZEROCONF_INIT_TIMEOUT)
        try:
            unregister(info)
        except Exception as exc:
            log.info("mDNS unregistration did not complete: %s", exc)

    zc.register_service, zc.unregister_service = register_service, unregister_service
    return zc


class Session:
    def __init__(self, node: SyncNode, stream: Any, peer: str) -> None:
        import trio

        self.node, self.stream, self.peer = node, stream, peer
        self.theirs: dict[str, int] = {}
        self.changed = trio.Event()
        self.acked = trio.Event()
        self.bytes_out = 0
        self.bytes_in = 0
        self.via = ""  # how the stream runs: lan, direct or relay (status.classify)

    def poke(self) -> None:
        self.changed.set()

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await self.node.bridge.wait(self.node.engine.store.write(fn, *args))

    async def _report(self) -> dict[str, Any]:
        """Our version vector and what we know of other devices' (they gossip on, for compaction)."""
        engine = self.node.engine
        return {
            "vv": await self.node.bridge.wait(engine.version_vector()),
            "acks": await self.node.bridge.wait(engine.acks()),
        }

    async def _heard(self, message: dict[str, Any]) -> None:
        vv = message.get("vv")
        self.theirs = dict(vv) if isinstance(vv, dict) else {}
        acks = message.get("acks")
        reports = (
            {str(k): v for k, v in acks.items() if isinstance(v, dict)} if isinstance(acks, dict) else {}
        )
        await self.node.bridge.wait(self.node.engine.note_acks({**reports, self.peer: self.theirs}))

    async def run(self) -> None:
        import trio

        self.via, addr = status.classify(self.stream.muxed_conn)
        if self.via == "relay":  # the relay first; a direct connection is tried once this one runs
            self.node.upgrade_next[self.peer] = trio.current_time() + UPGRADE_RETRY
        await self._db(status.connected, self.peer, self.via, addr)
        self.bytes_out += await write_frame(self.stream, {"t": "hello", **await self._report()})
        hello = await read_frame(self.stream)
        if hello.get("t") != "hello":
            raise SyncError("the peer did not start with hello")
        await self._heard(hello)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._receive, nursery)
            await self._send()

    async def _send(self) -> None:
        import trio

        engine = self.node.engine
        last_sent: list[bytes] = []
        while True:
            self.changed = trio.Event()
            if not await self.node._allowed(self.peer):
                raise SyncError(f"{self.peer} is no longer a paired device")
            plan = await self.node.bridge.wait(engine.snapshot_plan(self.theirs))
            if plan:  # they lack entries we compacted away: the documents' state first
                for spec in plan:
                    part = await self.node.bridge.wait(engine.snapshot_part(spec))
                    self.acked = trio.Event()
                    self.bytes_out += await write_frame(self.stream, {"t": "snap", "s": part})
                    await self.acked.wait()
                continue
            batch = [
                raw for _, raw in await self.node.bridge.wait(engine.entries_for(self.theirs, limit=BATCH))
            ]
            if batch and batch != last_sent:
                self.acked = trio.Event()
                self.bytes_out += await write_frame(self.stream, {"t": "entries", "e": batch})
                last_sent = batch
                await self.acked.wait()
                await self._db(status.synced, self.peer, 0, len(batch))
                continue
            if not last_sent:
                await self._db(status.synced, self.peer)  # nothing to send: in sync as of now
            await self.changed.wait()
            last_sent = []

    async def _receive(self, nursery: Any) -> None:
        engine = self.node.engine
        try:
            while True:
                message = await read_frame(self.stream)
                kind = message.get("t")
                if kind == "entries":
                    raws = list(message.get("e") or [])
                    self.bytes_in += sum(len(r) for r in raws)
                    await self.node.bridge.wait(engine.ingest(raws))
                    self.bytes_out += await write_frame(self.stream, {"t": "ack", **await self._report()})
                    await self._db(status.synced, self.peer, len(raws), 0)
                elif kind == "snap":
                    raw = message.get("s")
                    if not isinstance(raw, bytes):
                        raise SyncError("the peer sent a snapshot frame without a part")
                    self.bytes_in += len(raw)
                    await self.node.bridge.wait(engine.ingest_snapshot(raw))
                    self.bytes_out += await write_frame(self.stream, {"t": "ack", **await self._report()})
                elif kind == "ack":
                    await self._heard(message)
                    self.acked.set()
                    self.changed.set()
        finally:
            nursery.cancel_scope.cancel()


class SyncNode:
    def __init__(
        self,
        engine: SyncEngine,
        bridge: TrioGuest,
        *,
        listen: Sequence[str],
        mdns: bool,
        mdns_interfaces: list[str] | None = None,
        bootstrap: Sequence[str] = (),
    ) -> None:
        self.engine = engine
        self.bridge = bridge
        self.listen = list(listen)
        self.mdns = mdns
        self.mdns_interfaces = mdns_interfaces
        self.host: Any = None
        self.sessions: dict[str, Session] = {}
        self.addrs: list[str] = []
        self.refused = 0
        self.last_error: str | None = None
        self.pairing_busy = False
        self.dialing: set[str] = set()
        self.unreachable: set[str] = set()  # paired peers whose last dial failed (said once per outage)
        self.relaying: Relaying | None = None
        self.reserving: set[str] = set()
        self.relay_next: dict[str, float] = {}
        self.relay_addrs: dict[str, list[str]] = {}
        self.bootstrap = list(bootstrap)
        self.dht: Any = None
        self.published: list[str] = []
        self.next_publish = 0.0
        self.publishes = 0
        self.anchors: list[Any] = []  # bootstrap peers and paired peers in session (DHT entry points)
        self.published_table = 0  # routing-table size at the last publish
        self.found_by_dht: set[str] = set()
        self.upgrading: set[str] = set()
        self.upgrade_next: dict[str, float] = {}
        self.upgrades = 0  # relayed sessions moved onto a direct connection
        engine.listeners.append(self._on_change)

    def _on_change(self) -> None:
        self.bridge.notify(self._poke_all)

    def _poke_all(self) -> None:
        for session in list(self.sessions.values()):
            session.poke()

    # ---- trio side -----------------------------------------------------------------------------

    async def run(self, task_status: Any) -> None:
        import trio
        from libp2p.tools.anyio_service import background_trio_service

        self.host = make_host(self.engine.device.seed, self.listen, self.mdns_interfaces, self.mdns)
        self.host.set_stream_handler(SYNC_PROTOCOL, self._handle_sync)
        self.host.set_stream_handler(PAIR_PROTOCOL, self._handle_pair)
        import multiaddr

        async with self.host.run([multiaddr.Multiaddr(a) for a in self.listen]):
            self.addrs = _expand_wildcards([str(a) for a in self.host.get_addrs()])
            forced = os.environ.get("VIVIM_SYNC_RELAY") == "1"
            self.relaying = Relaying(self.host, self._allowed, lambda: forced or self.engine.blind)
            self.dht = discovery.make_dht(self.host)
            async with self.relaying.running(), background_trio_service(self.dht):
                task_status.started(self.addrs)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._dial_loop, nursery)
                    nursery.start_soon(self._discovery_loop)
                    await trio.sleep_forever()

    # ---- DHT discovery (discovery.py) ------------------------------------------------------------

    async def _discovery_loop(self) -> None:
        import trio

        while True:
            try:
                await self._discover()
            except Exception as exc:
                log.debug("DHT discovery round failed: %s", exc)
            await trio.sleep(DISCOVERY_INTERVAL)

    async def _discover(self) -> None:
        """One round: join the DHT, publish this device's record when due, look up every paired
        device not in session. Publishing and each lookup fail on their own: a slow or failing
        publish (a loaded machine, a half-filled routing table) never skips the lookups, which
        alone are enough for the two devices to meet."""
        import trio

        await self._join_dht()
        vault = self.engine.vault
        if self.engine.blind or vault.current is None:
            return  # a blind backup serves the DHT but has no key to publish or look up with
        devices = await self.bridge.wait(self.engine.devices())
        missing = {  # not in session, or only through a relay: a direct address may be out there
            peer: device
            for peer, device in devices.items()
            if device.status == "paired"
            and not device.blind
            and (peer not in self.sessions or self.sessions[peer].via == "relay")
        }
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._publish, bool(missing))
            for peer, device in missing.items():
                nursery.start_soon(self._look_up, peer, device.sign_pub)

    async def _join_dht(self) -> None:
        """Connect the bootstrap peers and the paired peers in session, add them to the routing
        table, then, while the table is short of one bucket, look up this node's own id (the
        Kademlia join): without it a restarted device could stay with one entry for minutes and
        publish its record to that one node only (seen in the DHT bench)."""
        import multiaddr
        import trio
        from libp2p.peer.id import ID
        from libp2p.peer.peerinfo import info_from_p2p_addr

        anchors = []
        for addr in self.bootstrap:
            try:
                info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
                with trio.fail_after(15):
                    if not self.host.get_network().get_connections(info.peer_id):
                        _unblock(self.host, info.peer_id)
                        await self.host.connect(info)
                    await self.dht.add_peer(info.peer_id)
                anchors.append(info.peer_id)
            except Exception as exc:
                log.debug("DHT bootstrap %s: %s", addr, exc)
        for peer in list(self.sessions):  # the backup peer (and any paired peer we reach) bootstraps too
            try:
                await self.dht.add_peer(ID.from_base58(peer))
                anchors.append(ID.from_base58(peer))
            except Exception:
                pass
        self.anchors = anchors
        if anchors and self.dht.get_routing_table_size() < 20:
            try:
                with trio.fail_after(15):
                    await self.dht.peer_routing.find_closest_peers_network(self.host.get_id().to_bytes())
            except Exception as exc:
                log.debug("DHT self-lookup: %s", exc)

    async def _publish(self, someone_missing: bool) -> None:
        """Publish when due. Due: at start, when the addresses change, when the routing table has
        grown (the closest nodes to the key may be new ones, which do not hold the record), and
        while a paired device is unreached, with a doubling pause (DISCOVERY_INTERVAL up to
        PUBLISH_INTERVAL), because a node that missed the last publish still answers with an old
        address; otherwise every PUBLISH_INTERVAL."""
        import trio

        vault = self.engine.vault
        assert vault.current is not None
        key, now, me = vault.keys[vault.current], time.time(), self.engine.peer_id
        addrs = list(self.addrs) + self._circuit_addrs()
        size = self.dht.get_routing_table_size()
        if not size:
            return
        grown = size > self.published_table
        if not (now >= self.next_publish or addrs != self.published or grown):
            return
        record_key = discovery.record_key(key, me, discovery.utc_day(now))
        record = discovery.seal(self.engine.device, key, me, addrs, now)
        try:
            with trio.fail_after(30):
                await self.dht.put_value(record_key, record)
                # and at the entry points themselves, which every device of the vault starts from
                await discovery.store_at(self.dht, record_key, record, self.anchors)
        except Exception as exc:
            log.debug("publishing this device's DHT record failed (retried next round): %s", exc)
            return
        self.publishes += 1
        self.published, self.published_table = addrs, size
        pause = DISCOVERY_INTERVAL * 2 ** min(self.publishes - 1, 16)
        self.next_publish = now + (min(pause, PUBLISH_INTERVAL) if someone_missing else PUBLISH_INTERVAL)

    async def _look_up(self, peer: str, sign_pub: bytes) -> None:
        import trio

        vault = self.engine.vault
        assert vault.current is not None
        key, now = vault.keys[vault.current], time.time()
        for record_key in discovery.lookup_keys(key, peer, now):
            try:
                with trio.fail_after(20):
                    raws = await discovery.collect(self.dht, record_key, also=self.anchors)
            except Exception as exc:
                log.debug("DHT lookup of %s failed: %s", peer[:16], exc)
                continue
            found = discovery.newest(raws, list(vault.keys.values()), peer, sign_pub, now)
            if found:
                await self.bridge.wait(self.engine.store.write(_remember_addrs, found, peer, "dht"))
                self.found_by_dht.add(peer)
                return

    def _circuit_addrs(self) -> list[str]:
        """Where this device can be dialled through a relay that keeps a slot for it."""
        if self.relaying is None:
            return []
        out = []
        for relay in sorted(self.relaying.reserved):
            for addr in self.relay_addrs.get(relay, [])[:1]:
                out.append(f"{addr}/p2p-circuit/p2p/{self.engine.peer_id}")
        return out

    async def _allowed(self, peer: str) -> bool:
        return peer in await self.bridge.wait(self.engine.allowed_peers())

    async def _refuse(self, stream: Any, peer: Any) -> None:
        self.refused += 1
        log.warning("refused a sync stream from unpaired peer %s", peer)
        try:
            await stream.reset()
        finally:
            try:
                await self.host.disconnect(peer)
            except Exception:
                pass

    async def _handle_sync(self, stream: Any) -> None:
        peer_id = stream.muxed_conn.peer_id
        peer = peer_id.to_base58()
        if not await self._allowed(peer):
            await self._refuse(stream, peer_id)
            return
        await self._serve_session(stream, peer)

    async def _serve_session(self, stream: Any, peer: str, replacing: Session | None = None) -> None:
        session = Session(self, stream, peer)
        self.sessions[peer] = session
        if replacing is not None:  # moved off the relay: the relayed session and connection end
            try:
                await replacing.stream.reset()
                await self._drop_relayed(stream.muxed_conn.peer_id)
            except Exception as exc:
                log.debug("ending the relayed session with %s: %s", peer[:16], exc)
        try:
            await session.run()
        except Exception as exc:
            log.info("sync session with %s ended: %s", peer, exc)
        finally:
            import trio

            if self.sessions.get(peer) is session:
                del self.sessions[peer]
                if self.relaying is not None:
                    self.relaying.reserved.discard(peer)  # a relay we lost: reserve again on reconnect
                with trio.CancelScope(shield=True):
                    try:
                        await self.bridge.wait(self.engine.store.write(status.disconnected, peer))
                    except Exception:
                        pass
            try:
                await stream.reset()
            except Exception:
                pass

    async def _dial_loop(self, nursery: Any) -> None:
        import trio

        while True:
            try:
                await self._dial_known(nursery)
            except Exception as exc:
                log.debug("dialing peers failed: %s", exc)
            await trio.sleep(DIAL_INTERVAL)

    async def _dial_known(self, nursery: Any) -> None:
        allowed = await self.bridge.wait(self.engine.allowed_peers())
        book = await self.bridge.wait(
            self.engine.store.fetchall(
                "SELECT addr, peer_id FROM sync_addresses ORDER BY COALESCE(last_ok, added_at) DESC"
            )
        )
        targets: dict[str, list[str]] = {}
        for addr, peer in book:
            if peer:
                targets.setdefault(peer, []).append(addr)
        if self.mdns:
            for peer_id in self.host.get_peerstore().peers_with_addrs():
                name = peer_id.to_base58()
                if name in allowed:
                    for a in self.host.get_peerstore().addrs(peer_id):
                        targets.setdefault(name, []).append(
                            f"{a}/p2p/{name}" if "/p2p/" not in str(a) else str(a)
                        )
        devices = await self.bridge.wait(self.engine.devices())
        relays = {p: targets.get(p, []) for p in self.sessions if p in devices and devices[p].blind}
        self.relay_addrs = relays
        if self.relaying is not None and not self.engine.blind:
            for relay in relays:
                if relay not in self.relaying.reserved and relay not in self.reserving:
                    self.reserving.add(relay)
                    nursery.start_soon(self._reserve, relay, nursery)
        for peer in allowed:
            busy = peer in self.sessions or peer in self.dialing
            if not busy and peer != self.engine.peer_id and (targets.get(peer) or relays):
                self.dialing.add(peer)
                nursery.start_soon(self._dial, peer, targets.get(peer, []), relays)
        import trio

        for peer, session in list(self.sessions.items()):
            due = trio.current_time() >= self.upgrade_next.get(peer, 0)
            if session.via == "relay" and peer not in self.upgrading and due:
                self.upgrade_next[peer] = trio.current_time() + UPGRADE_RETRY
                self.upgrading.add(peer)
                nursery.start_soon(self._upgrade, peer, targets.get(peer, []) + self._identified(peer))

    def _identified(self, peer: str) -> list[str]:
        """The addresses a peer announced (identify over the relayed connection) that are not
        circuits: where a direct connection may work."""
        from libp2p.peer.id import ID

        try:
            addrs = self.host.get_peerstore().addrs(ID.from_base58(peer))
        except Exception:
            return []
        return [
            f"{a}/p2p/{peer}"
            for a in map(str, addrs)
            if "/p2p-circuit" not in a and "/p2p/" not in a and "/ip4/0.0.0.0/" not in a
        ]

    def _direct_connections(self, peer_id: Any) -> list[Any]:
        return [
            conn
            for conn in self.host.get_network().get_connections(peer_id)
            if status.classify(conn.muxed_conn)[0] != "relay"
        ]

    async def _upgrade(self, peer: str, addrs: list[str]) -> None:
        """A session runs through the relay: dial the device's direct addresses (from the address
        book, the DHT record, identify); once a direct connection exists (ours or theirs), the
        device with the lower peer id opens a new session on it (py-libp2p prefers a direct
        connection over a relayed one for new streams) and ends the relayed one, so the two never
        cross. The other device then serves the session it is offered and drops its relayed one
        when that stream is reset. The relayed connection is closed: the relay's circuit is freed."""
        import multiaddr
        import trio
        from libp2p.peer.id import ID
        from libp2p.peer.peerinfo import info_from_p2p_addr

        stream = None
        try:
            peer_id = ID.from_base58(peer)
            for addr in dict.fromkeys(a for a in addrs if "/p2p-circuit" not in a):
                if self._direct_connections(peer_id):
                    break
                try:
                    info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
                    if info.peer_id != peer_id or not info.addrs:
                        continue
                    with trio.fail_after(10):
                        _unblock(self.host, peer_id)
                        await self.host.get_network().dial_addr(info.addrs[0], peer_id)
                    await self.bridge.wait(self.engine.store.write(_mark_reached, addr, time.time()))
                except Exception as exc:
                    log.debug("no direct connection to %s at %s yet: %s", peer[:16], addr, exc)
            old = self.sessions.get(peer)
            if old is None or old.via != "relay" or not self._direct_connections(peer_id):
                return
            if self.engine.peer_id > peer:
                return  # theirs to move (both moving at once would cross the two new sessions)
            with trio.fail_after(15):
                stream = await self.host.new_stream(peer_id, [SYNC_PROTOCOL])
            if status.classify(stream.muxed_conn)[0] == "relay":
                await stream.reset()
                return
        except Exception as exc:
            log.debug("moving the session with %s off the relay failed: %s", peer[:16], exc)
            return
        finally:
            self.upgrading.discard(peer)
        log.info("the session with %s... moved from the relay to a direct connection", peer[:16])
        self.upgrades += 1
        await self._serve_session(stream, peer, replacing=old)

    async def _drop_relayed(self, peer_id: Any) -> None:
        for conn in list(self.host.get_network().get_connections(peer_id)):
            if status.classify(conn.muxed_conn)[0] == "relay":
                try:
                    await conn.close()
                except Exception as exc:
                    log.debug("closing a relayed connection: %s", exc)

    async def _reserve(self, relay: str, nursery: Any) -> None:
        try:
            if not await self.relaying.reserve(relay, nursery):
                log.info("the backup peer %s did not give this device a relay slot", relay)
        except Exception as exc:
            log.debug("relay reservation with %s failed: %s", relay, exc)
        finally:
            self.reserving.discard(relay)

    async def _dial(self, peer: str, addrs: list[str], relays: dict[str, list[str]] | None = None) -> None:
        try:
            stream = await self._open(addrs, SYNC_PROTOCOL) if addrs else None
            if stream is None and relays:
                stream = await self._open_relayed(peer, relays)
        finally:
            self.dialing.discard(peer)
        if stream is None:
            await self._say_unreachable(peer)
            return
        self.unreachable.discard(peer)
        if peer in self.sessions:  # they dialled us meanwhile
            await stream.reset()
            return
        await self._serve_session(stream, peer)

    async def _say_unreachable(self, peer: str) -> None:
        """One human line per outage of a paired device, with its name (the dial errors stay in the log)."""
        if peer in self.unreachable:
            return
        self.unreachable.add(peer)
        try:
            device = (await self.bridge.wait(self.engine.devices())).get(peer)
        except Exception:
            device = None
        name = f'"{device.name}"' if device is not None and device.name else "a paired device"
        log.warning(
            "%s (%s...) cannot be reached right now; VIVIM keeps trying and syncs when it is back",
            name,
            peer[:16],
        )

    async def _open(self, addrs: list[str], protocol: str) -> Any:
        import multiaddr
        from libp2p.peer.peerinfo import info_from_p2p_addr

        for addr in addrs:
            try:
                info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
                _unblock(self.host, info.peer_id)
                await self.host.connect(info)
                stream = await self.host.new_stream(info.peer_id, [protocol])
                await self.bridge.wait(self.engine.store.write(_mark_reached, addr, time.time()))
                return stream
            except Exception as exc:
                self.last_error = f"{addr}: {exc}"
                log.debug("could not open %s to %s: %s", protocol, addr, exc)
        return None

    async def _open_relayed(self, peer: str, relays: dict[str, list[str]]) -> Any:
        """No direct address worked: through a relay (a blind backup we have a session with),
        at most every RELAY_RETRY seconds per device."""
        import trio
        from libp2p.peer.id import ID

        if self.relaying is None or trio.current_time() < self.relay_next.get(peer, 0):
            return None
        self.relay_next[peer] = trio.current_time() + RELAY_RETRY
        for relay, addrs in relays.items():
            if relay == peer:
                continue
            for addr in addrs:
                try:
                    with trio.fail_after(15):
                        _unblock(self.host, ID.from_base58(peer))  # the direct dials just failed
                        await self.relaying.dial(addr, peer)
                        return await self.host.new_stream(ID.from_base58(peer), [SYNC_PROTOCOL])
                except Exception as exc:
                    self.last_error = f"{peer} through {relay}: {exc}"
                    log.debug("could not reach %s through the relay %s: %s", peer, relay, exc)
        return None

    # ---- pairing --------------------------------------------------------------------------------

    async def _handle_pair(self, stream: Any) -> None:
        peer = stream.muxed_conn.peer_id.to_base58()
        offers = await self.bridge.wait(self.engine.store.read(pairing.pending_offers))
        if not offers or self.pairing_busy:
            await write_frame(stream, {"t": "error", "error": "no pairing code is waiting on this device"})
            await stream.reset()
            return
        request_id, code = offers[-1]
        self.pairing_busy = True
        try:
            members = await self.bridge.wait(self.engine.member_records())
            result = await pairing.offer(
                stream,
                code,
                me=self.engine.self_record(),
                my_addrs=self.addrs,
                remote_peer=peer,
                members=members,
                vault=self.engine.vault,
            )
            joiner = result["joiner"]
            await self.bridge.wait(self.engine.add_device(joiner))
            await self.bridge.wait(
                self.engine.store.write(_remember_addrs, result["addrs"], joiner.peer_id, "pairing")
            )
            await self.bridge.wait(
                self.engine.store.write(
                    pairing.finish_request,
                    request_id,
                    "done",
                    {
                        "peer_id": joiner.peer_id,
                        "name": joiner.name,
                        "blind": joiner.blind,
                        "fingerprint": result["fingerprint"],
                    },
                )
            )
        except Unauthorized as exc:
            log.warning("pairing attempt from %s failed: %s", peer, exc.message)
            await self.bridge.wait(self.engine.store.write(pairing.count_failure, request_id))
        except Exception as exc:
            log.warning("pairing with %s broke off: %s", peer, exc)
        finally:
            self.pairing_busy = False
            try:
                await stream.close()
            except Exception:
                pass

    async def join(self, request: dict[str, Any]) -> None:
        """Run one join request from the database against its address, or against every peer
        mDNS finds until one accepts the code or MDNS_PAIR_WAIT runs out."""
        import trio

        outcome: tuple[str, dict[str, Any]] = ("failed", {"error": "no device to pair with was found"})
        tried: set[str] = set()
        deadline = trio.current_time() + (0 if request.get("addr") else MDNS_PAIR_WAIT)
        while True:
            addrs = (
                [request["addr"]]
                if request.get("addr")
                else [a for a in self._mdns_addrs() if a not in tried]
            )
            for addr in addrs:
                tried.add(addr)
                outcome = await self._join_one(request, addr)
                if outcome[0] == "done":
                    break
            if outcome[0] == "done" or trio.current_time() >= deadline:
                break
            await trio.sleep(0.5)
        await self.bridge.wait(self.engine.store.write(pairing.finish_request, request["id"], *outcome))

    async def _join_one(self, request: dict[str, Any], addr: str) -> tuple[str, dict[str, Any]]:
        me = self.engine.self_record()
        me.blind = bool(request.get("blind"))
        stream = await self._open([addr], PAIR_PROTOCOL)
        if stream is None:
            return "failed", {"error": f"could not reach {addr}: {self.last_error}"}
        remote = stream.muxed_conn.peer_id.to_base58()
        try:
            result = await pairing.join(
                stream,
                request["code"],
                me=me,
                my_addrs=self.addrs,
                remote_peer=remote,
                device=self.engine.device,
            )
        except VivimError as exc:
            return "failed", {"error": exc.message}
        except Exception as exc:
            return "failed", {"error": f"pairing broke off: {exc}"}
        finally:
            try:
                await stream.close()
            except Exception:
                pass
        offerer = result["offerer"]
        await self.bridge.wait(self.engine.adopt_vault(result["vault"]))
        await self.bridge.wait(self.engine.add_device(offerer, result["members"]))
        await self.bridge.wait(
            self.engine.store.write(_remember_addrs, [addr, *result["addrs"]], offerer.peer_id, "pairing")
        )
        return "done", {
            "peer_id": offerer.peer_id,
            "name": offerer.name,
            "fingerprint": result["fingerprint"],
        }

    def _mdns_addrs(self) -> list[str]:
        if not self.mdns or self.host is None:
            return []
        out = []
        for peer_id in self.host.get_peerstore().peers_with_addrs():
            if peer_id == self.host.get_id():
                continue
            for a in self.host.get_peerstore().addrs(peer_id):
                out.append(f"{a}/p2p/{peer_id.to_base58()}")
                break
        return out


def _unblock(host: Any, peer_id: Any) -> None:
    """Let this dial through py-libp2p's negative cache.

    After every known address of a peer failed once, py-libp2p 0.8.1's swarm refuses to dial that
    peer at all for 60 s, even at an address it has never tried. A device that moved is exactly
    that case: its old addresses fail, then the DHT (or mDNS, or the user) brings its new one,
    and the dial to it was refused for a minute; the DHT bench lost up to 120 s per round to it.
    The dial loop paces its own dials (one in flight per device, every DIAL_INTERVAL seconds)."""
    unblock = getattr(host.get_network(), "unblock_peer", None)
    if unblock is not None:
        unblock(peer_id)


def _remember_addrs(conn: Connection, addrs: list[str], peer_id: str, source: str) -> None:
    now = time.time()
    for addr in addrs:
        if "/p2p/" not in addr:
            addr = f"{addr}/p2p/{peer_id}"
        if "/ip4/0.0.0.0/" in addr:
            continue
        conn.execute(
            "INSERT INTO sync_addresses (addr, peer_id, source, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (addr) DO UPDATE SET peer_id = excluded.peer_id, added_at = excluded.added_at",
            (addr, peer_id, source, now),
        )


def _expand_wildcards(addrs: list[str]) -> list[str]:
    """A node listening on 0.0.0.0 is reachable at each of this machine's IPv4 addresses."""
    out: list[str] = []
    for addr in addrs:
        if "/ip4/0.0.0.0/" not in addr:
            out.append(addr)
            continue
        try:
            import ifaddr

            ips = [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips if isinstance(ip.ip, str)]
        except Exception:
            ips = ["127.0.0.1"]
        ips.sort(key=lambda ip: ip.startswith("127."))  # LAN addresses first
        out.extend(addr.replace("/ip4/0.0.0.0/", f"/ip4/{ip}/") for ip in ips)
    return out


def _mark_reached(conn: Connection, addr: str, when: float) -> None:
    conn.execute("UPDATE sync_addresses SET last_ok = ? WHERE addr = ?", (when, addr))
