"""Finding paired devices anywhere: address records in the Kademlia DHT (py-libp2p 0.8.1 `kad_dht`).

- Record key: an Ed25519 key pair whose seed is `HMAC-SHA256(vault key, "vivim-dht-sign-v1|<UTC
  day>|<peer id>")`; the DHT key is `/vivim/<hex public key>`. Only holders of the vault key can
  compute it; it changes every day, so outsiders (DHT nodes that store it) cannot link one day's
  record to another's or to a device, and a device is looked up under today's and yesterday's key
  (clock skew around midnight).
- Value: `[stamp ms, sealed, outer signature]`, sealed = `SecretBox(vault key)([msgpack [peer id,
  addrs, time], device signature])`. The outer signature (by the record key, over the DHT key,
  the stamp and `sealed`) is what a storage node can check without any secret: the key names its
  own verifying key, so a node that holds no vault key (an outsider, a hostile DHT node) can
  neither forge a record nor restamp a real one, and honest nodes keep the newest validly signed
  stamp, so an old copy played back (a rollback) loses to the one they hold. Not the device key:
  storage nodes would then see the same public key every day and could follow the device.
  A reader decrypts, checks the device signature against the paired device's key, that the record
  names that device, and that it is under RECORD_TTL old: a vault member (who can derive the
  record key) still cannot pass off addresses as another device's.
- Bootstrap: the vault's blind backup peer (any paired peer we are connected to joins the
  routing table), plus `sync.bootstrap` / `VIVIM_SYNC_BOOTSTRAP` multiaddrs; the public libp2p
  bootstrap nodes only with `sync.public_bootstrap` set to true (opt-in: they learn this
  device's IP address).
- A blind backup holds no vault key: it serves the DHT (it is the default bootstrap) but
  publishes and looks up nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

import msgspec

from . import crypto

log = logging.getLogger(__name__)

NAMESPACE = "vivim"
RECORD_DOMAIN = b"vivim-sync-addr-v1\x00"
SIGN_DOMAIN = b"vivim-dht-record-v2\x00"
RECORD_TTL = 2 * 86400
MAX_RECORD = 4096
MAX_AHEAD_MS = 3600 * 1000  # a stamp further ahead than this (clock skew) could pin a key for the day
PUBLIC_BOOTSTRAP = (  # libp2p's public bootstrap nodes (opt-in only)
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
)


def utc_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def _record_signer(vault_key: bytes, peer_id: str, day: str) -> Any:
    import nacl.signing

    seed = hmac.new(vault_key, f"vivim-dht-sign-v1|{day}|{peer_id}".encode(), hashlib.sha256).digest()
    return nacl.signing.SigningKey(seed)


def record_key(vault_key: bytes, peer_id: str, day: str) -> str:
    return f"/{NAMESPACE}/{bytes(_record_signer(vault_key, peer_id, day).verify_key).hex()}"


def _signed_part(key: str, stamp: int, sealed: bytes) -> bytes:
    return SIGN_DOMAIN + key.encode() + stamp.to_bytes(8, "big") + sealed


def check_signed(key: str, value: bytes, now: float) -> int:
    """The stamp of a record validly signed for `key`, else -1: what a storage node can check."""
    prefix = f"/{NAMESPACE}/"
    try:
        pub = bytes.fromhex(key[len(prefix) :]) if key.startswith(prefix) else b""
        stamp, sealed, sig = msgspec.msgpack.decode(value)
    except (msgspec.DecodeError, TypeError, ValueError):
        return -1
    if not (
        len(pub) == 32
        and len(value) <= MAX_RECORD
        and isinstance(stamp, int)
        and 0 <= stamp <= now * 1000 + MAX_AHEAD_MS
        and isinstance(sealed, bytes)
        and isinstance(sig, bytes)
    ):
        return -1
    return stamp if crypto.verify(pub, _signed_part(key, stamp, sealed), sig) else -1


def lookup_keys(vault_key: bytes, peer_id: str, now: float) -> list[str]:
    return [
        record_key(vault_key, peer_id, utc_day(now)),
        record_key(vault_key, peer_id, utc_day(now - 86400)),
    ]


def seal(device: crypto.DeviceKeys, vault_key: bytes, peer_id: str, addrs: list[str], now: float) -> bytes:
    import nacl.secret

    inner = msgspec.msgpack.encode([peer_id, addrs, now])
    sealed = bytes(
        nacl.secret.SecretBox(vault_key).encrypt(
            msgspec.msgpack.encode([inner, device.sign(RECORD_DOMAIN + inner)])
        )
    )
    day = utc_day(now)
    key, stamp = record_key(vault_key, peer_id, day), int(now * 1000)
    sig = _record_signer(vault_key, peer_id, day).sign(_signed_part(key, stamp, sealed)).signature
    return msgspec.msgpack.encode([stamp, sealed, sig])


def open_record(
    raw: bytes, vault_keys: list[bytes], peer_id: str, sign_pub: bytes, now: float
) -> list[str] | None:
    """The addresses a paired device published, or None if this is not a valid, fresh record from it."""
    opened = open_record_at(raw, vault_keys, peer_id, sign_pub, now)
    return opened[1] if opened else None


def open_record_at(
    raw: bytes, vault_keys: list[bytes], peer_id: str, sign_pub: bytes, now: float
) -> tuple[float, list[str]] | None:
    """(signed publication time, addresses) of a valid, fresh record from that device, else None."""
    import nacl.exceptions
    import nacl.secret

    try:
        _, sealed, _ = msgspec.msgpack.decode(raw)
    except (msgspec.DecodeError, ValueError, TypeError):
        return None
    for key in vault_keys:
        try:
            inner, sig = msgspec.msgpack.decode(nacl.secret.SecretBox(key).decrypt(bytes(sealed)))
        except (nacl.exceptions.CryptoError, msgspec.DecodeError, ValueError, TypeError):
            continue
        if not crypto.verify(sign_pub, RECORD_DOMAIN + bytes(inner), bytes(sig)):
            return None
        try:
            who, addrs, at = msgspec.msgpack.decode(bytes(inner))
            at = float(at)
        except (msgspec.DecodeError, ValueError, TypeError):
            return None
        if who != peer_id or not isinstance(addrs, list) or now - at > RECORD_TTL:
            return None
        return at, [a for a in addrs if isinstance(a, str)]
    return None


def newest(
    raws: list[bytes], vault_keys: list[bytes], peer_id: str, sign_pub: bytes, now: float
) -> list[str] | None:
    """The addresses of the newest valid record among every answer, by its signed time.

    Not by the outer stamp DHT nodes select with: a node that answers may store anything it likes
    (only honest nodes check the outer signature), and a node that missed the last publish answers
    with the device's old address, which must lose to the new one."""
    best: tuple[float, list[str]] | None = None
    for raw in raws:
        opened = open_record_at(raw, vault_keys, peer_id, sign_pub, now)
        if opened is not None and (best is None or opened[0] > best[0]):
            best = opened
    return best[1] if best else None


