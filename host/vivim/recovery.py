"""The secret that makes a backup restorable on a machine that has nothing of this one.

A backup encrypted with the vault key opens only on a device holding that key: not on the new
laptop after the old one died, which is when backups matter. So the first `vivim backup` sets
up a backup secret, like a password manager's emergency kit: a recovery key VIVIM makes
(`VIVIM-XXXX-…`, 120 random bits, shown once) or a passphrase the person chooses. Argon2id turns
it into the backup key; this device keeps only that derived key (keys/backup.json, under the
key files' passphrase if they have one), so later backups need no prompt and the secret itself
is never written down here. Restore asks for it.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.pwhash
import nacl.secret
import nacl.utils

from .errors import CryptoError
from .sync import crypto

SECRET_FILE = "backup.json"
RECOVERY_KEY = "recovery-key"
PASSPHRASE = "passphrase"
# Crockford's base32: no I, L, O, U, so a key read aloud or from paper cannot be misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_CHARS = 24  # 120 bits
MIN_PASSPHRASE = 10


def new_recovery_key() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(KEY_CHARS))
    return "VIVIM-" + "-".join(chars[i : i + 4] for i in range(0, KEY_CHARS, 4))


def normalize_recovery_key(text: str) -> str:
    """What the key derives from: case, spaces, dashes and the VIVIM- prefix do not matter;
    O reads as 0 and I, L as 1."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    if raw.startswith("VIVIM"):
        raw = raw[5:]
    return raw.translate(str.maketrans("OIL", "011"))


def secret_text(kind: str, text: str) -> str:
    return normalize_recovery_key(text) if kind == RECOVERY_KEY else text


@dataclass(frozen=True)
class BackupSecret:
    kind: str  # RECOVERY_KEY or PASSPHRASE
    salt: bytes
    ops: int
    mem: int
    key: bytes
    created_at: float

    def header(self) -> dict[str, Any]:
        return {
            "kdf": "argon2id",
            "salt": crypto.b64(self.salt),
            "ops": self.ops,
            "mem": self.mem,
            "secret": self.kind,
        }

    def to_json(self) -> dict[str, Any]:
        # No top-level "kdf": in a key file that marks a passphrase-wrapped one.
        return {
            "secret": self.kind,
            "salt": crypto.b64(self.salt),
            "ops": self.ops,
            "mem": self.mem,
            "key": crypto.b64(self.key),
            "created_at": self.created_at,
        }


def load_backup_secret(keys_dir: Path) -> BackupSecret | None:
    path = keys_dir / SECRET_FILE
    if not path.exists():
        return None
    data = crypto._read_key_file(path, None)
    return BackupSecret(
        data["secret"],
        crypto.unb64(data["salt"]),
        int(data["ops"]),
        int(data["mem"]),
        crypto.unb64(data["key"]),
        float(data.get("created_at") or 0),
    )


def create_backup_secret(keys_dir: Path, kind: str, text: str) -> BackupSecret:
    if kind == PASSPHRASE and len(text) < MIN_PASSPHRASE:
        raise CryptoError(
            f"choose a passphrase of at least {MIN_PASSPHRASE} characters (a few words are best)"
        )
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    ops, mem = crypto.ARGON_OPS, crypto.ARGON_MEM
    key = crypto._derive(secret_text(kind, text), salt, ops, mem)
    made = BackupSecret(kind, salt, ops, mem, key, time.time())
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    protected = crypto.is_protected(keys_dir)
    passphrase = os.environ.get(crypto.PASSPHRASE_ENV) if protected else None
    if protected and not passphrase:
        raise CryptoError(f"the key files are passphrase-protected; set {crypto.PASSPHRASE_ENV}")
    crypto._write_key_file(keys_dir / SECRET_FILE, made.to_json(), passphrase)
    return made


def encrypt(secret: BackupSecret, plaintext: bytes) -> bytes:
    """The same file format as crypto.encrypt_backup with a passphrase, so restore reads both."""
    box = nacl.secret.SecretBox(secret.key)
    return crypto.BACKUP_MAGIC + json.dumps(secret.header()).encode() + b"\n" + bytes(box.encrypt(plaintext))


def backup_header(blob: bytes) -> dict[str, Any]:
    """What a backup file says about how it is locked (raises CryptoError if it is not one)."""
    if not blob.startswith(crypto.BACKUP_MAGIC):
        raise CryptoError("this is not a VIVIM backup file")
    line = blob[len(crypto.BACKUP_MAGIC) :].partition(b"\n")[0]
    try:
        header = json.loads(line)
    except ValueError:
        raise CryptoError("this VIVIM backup file is damaged (its header does not read)") from None
    if not isinstance(header, dict):
        raise CryptoError("this VIVIM backup file is damaged (its header does not read)")
    return header


def needs_secret(header: dict[str, Any]) -> str | None:
    """RECOVERY_KEY or PASSPHRASE when restoring asks for one; None for a vault-key backup."""
    if header.get("kdf") != "argon2id":
        return None
    return RECOVERY_KEY if header.get("secret") == RECOVERY_KEY else PASSPHRASE
