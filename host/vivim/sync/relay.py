"""Circuit relay v2 (py-libp2p 0.8.1's `relay/circuit_v2`) for devices without a direct route.

- The blind backup peer (`vivim serve` on an always-on machine, paired with `--blind`) is the
  vault's relay: it accepts reservations and circuits only from its vault's paired, unrevoked
  devices (`VaultRelay` checks the peer id of every hop stream before the library sees it), and
  caps each circuit (RELAY_LIMITS: one hour, 256 MiB) and the number of reservations.
- Every device runs the STOP side (accepting circuits arriving through a relay) and, while it has
  a session with a blind peer, holds a reservation there, so its paired devices can dial it at
  `<relay address>/p2p-circuit/p2p/<device>` when no direct address works. What arrives over a
  circuit is a normal Noise-encrypted libp2p connection: the relay sees ciphertext only, and the
  sync stream handler still refuses peers that are not paired.
- Hole punching (DCUtR): py-libp2p 0.8.1's `DCUtRProtocol` runs only with VIVIM_SYNC_DCUTR=1
  (opt-in). Through two NAT routers built in network namespaces it opens a direct connection
  (tests/sync/test_relay_netns.py, docs/sync.md "Hole punching"); whatever opens a direct
  connection, the node moves a relayed session onto it (`SyncNode._upgrade`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

RELAY_DATA = int(os.environ.get("VIVIM_SYNC_RELAY_MB", "256")) * 1024 * 1024  # per circuit
RELAY_SECONDS = 3600  # per circuit; the session redials afterwards
RELAY_CIRCUITS = 16
RELAY_RESERVATIONS = 32


def relay_limits() -> Any:
    from libp2p.relay.circuit_v2.resources import RelayLimits

    return RelayLimits(
        duration=RELAY_SECONDS,
        data=RELAY_DATA,
        max_circuit_conns=RELAY_CIRCUITS,
        max_reservations=RELAY_RESERVATIONS,
    )


def _vault_relay_class() -> Any:
    from libp2p.relay.circuit_v2.protocol import CircuitV2Protocol

    class VaultRelay(CircuitV2Protocol):
        """A circuit relay that serves only this vault's devices."""

        def __init__(
            self, host: Any, allowed: Callable[[str], Awaitable[bool]], hop: Callable[[], bool]
        ) -> None:
            super().__init__(host, limits=relay_limits(), allow_hop=True)
            self.allowed = allowed
            self.hop = hop
            self.refused = 0

        async def _handle_hop_stream(self, stream: Any) -> None:
            peer = stream.muxed_conn.peer_id.to_base58()
            if not self.hop():  # a device becomes the relay when it turns into a blind backup
                await stream.reset()
                return
            if not await self.allowed(peer):
                self.refused += 1
                log.warning("refused a relay request from %s, which is not a device of this vault", peer)
                await stream.reset()
                return
            await super()._handle_hop_stream(stream)

    return VaultRelay


class Relaying:
    """The relay protocol (hop only on a blind backup), the circuit transport, and reservations."""

    def __init__(self, host: Any, allowed: Callable[[str], Awaitable[bool]], hop: Callable[[], bool]) -> None:
        self.host = host
        self.protocol = _vault_relay_class()(host, allowed, hop)
        self.transport: Any = None
        self.reserved: set[str] = set()  # relays holding a slot for us

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Relaying]:
        from libp2p.relay.circuit_v2.config import RelayConfig, RelayRole
        from libp2p.relay.circuit_v2.transport import CircuitV2Transport
        from libp2p.tools.anyio_service import background_trio_service

        roles = RelayRole.HOP | RelayRole.STOP | RelayRole.CLIENT
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(background_trio_service(self.protocol))
            self.transport = CircuitV2Transport(
                self.host, self.protocol, RelayConfig(roles=roles, limits=relay_limits())
            )
            if os.environ.get("VIVIM_SYNC_DCUTR") == "1":
                from libp2p.relay.circuit_v2.dcutr import DCUtRProtocol

                await stack.enter_async_context(background_trio_service(DCUtRProtocol(self.host)))
            yield self

    async def reserve(self, relay_peer: str, nursery: Any) -> bool:
        """Ask a (connected) relay to keep a slot for us; the transport refreshes it."""
        from libp2p.peer.id import ID
        from libp2p.relay.circuit_v2.protocol import PROTOCOL_ID

        relay_id = ID.from_base58(relay_peer)
        stream = await self.host.new_stream(relay_id, [PROTOCOL_ID])
        try:
            ok = bool(await self.transport.reserve(stream, relay_id, nursery))
        finally:
            try:
                await stream.close()
            except Exception:
                pass
        if ok:
            self.reserved.add(relay_peer)
        return ok

    async def dial(self, relay_addr: str, target: str) -> None:
        """Connect to `target` through the relay at `relay_addr` (ending in /p2p/<relay>)."""
        import multiaddr

        await self.transport.dial(multiaddr.Multiaddr(f"{relay_addr}/p2p-circuit/p2p/{target}"))
