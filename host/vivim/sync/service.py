"""The sync service: started by whichever process holds the data directory's lock (a host, or
`vivim serve`, or `vivim pair` when nothing else runs).

It opens the engine (keys, vault), starts trio in guest mode with the libp2p node, and then
polls the database: conversations marked dirty by any process (triggers) become entries, and
pairing requests written by the CLI are carried out. The in-process "capture" event only wakes
the poll early.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any

from ..runtime import Runtime
from ..store.connection import Connection

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.2
COMPACT_INTERVAL = float(os.environ.get("VIVIM_SYNC_COMPACT_INTERVAL", "300"))  # seconds between compactions
DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/0"
# Imported on a worker thread before start() (see vivim.services), not on the event loop.
PRELOAD = (
    "trio",
    "multiaddr",
    "zeroconf",
    "libp2p",
    "libp2p.crypto.ed25519",
    "libp2p.crypto.x25519",
    "libp2p.security.noise.transport",
    "libp2p.discovery.mdns.mdns",
    "libp2p.peer.peerinfo",
    "vivim.sync.bridge",
    "vivim.sync.engine",
    "vivim.sync.node",
)


class SyncService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.engine: Any = None
        self.node: Any = None
        self.bridge: Any = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._wake = asyncio.Event()
        self._joining: set[int] = set()

    async def start(self) -> SyncService:
        """Start the node; if that is interrupted (the browser closed the port) or fails, whatever
        already runs (trio, the libp2p listener, zeroconf) is stopped before the error goes on,
        so no node outlives the process's hold on the data directory's lock."""
        try:
            return await self._start()
        except BaseException:
            log.info("sync start interrupted or failed; stopping what had started")
            await self.stop()
            raise

    async def _start(self) -> SyncService:
        from ..store.settings import get_settings
        from .bridge import TrioGuest
        from .engine import SyncEngine
        from .node import SyncNode

        settings = await self.runtime.store.read(
            get_settings,
            [
                "sync.enabled",
                "sync.listen",
                "sync.mdns",
                "sync.port",
                "sync.bootstrap",
                "sync.public_bootstrap",
            ],
        )
        if settings.get("sync.enabled") is False:
            log.info("sync is disabled (setting sync.enabled)")
            return self
        listen = (
            os.environ.get("VIVIM_SYNC_LISTEN") or settings.get("sync.listen") or _listen_for_port(settings)
        )
        mdns_env = os.environ.get("VIVIM_SYNC_MDNS")
        mdns = (
            (mdns_env not in ("0", "false", "no"))
            if mdns_env is not None
            else bool(settings.get("sync.mdns", True))
        )
        interfaces = [i for i in os.environ.get("VIVIM_SYNC_MDNS_INTERFACES", "").split(",") if i] or None

        self.engine = await SyncEngine.open(self.runtime.store, self.runtime.paths.keys)
        from . import status

        await self.runtime.store.write(status.reset)
        self.bridge = TrioGuest()
        await self.bridge.start()
        self.node = SyncNode(
            self.engine,
            self.bridge,
            listen=listen.split(","),
            mdns=mdns,
            mdns_interfaces=interfaces,
            bootstrap=_bootstrap(settings),
        )
        addrs = await self._start_node()
        await self.runtime.store.write(
            _publish, {"peer_id": self.engine.peer_id, "addrs": json.dumps(addrs), "pid": str(os.getpid())}
        )
        log.info("sync node %s listening on %s", self.engine.peer_id, addrs)
        self._tasks = [asyncio.create_task(self._poll()), asyncio.create_task(self._hints())]
        return self

    async def _start_node(self) -> list[str]:
        import trio

        ready: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

        async def runner() -> None:
            class Status:
                def started(self, value: Any = None) -> None:
                    ready.set_result(value)

            await self.node.run(Status())

        node_future = self.bridge.spawn(runner)
        # stop() cancels the node; its (trio) cancellation is expected, not an unretrieved error
        node_future.add_done_callback(lambda f: None if f.cancelled() else f.exception())
        done, _ = await asyncio.wait({ready, node_future}, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            node_future.result()  # raises what stopped the node
        del trio
        return ready.result()

    async def _hints(self) -> None:
        queue = self.runtime.events.subscribe()
        try:
            while True:
                event = await queue.get()
                if event.get("type") in ("capture", "import", "conversation"):
                    self._wake.set()
        finally:
            self.runtime.events.unsubscribe(queue)

    async def _poll(self) -> None:
        from . import pairing

        last_rowid = None
        vault_mtime = self._vault_mtime()
        next_compaction = time.monotonic() + COMPACT_INTERVAL
        while True:
            try:
                if time.monotonic() >= next_compaction:
                    next_compaction = time.monotonic() + COMPACT_INTERVAL
                    done = await self.engine.compact()
                    if done["entries"]:
                        log.info("sync compacted %d log entries (%d bytes)", done["entries"], done["bytes"])
                if self._vault_mtime() != vault_mtime:  # `vivim devices remove` rotated the key
                    vault_mtime = self._vault_mtime()
                    self.engine.reload_vault()
                await self.engine.export_local()
                rowid = (await self.runtime.store.fetchone("SELECT MAX(rowid) FROM sync_log"))[0]
                if rowid != last_rowid:  # entries written by another process (a revocation)
                    if last_rowid is not None:
                        self.engine._notify()
                    last_rowid = rowid
                for request in await self.runtime.store.read(pairing.pending_joins):
                    if request["id"] not in self._joining:
                        self._joining.add(request["id"])
                        self.bridge.spawn(self.node.join, request)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sync poll failed")
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_INTERVAL)
            except TimeoutError:
                pass
            self._wake.clear()

    def _vault_mtime(self) -> float | None:
        from .crypto import VAULT_FILE

        try:
            return (self.runtime.paths.keys / VAULT_FILE).stat().st_mtime
        except FileNotFoundError:
            return None

    def status(self) -> dict[str, Any]:
        if self.engine is None:
            return {"running": False}
        node = self.node
        return {
            "running": True,
            "peer_id": self.engine.peer_id,
            "device_name": self.engine.device.name,
            "blind": self.engine.blind,
            "addrs": node.addrs if node else [],
            "connected": sorted(node.sessions) if node else [],
            "refused_peers": node.refused if node else 0,
            "counters": dict(self.engine.counters),
            "last_rejection": self.engine.last_rejection,
        }

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bridge is not None:
            await self.bridge.stop()
        if self.engine is None:
            return  # never published anything
        try:
            await self.runtime.store.write(_publish, {"addrs": None, "pid": None})
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


def _bootstrap(settings: dict[str, Any]) -> list[str]:
    """DHT bootstrap peers beyond the paired ones: configured, and libp2p's public ones only on opt-in."""
    from .discovery import PUBLIC_BOOTSTRAP

    configured = os.environ.get("VIVIM_SYNC_BOOTSTRAP") or settings.get("sync.bootstrap") or ""
    if isinstance(configured, list):
        configured = ",".join(configured)
    out = [a.strip() for a in str(configured).split(",") if a.strip()]
    if settings.get("sync.public_bootstrap") is True:
        out.extend(PUBLIC_BOOTSTRAP)
    return out


def _listen_for_port(settings: dict[str, Any]) -> str:
    port = settings.get("sync.port")
    return f"/ip4/0.0.0.0/tcp/{int(port)}" if port else DEFAULT_LISTEN


def _publish(conn: Connection, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


async def start(runtime: Runtime) -> SyncService:
    return await SyncService(runtime).start()
