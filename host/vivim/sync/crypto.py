"""Device keys, the vault key, and the sealing/signing primitives sync is built on (PyNaCl).

- A device has an Ed25519 signing key (its libp2p identity too: the peer id is derived from
  it, so it is stable across restarts) and an X25519 key that other devices seal secrets to.
- The vault has one or more 32-byte secret keys, named by a short id; every sync payload is
  encrypted with the current one (XSalsa20-Poly1305, nacl SecretBox). Older keys stay so old
  log entries still decrypt after a rotation (a revocation rotates it).
- Key files live in `Paths.keys`, 0600. With a passphrase (VIVIM_PASSPHRASE, or given to
  `protect`), their contents are wrapped in a SecretBox under an Argon2id-derived key.
- Backups are the whole database file encrypted with the vault key or a passphrase.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

from ..config import private_file
from ..errors import CryptoError

DEVICE_FILE = "device.json"
VAULT_FILE = "vault.json"
PASSPHRASE_ENV = "VIVIM_PASSPHRASE"
KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE  # 32
# Argon2id cost for key files and passphrase backups: "moderate" is ~0.5-1 s and 256 MiB here.
ARGON_OPS = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
ARGON_MEM = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
BACKUP_MAGIC = b"VIVIMBK1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def key_id_of(key: bytes) -> str:
    """A public name for a vault key that reveals nothing about it."""
    return hashlib.sha256(b"vivim-vault-key-id" + key).hexdigest()[:16]


# ---- passphrase wrapping ----------------------------------------------------------------------


def _derive(passphrase: str, salt: bytes, ops: int, mem: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(KEY_BYTES, passphrase.encode("utf-8"), salt, opslimit=ops, memlimit=mem)


def wrap_with_passphrase(
    data: bytes, passphrase: str, *, ops: int | None = None, mem: int | None = None
) -> dict[str, Any]:
    ops, mem = ops or ARGON_OPS, mem or ARGON_MEM
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_derive(passphrase, salt, ops, mem))
    return {
        "kdf": "argon2id",
        "salt": b64(salt),
        "ops": ops,
        "mem": mem,
        "box": b64(bytes(box.encrypt(data))),
    }


def unwrap_with_passphrase(wrapped: dict[str, Any], passphrase: str) -> bytes:
    key = _derive(passphrase, unb64(wrapped["salt"]), int(wrapped["ops"]), int(wrapped["mem"]))
    try:
        return nacl.secret.SecretBox(key).decrypt(unb64(wrapped["box"]))
    except nacl.exceptions.CryptoError:
        raise CryptoError("wrong passphrase for VIVIM's keys") from None


def _write_json_private(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    private_file(tmp)
    tmp.write_text(json.dumps(value, indent=1))
    os.replace(tmp, path)
    private_file(path)


def _read_key_file(path: Path, passphrase: str | None) -> dict[str, Any]:
    stored = json.loads(path.read_text())
    if stored.get("kdf") == "argon2id":
        passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        if not passphrase:
            raise CryptoError(
                f"VIVIM's keys are protected by a passphrase; set {PASSPHRASE_ENV} or enter it when asked"
            )
        return json.loads(unwrap_with_passphrase(stored, passphrase))
    return stored


def _write_key_file(path: Path, value: dict[str, Any], passphrase: str | None) -> None:
    if passphrase:
        _write_json_private(path, wrap_with_passphrase(json.dumps(value).encode(), passphrase))
    else:
        _write_json_private(path, value)


def is_protected(keys_dir: Path) -> bool:
    path = keys_dir / DEVICE_FILE
    return path.exists() and json.loads(path.read_text()).get("kdf") == "argon2id"


# ---- device identity ----------------------------------------------------------------------------


@dataclass
class DeviceKeys:
    signing: nacl.signing.SigningKey
    box: PrivateKey
    name: str

    @property
    def sign_pub(self) -> bytes:
        return bytes(self.signing.verify_key)

    @property
    def box_pub(self) -> bytes:
        return bytes(self.box.public_key)

    @property
    def seed(self) -> bytes:
        return bytes(self.signing)

    def sign(self, data: bytes) -> bytes:
        return self.signing.sign(data).signature

    def open_sealed(self, sealed: bytes) -> bytes:
        try:
            return SealedBox(self.box).decrypt(sealed)
        except nacl.exceptions.CryptoError:
            raise CryptoError("a sealed secret was not meant for this device") from None

    def to_json(self) -> dict[str, Any]:
        return {"ed25519_seed": b64(self.seed), "x25519": b64(bytes(self.box)), "name": self.name}


def verify(sign_pub: bytes, data: bytes, signature: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(sign_pub).verify(data, signature)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


def seal_to(box_pub: bytes, secret: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(box_pub)).encrypt(secret))


def default_device_name() -> str:
    import socket

    return socket.gethostname() or "device"


def load_or_create_device(keys_dir: Path, passphrase: str | None = None) -> DeviceKeys:
    path = keys_dir / DEVICE_FILE
    if path.exists():
        data = _read_key_file(path, passphrase)
        return DeviceKeys(
            nacl.signing.SigningKey(unb64(data["ed25519_seed"])),
            PrivateKey(unb64(data["x25519"])),
            data.get("name") or default_device_name(),
        )
    keys = DeviceKeys(
        _valid_signing_key(),
        PrivateKey.generate(),
        os.environ.get("VIVIM_DEVICE_NAME") or default_device_name(),
    )
    _write_key_file(path, keys.to_json(), passphrase or os.environ.get(PASSPHRASE_ENV))
    return keys


def _valid_signing_key() -> nacl.signing.SigningKey:
    """libp2p refuses seeds whose public key is not a valid curve point (rare); retry as it does."""
    from nacl.bindings import crypto_core_ed25519_is_valid_point

    for _ in range(100):
        key = nacl.signing.SigningKey.generate()
        if crypto_core_ed25519_is_valid_point(bytes(key.verify_key)):
            return key
    raise CryptoError("could not generate a device key")


# ---- vault keys ---------------------------------------------------------------------------------


@dataclass
class VaultKeys:
    """Every vault key this device has been given, and which one new payloads use."""

    keys: dict[str, bytes] = field(default_factory=dict)
    current: str | None = None

    @classmethod
    def generate(cls) -> VaultKeys:
        vault = cls()
        vault.add(nacl.utils.random(KEY_BYTES), make_current=True)
        return vault

    def add(self, key: bytes, *, make_current: bool) -> str:
        if len(key) != KEY_BYTES:
            raise CryptoError("a vault key is 32 bytes")
        kid = key_id_of(key)
        self.keys[kid] = key
        if make_current or self.current is None:
            self.current = kid
        return kid

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        if self.current is None:
            raise CryptoError("this device holds no vault key (a blind backup peer)")
        return self.current, bytes(nacl.secret.SecretBox(self.keys[self.current]).encrypt(plaintext))

    def decrypt(self, kid: str, ciphertext: bytes) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise CryptoError(f"no vault key {kid} on this device")
        try:
            return nacl.secret.SecretBox(key).decrypt(ciphertext)
        except nacl.exceptions.CryptoError:
            raise CryptoError("a payload failed authentication (tampered or wrong key)") from None

    def to_json(self) -> dict[str, Any]:
        return {"current": self.current, "keys": {k: b64(v) for k, v in self.keys.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VaultKeys:
        return cls({k: unb64(v) for k, v in data.get("keys", {}).items()}, data.get("current"))

    def export(self) -> bytes:
        return json.dumps(self.to_json()).encode()

    @classmethod
    def imported(cls, blob: bytes) -> VaultKeys:
        return cls.from_json(json.loads(blob))


def load_vault(keys_dir: Path, passphrase: str | None = None) -> VaultKeys:
    path = keys_dir / VAULT_FILE
    if not path.exists():
        return VaultKeys()
    return VaultKeys.from_json(_read_key_file(path, passphrase))


def save_vault(keys_dir: Path, vault: VaultKeys, passphrase: str | None = None) -> None:
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV)
    if passphrase is None and is_protected(keys_dir):
        raise CryptoError(f"the key files are passphrase-protected; set {PASSPHRASE_ENV}")
    _write_key_file(keys_dir / VAULT_FILE, vault.to_json(), passphrase)


def load_or_create_vault(keys_dir: Path, passphrase: str | None = None) -> VaultKeys:
    vault = load_vault(keys_dir, passphrase)
    if not vault.keys and not (keys_dir / VAULT_FILE).exists():
        vault = VaultKeys.generate()
        save_vault(keys_dir, vault, passphrase)
    return vault


def protect_keys(keys_dir: Path, new_passphrase: str | None, old_passphrase: str | None = None) -> None:
    """Re-write both key files under a new passphrase (or none, to remove protection)."""
    device = load_or_create_device(keys_dir, old_passphrase)
    vault = load_vault(keys_dir, old_passphrase)
    _write_key_file(keys_dir / DEVICE_FILE, device.to_json(), new_passphrase)
    _write_key_file(keys_dir / VAULT_FILE, vault.to_json(), new_passphrase)


# ---- backups ------------------------------------------------------------------------------------


def encrypt_backup(
    plaintext: bytes, *, vault: VaultKeys | None = None, passphrase: str | None = None
) -> bytes:
    """BACKUP_MAGIC + JSON header line + SecretBox ciphertext."""
    if passphrase:
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        header = {"kdf": "argon2id", "salt": b64(salt), "ops": ARGON_OPS, "mem": ARGON_MEM}
        key = _derive(passphrase, salt, ARGON_OPS, ARGON_MEM)
    elif vault is not None and vault.current:
        header = {"kid": vault.current}
        key = vault.keys[vault.current]
    else:
        raise CryptoError("a backup needs the vault key or a passphrase")
    return (
        BACKUP_MAGIC
        + json.dumps(header).encode()
        + b"\n"
        + bytes(nacl.secret.SecretBox(key).encrypt(plaintext))
    )


def decrypt_backup(blob: bytes, *, vault: VaultKeys | None = None, passphrase: str | None = None) -> bytes:
    if not blob.startswith(BACKUP_MAGIC):
        raise CryptoError("this is not a VIVIM backup file")
    header_line, _, ciphertext = blob[len(BACKUP_MAGIC) :].partition(b"\n")
    header = json.loads(header_line)
    key: bytes | None
    if header.get("kdf") == "argon2id":
        if not passphrase:
            raise CryptoError("this backup was made with a passphrase; give it with --passphrase")
        key = _derive(passphrase, unb64(header["salt"]), int(header["ops"]), int(header["mem"]))
    else:
        key = (vault.keys if vault else {}).get(header.get("kid", ""))
        if key is None:
            raise CryptoError("this backup was made with a vault key this device does not hold")
    try:
        return nacl.secret.SecretBox(key).decrypt(ciphertext)
    except nacl.exceptions.CryptoError:
        raise CryptoError(
            "the backup failed authentication (wrong passphrase, or the file was altered)"
        ) from None
