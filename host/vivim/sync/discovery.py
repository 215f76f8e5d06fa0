"""Finding paired devices anywhere: address records in the Kademlia DHT (py-libp2p 0.8.1 `kad_dht`).

- Key: `/vivim/<hex HMAC-SHA256(vault key, "vivim-rendezvous-v1|<UTC day>|<peer id>")>`. Only
  holders of the vault key can compute it; it changes every day, so outsiders (DHT nodes that
  store it) cannot link one day's record to another's or to a device, and a device is looked up
  under today's and yesterday's key (clock skew around midnight).
- Value: `[unix time, SecretBox(vault key)([msgpack [peer id, addrs, time], Ed25519 signature])]`.
  DHT nodes see a time and ciphertext; a reader decrypts, checks the signature against the
  paired device's key, that the record names that device, and that it is under RECORD_TTL old.
  Storage nodes validate the shape only (they hold no key) and keep the newest.
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
import time
from typing import Any

import msgspec

from . import crypto

NAMESPACE = "vivim"
RECORD_DOMAIN = b"vivim-sync-addr-v1\x00"
RECORD_TTL = 2 * 86400
MAX_RECORD = 4096
PUBLIC_BOOTSTRAP = (  # libp2p's public bootstrap nodes (opt-in only)
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb",
    "/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt",
)


def utc_day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def record_key(vault_key: bytes, peer_id: str, day: str) -> str:
    mac = hmac.new(vault_key, f"vivim-rendezvous-v1|{day}|{peer_id}".encode(), hashlib.sha256).hexdigest()
    return f"/{NAMESPACE}/{mac}"


def lookup_keys(vault_key: bytes, peer_id: str, now: float) -> list[str]:
    return [
        record_key(vault_key, peer_id, utc_day(now)),
        record_key(vault_key, peer_id, utc_day(now - 86400)),
    ]


def seal(device: crypto.DeviceKeys, vault_key: bytes, peer_id: str, addrs: list[str], now: float) -> bytes:
    import nacl.secret

    inner = msgspec.msgpack.encode([peer_id, addrs, now])
    sealed = nacl.secret.SecretBox(vault_key).encrypt(
        msgspec.msgpack.encode([inner, device.sign(RECORD_DOMAIN + inner)])
    )
    return msgspec.msgpack.encode([int(now), bytes(sealed)])


def open_record(
    raw: bytes, vault_keys: list[bytes], peer_id: str, sign_pub: bytes, now: float
) -> list[str] | None:
    """The addresses a paired device published, or None if this is not a valid, fresh record from it."""
    import nacl.exceptions
    import nacl.secret

    try:
        _, sealed = msgspec.msgpack.decode(raw)
    except (msgspec.DecodeError, ValueError, TypeError):
        return None
    for key in vault_keys:
        try:
            inner, sig = msgspec.msgpack.decode(nacl.secret.SecretBox(key).decrypt(bytes(sealed)))
        except (nacl.exceptions.CryptoError, msgspec.DecodeError, ValueError, TypeError):
            continue
        if not crypto.verify(sign_pub, RECORD_DOMAIN + bytes(inner), bytes(sig)):
            return None
        who, addrs, at = msgspec.msgpack.decode(bytes(inner))
        if who != peer_id or not isinstance(addrs, list) or now - float(at) > RECORD_TTL:
            return None
        return [a for a in addrs if isinstance(a, str)]
    return None


def _validator_class() -> Any:
    from libp2p.records.validator import Validator

    class RecordValidator(Validator):
        """What a DHT node that holds no key can check: the shape and the size; the newest wins."""

        def validate(self, key: str, value: bytes) -> None:
            from libp2p.records.utils import InvalidRecordType

            try:
                stamp, sealed = msgspec.msgpack.decode(value)
                ok = isinstance(stamp, int) and isinstance(sealed, bytes) and len(value) <= MAX_RECORD
            except (msgspec.DecodeError, TypeError, ValueError):  # not a two-item msgpack record
                ok = False
            if not ok:
                raise InvalidRecordType("not a VIVIM address record")

        def select(self, key: str, values: list[bytes]) -> int:
            def stamp(value: bytes) -> int:
                try:
                    return int(msgspec.msgpack.decode(value)[0])
                except (msgspec.DecodeError, TypeError, ValueError, IndexError, KeyError):
                    return -1

            return max(range(len(values)), key=lambda i: stamp(values[i])) if values else 0

    return RecordValidator


def make_dht(host: Any) -> Any:
    from libp2p.kad_dht.kad_dht import DHTMode, KadDHT

    dht = KadDHT(host, DHTMode.SERVER)
    dht.register_validator(NAMESPACE, _validator_class()())
    return dht
