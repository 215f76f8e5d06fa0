"""A hostile Kademlia node for the discovery tests: a real py-libp2p DHT server that routes like any
other node but lies about VIVIM's address records. It holds no vault key, so all it can do with a
record it is asked to store is what any stranger's DHT node could do:

- `restamped`: the device's real record (ciphertext and signature kept) under a newer stamp, which
  the unsigned stamp of the first record format let it pin for the whole day;
- `made_up`: a record of its own (random ciphertext and signature) with a newer stamp;
- `rollback`: an older real record of the same key, played back after the device published anew.

It keeps the restamped copy as its own answer to lookups and pushes all three to every node in its
routing table, counting what they accept (a PUT_VALUE a node refuses is reset, not echoed)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
import trio

from vivim.sync import discovery

KINDS = ("restamped", "made_up", "rollback")


@dataclass
class Tally:
    tried: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    records_seen: int = 0

    def report(self) -> dict[str, Any]:
        return {"tried": self.tried, "accepted": self.accepted, "records_seen": self.records_seen}


def make_liar_dht(host: Any) -> Any:
    """A DHT server that stores whatever it is given (its own validator accepts anything and
    always prefers the value just received)."""
    from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
    from libp2p.records.validator import Validator

    class AnythingGoes(Validator):
        def validate(self, key: str, value: bytes) -> None:
            return None

        def select(self, key: str, values: list[bytes]) -> int:
            return len(values) - 1

    dht = KadDHT(host, DHTMode.SERVER)
    dht.register_validator(discovery.NAMESPACE, AnythingGoes())
    return dht


def forgeries(real: bytes, older: bytes | None) -> dict[str, bytes]:
    stamp, sealed, sig = msgspec.msgpack.decode(real)
    ahead = int(time.time() * 1000) + 60_000  # a minute ahead: newer than anything, not absurd
    out = {
        "restamped": msgspec.msgpack.encode([ahead, sealed, sig]),
        "made_up": msgspec.msgpack.encode([ahead, os.urandom(len(sealed)), os.urandom(64)]),
    }
    if older is not None:
        out["rollback"] = older
    return out


async def lie(dht: Any, tally: Tally) -> None:
    """Every 0.3 s: for each real VIVIM record it was given since, forge and push."""
    history: dict[bytes, list[bytes]] = {}  # key -> real values in the order they arrived
    while True:
        await trio.sleep(0.3)
        for key in dht.value_store.get_keys():
            if not key.startswith(f"/{discovery.NAMESPACE}/".encode()):
                continue
            held = dht.value_store.get(key)
            value = bytes(held.value) if held is not None else b""
            if discovery.check_signed(key.decode(), value, time.time()) < 0:
                continue  # one of its own forgeries (or nothing)
            seen = history.setdefault(key, [])
            if value in seen:
                continue
            seen.append(value)
            tally.records_seen += 1
            forged = forgeries(value, seen[0] if len(seen) > 1 else None)
            dht.value_store.put(key, forged["restamped"])  # what lookups get from it
            for kind, bad in forged.items():
                for peer in dht.routing_table.get_peer_ids():
                    tally.tried[kind] += 1
                    with trio.move_on_after(5):
                        if await dht.value_store._store_at_peer(peer, key, bad):
                            tally.accepted[kind] += 1