async def store_at(dht: Any, key: str, value: bytes, peers: list[Any], per_peer: float = 5.0) -> None:
    """Store the record at these peers too (the DHT entry points), whatever the lookup found."""
    import trio

    async def store(peer: Any) -> None:
        with trio.move_on_after(per_peer):
            try:
                await dht.value_store._store_at_peer(peer, key.encode(), value)
            except Exception as exc:  # noqa: BLE001 -- one unreachable entry point: the others keep it
                log.debug("storing the DHT record at %s: %s", peer, exc)

    async with trio.open_nursery() as nursery:
        for peer in peers:
            if peer != dht.local_peer_id:
                nursery.start_soon(store, peer)


async def collect(
    dht: Any, key: str, peers: int = 20, per_peer: float = 5.0, grace: float = 1.0, also: Any = ()
) -> list[bytes]:
    """The answers stored under `key` by the `peers` closest DHT nodes, the `also` peers (the
    DHT entry points) and this node itself:
    all asked at once, each for at most `per_peer` seconds, and no longer than `grace` seconds
    after the first answer arrives (the fresh record is normally on all of them by then).

    Not py-libp2p's `get_value(key, quorum=3)`: it stops at the first three answers and picks
    among them by the unsigned outer stamp, so the stale records of a device's previous address
    (every node that missed its last publish still holds one) could win round after round;
    `newest` picks among all answers by the signed time instead."""
    import trio

    key_bytes = key.encode()
    found: list[bytes] = []
    local = dht.value_store.get(key_bytes)
    if local is not None and local.value:
        found.append(bytes(local.value))
    closest = await dht.peer_routing.find_closest_peers_network(key_bytes)
    targets = [p for p in closest if p != dht.local_peer_id][:peers]
    targets += [p for p in also if p not in targets and p != dht.local_peer_id]
    first = trio.Event()

    async def ask(peer: Any) -> None:
        with trio.move_on_after(per_peer):
            try:
                record = await dht.value_store._get_from_peer(peer, key_bytes, return_record=True)
            except Exception:  # noqa: BLE001 -- a node that is gone or speaks nonsense: the others answer
                return
            value = getattr(record, "value", None)
            if value:
                found.append(bytes(value))
                first.set()

    async def cut_off(scope: trio.CancelScope) -> None:
        await first.wait()
        await trio.sleep(grace)
        scope.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(cut_off, nursery.cancel_scope)
        async with trio.open_nursery() as asking:
            for peer in targets:
                asking.start_soon(ask, peer)
        nursery.cancel_scope.cancel()  # everyone answered before the grace ran out
    return found


def _validator_class() -> Any:
    from libp2p.records.validator import Validator

    class RecordValidator(Validator):
        """What a DHT node that holds no vault key can check: the record key's signature over the
        stamp and the ciphertext, the size, a stamp not far ahead; the newest signed stamp wins."""

        def validate(self, key: str, value: bytes) -> None:
            from libp2p.records.utils import InvalidRecordType

            if check_signed(key, value, time.time()) < 0:
                raise InvalidRecordType("not a validly signed VIVIM address record")

        def select(self, key: str, values: list[bytes]) -> int:
            """The newest valid record; on a tie the first (the one already held) stays."""
            now = time.time()
            stamps = [check_signed(key, value, now) for value in values]
            return max(range(len(values)), key=lambda i: stamps[i]) if values else 0

    return RecordValidator


def make_dht(host: Any) -> Any:
    from libp2p.kad_dht.kad_dht import DHTMode, KadDHT

    dht = KadDHT(host, DHTMode.SERVER)
    dht.register_validator(NAMESPACE, _validator_class()())
    return dht
